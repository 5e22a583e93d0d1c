"""The teams' kinds of the staff inbox (communities.inbox): requests for help to triage, tasks
no team can take, tasks left open too long, done tasks to verify, hours to review.

A sensitive task is named in full only to whom teams.permissions lets see it (staff of its
community may); a private request for help reaches only the staff of its community, which is
what the scope holds.
"""

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from communities.inbox import InboxItem, InboxKind, Scope, register
from live.inbox import notify_staff
from live.texts import localized

from . import permissions as perms
from .models import Need, ServiceRecord, Task, Team


def _title(task: Task) -> str:
    return task.title if task.visible else _("Confidential task")


def _task_item(kind: str, task: Task, scope: Scope, since, reason: str) -> InboxItem:
    return InboxItem(
        kind=kind,
        id=task.pk,
        title=_title(task),
        community=scope.communities[task.community_id],
        since=since,
        reason=reason,
        url=task.get_absolute_url(),
    )


def _open_tasks(scope: Scope):
    return Task.objects.filter(
        community_id__in=scope.ids, status=Task.Status.OPEN, team__isnull=True
    )


def _listed(tasks, scope: Scope, limit: int, order: str = "created_at"):
    """The first `limit` tasks, each marked `visible` as teams.selectors.visible_tasks marks
    them (read here: the services import this module, and the selectors import the services)."""
    check = perms.task_details_checker(scope.user)
    tasks = list(tasks.order_by(order, "pk")[:limit])
    for task in tasks:
        task.visible = check(task)
    return tasks


def _days(since, now) -> int:
    return max(0, (now - since).days)


# --- requests for help -------------------------------------------------------------------------


def pending_needs(scope: Scope):
    return Need.objects.filter(community_id__in=scope.ids, status=Need.Status.OPEN).filter(
        perms.not_own_need(scope.user)
    )


def need_items(scope: Scope, limit: int) -> list[InboxItem]:
    needs = pending_needs(scope).select_related("requester").order_by("created_at", "pk")[:limit]
    url = reverse("teams:dispatch")
    items = []
    for need in needs:
        reason = _("Asked by %(name)s") % {"name": need.requester.get_display_name()}
        if need.private:
            reason = _("%(reason)s (private)") % {"reason": reason}
        items.append(
            InboxItem(
                kind="need_triage",
                id=need.pk,
                title=pgettext("request for help", "%(category)s: %(text)s")
                % {
                    "category": need.get_category_display(),
                    "text": Truncator(need.description).chars(60),
                },
                community=scope.communities[need.community_id],
                since=need.created_at,
                reason=reason,
                url=url,
            )
        )
    return items


# --- tasks no team can take --------------------------------------------------------------------


def unclaimable_tasks(scope: Scope):
    return _open_tasks(scope).exclude(perms.some_team_may_take())


def _unclaimable_reason(task: Task, teams: list[Team], community) -> str:
    """Which of the required skills no active team serving the community has (the refusals
    of teams.permissions.take_refusal, read for every serving team)."""
    if task.dispatched_team_id:
        return _("The team it was given to is no longer active; give it to another team.")
    if task.sensitive:
        return _("Confidential: it goes only to the team you give it to.")
    skills = list(task.required_skills.all())
    serving = [
        team
        for team in teams
        if {c.pk for c in team.communities.all()} & set(community.ancestor_ids)
    ]
    if not serving:
        return _("No active team serves this community.")
    missing = None
    for team in serving:
        refusal = perms.take_refusal(team, community=community, skills=skills)
        lacks = set(refusal.missing) if refusal is not None else set()
        missing = lacks if missing is None else missing & lacks
    if missing:
        return _("No team has the skills: %(skills)s") % {
            "skills": pgettext("list separator", ", ").join(sorted(missing))
        }
    return _("No single team has all the skills: %(skills)s") % {
        "skills": pgettext("list separator", ", ").join(sorted(s.name for s in skills))
    }


def unclaimable_items(scope: Scope, limit: int) -> list[InboxItem]:
    tasks = _listed(unclaimable_tasks(scope).prefetch_related("required_skills"), scope, limit)
    if not tasks:
        return []
    ancestor_ids = {
        pk for task in tasks for pk in scope.communities[task.community_id].ancestor_ids
    }
    teams = list(
        Team.objects.filter(active=True, communities__id__in=ancestor_ids)
        .distinct()
        .prefetch_related("skills", "communities")
    )
    return [
        _task_item(
            "task_unclaimable",
            task,
            scope,
            task.created_at,
            _unclaimable_reason(task, teams, scope.communities[task.community_id]),
        )
        for task in tasks
    ]


# --- tasks open too long -----------------------------------------------------------------------


def stale_tasks(scope: Scope, now=None):
    """Open tasks some team could take but none has, older than their community's limit."""
    now = now or timezone.now()
    by_days: dict[int, list[int]] = {}
    for community in scope.communities.values():
        by_days.setdefault(community.task_stale_days, []).append(community.pk)
    older = Q(pk__in=[])
    for days, community_ids in by_days.items():
        older |= Q(community_id__in=community_ids, created_at__lt=now - datetime.timedelta(days))
    return _open_tasks(scope).filter(older).filter(perms.some_team_may_take())


def stale_items(scope: Scope, limit: int) -> list[InboxItem]:
    now = timezone.now()
    items = []
    for task in _listed(stale_tasks(scope, now), scope, limit):
        days = _days(task.created_at, now)
        limit_days = scope.communities[task.community_id].task_stale_days
        reason = ngettext(
            "Open for %(days)d day, no team has taken it on (limit: %(limit)d).",
            "Open for %(days)d days, no team has taken it on (limit: %(limit)d).",
            days,
        ) % {"days": days, "limit": limit_days}
        items.append(_task_item("task_stale", task, scope, task.created_at, reason))
    return items


# --- done tasks to verify ----------------------------------------------------------------------


def done_tasks(scope: Scope):
    return Task.objects.filter(community_id__in=scope.ids, status=Task.Status.DONE).filter(
        perms.not_own_task_work(scope.user)
    )


def done_items(scope: Scope, limit: int) -> list[InboxItem]:
    tasks = _listed(done_tasks(scope).select_related("team"), scope, limit, order="done_at")
    return [
        _task_item(
            "task_to_verify",
            task,
            scope,
            task.done_at or task.created_at,
            _("%(team)s marked it done.") % {"team": task.team.name},
        )
        for task in tasks
    ]


# --- hours to review ---------------------------------------------------------------------------


def pending_hours(scope: Scope):
    return ServiceRecord.objects.filter(
        community_id__in=scope.ids, status=ServiceRecord.Status.PENDING
    ).filter(perms.not_own_hours_work(scope.user))


def hours_items(scope: Scope, limit: int) -> list[InboxItem]:
    records = list(
        pending_hours(scope)
        .select_related("task", "volunteer", "community")
        .order_by("created_at", "pk")[:limit]
    )
    check = perms.task_details_checker(scope.user)
    for record in records:
        if record.task_id:
            record.task.visible = check(record.task)
    return [
        InboxItem(
            kind="hours_review",
            id=record.pk,
            title=_("%(name)s: %(hours)s hours")
            % {
                "name": record.volunteer.get_display_name(),
                "hours": f"{record.hours.normalize():f}",
            },
            community=scope.communities[record.community_id],
            since=record.created_at,
            reason=_title(record.task) if record.task_id else record.title,
            url=(
                reverse("teams:team_hours", args=[record.team_id])
                if record.team_id
                else reverse("teams_hours:edit", args=[record.pk])
            ),
        )
        for record in records
    ]


KINDS = [
    InboxKind("need_triage", gettext_lazy("Requests for help"), 20, pending_needs, need_items),
    InboxKind(
        "task_unclaimable",
        gettext_lazy("Tasks no team can take"),
        30,
        unclaimable_tasks,
        unclaimable_items,
    ),
    InboxKind("task_stale", gettext_lazy("Tasks open too long"), 40, stale_tasks, stale_items),
    InboxKind("task_to_verify", gettext_lazy("Done tasks to check"), 50, done_tasks, done_items),
    InboxKind("hours_review", gettext_lazy("Hours to review"), 60, pending_hours, hours_items),
]


# --- telling staff (live.inbox): the services call these in their transaction -----------------


def _tell_staff_about_task(task: Task, *, kind: str, confidential, public, actor) -> None:
    """`confidential` names only the community, so a sensitive task's title stays out of it."""
    values = {"community": task.community.name, "title": task.title}
    notify_staff(
        kind=kind,
        community=task.community,
        object_id=task.pk,
        text=localized(confidential if task.sensitive else public, values),
        url=task.get_absolute_url(),
        actor=actor,
    )


def task_created(task: Task, *, actor) -> None:
    """A new task that no team may take waits for staff to find or give it a team."""
    if not Task.objects.filter(pk=task.pk).exclude(perms.some_team_may_take()).exists():
        return
    _tell_staff_about_task(
        task,
        kind="task_unclaimable",
        confidential=gettext_lazy("A confidential task in %(community)s needs a team."),
        public=gettext_lazy("No team can take the task “%(title)s” in %(community)s."),
        actor=actor,
    )


def task_done(task: Task, *, actor) -> None:
    _tell_staff_about_task(
        task,
        kind="task_to_verify",
        confidential=gettext_lazy("A confidential task in %(community)s is done; check it."),
        public=gettext_lazy("“%(title)s” is done; check it."),
        actor=actor,
    )


def hours_logged(record: ServiceRecord, *, actor) -> None:
    task = record.task
    values = {
        "name": record.volunteer.get_display_name(),
        "hours": f"{record.hours.normalize():f}",
        "title": task.title,
    }
    message = (
        gettext_lazy("%(name)s logged %(hours)s hours on a confidential task.")
        if task.sensitive
        else gettext_lazy("%(name)s logged %(hours)s hours on “%(title)s”.")
    )
    notify_staff(
        kind="hours_review",
        community=task.community,
        object_id=record.pk,
        text=localized(message, values),
        url=reverse("teams:team_hours", args=[record.team_id]),
        actor=actor,
        exclude=[record.volunteer_id, record.logged_by_id],
    )


def connect() -> None:
    for kind in KINDS:
        register(kind)
