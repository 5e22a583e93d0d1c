"""Who may do what in the residents' council.

Pages, API, the live consumer (topic checks) and the Wagtail admin all ask here.

As in `teams.permissions`: each `can_*` answers for the current state too (a page shows the
button only when the action would succeed); services check the role part first (`may_*`,
403 NotAllowed) and then the state (409 Conflict).
"""

from django.db.models import Exists, OuterRef, Q

from accounts.permissions import is_signed_in
from communities.models import Community, Membership
from communities.permissions import (  # noqa: F401  (assisted filing, asked through here)
    assisted_residents,
    is_staff_of,
    is_verified_member,
    may_file_for,
    may_file_for_residents,
    staffed_communities,
)

from .models import Comment, Council, Proposal, Vote
from .tally import Rules, eligible_roles


def _community(obj) -> Community:
    if isinstance(obj, Community):
        return obj
    if isinstance(obj, Council):
        return obj.community
    if isinstance(obj, Proposal):
        return obj.council.community
    raise TypeError(obj)


def is_council_staff(user, obj) -> bool:
    """Staff of the community (or above it) of a council, proposal or community."""
    return is_signed_in(user) and is_staff_of(user, _community(obj))


def is_author(user, proposal: Proposal) -> bool:
    return is_signed_in(user) and proposal.author_id is not None and proposal.author_id == user.pk


# --- seeing ------------------------------------------------------------------------------------


def can_view_proposal(user, proposal: Proposal) -> bool:
    """Everyone sees published, non-hidden proposals; the author and staff see theirs all."""
    if proposal.is_published and not proposal.hidden:
        return True
    return is_author(user, proposal) or is_council_staff(user, proposal)


def visible_proposals_q(user, community: Community | None = None) -> Q:
    """A filter for proposal lists: the same rule as `can_view_proposal`, in one query.

    With `community`, staff status is checked once for it; without, against every community
    the user staffs (a subquery).
    """
    q = Q(published_at__isnull=False, hidden=False)
    if not is_signed_in(user):
        return q
    q |= Q(author=user)
    if community is not None:
        if is_staff_of(user, community):
            q |= Q(pk__isnull=False)
    else:
        q |= Q(council__community__in=staffed_communities(user))
    return q


def can_view_comment(user, comment: Comment) -> bool:
    """Hidden comments: their author and staff only (the caller checked the proposal)."""
    if not comment.hidden:
        return True
    if is_signed_in(user) and comment.author_id == user.pk:
        return True
    return is_council_staff(user, comment.proposal)


def can_see_tally(user, proposal: Proposal) -> bool:
    """The council may hide the running tally until the vote is decided (staff still see it)."""
    if proposal.status not in ("voting", "accepted", "rejected"):
        return False
    if proposal.status == "voting" and proposal.council.hide_tally:
        return is_council_staff(user, proposal)
    return True


def tally_is_public(proposal: Proposal) -> bool:
    """Whether live tally counts may be published on the proposal's topic."""
    return proposal.status != "voting" or not proposal.council.hide_tally


def can_follow_proposal_topic(user, proposal_id: int) -> bool:
    """Live `proposal:<id>`: anyone for published, non-hidden proposals; staff and author else."""
    proposal = Proposal.objects.select_related("council__community").filter(pk=proposal_id).first()
    return proposal is not None and can_view_proposal(user, proposal)


# --- proposals ---------------------------------------------------------------------------------


def may_propose(user, community: Community) -> bool:
    return is_signed_in(user) and (
        is_verified_member(user, community) or is_staff_of(user, community)
    )


def can_propose(user, community: Community) -> bool:
    return may_propose(user, community) and Council.objects.filter(community=community).exists()


def is_recorder(user, proposal: Proposal) -> bool:
    """The staff member who filed an assisted proposal (and is still staff there)."""
    return (
        is_signed_in(user)
        and proposal.assisted
        and proposal.recorded_by_id == user.pk
        and is_council_staff(user, proposal)
    )


def may_edit(user, proposal: Proposal) -> bool:
    return is_author(user, proposal) or is_recorder(user, proposal)


def can_edit(user, proposal: Proposal) -> bool:
    return proposal.status in Proposal.EDITABLE and not proposal.hidden and may_edit(user, proposal)


def can_submit(user, proposal: Proposal) -> bool:
    return proposal.status == "draft" and not proposal.hidden and may_edit(user, proposal)


def may_withdraw(user, proposal: Proposal) -> bool:
    return is_author(user, proposal)


def can_withdraw(user, proposal: Proposal) -> bool:
    return proposal.status in Proposal.WITHDRAWABLE and may_withdraw(user, proposal)


def may_review(user, proposal: Proposal) -> bool:
    """Staff work: publish, return, hide, restore, open the vote, decide, assisted votes."""
    return is_council_staff(user, proposal)


def is_own_proposal(user, proposal: Proposal) -> bool:
    """The user wrote the proposal or filed it for a resident (no one judges it: see below)."""
    return is_author(user, proposal) or (
        is_signed_in(user)
        and proposal.recorded_by_id is not None
        and proposal.recorded_by_id == user.pk
    )


def not_own_proposal(user, prefix: str = ""):
    """For a Proposal queryset (or, with `prefix` "proposal__", one that leads to a proposal):
    is_own_proposal is False."""
    if not is_signed_in(user):
        return Q()
    return ~Q(**{f"{prefix}author": user}) & (
        Q(**{f"{prefix}recorded_by__isnull": True}) | ~Q(**{f"{prefix}recorded_by": user})
    )


def may_judge(user, proposal: Proposal) -> bool:
    """Publishing, returning, hiding, restoring and deciding a proposal: staff, never on a
    proposal they wrote or filed themselves (superusers neither)."""
    return not is_own_proposal(user, proposal) and may_review(user, proposal)


def can_publish(user, proposal: Proposal) -> bool:
    return proposal.status == "submitted" and may_judge(user, proposal)


def can_return(user, proposal: Proposal) -> bool:
    return proposal.status == "submitted" and may_judge(user, proposal)


def can_hide(user, proposal: Proposal) -> bool:
    return not proposal.hidden and may_judge(user, proposal)


def can_restore(user, proposal: Proposal) -> bool:
    return proposal.hidden and may_judge(user, proposal)


def can_open_voting(user, proposal: Proposal) -> bool:
    return proposal.status == "discussion" and not proposal.hidden and may_review(user, proposal)


def can_decide(user, proposal: Proposal) -> bool:
    return proposal.status == "voting" and may_judge(user, proposal)


# --- voting ------------------------------------------------------------------------------------


def eligible_voters(council: Council):
    """Memberships whose holders may vote in this council (verified, right role)."""
    return Membership.objects.filter(
        community_id=council.community_id,
        status=Membership.Status.VERIFIED,
        role__in=eligible_roles(council.rules),
        user__is_active=True,
    )


def eligible_voter_count(council: Council) -> int:
    return eligible_voters(council).count()


def is_eligible_voter(user, council: Council) -> bool:
    return is_signed_in(user) and eligible_voters(council).filter(user=user).exists()


def may_vote(user, proposal: Proposal) -> bool:
    return is_eligible_voter(user, proposal.council)


def may_vote_q(user) -> Q:
    """For proposal lists: may_vote, in the list's own query (the same rule: change both)."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    member = Membership.objects.filter(
        user=user,
        community_id=OuterRef("council__community_id"),
        status=Membership.Status.VERIFIED,
    )
    representatives = Q(council__voters=Council.Voters.REPRESENTATIVES)
    return (
        representatives
        & Exists(member.filter(role__in=eligible_roles(Rules(representatives_only=True))))
    ) | (~representatives & Exists(member.filter(role__in=eligible_roles(Rules()))))


def can_vote(user, proposal: Proposal, now=None) -> bool:
    return not proposal.hidden and proposal.voting_is_open(now) and may_vote(user, proposal)


def may_record_vote_for(user, proposal: Proposal, voter) -> bool:
    """Staff record a vote for an eligible resident who cannot use a phone, never on a
    proposal of their own (they would be collecting votes for their own work)."""
    return (
        voter is not None
        and getattr(voter, "pk", None) != getattr(user, "pk", None)
        and may_judge(user, proposal)
        and is_eligible_voter(voter, proposal.council)
    )


def assisted_vote_may_replace(vote: Vote | None) -> bool:
    """An assisted vote may replace no vote or an earlier assisted one, never a vote the
    resident cast themselves (cast_vote's upsert writes this rule in SQL: change both)."""
    return vote is None or vote.assisted


def residents_who_voted_themselves(proposal: Proposal):
    """User ids whose own vote on the proposal no assisted vote may replace (for pickers)."""
    return Vote.objects.filter(proposal=proposal, assisted=False).values("voter_id")


# --- discussion --------------------------------------------------------------------------------


def may_comment(user, proposal: Proposal) -> bool:
    return is_signed_in(user) and (
        is_verified_member(user, proposal.council.community) or is_council_staff(user, proposal)
    )


def can_comment(user, proposal: Proposal) -> bool:
    return (
        proposal.status in Proposal.COMMENTABLE
        and not proposal.hidden
        and may_comment(user, proposal)
    )


def can_report(user, target) -> bool:
    """Anyone signed in may report what they can see (not their own content)."""
    if not is_signed_in(user):
        return False
    if isinstance(target, Comment):
        return target.author_id != user.pk and can_view_proposal(user, target.proposal)
    return target.author_id != user.pk and can_view_proposal(user, target)


def is_own_content(user, obj) -> bool:
    """A comment the user wrote or one on a proposal of their own, or their own proposal."""
    if isinstance(obj, Comment):
        if is_signed_in(user) and obj.author_id == user.pk:
            return True
        obj = obj.proposal
    return is_own_proposal(user, obj)


def not_own_reported_content(user):
    """For a Report queryset: is_own_content is False for what was reported."""
    if not is_signed_in(user):
        return Q()
    on_proposal = Q(proposal__isnull=False) & not_own_proposal(user, "proposal__")
    on_comment = (
        Q(comment__isnull=False)
        & (Q(comment__author__isnull=True) | ~Q(comment__author=user))
        & not_own_proposal(user, "comment__proposal__")
    )
    return on_proposal | on_comment


def can_moderate(user, obj) -> bool:
    """Hide / restore comments and proposals: staff, never their own content nor comments on
    their own proposal (that would be judging the debate about their own work)."""
    proposal = obj.proposal if isinstance(obj, Comment) else obj
    return not is_own_content(user, obj) and is_council_staff(user, proposal)


def can_follow(user, proposal: Proposal) -> bool:
    return is_signed_in(user) and can_view_proposal(user, proposal)


# --- meetings ----------------------------------------------------------------------------------


def can_manage_meetings(user, council: Council) -> bool:
    return is_council_staff(user, council)


def can_manage_council(user, council: Council) -> bool:
    return is_council_staff(user, council)
