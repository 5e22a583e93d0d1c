"""Reads of teams, tasks, hours and needs used by pages, API, admin and WebSocket.

HackSoft style: keyword-only arguments, querysets, lists or plain data out, no writes. Who may
see what is asked of teams.permissions; here it is applied: a sensitive task whose details the
viewer may not see comes as the redacted task ("Confidential task", no description, place,
skills shown or updates).
"""

import datetime
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _

from . import permissions as perms
from . import services
from .models import Need, ServiceRecord, Task, TaskFollow, TaskUpdate, Team, TeamMembership
from .schemas import person_ref, ref

# The statuses of a task that a team holds and still works on.
IN_HAND = ("claimed", "in_progress", "done")
LIST_LIMIT = 200
PRIORITY_ORDER = {"emergency": 0, "urgent": 1, "normal": 2}


# --- visibility --------------------------------------------------------------------------------


def visible_tasks(*, viewer, tasks, check=None) -> list:
    """`tasks` as a list, each with `visible`: may the viewer see its details? The viewer's
    memberships are read once per `check` (perms.task_details_checker): pass one checker to
    mark several lists."""
    check = check or perms.task_details_checker(viewer)
    tasks = list(tasks)
    for task in tasks:
        task.visible = check(task)
    return tasks


def visible_records(*, viewer, records, check=None) -> list:
    """`records` (service records read with their task) as a list, each task marked
    `visible` as in visible_tasks: a team that gave a sensitive task back still reviews its
    hours, without reading the case."""
    check = check or perms.task_details_checker(viewer)
    records = list(records)
    for record in records:
        if record.task_id:
            record.task.visible = check(record.task)
    return records


# --- the task as data (API) --------------------------------------------------------------------


def task_data(*, task: Task, visible: bool, updates=None) -> dict:
    """The task as data, in full or, when not `visible`, redacted; with its `updates` (only
    shown in full) when they are given."""
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
        "community": ref(task.community),
        "team": ref(task.team),
        "dispatched_team": ref(task.dispatched_team),
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


def task_view(*, viewer, task: Task) -> dict:
    """The task as `viewer` may see it now (task_data)."""
    return task_data(task=task, visible=perms.task_details_checker(viewer)(task))


def task_views(*, viewer, tasks) -> list[dict]:
    """task_view for each of `tasks`, the viewer's memberships read once for all."""
    check = perms.task_details_checker(viewer)
    return [task_data(task=task, visible=check(task)) for task in tasks]


def task_detail(*, viewer, task: Task) -> dict:
    """task_view with the task's updates, oldest first, read only when the viewer may see
    them."""
    visible = perms.task_details_checker(viewer)(task)
    updates = (
        TaskUpdate.objects.filter(task=task).select_related("author").order_by("created_at", "id")
        if visible
        else []
    )
    return task_data(task=task, visible=visible, updates=updates)


def day_totals(records) -> dict[tuple[int, datetime.date], Decimal]:
    """{(volunteer id, date): pending + approved hours of that person that day} for the
    records given, in one aggregate query: what a reviewer weighs a record against."""
    keys = {(r.volunteer_id, r.date) for r in records}
    if not keys:
        return {}
    match = Q()
    for volunteer_id, date in keys:
        match |= Q(volunteer_id=volunteer_id, date=date)
    rows = (
        ServiceRecord.objects.filter(match, status__in=ServiceRecord.COUNTED_STATUSES)
        .values("volunteer_id", "date")
        .annotate(total=Sum("hours"))
    )
    return {(row["volunteer_id"], row["date"]): row["total"] for row in rows}


def with_day_hours(*, records) -> list:
    """`records` as a list, each with `day_hours`: the volunteer's pending and approved hours
    on its date in all (day_totals, one query for all), what a reviewer weighs it
    against."""
    records = list(records)
    totals = day_totals(records)
    for record in records:
        record.day_hours = totals.get((record.volunteer_id, record.date))
    return records


def record_view(*, viewer, record: ServiceRecord) -> dict:
    """A service record as `viewer` may read it now: the task's title and the note (what was
    done on the case) only while they may see the task's details."""
    day_hours = with_day_hours(records=[record])[0].day_hours
    visible = record.task_id is None or perms.task_details_checker(viewer)(record.task)
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
        }
        if record.task_id
        else None,
        "title": record.what if visible else _("Confidential task"),
        "team": ref(record.team),
        "volunteer": person_ref(record.volunteer),
        "reviewer": person_ref(record.reviewer),
        "reviewed_at": record.reviewed_at,
        "decline_reason": record.decline_reason,
    }


# --- task lists --------------------------------------------------------------------------------


def task_list(*, community=None, team=None, status=None):
    """Tasks, newest first, read with what task_data shows: in `community` or below it, held
    by `team` (a team or its id), in `status` (one, or a tuple of several)."""
    tasks = Task.objects.select_related("community", "team", "dispatched_team").prefetch_related(
        "required_skills"
    )
    if community is not None:
        tasks = tasks.filter(community__path__startswith=community.path)
    if team is not None:
        tasks = tasks.filter(team=team)
    if isinstance(status, tuple):
        tasks = tasks.filter(status__in=status)
    elif status:
        tasks = tasks.filter(status=status)
    return tasks


def held_tasks(*, team) -> list:
    """The tasks the team holds and still works on, last changed first (for pages)."""
    return list(
        Task.objects.for_lists()
        .filter(team=team, status__in=IN_HAND)
        .order_by("-updated_at")[:LIST_LIMIT]
    )


def claimable_tasks(*, team: Team, limit: int = LIST_LIMIT) -> list:
    """Open tasks this team may take, most urgent first: dispatched to it, or in the pool of a
    community it serves (or below) with every required skill among its skills. Two queries;
    `team` read with its skills and communities prefetched."""
    skill_ids = {s.pk for s in team.skills.all()}
    community_paths = [c.path for c in team.communities.all()]
    served = Q()
    for path in community_paths:
        served |= Q(community__path__startswith=path)
    open_to_all = perms.in_pool() & served if community_paths else Q(pk__in=[])
    candidates = (
        Task.objects.for_lists()
        .filter(status=Task.Status.OPEN, team__isnull=True)
        .filter(Q(dispatched_team=team) | open_to_all)
        .order_by("-created_at", "-id")[:limit]
    )
    tasks = [
        t
        for t in candidates
        if t.dispatched_team_id == team.pk or {s.pk for s in t.required_skills.all()} <= skill_ids
    ]
    tasks.sort(key=lambda t: (PRIORITY_ORDER.get(t.priority, 3), t.due_at is None, t.due_at or 0))
    return tasks


def teams_tasks(*, team_ids) -> list:
    """What the teams have to do: the tasks they hold and still work on, and the open ones
    staff sent them, last changed first."""
    return list(
        Task.objects.for_lists()
        .filter(
            Q(team_id__in=team_ids, status__in=IN_HAND)
            | Q(dispatched_team_id__in=team_ids, status=Task.Status.OPEN)
        )
        .order_by("-updated_at")[:LIST_LIMIT]
    )


def verified_tasks(*, team_ids, limit: int = 20) -> list:
    """The teams' tasks that staff confirmed, last changed first."""
    return list(
        Task.objects.for_lists()
        .filter(team_id__in=team_ids, status=Task.Status.VERIFIED)
        .order_by("-updated_at")[:limit]
    )


def unfinished_tasks(*, community_ids) -> list:
    """The communities' tasks that are neither verified nor cancelled, newest first (staff's
    dispatch page)."""
    return list(
        Task.objects.for_lists()
        .filter(community_id__in=community_ids)
        .exclude(status__in=[Task.Status.VERIFIED, Task.Status.CANCELLED])
        .order_by("-created_at")[:LIST_LIMIT]
    )


def is_following_task(*, user, task: Task) -> bool:
    return TaskFollow.objects.filter(user=user, task=task).exists()


def home_tasks(*, user, limit: int) -> dict[str, list]:
    """What a person's home shows of tasks: "team" (what their teams have to do, as
    teams_tasks) and "followed" (the tasks they follow), last changed first, each task with
    `visible` (may they see its details) and `latest` (its newest update, or None). A fixed
    number of queries: one list each, the newest updates of both in one, and the person's
    memberships once, if a sensitive task needs them."""
    tasks = Task.objects.select_related("community", "team").order_by("-updated_at", "-id")
    team_ids = perms.active_team_memberships(user).values("team_id")
    team = tasks.filter(
        Q(team_id__in=team_ids, status__in=IN_HAND)
        | Q(dispatched_team_id__in=team_ids, status=Task.Status.OPEN)
    )[:limit]
    followed = tasks.filter(follows__user=user)[:limit]
    check = perms.task_details_checker(user)
    lists = {
        "team": visible_tasks(viewer=user, tasks=team, check=check),
        "followed": visible_tasks(viewer=user, tasks=followed, check=check),
    }
    with_latest(tasks=[*lists["team"], *lists["followed"]])
    return lists


def with_latest(*, tasks) -> list:
    """Give each task `latest`: its newest update where the viewer may see the task's details
    (as `visible` says), else None; one query for all."""
    ids = {task.pk for task in tasks if getattr(task, "visible", True)}
    latest = {}
    if ids:
        newest = TaskUpdate.objects.filter(task_id=OuterRef("task_id")).order_by(
            "-created_at", "-id"
        )
        rows = TaskUpdate.objects.filter(task_id__in=ids, pk=Subquery(newest.values("pk")[:1]))
        latest = {update.task_id: update for update in rows}
    for task in tasks:
        task.latest = latest.get(task.pk)
    return tasks


# --- teams -------------------------------------------------------------------------------------


def team_directory(*, viewer) -> list:
    """The active teams by name, each with its active members and tasks in hand counted, and
    `is_mine` where the viewer is a member (the teams page)."""
    active = TeamMembership.Status.ACTIVE
    teams = list(
        Team.objects.active()
        .annotate(
            members_count=Count("memberships", filter=Q(memberships__status=active), distinct=True),
            tasks_in_hand=Count("tasks", filter=Q(tasks__status__in=IN_HAND), distinct=True),
        )
        .prefetch_related("skills", "communities")
        .order_by("name")
    )
    mine = set()
    if viewer.is_authenticated:
        mine = set(perms.member_teams(viewer).values_list("pk", flat=True))
    for team in teams:
        team.is_mine = team.pk in mine
    return teams


def teams_with_counts():
    """Teams, each with `members_n` (active members) and `held_n` (tasks claimed or in
    progress), read with their skills and communities (the API's teams)."""
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


def team_list(*, community=None, skill=None):
    """Active teams_with_counts serving `community` (or a community above it), with `skill`."""
    teams = teams_with_counts().filter(active=True)
    if community is not None:
        teams = teams.filter(communities__id__in=community.ancestor_ids).distinct()
    if skill:
        teams = teams.filter(skills__slug=skill)
    return teams


def team_leaders(*, team):
    """The team's active leaders' memberships, with the person."""
    return (
        TeamMembership.objects.filter(
            team=team, role=TeamMembership.Role.LEADER, status=TeamMembership.Status.ACTIVE
        )
        .select_related("user")
        .order_by("user_id")
    )


# --- needs -------------------------------------------------------------------------------------


def open_needs(*, community_ids) -> list:
    """The communities' requests for help waiting for staff, oldest first."""
    return list(
        Need.objects.filter(community_id__in=community_ids, status=Need.Status.OPEN)
        .select_related("community", "requester", "recorded_by")
        .order_by("created_at", "id")[:LIST_LIMIT]
    )


def own_needs(*, viewer, limit: int = LIST_LIMIT) -> list:
    """The requests for help the viewer made, or filed for a resident, newest first."""
    return list(
        Need.objects.filter(Q(requester=viewer) | Q(recorded_by=viewer))
        .select_related("community", "task", "task__team", "requester", "recorded_by")
        .order_by("-created_at", "-id")[:limit]
    )
