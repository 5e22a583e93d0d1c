"""/api/v1/ for the residents' council. Thin: `deliberation.services` does the work.

Proposals others may not see (drafts, submitted, hidden) answer 404 to them, exactly like
ids that do not exist. Lists cost a constant number of queries.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from communities.models import Community
from communities.permissions import is_staff_of
from core import ids
from core.api import anyone
from core.errors import NotAllowed
from core.inputs import CleanStr

from . import permissions as perms
from . import selectors, services
from .models import Comment, Meeting, Proposal
from .schemas import (
    CategorySlug,
    CommentIn,
    CommentOut,
    CommentPage,
    CouncilOut,
    DecisionIn,
    FollowOut,
    MeetingDetailOut,
    MeetingPage,
    PhotoOut,
    ProposalDetailOut,
    ProposalEditIn,
    ProposalIn,
    ProposalPage,
    ReasonIn,
    ReportOut,
    RequiredReasonIn,
    StatusSlug,
    VoteIn,
    VoteOut,
    VotingIn,
)
from .tally import Tally

router = Router(tags=["council"])


def _active_user(pk: int, *, field: str):
    """An active user by id, or a 400 on `field` (never a 500 for an out-of-range id)."""
    from django.contrib.auth import get_user_model

    person = get_user_model().objects.filter(pk=ids.clamp(pk), is_active=True).first()
    if person is None:
        raise ValidationError({field: _("Unknown person.")})
    return person


def _visible_proposal(request, pk: int) -> Proposal:
    ids.require_in_range(pk)
    proposal = selectors.visible_proposal(viewer=request.user, pk=pk)
    if proposal is None:
        raise Http404
    return proposal


def _person(user):
    return {"id": user.pk, "display_name": user.get_display_name()} if user is not None else None


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    if limit < 1 or limit > 100:
        raise ValidationError({"limit": _("Ask for 1 to 100 items.")})
    if offset < 0 or offset > 1_000_000:
        raise ValidationError({"offset": _("The offset is out of range.")})
    return limit, offset


def _tally(proposal: Proposal, running: Tally | None, staff: bool) -> dict | None:
    tally = selectors.shown_tally(proposal, running=running, staff=staff)
    if tally is None and proposal.status in Proposal.DECIDED:
        # A decision without recorded counts: the API has always answered zeros there.
        tally = Tally()
    return tally.as_dict() if tally is not None else None


def proposal_out(
    proposal: Proposal, *, user, staff: bool, running: Tally | None, comments_count: int
) -> dict:
    author_or_staff = staff or perms.is_author(user, proposal)
    community = proposal.council.community
    return {
        "id": proposal.pk,
        "title": proposal.title,
        "body": proposal.body,
        "category": proposal.category,
        "category_label": proposal.get_category_display(),
        "status": proposal.status,
        "status_label": proposal.get_status_display(),
        "hidden": proposal.hidden,
        "hidden_reason": proposal.hidden_reason if author_or_staff else "",
        "return_reason": proposal.return_reason if author_or_staff else "",
        "community": {"id": community.pk, "name": community.name},
        "author": _person(proposal.author),
        "assisted": proposal.assisted,
        "location": proposal.location,
        "tally": _tally(proposal, running, staff),
        "voting": {
            "opens_at": proposal.voting_opens_at,
            "closes_at": proposal.voting_closes_at,
            "is_open": proposal.voting_is_open(),
        },
        "outcome": services.outcome_text(proposal),
        "task": services.task_summary(proposal.task),
        "photos": [
            {"id": photo.pk, "url": photo.url, "caption": photo.caption}
            for photo in proposal.photos.all()
        ],
        "comments_count": comments_count,
        "created_at": proposal.created_at,
        "published_at": proposal.published_at,
        "decided_at": proposal.decided_at,
        "url": proposal.get_absolute_url(),
    }


def _detail(request, proposal: Proposal, status: int = 200):
    user = request.user
    proposal = ids.get_or_404(selectors.proposals(photos=True), proposal.pk)
    staff = perms.is_council_staff(user, proposal)
    running = selectors.count_votes(proposal) if proposal.status == "voting" else None
    comments = selectors.comment_counts(proposal_ids=[proposal.pk]).get(proposal.pk, 0)
    data = proposal_out(proposal, user=user, staff=staff, running=running, comments_count=comments)
    signed_in = getattr(user, "is_authenticated", False)
    my_vote = None
    following = False
    if signed_in:
        vote = selectors.vote_of(voter=user, proposal=proposal)
        my_vote = vote.choice if vote is not None else None
        following = selectors.is_following(user=user, proposal=proposal)
    eligible = None
    if staff or proposal.is_decided:
        eligible = selectors.eligible_count(proposal)
    data.update(
        my_vote=my_vote,
        following=following,
        eligible_voters=eligible,
        permissions={
            "edit": perms.can_edit(user, proposal),
            "submit": perms.can_submit(user, proposal),
            "withdraw": perms.can_withdraw(user, proposal),
            "publish": perms.can_publish(user, proposal),
            "return": perms.can_return(user, proposal),
            "hide": perms.can_hide(user, proposal),
            "restore": perms.can_restore(user, proposal),
            "open_voting": staff and proposal.status == "discussion" and not proposal.hidden,
            "vote": perms.can_vote(user, proposal),
            "decide": perms.can_decide(user, proposal),
            "comment": perms.can_comment(user, proposal),
            "report": perms.can_report(user, proposal),
            "follow": perms.can_follow(user, proposal),
        },
    )
    return Status(status, data)


# --- proposals ---------------------------------------------------------------------------------


class ProposalFilters(Schema):
    status: StatusSlug | None = None
    category: CategorySlug | None = None
    q: CleanStr | None = None
    mine: bool = False
    limit: int = 20
    offset: int = 0


@router.get(
    "/communities/{community_id}/proposals",
    response=ProposalPage,
    auth=anyone,
    summary="Proposals of a community's council (published ones, plus your own)",
)
def list_proposals(request, community_id: int, filters: Query[ProposalFilters]):
    community = ids.get_or_404(Community.objects.all(), community_id)
    limit, offset = _page_bounds(filters.limit, filters.offset)
    user = request.user
    signed_in = getattr(user, "is_authenticated", False)
    staff = is_staff_of(user, community) if signed_in else False
    if filters.mine and not signed_in:
        return {"items": [], "count": 0}
    term = ""
    if filters.q:
        term = services.clean_text(filters.q, field="q", max_length=100, required=False)
    qs = selectors.proposal_list(
        viewer=user,
        staff=staff,
        community=community,
        statuses=[filters.status] if filters.status else None,
        category=filters.category or "",
        author=user if filters.mine else None,
        term=term,
    )
    count = qs.count()
    page = list(selectors.proposal_page(qs)[offset : offset + limit])
    running = selectors.tallies_for(proposal_ids=[p.pk for p in page if p.status == "voting"])
    comment_counts = selectors.comment_counts(proposal_ids=[p.pk for p in page])
    items = [
        proposal_out(
            p,
            user=user,
            staff=staff,
            running=running.get(p.pk),
            comments_count=comment_counts.get(p.pk, 0),
        )
        for p in page
    ]
    return {"items": items, "count": count}


@router.post(
    "/communities/{community_id}/proposals",
    response={201: ProposalDetailOut},
    summary="New proposal (verified members); submitted for staff review unless submit=false",
)
def create_proposal(request, community_id: int, payload: ProposalIn):
    community = ids.get_or_404(Community.objects.all(), community_id)
    resident = None
    if payload.on_behalf_of is not None:
        if not perms.may_file_for_residents(request.user, community):
            raise NotAllowed(_("Only community staff can file a proposal for a resident."))
        resident = _active_user(payload.on_behalf_of, field="on_behalf_of")
    proposal = services.create_proposal(
        on_behalf_of=resident,
        actor=request.user,
        community=community,
        title=payload.title,
        body=payload.body,
        category=payload.category,
        location=payload.location,
        submit=payload.submit,
        client_key=payload.client_key,
    )
    return _detail(request, proposal, 201)


@router.get(
    "/proposals/{proposal_id}",
    response=ProposalDetailOut,
    auth=anyone,
    summary="A proposal, its tally and follow-up task",
)
def get_proposal(request, proposal_id: int):
    return _detail(request, _visible_proposal(request, proposal_id))


@router.patch("/proposals/{proposal_id}", response=ProposalDetailOut, summary="Author: edit")
def edit_proposal(request, proposal_id: int, payload: ProposalEditIn):
    proposal = _visible_proposal(request, proposal_id)
    changes = payload.dict(exclude_unset=True)
    proposal = services.edit_proposal(actor=request.user, proposal=proposal, **changes)
    return _detail(request, proposal)


@router.post(
    "/proposals/{proposal_id}/photos",
    response={201: list[PhotoOut]},
    summary="Author: add photos (JPEG, PNG or WebP, up to 4 in all, 5 MB each)",
)
def add_photos(request, proposal_id: int, photos: File[list[UploadedFile]]):
    proposal = _visible_proposal(request, proposal_id)
    added = services.add_photos(actor=request.user, proposal=proposal, files=photos)
    return Status(201, [{"id": p.pk, "url": p.url, "caption": p.caption} for p in added])


@router.delete(
    "/proposals/{proposal_id}/photos/{photo_id}", response={204: None}, summary="Author: remove"
)
def remove_photo(request, proposal_id: int, photo_id: int):
    proposal = _visible_proposal(request, proposal_id)
    photo = ids.get_or_404(proposal.photos.all(), photo_id)
    photo.proposal = proposal
    services.remove_photo(actor=request.user, photo=photo)
    return Status(204, None)


@router.post("/proposals/{proposal_id}/submit", response=ProposalDetailOut, summary="Author")
def submit_proposal(request, proposal_id: int):
    proposal = _visible_proposal(request, proposal_id)
    return _detail(request, services.submit_proposal(actor=request.user, proposal=proposal))


@router.post(
    "/proposals/{proposal_id}/publish",
    response=ProposalDetailOut,
    summary="Staff: submitted -> discussion",
)
def publish_proposal(request, proposal_id: int):
    proposal = _visible_proposal(request, proposal_id)
    return _detail(request, services.publish_proposal(actor=request.user, proposal=proposal))


@router.post(
    "/proposals/{proposal_id}/return",
    response=ProposalDetailOut,
    summary="Staff: back to the author as a draft, with a reason",
)
def return_proposal(request, proposal_id: int, payload: RequiredReasonIn):
    proposal = _visible_proposal(request, proposal_id)
    proposal = services.return_proposal(
        actor=request.user, proposal=proposal, reason=payload.reason
    )
    return _detail(request, proposal)


@router.post(
    "/proposals/{proposal_id}/withdraw",
    response=ProposalDetailOut,
    summary="Author: withdraw before the vote",
)
def withdraw_proposal(request, proposal_id: int, payload: ReasonIn | None = None):
    proposal = _visible_proposal(request, proposal_id)
    proposal = services.withdraw_proposal(
        actor=request.user, proposal=proposal, reason=payload.reason if payload else ""
    )
    return _detail(request, proposal)


@router.post(
    "/proposals/{proposal_id}/hide", response=ProposalDetailOut, summary="Staff: hide (reason)"
)
def hide_proposal(request, proposal_id: int, payload: RequiredReasonIn):
    proposal = _visible_proposal(request, proposal_id)
    proposal = services.hide_proposal(actor=request.user, proposal=proposal, reason=payload.reason)
    return _detail(request, proposal)


@router.post(
    "/proposals/{proposal_id}/restore", response=ProposalDetailOut, summary="Staff: show again"
)
def restore_proposal(request, proposal_id: int, payload: ReasonIn | None = None):
    proposal = _visible_proposal(request, proposal_id)
    proposal = services.restore_proposal(
        actor=request.user, proposal=proposal, reason=payload.reason if payload else ""
    )
    return _detail(request, proposal)


@router.post(
    "/proposals/{proposal_id}/report", response=ReportOut, summary="Report to staff (once)"
)
def report_proposal(request, proposal_id: int, payload: ReasonIn | None = None):
    proposal = _visible_proposal(request, proposal_id)
    _report, created = services.report_content(
        actor=request.user, target=proposal, reason=payload.reason if payload else ""
    )
    proposal.refresh_from_db(fields=["hidden"])
    return {"reported": True, "created": created, "hidden": proposal.hidden}


@router.post("/proposals/{proposal_id}/follow", response=FollowOut, summary="Follow")
def follow_proposal(request, proposal_id: int):
    proposal = _visible_proposal(request, proposal_id)
    services.follow_proposal(actor=request.user, proposal=proposal)
    return {"following": True}


@router.delete("/proposals/{proposal_id}/follow", response=FollowOut, summary="Unfollow")
def unfollow_proposal(request, proposal_id: int):
    proposal = _visible_proposal(request, proposal_id)
    services.unfollow_proposal(actor=request.user, proposal=proposal)
    return {"following": False}


# --- discussion --------------------------------------------------------------------------------


def comment_out(comment: Comment, *, show_reason: bool) -> dict:
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "author": _person(comment.author),
        "body": comment.body,
        "hidden": comment.hidden,
        "hidden_reason": comment.hidden_reason if show_reason else "",
        "created_at": comment.created_at,
    }


@router.get(
    "/proposals/{proposal_id}/comments",
    response=CommentPage,
    auth=anyone,
    summary="The discussion: top-level comments with their replies",
)
def list_comments(request, proposal_id: int, limit: int = 50, offset: int = 0):
    proposal = _visible_proposal(request, proposal_id)
    limit, offset = _page_bounds(limit, offset)
    user = request.user
    staff = perms.is_council_staff(user, proposal)
    qs = selectors.visible_comments(viewer=user, proposal=proposal, staff=staff)
    top = selectors.top_level(qs)
    count = top.count()
    threads = list(top[offset : offset + limit])
    replies = selectors.replies_by_thread(qs, threads=threads)
    uid = getattr(user, "pk", None)
    items = []
    for comment in threads:
        entry = comment_out(comment, show_reason=staff or comment.author_id == uid)
        entry["replies"] = [
            comment_out(r, show_reason=staff or r.author_id == uid)
            for r in replies.get(comment.pk, [])
        ]
        items.append(entry)
    return {"items": items, "count": count}


@router.post(
    "/proposals/{proposal_id}/comments",
    response={201: CommentOut},
    summary="Comment (verified members); parent makes it a reply",
)
def add_comment(request, proposal_id: int, payload: CommentIn):
    proposal = _visible_proposal(request, proposal_id)
    parent = None
    if payload.parent is not None:
        parent = selectors.reply_parent(viewer=request.user, proposal=proposal, pk=payload.parent)
        if parent is None:
            raise ValidationError({"parent": _("Reply to a comment of this proposal.")})
    comment = services.add_comment(
        actor=request.user, proposal=proposal, body=payload.body, parent=parent
    )
    return Status(201, comment_out(comment, show_reason=True))


def _visible_comment(request, comment_id: int) -> Comment:
    ids.require_in_range(comment_id)
    comment = selectors.visible_comment(viewer=request.user, pk=comment_id)
    if comment is None:
        raise Http404
    return comment


@router.post("/comments/{comment_id}/hide", response=CommentOut, summary="Staff: hide (reason)")
def hide_comment(request, comment_id: int, payload: RequiredReasonIn):
    comment = _visible_comment(request, comment_id)
    comment = services.hide_comment(actor=request.user, comment=comment, reason=payload.reason)
    return comment_out(comment, show_reason=True)


@router.post("/comments/{comment_id}/restore", response=CommentOut, summary="Staff: show again")
def restore_comment(request, comment_id: int, payload: ReasonIn | None = None):
    comment = _visible_comment(request, comment_id)
    comment = services.restore_comment(
        actor=request.user, comment=comment, reason=payload.reason if payload else ""
    )
    return comment_out(comment, show_reason=True)


@router.post("/comments/{comment_id}/report", response=ReportOut, summary="Report to staff")
def report_comment(request, comment_id: int, payload: ReasonIn | None = None):
    comment = _visible_comment(request, comment_id)
    _report, created = services.report_content(
        actor=request.user, target=comment, reason=payload.reason if payload else ""
    )
    comment.refresh_from_db(fields=["hidden"])
    return {"reported": True, "created": created, "hidden": comment.hidden}


# --- voting ------------------------------------------------------------------------------------


@router.post(
    "/proposals/{proposal_id}/voting",
    response=ProposalDetailOut,
    summary="Staff: open the vote (closes_at optional)",
)
def open_voting(request, proposal_id: int, payload: VotingIn | None = None):
    proposal = _visible_proposal(request, proposal_id)
    proposal = services.open_voting(
        actor=request.user, proposal=proposal, closes_at=payload.closes_at if payload else None
    )
    return _detail(request, proposal)


@router.put(
    "/proposals/{proposal_id}/vote",
    response=VoteOut,
    summary="Vote support / oppose / abstain (idempotent; changeable until the close)",
)
def vote(request, proposal_id: int, payload: VoteIn):
    # Only what voting reads (the council's rules, the proposal's state and title): the hot
    # write path. The community is read lazily, by the staff checks only.
    ids.require_in_range(proposal_id)
    proposal = selectors.proposal_for_voting(proposal_id)
    if proposal is None or not perms.can_view_proposal(request.user, proposal):
        raise Http404
    voter = None
    if payload.voter is not None:
        from django.contrib.auth import get_user_model

        voter = get_user_model().objects.filter(pk=ids.clamp(payload.voter)).first()
        if voter is None:
            raise ValidationError({"voter": _("Unknown person.")})
    row = services.cast_vote(
        actor=request.user, proposal=proposal, choice=payload.choice, voter=voter
    )
    tally = None
    if perms.can_see_tally(request.user, proposal):
        counted = getattr(row, "tally", None) or selectors.count_votes(proposal)
        tally = counted.as_dict()
    return {
        "proposal": proposal.pk,
        "choice": payload.choice,
        "assisted": voter is not None and voter.pk != request.user.pk,
        "tally": tally,
    }


def _team(pk: int):
    """The team a body names, or a field error."""
    from teams.models import Team

    team = Team.objects.filter(pk=ids.clamp(pk)).prefetch_related("skills", "communities").first()
    if team is None:
        raise ValidationError({"team": _("Unknown team.")})
    return team


@router.post(
    "/proposals/{proposal_id}/decision",
    response=ProposalDetailOut,
    summary="Staff: close the vote and decide by the council's rules",
)
def decide(request, proposal_id: int, payload: DecisionIn | None = None):
    proposal = _visible_proposal(request, proposal_id)
    payload = payload or DecisionIn()
    proposal = services.decide_proposal(
        actor=request.user,
        proposal=proposal,
        outcome=payload.outcome,
        required_skills=payload.required_skills,
        team=_team(payload.team) if payload.team is not None else None,
    )
    return _detail(request, proposal)


# --- council and meetings ----------------------------------------------------------------------


@router.get(
    "/communities/{community_id}/council", response=CouncilOut, auth=anyone, summary="Rules"
)
def get_council(request, community_id: int):
    community = ids.get_or_404(Community.objects.all(), community_id)
    council = selectors.council_of(community)
    if council is None:
        raise Http404
    return {
        "id": council.pk,
        "name": str(council),
        "community": {"id": community.pk, "name": community.name},
        "voters": council.voters,
        "quorum_kind": council.quorum_kind,
        "quorum_votes": council.quorum_votes,
        "quorum_percent": council.quorum_percent,
        "pass_percent": council.pass_percent,
        "voting_days": council.voting_days,
        "hide_tally": council.hide_tally,
        "eligible_voters": perms.eligible_voter_count(council),
    }


def meeting_out(meeting: Meeting, *, visible_ids: set[int] | None) -> dict:
    return {
        "id": meeting.pk,
        "title": str(meeting),
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "status": meeting.status,
        "agenda": [
            {
                "proposal": {"id": item.proposal_id, "name": item.proposal.title},
                "decision": item.decision,
            }
            for item in meeting.items.all()
            if visible_ids is None or item.proposal_id in visible_ids
        ],
        "attendance_count": meeting.attendance_count,
        "url": meeting.get_absolute_url(),
    }


def _agenda_visibility(user, community: Community, meetings) -> set[int] | None:
    if is_staff_of(user, community) if getattr(user, "is_authenticated", False) else False:
        return None
    agenda = {item.proposal_id for m in meetings for item in m.items.all()}
    return selectors.visible_proposal_ids(viewer=user, proposal_ids=agenda)


@router.get(
    "/communities/{community_id}/meetings", response=MeetingPage, auth=anyone, summary="Meetings"
)
def list_meetings(request, community_id: int, limit: int = 20, offset: int = 0):
    community = ids.get_or_404(Community.objects.all(), community_id)
    limit, offset = _page_bounds(limit, offset)
    qs = Meeting.objects.filter(council__community=community).select_related("council")
    count = qs.count()
    meetings = list(
        qs.prefetch_related("items__proposal").order_by("-starts_at", "-id")[
            offset : offset + limit
        ]
    )
    visible = _agenda_visibility(request.user, community, meetings)
    return {"items": [meeting_out(m, visible_ids=visible) for m in meetings], "count": count}


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, auth=anyone, summary="Meeting")
def get_meeting(request, meeting_id: int):
    meeting = ids.get_or_404(
        Meeting.objects.select_related("council__community").prefetch_related(
            "items__proposal", "attendees"
        ),
        meeting_id,
    )
    visible = _agenda_visibility(request.user, meeting.council.community, [meeting])
    data = meeting_out(meeting, visible_ids=visible)
    data.update(
        attendees=[_person(u) for u in meeting.attendees.all()],
        other_attendees=[
            line.strip() for line in meeting.other_attendees.splitlines() if line.strip()
        ],
        minutes=meeting.minutes,
    )
    return data
