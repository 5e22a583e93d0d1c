"""Reads of the residents' council: what the pages, the API, the admin and the live access
read, each rule once.

HackSoft style: keyword-only arguments where there is more than one, querysets or plain
values out, no writes. Who counts as staff is decided by the caller (it shows more than the
list), and passed in as `staff` so that it is asked once a request.
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from accounts.permissions import is_signed_in
from communities.models import Membership
from core import ids

from . import permissions as perms
from .models import AgendaItem, Comment, Council, Follow, Meeting, Proposal, Vote
from .tally import Tally

# What cast_vote and the vote endpoint read of a proposal (with its council): load only these.
VOTING_FIELDS = (
    "id",
    "council",
    "author",
    "recorded_by",
    "title",
    "status",
    "hidden",
    "published_at",
    "voting_opens_at",
    "voting_closes_at",
)


# ... and of its council: the rules, the community and whether the tally is hidden.
VOTING_COUNCIL_FIELDS = (
    "id",
    "community",
    "voters",
    "quorum_kind",
    "quorum_votes",
    "quorum_percent",
    "pass_percent",
    "hide_tally",
)

# Tabs of the council page: slug -> statuses (None: every status).
TABS = {
    "all": None,
    "discussion": ("discussion",),
    "voting": ("voting",),
    "decided": ("accepted", "rejected"),
    "withdrawn": ("withdrawn",),
    "review": ("draft", "submitted"),
}


def proposal_for_voting(proposal_id: int) -> Proposal | None:
    """The proposal with VOTING_FIELDS loaded (the others deferred) and its council, or None."""
    return (
        Proposal.objects.select_related("council")
        .only(*VOTING_FIELDS, *(f"council__{name}" for name in VOTING_COUNCIL_FIELDS))
        .filter(pk=proposal_id)
        .first()
    )


# --- one proposal ------------------------------------------------------------------------------


def proposals(*, photos: bool = False, moderation: bool = False):
    """Proposals with their council, community, author and follow-up task in the same query;
    `photos` prefetches the photos, `moderation` also joins who hid and who recorded it."""
    qs = Proposal.objects.for_lists()
    if moderation:
        qs = qs.select_related("hidden_by", "recorded_by")
    if photos:
        qs = qs.prefetch_related("photos")
    return qs


def visible_proposal(
    *, viewer, pk: int, photos: bool = False, moderation: bool = False
) -> Proposal | None:
    """The proposal if `viewer` may see it, else None: hidden ones are like missing ones."""
    proposal = proposals(photos=photos, moderation=moderation).filter(pk=pk).first()
    if proposal is None or not perms.can_view_proposal(viewer, proposal):
        return None
    return proposal


def visible_comment(*, viewer, pk: int) -> Comment | None:
    """The comment if `viewer` may see it and its proposal, else None."""
    comment = (
        Comment.objects.select_related("author", "proposal__council__community")
        .filter(pk=pk)
        .first()
    )
    if comment is None or not perms.can_view_proposal(viewer, comment.proposal):
        return None
    if not perms.can_view_comment(viewer, comment):
        return None
    return comment


def visible_proposal_ids(*, viewer, proposal_ids) -> set[int]:
    """Which of `proposal_ids` `viewer` may see now: one query however many."""
    return set(
        Proposal.objects.filter(pk__in=proposal_ids)
        .filter(perms.visible_proposals_q(viewer))
        .values_list("pk", flat=True)
    )


def vote_of(*, voter, proposal: Proposal) -> Vote | None:
    return Vote.objects.filter(proposal=proposal, voter=voter).first()


def is_following(*, user, proposal: Proposal) -> bool:
    return Follow.objects.filter(proposal=proposal, user=user).exists()


def eligible_count(proposal: Proposal) -> int:
    """Voters the decision counted, or, before it, those who may vote now."""
    if proposal.final_eligible is not None:
        return proposal.final_eligible
    return perms.eligible_voter_count(proposal.council)


def council_of(community) -> Council | None:
    return Council.objects.filter(community=community).first()


# --- lists -------------------------------------------------------------------------------------


def proposal_list(
    *,
    viewer,
    staff: bool,
    council: Council | None = None,
    community=None,
    author=None,
    statuses=None,
    category: str = "",
    term: str = "",
):
    """The proposals of a council (or a community) that `viewer` may see, filtered.

    Staff see every proposal; others what `permissions.visible_proposals_q` lets them.
    `term` is looked for in the title, the text and the place. Unordered and unloaded: for
    counts, and for `proposal_page`.
    """
    qs = Proposal.objects.all()
    if council is not None:
        qs = qs.filter(council=council)
    if community is not None:
        qs = qs.filter(council__community=community)
    if not staff:
        qs = qs.filter(perms.visible_proposals_q(viewer))
    if statuses:
        qs = qs.filter(status__in=statuses)
    if category:
        qs = qs.filter(category=category)
    if author is not None:
        qs = qs.filter(author=author)
    if term:
        qs = qs.filter(
            Q(title__icontains=term) | Q(body__icontains=term) | Q(location__icontains=term)
        )
    return qs


def tab_counts(proposal_list) -> dict[str, int]:
    """{tab slug: how many of `proposal_list` it shows}, in one query."""
    return proposal_list.aggregate(
        all=Count("id"),
        **{
            slug: Count("id", filter=Q(status__in=statuses))
            for slug, statuses in TABS.items()
            if statuses
        },
    )


def proposal_page(proposal_list, *, closing_first: bool = False, with_council: bool = True):
    """`proposal_list` in the order lists show it (newest first, or the vote closing first),
    with what a list item shows loaded; without `with_council` the caller sets the council."""
    order = ("voting_closes_at", "-id") if closing_first else ("-created_at", "-id")
    if with_council:
        qs = proposal_list.select_related("council__community", "author", "task__team")
    else:
        qs = proposal_list.select_related("author", "task__team")
    return qs.prefetch_related("photos").order_by(*order)


def own_proposals(*, author):
    """Everything `author` proposed, in every community, as lists show it."""
    return proposal_page(Proposal.objects.filter(author=author))


def recent_own_proposals(*, author, limit: int) -> list:
    """What `author` proposed, last changed first, with its community and follow-up task."""
    return list(
        Proposal.objects.filter(author=author)
        .select_related("council__community", "task__team")
        .order_by("-updated_at", "-id")[:limit]
    )


def followed_proposals(*, viewer, limit: int):
    """What `viewer` follows of others' proposals and may still see, last changed first."""
    return list(
        Proposal.objects.filter(follows__user=viewer)
        .exclude(author=viewer)
        .filter(perms.visible_proposals_q(viewer))
        .select_related("council__community", "task__team")
        .order_by("-updated_at", "-id")[:limit]
    )


def open_votes_for(*, voter, limit: int) -> list:
    """Proposals whose vote is open now, that `voter` may vote on by their council's rules and
    has not voted on yet, closing first: one query."""
    now = timezone.now()
    return list(
        Proposal.objects.published()
        .filter(status=Proposal.Status.VOTING, voting_opens_at__lte=now, voting_closes_at__gt=now)
        .filter(perms.may_vote_q(voter))
        .exclude(votes__voter=voter)
        .select_related("council__community")
        .order_by("voting_closes_at", "id")[:limit]
    )


def task_watcher_ids(*, task_id: int) -> list[int]:
    """The author and the followers of the proposal whose follow-up is this task: one query."""
    return list(
        get_user_model()
        .objects.filter(
            Q(proposals__task_id=task_id) | Q(proposal_follows__proposal__task_id=task_id)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def agenda_proposals(*, council: Council | None = None):
    """Proposals staff may put on a council's agenda (every council's without one): past the
    draft, not withdrawn, newest first."""
    qs = Proposal.objects.exclude(status__in=("draft", "withdrawn"))
    if council is not None:
        qs = qs.filter(council=council)
    return qs.order_by("-created_at", "-id")


def agenda(*, meeting: Meeting, viewer, staff: bool) -> list[AgendaItem]:
    """A meeting's agenda items, in order, whose proposals `viewer` may see (staff: every one),
    with their proposals: one query, the rule of `permissions.can_view_proposal` in Python."""
    items = (
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("proposal")
        .order_by("position", "id")
    )
    uid = viewer.pk if is_signed_in(viewer) else None
    return [
        item
        for item in items
        if staff
        or (item.proposal.published_at is not None and not item.proposal.hidden)
        or (uid is not None and item.proposal.author_id == uid)
    ]


def verified_members(*, council: Council):
    """Active verified members of the council's community, by name."""
    ids = Membership.objects.filter(
        community_id=council.community_id, status=Membership.Status.VERIFIED
    ).values("user_id")
    return (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .order_by("display_name", "email")
    )


# --- tallies -----------------------------------------------------------------------------------


def count_votes(proposal) -> Tally:
    """The tally from the vote rows (one query, plain SQL: it runs on every vote)."""
    table = connection.ops.quote_name(Vote._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT choice, COUNT(*) FROM {table} WHERE proposal_id = %s GROUP BY choice",
            [proposal.pk if isinstance(proposal, Proposal) else proposal],
        )
        counts = dict(cursor.fetchall())
    return Tally(
        support=counts.get("support", 0),
        oppose=counts.get("oppose", 0),
        abstain=counts.get("abstain", 0),
    )


def not_voted_count(proposal: Proposal) -> int:
    """Eligible voters who have not voted on the proposal yet."""
    voted = Vote.objects.filter(proposal=proposal).values("voter_id")
    return perms.eligible_voters(proposal.council).exclude(user_id__in=voted).count()


def tallies_for(*, proposal_ids) -> dict[int, Tally]:
    """{proposal id: running tally} from the vote rows, one grouped query for any number of
    proposals (none for none); a proposal without votes has a zero tally."""
    proposal_ids = list(proposal_ids)
    counts = {pk: {} for pk in proposal_ids}
    rows = (
        Vote.objects.filter(proposal_id__in=proposal_ids)
        .values_list("proposal_id", "choice")
        .annotate(n=Count("id"))
        .values_list("proposal_id", "choice", "n")
    )
    for proposal_id, choice, n in rows:
        counts[proposal_id][choice] = n
    return {pk: Tally(**choices) for pk, choices in counts.items()}


def final_tally(proposal: Proposal) -> Tally | None:
    """The count recorded when the vote was decided, or None where none was recorded."""
    if proposal.final_support is None:
        return None
    return Tally(
        support=proposal.final_support,
        oppose=proposal.final_oppose or 0,
        abstain=proposal.final_abstain or 0,
    )


def running_tally_shown(proposal: Proposal, *, staff: bool) -> bool:
    """The council may hide the running tally from all but staff until the vote is decided."""
    return staff or not proposal.council.hide_tally


def shown_tally(proposal: Proposal, *, running: Tally | None, staff: bool) -> Tally | None:
    """The tally a viewer sees: the running one while voting (None where it is hidden from
    them), the recorded one once decided, none before the vote."""
    if proposal.status == Proposal.Status.VOTING:
        if not running_tally_shown(proposal, staff=staff):
            return None
        return running or Tally()
    if proposal.status in Proposal.DECIDED:
        return final_tally(proposal)
    return None


# --- discussion --------------------------------------------------------------------------------


def comment_counts(*, proposal_ids) -> dict[int, int]:
    """{proposal id: shown comments}, one grouped query; proposals without any are left out."""
    return dict(
        Comment.objects.filter(proposal_id__in=proposal_ids, hidden=False)
        .values_list("proposal_id")
        .annotate(n=Count("id"))
        .values_list("proposal_id", "n")
    )


def visible_comments(*, viewer, proposal: Proposal, staff: bool, moderation: bool = False):
    """The comments of a proposal `viewer` sees: staff all, others the shown ones and their own.
    `moderation` also joins who hid them."""
    qs = Comment.objects.filter(proposal=proposal)
    qs = qs.select_related("author", "hidden_by") if moderation else qs.select_related("author")
    if not staff:
        mine = Q(author_id=viewer.pk) if is_signed_in(viewer) else Q(pk__in=[])
        qs = qs.filter(Q(hidden=False) | mine)
    return qs


def reply_parent(*, viewer, proposal: Proposal, pk: int) -> Comment | None:
    """The comment of `proposal` a reply may answer: one `viewer` sees, else None."""
    parent = Comment.objects.filter(pk=ids.clamp(pk), proposal=proposal).first()
    if parent is None or not perms.can_view_comment(viewer, parent):
        return None
    return parent


def top_level(comments):
    """The threads of `comments` (no parent), oldest first."""
    return comments.filter(parent__isnull=True).order_by("created_at", "id")


def replies_by_thread(comments, *, threads) -> dict[int, list]:
    """{thread id: its replies among `comments`, oldest first}: one query for the threads."""
    replies: dict[int, list] = {}
    if threads:
        parents = [c.pk for c in threads]
        for reply in comments.filter(parent_id__in=parents).order_by("created_at", "id"):
            replies.setdefault(reply.parent_id, []).append(reply)
    return replies
