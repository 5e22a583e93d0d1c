"""/api/v1/ for teams, tasks, hours, needs and /me. Thin: services do the work, selectors
read (sensitive tasks come back redacted to whoever may not see their details).
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from communities.models import Community, Membership
from core import ids
from core.api import anyone, optional_body, optional_body_openapi
from core.errors import NotAllowed
from core.inputs import CleanStr
from live.selectors import unread_count

from . import ledger, selectors, services
from .models import (
    Need,
    ServiceRecord,
    Task,
    Team,
    TeamMembership,
    star_level,
)
from .schemas import (
    AcceptNeedIn,
    ClaimIn,
    HoursIn,
    MeOut,
    NeedIn,
    NeedOut,
    PostedUpdateOut,
    ServiceRecordOut,
    TaskDetailOut,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskReasonIn,
    TeamDetailOut,
    TeamJoinIn,
    TeamMembershipOut,
    TeamPage,
    UpdateIn,
    person_ref,
    ref,
)

router = Router(tags=["teams"])

StatusFilter = Task.Status


def _community(pk: int):
    """The community a list is filtered by, or None for an unknown id."""
    return Community.objects.filter(pk=ids.clamp(pk)).first()


def _team(pk: int) -> Team:
    """The team a body names, or a field error."""
    team = Team.objects.filter(pk=ids.clamp(pk)).first()
    if team is None:
        raise ValidationError({"team": _("Unknown team.")})
    return team


# --- tasks -------------------------------------------------------------------------------------


class TaskFilters(Schema):
    community: int | None = None
    team: int | None = None
    status: StatusFilter | None = None
    limit: int = 20
    offset: int = 0


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    if limit < 1 or limit > 100:
        raise ValidationError({"limit": _("Ask for 1 to 100 items.")})
    if offset < 0 or offset > ids.MAX_ID:
        raise ValidationError({"offset": _("The offset cannot be negative.")})
    return limit, offset


@router.get("/tasks", response=TaskPage, auth=anyone, summary="Tasks (sensitive ones redacted)")
def list_tasks(request, filters: Query[TaskFilters]):
    limit, offset = _page_bounds(filters.limit, filters.offset)
    community = None
    if filters.community is not None:
        community = _community(filters.community)
        if community is None:
            return {"items": [], "count": 0}
    team = ids.clamp(filters.team) if filters.team is not None else None
    tasks = selectors.task_list(community=community, team=team, status=filters.status)
    count = tasks.count()
    items = selectors.task_views(viewer=request.user, tasks=tasks[offset : offset + limit])
    return {"items": items, "count": count}


@router.get("/tasks/{task_id}", response=TaskDetailOut, auth=anyone, summary="A task and updates")
def get_task(request, task_id: int):
    task = ids.get_or_404(selectors.task_list(), task_id)
    return selectors.task_detail(viewer=request.user, task=task)


def _on_task(service, task_id: int, **kwargs):
    """`service(task=..., **kwargs)` on the task with this id, which the service reads itself
    (services.common.reload_task): no read here beforehand; a JSON 404 when there is no such
    task."""
    ids.require_in_range(task_id)
    try:
        return service(task=Task(pk=task_id), **kwargs)
    except Task.DoesNotExist:
        raise Http404 from None


def _task_reply(request, task: Task, status: int = 200, **extra):
    """The reply of a task service: the task as the service returns it (services.common.reload_task:
    with its community, teams and skills), not read again."""
    return Status(status, {**selectors.task_view(viewer=request.user, task=task), **extra})


def _with_reason(request, task_id: int, service, *, argument: str = "reason"):
    """A task service whose only input is the optional reason (a note for verify_task)."""
    payload = optional_body(request, TaskReasonIn)
    task = _on_task(service, task_id, actor=request.user, **{argument: payload.reason})
    return _task_reply(request, task)


@router.post(
    "/communities/{community_id}/tasks",
    response={201: TaskOut},
    summary="New task (staff); optional team dispatches it",
)
def create_task(request, community_id: int, payload: TaskIn):
    community = ids.get_or_404(Community.objects.all(), community_id)
    team = _team(payload.team) if payload.team is not None else None
    task = services.create_task(
        actor=request.user,
        community=community,
        title=payload.title,
        description=payload.description,
        location=payload.location,
        priority=payload.priority,
        required_skills=payload.required_skills,
        sensitive=payload.sensitive,
        due_at=payload.due_at,
        team=team,
    )
    return _task_reply(request, task, 201)


@router.post("/tasks/{task_id}/claim", response=TaskOut, summary="Take the task for your team")
def claim_task(request, task_id: int, payload: ClaimIn):
    # The service checks against this row and settles the claim with a conditional UPDATE.
    task = ids.get_or_404(Task.objects.select_related("community"), task_id)
    task = services.claim_task(actor=request.user, task=task, team=_team(payload.team))
    return _task_reply(request, task)


@router.post(
    "/tasks/{task_id}/release",
    response=TaskOut,
    summary="Give the task back",
    openapi_extra=optional_body_openapi(TaskReasonIn),
)
def release_task(request, task_id: int):
    return _with_reason(request, task_id, services.release_task)


@router.post(
    "/tasks/{task_id}/dispatch",
    response=TaskOut,
    summary="Staff: give an open task to one team",
    description="The only way a sensitive task that no team holds reaches a team.",
)
def dispatch_task(request, task_id: int, payload: ClaimIn):
    ids.require_in_range(task_id)
    task = _on_task(services.dispatch_task, task_id, actor=request.user, team=_team(payload.team))
    return _task_reply(request, task)


UPDATE_BODY = {
    "requestBody": {
        "content": {
            "application/json": {"schema": UpdateIn.json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "status": {"type": "string", "enum": ["in_progress", "done"]},
                        "photo": {"type": "string", "format": "binary"},
                    },
                }
            },
        }
    }
}


@router.post(
    "/tasks/{task_id}/updates",
    response={201: PostedUpdateOut},
    openapi_extra=UPDATE_BODY,
    summary="Post progress (text, photo, optional status in_progress / done)",
    description=(
        "Replies with the task as it is now and the update just posted (the task's other "
        "updates are in `GET /tasks/{task_id}`)."
    ),
)
def post_update(request, task_id: int):
    ids.require_in_range(task_id)
    data = optional_body(request, UpdateIn)
    update = _on_task(
        services.post_update,
        task_id,
        actor=request.user,
        text=data.text,
        photo=request.FILES.get("photo"),
        status=data.status,
    )
    return _task_reply(request, update.task, 201, update=services.update_data(update))


@router.post(
    "/tasks/{task_id}/verify",
    response=TaskOut,
    summary="Staff: done -> verified",
    openapi_extra=optional_body_openapi(TaskReasonIn),
)
def verify_task(request, task_id: int):
    return _with_reason(request, task_id, services.verify_task, argument="note")


@router.post(
    "/tasks/{task_id}/reopen",
    response=TaskOut,
    summary="Staff: reopen (open, no team)",
    openapi_extra=optional_body_openapi(TaskReasonIn),
)
def reopen_task(request, task_id: int):
    return _with_reason(request, task_id, services.reopen_task)


@router.post(
    "/tasks/{task_id}/cancel",
    response=TaskOut,
    summary="Staff: cancel the task",
    openapi_extra=optional_body_openapi(TaskReasonIn),
)
def cancel_task(request, task_id: int):
    return _with_reason(request, task_id, services.cancel_task)


# --- hours -------------------------------------------------------------------------------------


def _records():
    return ServiceRecord.objects.select_related(
        "community", "task", "team", "volunteer", "reviewer"
    )


def _record_reply(request, record: ServiceRecord) -> dict:
    """The record as the service left it, read again with what record_view shows."""
    return selectors.record_view(viewer=request.user, record=ids.get_or_404(_records(), record.pk))


@router.post(
    "/tasks/{task_id}/hours",
    response={201: ServiceRecordOut},
    summary="Log hours on the task your team holds (pending review)",
)
def log_hours(request, task_id: int, payload: HoursIn):
    from accounts.models import User

    task = ids.get_or_404(selectors.task_list(), task_id)
    volunteer = None
    if payload.volunteer is not None:
        volunteer = User.objects.filter(pk=ids.clamp(payload.volunteer)).first()
        if volunteer is None:
            raise ValidationError({"volunteer": _("Unknown volunteer.")})
    record = services.log_hours(
        actor=request.user,
        task=task,
        hours=payload.hours,
        date=payload.date,
        note=payload.note,
        volunteer=volunteer,
    )
    return Status(201, _record_reply(request, record))


@router.post("/hours/{record_id}/approve", response=ServiceRecordOut, summary="Approve hours")
def approve_hours(request, record_id: int):
    record = ids.get_or_404(_records(), record_id)
    record = services.approve_hours(actor=request.user, record=record)
    return _record_reply(request, record)


@router.post("/hours/{record_id}/decline", response=ServiceRecordOut, summary="Decline hours")
def decline_hours(request, record_id: int, payload: TaskReasonIn):
    record = ids.get_or_404(_records(), record_id)
    record = services.decline_hours(actor=request.user, record=record, reason=payload.reason)
    return _record_reply(request, record)


# --- teams -------------------------------------------------------------------------------------


def team_out(team: Team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "skills": sorted(skill.slug for skill in team.skills.all()),
        "communities": [ref(c) for c in sorted(team.communities.all(), key=lambda c: c.path)],
        "members_count": team.members_n or 0,
        "open_tasks_count": team.held_n or 0,
        "active": team.active,
        "url": team.get_absolute_url(),
    }


class TeamFilters(Schema):
    community: int | None = None
    skill: CleanStr | None = None
    limit: int = 20
    offset: int = 0


@router.get("/teams", response=TeamPage, auth=anyone, summary="Active volunteer teams")
def list_teams(request, filters: Query[TeamFilters]):
    limit, offset = _page_bounds(filters.limit, filters.offset)
    community = None
    if filters.community is not None:
        community = _community(filters.community)
        if community is None:
            return {"items": [], "count": 0}
    teams = selectors.team_list(community=community, skill=filters.skill)
    count = teams.count()
    return {"items": [team_out(t) for t in teams[offset : offset + limit]], "count": count}


@router.get("/teams/{team_id}", response=TeamDetailOut, auth=anyone, summary="A team")
def get_team(request, team_id: int):
    team = ids.get_or_404(selectors.teams_with_counts(), team_id)
    data = team_out(team)
    hours = ledger.approved_hours(team=team)
    tasks = selectors.task_list(team=team, status=selectors.IN_HAND)[:50]
    data.update(
        leaders=[person_ref(m.user) for m in selectors.team_leaders(team=team)],
        approved_hours=str(hours),
        star_level=star_level(hours),
        open_tasks=selectors.task_views(viewer=request.user, tasks=tasks),
    )
    return data


def membership_out(membership: TeamMembership) -> dict:
    return {
        "id": membership.pk,
        "team": ref(membership.team),
        "user": person_ref(membership.user),
        "role": membership.role,
        "status": membership.status,
    }


@router.post(
    "/teams/{team_id}/join",
    response={201: TeamMembershipOut},
    summary="Ask to join",
    openapi_extra=optional_body_openapi(TeamJoinIn),
)
def join_team(request, team_id: int):
    payload = optional_body(request, TeamJoinIn)
    team = ids.get_or_404(Team.objects.all(), team_id)
    membership = services.request_team_membership(actor=request.user, team=team, note=payload.note)
    return Status(201, membership_out(membership))


@router.post(
    "/team-memberships/{membership_id}/approve",
    response=TeamMembershipOut,
    summary="A leader lets a member in",
)
def approve_membership(request, membership_id: int):
    membership = ids.get_or_404(
        TeamMembership.objects.select_related("team", "user"), membership_id
    )
    membership = services.approve_team_membership(actor=request.user, membership=membership)
    return membership_out(membership)


@router.post(
    "/team-memberships/{membership_id}/decline",
    response=TeamMembershipOut,
    summary="A leader turns a request down",
)
def decline_membership(request, membership_id: int):
    membership = ids.get_or_404(
        TeamMembership.objects.select_related("team", "user"), membership_id
    )
    membership = services.decline_team_membership(actor=request.user, membership=membership)
    return membership_out(membership)


# --- needs -------------------------------------------------------------------------------------


def need_out(need: Need) -> dict:
    task = getattr(need, "task", None) if need.status == Need.Status.ACCEPTED else None
    return {
        "id": need.pk,
        "status": need.status,
        "category": need.category,
        "description": need.description,
        "private": need.private,
        "community": ref(need.community),
        "assisted": need.assisted,
        "task": {"id": task.pk, "name": task.title} if task else None,
        "decline_reason": need.decline_reason,
        "created_at": need.created_at,
    }


@router.post(
    "/communities/{community_id}/needs",
    response={201: NeedOut},
    summary="A verified resident asks for help",
)
def file_need(request, community_id: int, payload: NeedIn):
    community = ids.get_or_404(Community.objects.all(), community_id)
    resident = None
    if payload.on_behalf_of is not None:
        from django.contrib.auth import get_user_model

        from .permissions import may_file_for_residents

        if not may_file_for_residents(request.user, community):
            raise NotAllowed(_("Only community staff can ask for help for a resident."))
        resident = (
            get_user_model()
            .objects.filter(pk=ids.clamp(payload.on_behalf_of), is_active=True)
            .first()
        )
        if resident is None:
            raise ValidationError({"on_behalf_of": _("Unknown person.")})
    need = services.file_need(
        on_behalf_of=resident,
        actor=request.user,
        community=community,
        category=payload.category,
        description=payload.description,
        private=payload.private,
        client_key=payload.client_key,
    )
    return Status(201, need_out(need))


def _need_for_staff(request, need_id: int) -> Need:
    from .permissions import can_see_need

    need = ids.get_or_404(Need.objects.select_related("community", "requester"), need_id)
    if not can_see_need(request.user, need):
        raise Http404
    return need


@router.post(
    "/needs/{need_id}/accept",
    response={201: TaskOut},
    summary="Staff: accept -> task",
    openapi_extra=optional_body_openapi(AcceptNeedIn),
)
def accept_need(request, need_id: int):
    payload = optional_body(request, AcceptNeedIn)
    need = _need_for_staff(request, need_id)
    team = _team(payload.team) if payload.team is not None else None
    task = services.accept_need(
        actor=request.user,
        need=need,
        title=payload.title,
        priority=payload.priority,
        required_skills=payload.required_skills,
        team=team,
        due_at=payload.due_at,
    )
    return _task_reply(request, task, 201)


@router.post("/needs/{need_id}/decline", response=NeedOut, summary="Staff: decline with a reason")
def decline_need(request, need_id: int, payload: TaskReasonIn):
    need = _need_for_staff(request, need_id)
    need = services.decline_need(actor=request.user, need=need, reason=payload.reason)
    return need_out(need)


# --- me ----------------------------------------------------------------------------------------


@router.get("/me", response=MeOut, summary="Who I am, my communities and teams")
def me(request):
    user = request.user
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, _("Sign in first."))
    memberships = (
        Membership.objects.filter(user=user).select_related("community").order_by("community__path")
    )
    teams = (
        TeamMembership.objects.filter(user=user)
        .exclude(status__in=[TeamMembership.Status.DECLINED, TeamMembership.Status.LEFT])
        .select_related("team")
        .order_by("team__name")
    )
    hours, stars = ledger.standing(user)
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.get_display_name(),
        "phone": user.phone,
        "memberships": [
            {"community": ref(m.community), "role": m.role, "status": m.status} for m in memberships
        ],
        "teams": [
            {"id": m.team_id, "name": m.team.name, "role": m.role, "status": m.status}
            for m in teams
        ],
        "approved_hours": str(hours),
        "star_level": stars,
        "unread_notifications": unread_count(user=user),
    }


__all__ = ["router", "team_out"]
