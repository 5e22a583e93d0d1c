"""/api/v1/ for teams, tasks, hours, needs and /me. Thin: services do the work.

Sensitive tasks come back redacted ("Confidential task", no description, place or updates)
to everyone but the community's staff and the team that holds (or was sent) the task.
"""

import json

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from communities.models import Community, Membership
from core.api import anyone
from core.errors import NotAllowed
from core.inputs import CleanStr

from . import services
from .models import (
    Need,
    ServiceRecord,
    Task,
    TaskUpdate,
    Team,
    TeamMembership,
    approved_hours,
    star_level,
)
from .permissions import task_details_checker
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
)

router = Router(tags=["teams"])

MAX_ID = 2**63 - 1
StatusFilter = Task.Status


def _check_id(pk: int) -> None:
    """A JSON 404 for ids out of the database's range."""
    if not isinstance(pk, int) or pk < 1 or pk > MAX_ID:
        raise Http404


def _get(queryset, pk: int):
    """The object or a JSON 404; ids out of the database's range are unknown too."""
    _check_id(pk)
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _body(request, schema: type[Schema]):
    """An optional body: JSON, a form (multipart with files), or nothing at all."""
    from pydantic import ValidationError as PydanticError

    content_type = request.content_type or ""
    if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        raw = {key: value for key, value in request.POST.items() if value != ""}
    elif not request.body.strip():
        raw = {}
    else:
        try:
            raw = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError(_("Send JSON or a form.")) from None
        if not isinstance(raw, dict):
            raise ValidationError(_("Send a JSON object."))
    try:
        return schema(**raw)
    except PydanticError as exc:
        errors = {}
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "__all__"
            errors.setdefault(field, []).append(err["msg"])
        raise ValidationError(errors) from None


def _optional(schema: type[Schema]) -> dict:
    """OpenAPI for an endpoint whose JSON body may be left out."""
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.json_schema()}},
        }
    }


def _ref(obj):
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def _person(user):
    return {"id": user.pk, "display_name": user.get_display_name()} if user is not None else None


def _tasks():
    return Task.objects.select_related("community", "team", "dispatched_team").prefetch_related(
        "required_skills"
    )


def task_out(task: Task, visible: bool, *, updates=None) -> dict:
    """The API form of a task; redacted when the viewer may not see a sensitive task."""
    data = {
        "id": task.pk,
        "title": task.title,
        "description": task.description,
        "location": task.location,
        "status": task.status,
        "priority": task.priority,
        "origin": task.origin,
        "sensitive": task.sensitive,
        "redacted": False,
        "community": _ref(task.community),
        "team": _ref(task.team),
        "dispatched_team": _ref(task.dispatched_team),
        "required_skills": task.skill_slugs(),
        "due_at": task.due_at,
        "created_at": task.created_at,
        "claimed_at": task.claimed_at,
        "done_at": task.done_at,
        "verified_at": task.verified_at,
        "url": task.get_absolute_url(),
    }
    if not visible:
        data.update(title=_("Confidential task"), description="", location="", redacted=True)
    if updates is not None:
        data["updates"] = [services.update_data(u) for u in updates] if visible else []
    return data


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
    if offset < 0 or offset > MAX_ID:
        raise ValidationError({"offset": _("The offset cannot be negative.")})
    return limit, offset


@router.get("/tasks", response=TaskPage, auth=anyone, summary="Tasks (sensitive ones redacted)")
def list_tasks(request, filters: Query[TaskFilters]):
    limit, offset = _page_bounds(filters.limit, filters.offset)
    qs = _tasks()
    if filters.community is not None:
        community = Community.objects.filter(pk=min(filters.community, MAX_ID)).first()
        if community is None:
            return {"items": [], "count": 0}
        qs = qs.filter(community__path__startswith=community.path)
    if filters.team is not None:
        qs = qs.filter(team_id=min(filters.team, MAX_ID))
    if filters.status:
        qs = qs.filter(status=filters.status)
    count = qs.count()
    check = task_details_checker(request.user)
    items = [task_out(task, check(task)) for task in qs[offset : offset + limit]]
    return {"items": items, "count": count}


@router.get("/tasks/{task_id}", response=TaskDetailOut, auth=anyone, summary="A task and updates")
def get_task(request, task_id: int):
    return _task_detail(request, task_id)


def _on_task(service, task_id: int, **kwargs):
    """`service(task=..., **kwargs)` on the task with this id, which the service reads itself
    (services._reload): no read here beforehand; a JSON 404 when there is no such task."""
    _check_id(task_id)
    try:
        return service(task=Task(pk=task_id), **kwargs)
    except Task.DoesNotExist:
        raise Http404 from None


def _task_reply(request, task: Task, status: int = 200, **extra):
    """The reply of a task service: the task as the service returns it (services._reload:
    with its community, teams and skills), not read again."""
    return Status(status, {**task_out(task, task_details_checker(request.user)(task)), **extra})


@router.post(
    "/communities/{community_id}/tasks",
    response={201: TaskOut},
    summary="New task (staff); optional team dispatches it",
)
def create_task(request, community_id: int, payload: TaskIn):
    community = _get(Community.objects.all(), community_id)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=min(payload.team, MAX_ID)).first()
        if team is None:
            raise ValidationError({"team": _("Unknown team.")})
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
    task = _get(Task.objects.select_related("community"), task_id)
    team = Team.objects.filter(pk=min(max(payload.team, 0), MAX_ID)).first()
    if team is None:
        raise ValidationError({"team": _("Unknown team.")})
    task = services.claim_task(actor=request.user, task=task, team=team)
    return _task_reply(request, task)


@router.post(
    "/tasks/{task_id}/release",
    response=TaskOut,
    summary="Give the task back",
    openapi_extra=_optional(TaskReasonIn),
)
def release_task(request, task_id: int):
    payload = _body(request, TaskReasonIn)
    task = _on_task(services.release_task, task_id, actor=request.user, reason=payload.reason)
    return _task_reply(request, task)


@router.post(
    "/tasks/{task_id}/dispatch",
    response=TaskOut,
    summary="Staff: give an open task to one team",
    description="The only way a sensitive task that no team holds reaches a team.",
)
def dispatch_task(request, task_id: int, payload: ClaimIn):
    _check_id(task_id)
    team = Team.objects.filter(pk=min(max(payload.team, 0), MAX_ID)).first()
    if team is None:
        raise ValidationError({"team": _("Unknown team.")})
    task = _on_task(services.dispatch_task, task_id, actor=request.user, team=team)
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
    _check_id(task_id)
    data = _body(request, UpdateIn)
    update = _on_task(
        services.post_update,
        task_id,
        actor=request.user,
        text=data.text,
        photo=request.FILES.get("photo"),
        status=data.status,
    )
    return _task_reply(request, update.task, 201, update=services.update_data(update))


def _task_detail(request, task_id: int) -> dict:
    task = _get(_tasks(), task_id)
    visible = task_details_checker(request.user)(task)
    updates = (
        TaskUpdate.objects.filter(task=task).select_related("author").order_by("created_at", "id")
        if visible
        else []
    )
    return task_out(task, visible, updates=updates)


@router.post(
    "/tasks/{task_id}/verify",
    response=TaskOut,
    summary="Staff: done -> verified",
    openapi_extra=_optional(TaskReasonIn),
)
def verify_task(request, task_id: int):
    payload = _body(request, TaskReasonIn)
    task = _on_task(services.verify_task, task_id, actor=request.user, note=payload.reason)
    return _task_reply(request, task)


@router.post(
    "/tasks/{task_id}/reopen",
    response=TaskOut,
    summary="Staff: reopen (open, no team)",
    openapi_extra=_optional(TaskReasonIn),
)
def reopen_task(request, task_id: int):
    payload = _body(request, TaskReasonIn)
    task = _on_task(services.reopen_task, task_id, actor=request.user, reason=payload.reason)
    return _task_reply(request, task)


@router.post(
    "/tasks/{task_id}/cancel",
    response=TaskOut,
    summary="Staff: cancel the task",
    openapi_extra=_optional(TaskReasonIn),
)
def cancel_task(request, task_id: int):
    payload = _body(request, TaskReasonIn)
    task = _on_task(services.cancel_task, task_id, actor=request.user, reason=payload.reason)
    return _task_reply(request, task)


# --- hours -------------------------------------------------------------------------------------


def record_out(record: ServiceRecord, user) -> dict:
    """A record as `user` may read it now: the task's title and the note (what was done on the
    case) only while they may see the task's details (a team that gave a sensitive task back
    still reviews its hours, without reading the case)."""
    day_hours = services.day_totals([record]).get((record.volunteer_id, record.date))
    visible = task_details_checker(user)(record.task)
    return {
        "day_hours": services.hours_text(day_hours) if day_hours is not None else None,
        "id": record.pk,
        "status": record.status,
        "hours": str(record.hours),
        "date": record.date,
        "note": record.note if visible else "",
        "source": record.source,
        "task": {
            "id": record.task_id,
            "name": record.task.title if visible else _("Confidential task"),
        },
        "team": _ref(record.team),
        "volunteer": _person(record.volunteer),
        "reviewer": _person(record.reviewer),
        "reviewed_at": record.reviewed_at,
        "decline_reason": record.decline_reason,
    }


def _records():
    return ServiceRecord.objects.select_related("task__community", "team", "volunteer", "reviewer")


@router.post(
    "/tasks/{task_id}/hours",
    response={201: ServiceRecordOut},
    summary="Log hours on the task your team holds (pending review)",
)
def log_hours(request, task_id: int, payload: HoursIn):
    from accounts.models import User

    task = _get(_tasks(), task_id)
    volunteer = None
    if payload.volunteer is not None:
        volunteer = User.objects.filter(pk=min(max(payload.volunteer, 0), MAX_ID)).first()
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
    return Status(201, record_out(_get(_records(), record.pk), request.user))


@router.post("/hours/{record_id}/approve", response=ServiceRecordOut, summary="Approve hours")
def approve_hours(request, record_id: int):
    record = _get(_records(), record_id)
    record = services.approve_hours(actor=request.user, record=record)
    return record_out(_get(_records(), record.pk), request.user)


@router.post("/hours/{record_id}/decline", response=ServiceRecordOut, summary="Decline hours")
def decline_hours(request, record_id: int, payload: TaskReasonIn):
    record = _get(_records(), record_id)
    record = services.decline_hours(actor=request.user, record=record, reason=payload.reason)
    return record_out(_get(_records(), record.pk), request.user)


# --- teams -------------------------------------------------------------------------------------


def _teams():
    members = (
        TeamMembership.objects.filter(team=OuterRef("pk"), status=TeamMembership.Status.ACTIVE)
        .values("team")
        .annotate(n=Count("pk"))
        .values("n")
    )
    held = (
        Task.objects.filter(team=OuterRef("pk"), status__in=["claimed", "in_progress"])
        .values("team")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Team.objects.annotate(
        members_n=Subquery(members, output_field=IntegerField()),
        held_n=Subquery(held, output_field=IntegerField()),
    ).prefetch_related("skills", "communities")


def team_out(team: Team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "skills": sorted(skill.slug for skill in team.skills.all()),
        "communities": [_ref(c) for c in sorted(team.communities.all(), key=lambda c: c.path)],
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
    qs = _teams().filter(active=True)
    if filters.community is not None:
        community = Community.objects.filter(pk=min(filters.community, MAX_ID)).first()
        if community is None:
            return {"items": [], "count": 0}
        qs = qs.filter(communities__id__in=community.ancestor_ids).distinct()
    if filters.skill:
        qs = qs.filter(skills__slug=filters.skill)
    count = qs.count()
    return {"items": [team_out(t) for t in qs[offset : offset + limit]], "count": count}


@router.get("/teams/{team_id}", response=TeamDetailOut, auth=anyone, summary="A team")
def get_team(request, team_id: int):
    team = _get(_teams(), team_id)
    data = team_out(team)
    leaders = (
        TeamMembership.objects.filter(
            team=team, role=TeamMembership.Role.LEADER, status=TeamMembership.Status.ACTIVE
        )
        .select_related("user")
        .order_by("user_id")
    )
    hours = team.approved_hours()
    tasks = _tasks().filter(team=team, status__in=["claimed", "in_progress", "done"])
    check = task_details_checker(request.user)
    data.update(
        leaders=[_person(m.user) for m in leaders],
        approved_hours=str(hours),
        star_level=star_level(hours),
        open_tasks=[task_out(t, check(t)) for t in tasks[:50]],
    )
    return data


def membership_out(membership: TeamMembership) -> dict:
    return {
        "id": membership.pk,
        "team": _ref(membership.team),
        "user": _person(membership.user),
        "role": membership.role,
        "status": membership.status,
    }


@router.post(
    "/teams/{team_id}/join",
    response={201: TeamMembershipOut},
    summary="Ask to join",
    openapi_extra=_optional(TeamJoinIn),
)
def join_team(request, team_id: int):
    payload = _body(request, TeamJoinIn)
    team = _get(Team.objects.all(), team_id)
    membership = services.request_team_membership(actor=request.user, team=team, note=payload.note)
    return Status(201, membership_out(membership))


@router.post(
    "/team-memberships/{membership_id}/approve",
    response=TeamMembershipOut,
    summary="A leader lets a member in",
)
def approve_membership(request, membership_id: int):
    membership = _get(TeamMembership.objects.select_related("team", "user"), membership_id)
    membership = services.approve_team_membership(actor=request.user, membership=membership)
    return membership_out(membership)


@router.post(
    "/team-memberships/{membership_id}/decline",
    response=TeamMembershipOut,
    summary="A leader turns a request down",
)
def decline_membership(request, membership_id: int):
    membership = _get(TeamMembership.objects.select_related("team", "user"), membership_id)
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
        "community": _ref(need.community),
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
    community = _get(Community.objects.all(), community_id)
    resident = None
    if payload.on_behalf_of is not None:
        from django.contrib.auth import get_user_model

        from .permissions import may_file_for_residents

        if not may_file_for_residents(request.user, community):
            raise NotAllowed(_("Only community staff can ask for help for a resident."))
        resident = (
            get_user_model()
            .objects.filter(pk=min(max(payload.on_behalf_of, 0), MAX_ID), is_active=True)
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

    need = _get(Need.objects.select_related("community", "requester"), need_id)
    if not can_see_need(request.user, need):
        raise Http404
    return need


@router.post(
    "/needs/{need_id}/accept",
    response={201: TaskOut},
    summary="Staff: accept -> task",
    openapi_extra=_optional(AcceptNeedIn),
)
def accept_need(request, need_id: int):
    payload = _body(request, AcceptNeedIn)
    need = _need_for_staff(request, need_id)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=min(max(payload.team, 0), MAX_ID)).first()
        if team is None:
            raise ValidationError({"team": _("Unknown team.")})
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
    hours = approved_hours(user)
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.get_display_name(),
        "phone": user.phone,
        "memberships": [
            {"community": _ref(m.community), "role": m.role, "status": m.status}
            for m in memberships
        ],
        "teams": [
            {"id": m.team_id, "name": m.team.name, "role": m.role, "status": m.status}
            for m in teams
        ],
        "approved_hours": str(hours),
        "star_level": star_level(hours),
    }


__all__ = ["router", "task_out", "team_out"]
