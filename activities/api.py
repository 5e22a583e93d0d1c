"""/api/v1/ for activities: places, sign-up and the waiting list, check-in and check-out,
attendance and the hours it gives. Thin: `activities.services` does the work, selectors read.

A draft answers 404 to whoever may not see it (permissions.can_see), exactly like an id that
does not exist. The list costs a constant number of queries however many rows it holds.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from communities.models import Community
from core import ids
from core.api import anyone
from core.errors import Conflict, NotAllowed
from teams.models import Team
from teams.schemas import person_ref, ref

from . import codes, selectors, services
from . import permissions as perms
from .models import Activity, Attendance, Signup
from .schemas import (
    ActivityDetailOut,
    ActivityEditIn,
    ActivityIn,
    ActivityPage,
    AttendanceListOut,
    AttendanceOut,
    CancelIn,
    CheckInCodeOut,
    CheckInIn,
    ClosedActivityOut,
    CorrectIn,
    Purpose,
    SignupIn,
    SignupOut,
)

router = Router(tags=["activities"])

#: The pages a scanned QR code opens, by purpose: /activities/<id>/check-in/ and check-out/.
CHECK_PAGES = {"in": "activities:check_in", "out": "activities:check_out"}


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    if limit < 1 or limit > 100:
        raise ValidationError({"limit": _("Ask for 1 to 100 items.")})
    if offset < 0 or offset > ids.MAX_ID:
        raise ValidationError({"offset": _("The offset cannot be negative.")})
    return limit, offset


def _visible(request, pk: int) -> Activity:
    """The activity with this id if the requester may see it (a draft only its managers),
    else a 404."""
    activity = ids.get_or_404(Activity.objects.select_related("community", "team", "organiser"), pk)
    if not perms.can_see(request.user, activity):
        raise Http404
    return activity


def _managed(request, pk: int) -> Activity:
    """The activity, for its organiser or the community's staff only (403 for others)."""
    activity = _visible(request, pk)
    if not perms.may_manage(request.user, activity):
        raise NotAllowed(_("Only the organiser or community staff can do this."))
    return activity


def _acted_for(request, activity: Activity, pk: int | None, *, field: str = "person"):
    """The person a body or query names (organiser or staff acting for someone), None for the
    requester themselves. Whether someone may act for others is asked before the id is looked
    up, so that nobody learns which ids exist."""
    if pk is None or pk == request.user.pk:
        return None
    if not perms.may_sign_up_for_others(request.user, activity):
        raise NotAllowed(_("Only the organiser or community staff can act for someone else."))
    person = get_user_model().objects.filter(pk=ids.clamp(pk)).first()
    if person is None:
        raise ValidationError({field: _("Unknown person.")})
    return person


def _places_left(activity: Activity, confirmed: int) -> int | None:
    return None if activity.quota is None else max(activity.quota - confirmed, 0)


def activity_out(activity: Activity, *, mine: dict | None = None) -> dict:
    """An activity read with counts (ActivityQuerySet.with_counts), its community, team,
    organiser and required skills."""
    return {
        "id": activity.pk,
        "title": activity.title,
        "description": activity.description,
        "kind": activity.kind,
        "status": activity.status,
        "community": ref(activity.community),
        "team": ref(activity.team),
        "organiser": person_ref(activity.organiser),
        "place": activity.place,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "quota": activity.quota,
        "audience": activity.audience,
        "required_skills": sorted(skill.slug for skill in activity.required_skills.all()),
        "confirmed_count": activity.confirmed_count,
        "waitlist_count": activity.waitlist_count,
        "places_left": _places_left(activity, activity.confirmed_count),
        "my_signup": mine,
        "url": activity.get_absolute_url(),
    }


def _detail(request, pk: int, status: int = 200, **extra):
    """The activity as it is now, with what the requester may do about it."""
    activity = selectors.activity_detail(pk=pk)
    user = request.user
    mine = selectors.my_signup(person=user, activity=activity)
    refusal = None if mine is not None else perms.signup_refusal(user, activity)
    data = activity_out(activity, mine=mine)
    data.update(
        cancel_reason=activity.cancel_reason,
        can_manage=perms.may_manage(user, activity),
        signup_refusal={"code": refusal.code, "detail": refusal.message} if refusal else None,
        **extra,
    )
    return Status(status, data)


# --- activities --------------------------------------------------------------------------------


class ActivityFilters(Schema):
    community: int | None = None
    team: int | None = None
    upcoming: bool = False
    limit: int = 20
    offset: int = 0


@router.get(
    "/activities",
    response=ActivityPage,
    auth=anyone,
    summary="Activities (not drafts); filter by community, team, upcoming",
    description="`upcoming=true`: open activities not over yet, soonest first; otherwise "
    "newest first. `community` includes the communities below it.",
)
def list_activities(request, filters: Query[ActivityFilters]):
    limit, offset = _page_bounds(filters.limit, filters.offset)
    community = team = None
    if filters.community is not None:
        community = Community.objects.filter(pk=ids.clamp(filters.community)).first()
        if community is None:
            return {"items": [], "count": 0}
    if filters.team is not None:
        team = Team.objects.filter(pk=ids.clamp(filters.team)).first()
        if team is None:
            return {"items": [], "count": 0}
    activities = selectors.activity_list(community=community, team=team, upcoming=filters.upcoming)
    count = activities.count()
    page = list(
        activities.select_related("organiser").prefetch_related("required_skills")[
            offset : offset + limit
        ]
    )
    mine = selectors.my_signups(person=request.user, activity_ids=[a.pk for a in page])
    return {"items": [activity_out(a, mine=mine.get(a.pk)) for a in page], "count": count}


@router.post(
    "/communities/{community_id}/activities",
    response={201: ActivityDetailOut},
    summary="New activity (staff, or a leader of a team serving the community); published",
)
def create_activity(request, community_id: int, payload: ActivityIn):
    community = ids.get_or_404(Community.objects.all(), community_id)
    if not perms.can_organise_in(request.user, community):
        raise NotAllowed(
            _("Only community staff, or a leader of a team serving it, can organise activities.")
        )
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=ids.clamp(payload.team)).first()
        if team is None:
            raise ValidationError({"team": _("Unknown team.")})
    activity = services.create_activity(
        actor=request.user,
        community=community,
        title=payload.title,
        description=payload.description,
        kind=payload.kind,
        place=payload.place,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        quota=payload.quota,
        team=team,
        required_skills=payload.required_skills,
        audience=payload.audience,
    )
    return _detail(request, activity.pk, 201)


@router.get(
    "/activities/{activity_id}",
    response=ActivityDetailOut,
    auth=anyone,
    summary="An activity, its places and your sign-up",
)
def get_activity(request, activity_id: int):
    activity = _visible(request, activity_id)
    return _detail(request, activity.pk)


@router.patch(
    "/activities/{activity_id}",
    response=ActivityDetailOut,
    summary="Organiser or staff: change it (more places promote from the waiting list)",
)
def edit_activity(request, activity_id: int, payload: ActivityEditIn):
    activity = _visible(request, activity_id)
    changes = payload.dict(exclude_unset=True)
    required_skills = changes.pop("required_skills", None)
    services.update_activity(
        actor=request.user, activity=activity, required_skills=required_skills, **changes
    )
    return _detail(request, activity.pk)


@router.post(
    "/activities/{activity_id}/cancel",
    response=ActivityDetailOut,
    summary="Organiser or staff: call it off (everyone signed up is told the reason)",
)
def cancel_activity(request, activity_id: int, payload: CancelIn):
    activity = _visible(request, activity_id)
    services.cancel_activity(actor=request.user, activity=activity, reason=payload.reason)
    return _detail(request, activity.pk)


@router.post(
    "/activities/{activity_id}/close",
    response=ClosedActivityOut,
    summary="Organiser or staff: finish it; pending attendance hours are approved",
)
def close_activity(request, activity_id: int):
    activity = _visible(request, activity_id)
    activity, approved = services.close_activity(actor=request.user, activity=activity)
    return _detail(request, activity.pk, approved_count=approved)


# --- sign-up -----------------------------------------------------------------------------------


def _signup_reply(signup: Signup, activity: Activity, status: int) -> Status:
    return Status(
        status,
        {
            "status": signup.status,
            "position": services.position(signup),
            "person": person_ref(signup.person),
            "assisted": signup.assisted,
            **services.counts(activity),
        },
    )


@router.post(
    "/activities/{activity_id}/signup",
    response={200: SignupOut, 201: SignupOut},
    summary="Sign up: a place, or the waiting list when full (201; again: 200, the same)",
    description="`person`: the organiser or staff sign someone up for them (assisted). A "
    "refusal is 403 with `code` (`not_open`, `started`, `team_only`, `volunteers_only`, "
    "`residents_only`, `skills`).",
)
def sign_up(request, activity_id: int, payload: SignupIn | None = None):
    activity = _visible(request, activity_id)
    person = _acted_for(request, activity, payload.person if payload else None)
    signup, created = services.sign_up(actor=request.user, activity=activity, person=person)
    return _signup_reply(signup, activity, 201 if created else 200)


@router.delete(
    "/activities/{activity_id}/signup",
    response=SignupOut,
    summary="Cancel a sign-up (`?person=` for the organiser or staff); the first waiting moves up",
)
def cancel_signup(request, activity_id: int, person: int | None = None):
    activity = _visible(request, activity_id)
    acted_for = _acted_for(request, activity, person)
    signup = services.cancel_signup(actor=request.user, activity=activity, person=acted_for)
    return _signup_reply(signup, activity, 200)


# --- check-in, check-out, attendance -------------------------------------------------------------


@router.get(
    "/activities/{activity_id}/check-in-code",
    response=CheckInCodeOut,
    summary="Organiser or staff: the code to show as a QR (changes every 30 s)",
    description="`purpose=out` gives the check-out code. `url` is the page the phone camera "
    "opens; it carries the code.",
)
def check_in_code(request, activity_id: int, purpose: Purpose = "in"):
    activity = _managed(request, activity_id)
    if activity.status != Activity.Status.PUBLISHED:
        raise Conflict(
            _("Attendance can be taken only while the activity is open."),
            code="wrong_state",
            extra={"current_status": activity.status},
        )
    code, until = codes.current(activity, purpose)
    path = reverse(CHECK_PAGES[purpose], args=[activity.pk])
    return {
        "purpose": purpose,
        "code": code,
        "expires_at": datetime.datetime.fromtimestamp(until, tz=datetime.UTC),
        "url": request.build_absolute_uri(f"{path}?code={code}"),
    }


def _check(request, activity_id: int, payload: CheckInIn, service, *, created_status: int):
    activity = _visible(request, activity_id)
    person = _acted_for(request, activity, payload.person)
    attendance, created = service(
        actor=request.user, activity=activity, code=payload.code, person=person, at=payload.at
    )
    attendance = Attendance.objects.select_related("person", "recorded_by", "record").get(
        pk=attendance.pk
    )
    return Status(created_status if created else 200, services.attendance_data(attendance))


@router.post(
    "/activities/{activity_id}/check-in",
    response={200: AttendanceOut, 201: AttendanceOut},
    summary="Check in: the person with the code of now; the organiser with `person` (and `at`)",
    description="201 when checked in now, 200 when already. Refusals are 403 with `code` "
    "(`invalid_code`, `wrong_code`, `not_signed_up`, `waitlisted`) or 409 (`too_early`, "
    "`too_late`, `wrong_state`).",
)
def check_in(request, activity_id: int, payload: CheckInIn):
    return _check(request, activity_id, payload, services.check_in, created_status=201)


@router.post(
    "/activities/{activity_id}/check-out",
    response=AttendanceOut,
    summary="Check out, as check-in; a volunteer service gives hours (a pending record)",
    description="`hours` are the time inside the activity's window; `record` the service "
    "record they make, approved when the activity is closed.",
)
def check_out(request, activity_id: int, payload: CheckInIn):
    return _check(request, activity_id, payload, services.check_out, created_status=200)


@router.get(
    "/activities/{activity_id}/attendance",
    response=AttendanceListOut,
    summary="Organiser or staff: who signed up, who arrived and left, their hours",
)
def attendance(request, activity_id: int):
    activity = _managed(request, activity_id)
    signups, walk_ins = selectors.attendance_list(activity=activity)
    items = []
    waiting = 0
    for signup in signups:
        position = None
        if signup.status == Signup.Status.WAITLISTED:
            waiting += 1
            position = waiting  # the list is in waiting-list order
        items.append(
            {
                "person": person_ref(signup.person),
                "status": signup.status,
                "position": position,
                "assisted": signup.assisted,
                "attendance": (
                    services.attendance_data(signup.attendance) if signup.attendance else None
                ),
            }
        )
    for row in walk_ins:
        items.append(
            {
                "person": person_ref(row.person),
                "status": None,
                "attendance": services.attendance_data(row),
            }
        )
    present = [item["attendance"] for item in items if item["attendance"]]
    return {
        "activity": {"id": activity.pk, "title": activity.title, "status": activity.status},
        "confirmed_count": sum(1 for s in signups if s.status == Signup.Status.CONFIRMED),
        "waitlist_count": waiting,
        "arrived_count": len(present),
        "left_count": sum(1 for a in present if a["checked_out_at"]),
        "items": items,
    }


@router.post(
    "/activities/{activity_id}/attendance/{person_id}/correct",
    response=AttendanceOut,
    summary="Organiser or staff: correct one person's pending hours, with a reason (0 declines)",
)
def correct_hours(request, activity_id: int, person_id: int, payload: CorrectIn):
    activity = _managed(request, activity_id)
    ids.require_in_range(person_id)
    row = (
        Attendance.objects.select_related("activity", "person", "recorded_by", "record")
        .filter(activity=activity, person_id=person_id)
        .first()
    )
    if row is None:
        raise Http404
    row = services.correct_hours(
        actor=request.user, attendance=row, hours=payload.hours, reason=payload.reason
    )
    row = Attendance.objects.select_related("person", "recorded_by", "record").get(pk=row.pk)
    return services.attendance_data(row)


__all__ = ["activity_out", "router"]
