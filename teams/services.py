"""Every state change of teams, tasks, hours and needs.

Each service takes keyword arguments, runs in one transaction, checks the actor's permission
(403 NotAllowed), settles races in the database (conditional UPDATEs: 409 Conflict for the
loser), writes a Wagtail audit entry ("linli.*") and publishes live events.

Topics: `task:<id>` (restricted for sensitive tasks, so it carries full data), `team:<id>` and
`community:<id>` (public: sensitive tasks appear redacted), `user:<id>` (the people concerned).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from accounts.permissions import is_signed_in
from communities.models import Community, Membership
from communities.services import assisted_resident
from core.drafts import FiledOnce, already_filed
from core.errors import Conflict, NotAllowed
from core.images import clean_image
from live.services import publish, publish_many
from live.texts import default_text, localized, text_fields

from . import permissions as perms
from .models import (
    Need,
    ServiceRecord,
    Skill,
    Task,
    TaskUpdate,
    Team,
    TeamMembership,
    approved_hours,
    star_level,
)
from .signals import task_status_changed

S = Task.Status

__all__ = [
    "accept_need",
    "approve_hours",
    "approve_team_membership",
    "cancel_task",
    "claim_task",
    "create_task",
    "decline_hours",
    "decline_need",
    "decline_team_membership",
    "file_need",
    "log_hours",
    "post_update",
    "reopen_task",
    "release_task",
    "request_team_membership",
    "task_data",
    "task_public_data",
    "verify_task",
]


# --- event data --------------------------------------------------------------------------------


def team_ref(team) -> dict | None:
    return {"id": team.pk, "name": team.name} if team is not None else None


def task_data(task: Task, text: str = "", **extra) -> dict:
    """The full description of a task, as events and the API carry it."""
    return {
        "id": task.pk,
        "title": task.title,
        "status": task.status,
        "priority": task.priority,
        "sensitive": task.sensitive,
        "community": {"id": task.community_id, "name": task.community.name},
        "team": team_ref(task.team),
        "required_skills": task.skill_slugs(),  # read with the task by _reload
        "url": task.get_absolute_url(),
        **text_fields(text),
        **extra,
    }


def redacted_task_data(task: Task, text: str = "", **extra) -> dict:
    return {
        "id": task.pk,
        "status": task.status,
        "priority": task.priority,
        "sensitive": True,
        **text_fields(localized(gettext_lazy("Confidential task")), "title"),
        "community": {"id": task.community_id, "name": task.community.name},
        "team": team_ref(task.team),
        "url": task.get_absolute_url(),
        **text_fields(text),
        **extra,
    }


def task_public_data(task: Task, text: str, redacted_text: str, **extra) -> dict:
    if task.sensitive:
        return redacted_task_data(task, redacted_text, **extra)
    return task_data(task, text, **extra)


def _announce(
    task: Task,
    type: str,
    *,
    actor,
    text: str,
    redacted_text: str,
    teams=(),
    users=(),
    extra=None,
    public=True,
    after=(),
) -> None:
    """Publish one event to the task topic (full data), the community and team topics
    (redacted for sensitive tasks) and the users' topics (full data: they may see it);
    `after` the events [(topic, type, data), ...] that come first, in the same INSERT."""
    extra = extra or {}
    full = task_data(task, text, **extra)
    # The same data when nothing is redacted: computed (and its skills read) once.
    shown = redacted_task_data(task, redacted_text, **extra) if task.sensitive else full
    events = [*after, (f"task:{task.pk}", type, full)]
    if public:
        events.append((f"community:{task.community_id}", type, shown))
    for team_id in sorted({t.pk if isinstance(t, Team) else t for t in teams if t}):
        events.append((f"team:{team_id}", type, shown))
    for user_id in sorted({u.pk if hasattr(u, "pk") else u for u in users if u}):
        events.append((f"user:{user_id}", type, full))
    # One INSERT for all of them, pushed in this order after commit (task topic first).
    publish_many(events, actor=actor)


def _status_changed(task: Task, actor) -> None:
    task_status_changed.send(sender=Task, task=task, actor=actor)


def _require_signed_in(actor) -> None:
    if not is_signed_in(actor):
        raise NotAllowed(_("Sign in first."))


def _leader_ids(team_id) -> list[int]:
    return list(
        TeamMembership.objects.filter(
            team_id=team_id, role=TeamMembership.Role.LEADER, status=TeamMembership.Status.ACTIVE
        ).values_list("user_id", flat=True)
    )


def _staff_ids(community: Community) -> list[int]:
    return list(
        Membership.objects.filter(
            community_id__in=community.ancestor_ids,
            role=Membership.Role.STAFF,
            status=Membership.Status.VERIFIED,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


def _reload(task: Task, *, member=None) -> Task:
    """The task afresh, with what its events and the API's reply show (its skills' slugs in
    the same query) and, given `member`, whether that person belongs to the holding team
    (perms.with_holding_membership): read before the transaction rather than inside it, and
    not again for the reply."""
    tasks = Task.objects.select_related("community", "team", "dispatched_team").with_skill_slugs()
    if member is not None:
        tasks = perms.with_holding_membership(tasks, member)
    return tasks.get(pk=task.pk)


def _transition(task: Task, action: str, *, extra_filter=None, **changes) -> Task:
    """Move the task with one conditional UPDATE; 409 when its state changed meanwhile."""
    sources, target = Task.TRANSITIONS[action]
    now = timezone.now()
    qs = Task.objects.filter(pk=task.pk, status__in=sources)
    if extra_filter is not None:
        qs = qs.filter(extra_filter)
    if not qs.update(status=target, updated_at=now, **changes):
        current = Task.objects.filter(pk=task.pk).values_list("status", flat=True).first()
        raise Conflict(
            _("This cannot be done while the task is %(status)s.")
            % {"status": S(current).label if current else "?"},
            code="wrong_state",
            extra={"current_status": current},
        )
    return _reload(task)


def _skills(slugs) -> list[Skill]:
    slugs = [s.slug if isinstance(s, Skill) else str(s) for s in (slugs or [])]
    found = {skill.slug: skill for skill in Skill.objects.filter(slug__in=slugs)}
    unknown = sorted(set(slugs) - set(found))
    if unknown:
        raise ValidationError(
            {"required_skills": _("Unknown skill: %(slugs)s.") % {"slugs": ", ".join(unknown[:5])}}
        )
    return list(found.values())


# --- tasks -------------------------------------------------------------------------------------


def create_task(
    *,
    actor,
    community: Community,
    title: str,
    description: str = "",
    location: str = "",
    priority: str = Task.Priority.NORMAL,
    required_skills=(),
    sensitive: bool = False,
    due_at: datetime.datetime | None = None,
    team: Team | None = None,
    origin: str = Task.Origin.STAFF,
    need: Need | None = None,
) -> Task:
    """Staff create a task, dispatched to `team` or open to every team with the skills.

    An emergency task alerts every matching team (its `team:<id>` topic) at once.
    """
    _require_signed_in(actor)
    if not perms.can_create_task(actor, community):
        raise NotAllowed(_("Only community staff can create tasks here."))
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the task a title.")
    elif len(title) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    if priority not in Task.Priority.values:
        errors["priority"] = _("Unknown priority.")
    if origin not in Task.Origin.values:
        errors["origin"] = _("Unknown origin.")
    if len(location or "") > 200:
        errors["location"] = _("Keep the place under 200 characters.")
    if team is not None and not (team.active and perms.serves(team, community)):
        errors["team"] = _("This team is not active or does not serve this community.")
    if errors:
        raise ValidationError(errors)
    skills = _skills(required_skills)
    with transaction.atomic():
        task = Task.objects.create(
            community=community,
            title=title,
            description=description or "",
            location=location or "",
            priority=priority,
            origin=origin,
            sensitive=bool(sensitive),
            due_at=due_at,
            dispatched_team=team,
            need=need,
            created_by=actor,
        )
        task.required_skills.set(skills)
        task = _reload(task)
        log(
            instance=task,
            action="linli.task.create",
            user=actor,
            data={"team": team_ref(team), "priority": priority, "origin": origin},
        )
        values = {"title": task.title, "community": community.name}
        _announce(
            task,
            "task.created",
            actor=actor,
            text=localized(gettext_lazy("New task in %(community)s: %(title)s"), values),
            redacted_text=localized(
                gettext_lazy("New confidential task in %(community)s."), values
            ),
        )
        if team is not None:
            text = localized(gettext_lazy("Your team was asked to take on: %(title)s"), values)
            redacted = localized(
                gettext_lazy("Your team was asked to take on a confidential task.")
            )
            shown = task_public_data(task, text, redacted, dispatched=True)
            publish(topic=f"team:{team.pk}", type="task.dispatched", data=shown, actor=actor)
            for user_id in _leader_ids(team.pk):
                publish(
                    topic=f"user:{user_id}",
                    type="task.dispatched",
                    data=task_data(task, text, dispatched=True),
                    actor=actor,
                )
        if priority == Task.Priority.EMERGENCY:
            text = localized(gettext_lazy("Emergency in %(community)s: %(title)s"), values)
            redacted = localized(
                gettext_lazy("Emergency in %(community)s: a confidential task needs a team."),
                values,
            )
            data = task_public_data(task, text, redacted)
            for team_id in perms.eligible_teams(task).values_list("pk", flat=True):
                publish(topic=f"team:{team_id}", type="task.alert", data=data, actor=actor)
    return task


def claim_task(*, actor, task: Task, team: Team) -> Task:
    """A team leader takes the task for the team: one conditional UPDATE settles any race.

    The loser gets Conflict("Already taken by <team>") with extra {"holder": {"id", "name"}}.
    """
    _require_signed_in(actor)
    if not perms.is_team_leader(actor, team):
        raise NotAllowed(_("Only a leader of this team can take tasks for it."))
    if not perms.team_may_take(task, team):
        raise NotAllowed(
            _("This team cannot take this task (skills, community or dispatch do not match).")
        )
    with transaction.atomic():
        now = timezone.now()
        updated = (
            Task.objects.filter(pk=task.pk, status=S.OPEN, team__isnull=True)
            .filter(Q(dispatched_team=team) | perms.in_pool())
            .update(team=team, status=S.CLAIMED, claimed_at=now, updated_at=now)
        )
        if not updated:
            current = Task.objects.select_related("team").get(pk=task.pk)
            if current.team is not None:
                raise Conflict(
                    _("Already taken by %(team)s") % {"team": current.team.name},
                    code="already_taken",
                    extra={"holder": team_ref(current.team), "current_status": current.status},
                )
            raise Conflict(
                _("This task is not open (it is %(status)s).")
                % {"status": current.get_status_display()},
                code="wrong_state",
                extra={"holder": None, "current_status": current.status},
            )
        task = _reload(task)
        log(instance=task, action="linli.task.claim", user=actor, data={"team": team_ref(team)})
        values = {"team": team.name, "title": task.title}
        _announce(
            task,
            "task.claimed",
            actor=actor,
            text=localized(gettext_lazy("%(team)s took on “%(title)s”."), values),
            redacted_text=localized(gettext_lazy("%(team)s took on a confidential task."), values),
            teams=[team],
        )
        _status_changed(task, actor)
    return task


def release_task(*, actor, task: Task, reason: str = "") -> Task:
    """The holding team's leader (or staff) gives the task back: open again, no team.

    A sensitive task goes back to staff, never to the pool: no team may claim it until staff
    dispatch it again, the team that gave it back reads it no more, and the community's staff
    are told on their `user:<id>` topics."""
    _require_signed_in(actor)
    task = _reload(task)
    if not perms.may_release(actor, task):
        raise NotAllowed(_("Only the leader of the team that holds the task or staff can do this."))
    old_team = task.team
    # A sensitive task goes back to staff: its staff are told, with what they may read.
    to_staff = task.sensitive
    with transaction.atomic():
        task = _transition(
            task,
            "release",
            extra_filter=Q(team_id=task.team_id),
            team=None,
            dispatched_team=None,
            claimed_at=None,
        )
        log(
            instance=task,
            action="linli.task.release",
            user=actor,
            data={
                "team": team_ref(old_team),
                "reason": reason[:300],
                **({"to": "staff"} if to_staff else {}),
            },
        )
        values = {"team": old_team.name if old_team else "", "title": task.title}
        if to_staff:
            text = gettext_lazy(
                "%(team)s gave back the confidential task “%(title)s”; it waits for staff to "
                "give it to a team."
            )
            staff = set(_staff_ids(task.community)) - {actor.pk}
            extra = {"to": "staff", "reason": reason[:300]}
        else:
            text = gettext_lazy("%(team)s gave back “%(title)s”; it is open again.")
            staff, extra = (), None
        _announce(
            task,
            "task.released",
            actor=actor,
            text=localized(text, values),
            redacted_text=localized(
                gettext_lazy("%(team)s gave back a confidential task."), values
            ),
            teams=[old_team],
            users=staff,
            extra=extra,
        )
        _status_changed(task, actor)
    return task


def dispatch_task(*, actor, task: Task, team: Team) -> Task:
    """Staff give an open task that no team holds to one team (the only way a sensitive task
    that was given back reaches a team again). One conditional UPDATE: 409 once a team holds
    it."""
    _require_signed_in(actor)
    task = _reload(task)
    if not perms.may_dispatch(actor, task):
        raise NotAllowed(_("Only community staff can give tasks to teams."))
    if team is None or not (team.active and perms.serves(team, task.community)):
        raise ValidationError(
            {"team": _("This team is not active or does not serve this community.")}
        )
    with transaction.atomic():
        if not Task.objects.filter(pk=task.pk, status=S.OPEN, team__isnull=True).update(
            dispatched_team=team, updated_at=timezone.now()
        ):
            current = Task.objects.filter(pk=task.pk).values_list("status", flat=True).first()
            raise Conflict(
                _("Only an open task that no team holds can be given to a team."),
                code="wrong_state",
                extra={"current_status": current},
            )
        task = _reload(task)
        log(instance=task, action="linli.task.dispatch", user=actor, data={"team": team_ref(team)})
        values = {"title": task.title}
        text = localized(gettext_lazy("Your team was asked to take on: %(title)s"), values)
        redacted = localized(gettext_lazy("Your team was asked to take on a confidential task."))
        events = [
            (f"task:{task.pk}", "task.dispatched", task_data(task, text, dispatched=True)),
            (
                f"team:{team.pk}",
                "task.dispatched",
                task_public_data(task, text, redacted, dispatched=True),
            ),
        ]
        for user_id in _leader_ids(team.pk):
            events.append(
                (f"user:{user_id}", "task.dispatched", task_data(task, text, dispatched=True))
            )
        publish_many(events, actor=actor)
    return task


def post_update(
    *, actor, task: Task, text: str = "", photo=None, status: str | None = None
) -> TaskUpdate:
    """Progress from the holding team (or staff): text and/or photo, optionally moving the task
    to in_progress or done (team members only)."""
    _require_signed_in(actor)
    task = _reload(task, member=actor)
    may_post, may_change_status = perms.update_rights(actor, task)
    if not may_post:
        raise NotAllowed(_("Only members of the team that holds the task can post updates."))
    text = (text or "").strip()
    errors = {}
    if status and status not in ("in_progress", "done"):
        errors["status"] = _("A status change may only be to in progress or done.")
    if not text and not photo and not status:
        errors["text"] = _("Write a few words or add a photo.")
    if len(text) > 2000:
        errors["text"] = _("Keep the update under 2000 characters.")
    cleaned = None
    if photo:
        try:
            cleaned = clean_image(photo)
        except ValidationError as exc:
            errors["photo"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    if status and not may_change_status:
        raise NotAllowed(_("Only members of the team that holds the task can change its status."))
    if task.status not in Task.HELD[:3]:
        raise Conflict(
            _("Updates can be posted only while a team holds the task."),
            code="wrong_state",
            extra={"current_status": task.status},
        )
    with transaction.atomic():
        old_status = task.status
        if status == "in_progress":
            task = _transition(task, "start", extra_filter=Q(team_id=task.team_id))
        elif status == "done":
            task = _transition(
                task, "finish", extra_filter=Q(team_id=task.team_id), done_at=timezone.now()
            )
        update = TaskUpdate(task=task, author=actor, text=text, status_change=status or "")
        if cleaned:
            update.photo = cleaned.original
            update.photo_rendition = cleaned.rendition
        update.save()
        log(
            instance=task,
            action="linli.task.update",
            user=actor,
            data={"update": update.pk, "status": status or None, "photo": bool(photo)},
        )
        entry = update_data(update)
        name = actor.get_display_name()
        updated = (
            f"task:{task.pk}",
            "task.updated",
            task_data(
                task,
                localized(gettext_lazy("%(name)s posted an update."), {"name": name}),
                update=entry,
            ),
        )
        if not (status and status != old_status):
            publish_many([updated], actor=actor)
        else:
            label = S(status).label
            values = {"title": task.title, "status": label}
            _announce(
                task,
                "task.status",
                actor=actor,
                text=localized(gettext_lazy("“%(title)s” is now %(status)s."), values),
                redacted_text=localized(
                    gettext_lazy("A confidential task is now %(status)s."), values
                ),
                teams=[task.team_id],
                after=[updated],  # the update first, then the status it brought
            )
            _status_changed(task, actor)
    return update


def update_data(update: TaskUpdate) -> dict:
    return {
        "id": update.pk,
        "text": update.text,
        "photo": update.photo_url,
        "status_change": update.status_change or None,
        "author": (
            {"id": update.author_id, "display_name": update.author.get_display_name()}
            if update.author_id
            else None
        ),
        "created_at": update.created_at.isoformat(),
    }


def verify_task(*, actor, task: Task, note: str = "") -> Task:
    """Staff confirm the work: done -> verified."""
    _require_signed_in(actor)
    task = _reload(task)
    if perms.may_staff(actor, task) and perms.is_own_task_work(actor, task):
        raise NotAllowed(
            _("Another staff member must verify this task: the work is your team's own."),
            code="own_work",
        )
    if not perms.may_verify(actor, task):
        raise NotAllowed(_("Only community staff can verify tasks."))
    with transaction.atomic():
        task = _transition(task, "verify", verified_at=timezone.now())
        log(instance=task, action="linli.task.verify", user=actor, data={"note": note[:300]})
        values = {"title": task.title}
        _announce(
            task,
            "task.verified",
            actor=actor,
            text=localized(
                gettext_lazy("Community staff confirmed “%(title)s” as done well."), values
            ),
            redacted_text=localized(gettext_lazy("Community staff confirmed a confidential task.")),
            teams=[task.team_id],
        )
        _status_changed(task, actor)
    return task


def reopen_task(*, actor, task: Task, reason: str = "") -> Task:
    """Staff reopen a done, verified or cancelled task: open again, no team holds it."""
    _require_signed_in(actor)
    task = _reload(task)
    if not perms.may_staff(actor, task):
        raise NotAllowed(_("Only community staff can reopen tasks."))
    old_team = task.team
    with transaction.atomic():
        task = _transition(
            task,
            "reopen",
            team=None,
            claimed_at=None,
            done_at=None,
            verified_at=None,
            cancelled_at=None,
        )
        log(
            instance=task,
            action="linli.task.reopen",
            user=actor,
            data={"team": team_ref(old_team), "reason": reason[:300]},
        )
        values = {"title": task.title}
        _announce(
            task,
            "task.reopened",
            actor=actor,
            text=localized(gettext_lazy("“%(title)s” was reopened."), values),
            redacted_text=localized(gettext_lazy("A confidential task was reopened.")),
            teams=[old_team],
            extra={"reason": reason[:300]} if not task.sensitive else None,
        )
        _status_changed(task, actor)
    return task


def cancel_task(*, actor, task: Task, reason: str = "") -> Task:
    """Staff cancel a task that is not verified yet."""
    _require_signed_in(actor)
    task = _reload(task)
    if not perms.may_staff(actor, task):
        raise NotAllowed(_("Only community staff can cancel tasks."))
    with transaction.atomic():
        task = _transition(task, "cancel", cancelled_at=timezone.now())
        log(
            instance=task,
            action="linli.task.cancel",
            user=actor,
            data={"reason": reason[:300]},
        )
        values = {"title": task.title}
        _announce(
            task,
            "task.cancelled",
            actor=actor,
            text=localized(gettext_lazy("“%(title)s” was cancelled."), values),
            redacted_text=localized(gettext_lazy("A confidential task was cancelled.")),
            teams=[task.team_id],
        )
        _status_changed(task, actor)
    return task


# --- hours -------------------------------------------------------------------------------------


def _parse_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"hours": _("Enter the hours as a number.")}) from None
    if not hours.is_finite() or hours <= 0 or hours > 24:
        raise ValidationError({"hours": _("Hours must be more than 0 and at most 24.")})
    return hours


DAY_HOURS_MAX = Decimal(24)
COUNTED_HOURS = (ServiceRecord.Status.PENDING, ServiceRecord.Status.APPROVED)


def hours_text(hours: Decimal) -> str:
    """Hours as the API and events write them: "14.50"."""
    return str(Decimal(hours).quantize(Decimal("0.01")))


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
        ServiceRecord.objects.filter(match, status__in=COUNTED_HOURS)
        .values("volunteer_id", "date")
        .annotate(total=Sum("hours"))
    )
    return {(row["volunteer_id"], row["date"]): row["total"] for row in rows}


def record_data(record: ServiceRecord, text: str = "", **extra) -> dict:
    return {
        "id": record.pk,
        "status": record.status,
        "hours": str(record.hours),
        "date": record.date.isoformat(),
        "task": {"id": record.task_id},
        "team": {"id": record.team_id, "name": record.team.name},
        "volunteer": {
            "id": record.volunteer_id,
            "display_name": record.volunteer.get_display_name(),
        },
        "source": record.source,
        **text_fields(text),
        **extra,
    }


def log_hours(
    *,
    actor,
    task: Task,
    hours,
    date: datetime.date,
    note: str = "",
    volunteer=None,
) -> ServiceRecord:
    """A member logs hours on the task their team holds (a leader or staff may log for a
    member). The record waits for review.

    The date is not in the future nor before the task existed (in the community's time zone,
    settings.TIME_ZONE), and one person's pending and approved hours of one date never add up
    to more than 24: the volunteer's user row is locked while their day is summed, so two
    concurrent logs of the same person are counted one after the other."""
    _require_signed_in(actor)
    task = _reload(task)
    volunteer = volunteer or actor
    if not perms.may_log_hours(actor, task, volunteer):
        raise NotAllowed(_("Only members of the team that holds the task can log hours on it."))
    errors = {}
    try:
        hours = _parse_hours(hours)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    local = timezone.get_default_timezone()
    if not isinstance(date, datetime.date):
        errors["date"] = [_("Enter a date.")]
    elif date > timezone.localdate(timezone=local):
        errors["date"] = [_("The date cannot be in the future.")]
    elif date < timezone.localtime(task.created_at, local).date():
        errors["date"] = [_("The date cannot be before the task was created.")]
    if len(note or "") > 300:
        errors["note"] = [_("Keep the note under 300 characters.")]
    if errors:
        raise ValidationError(errors)
    if task.status not in perms.HOURS_STATUSES:
        raise Conflict(
            _("Hours can be logged only on a task a team has taken on."),
            code="wrong_state",
            extra={"current_status": task.status},
        )
    if volunteer.pk == actor.pk:
        source = ServiceRecord.Source.SELF
    elif perms.is_team_leader(actor, task.team_id):
        source = ServiceRecord.Source.LEADER
    else:
        source = ServiceRecord.Source.STAFF
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=volunteer.pk).first()
        logged = ServiceRecord.objects.filter(
            volunteer=volunteer, date=date, status__in=COUNTED_HOURS
        ).aggregate(total=Sum("hours"))["total"] or Decimal(0)
        if logged + hours > DAY_HOURS_MAX:
            raise ValidationError(
                {
                    "hours": [
                        _(
                            "%(name)s already has %(logged)s hours on %(date)s; a day holds at "
                            "most 24."
                        )
                        % {
                            "name": volunteer.get_display_name(),
                            "logged": f"{logged.normalize():f}",
                            "date": date.isoformat(),
                        }
                    ]
                }
            )
        record = ServiceRecord.objects.create(
            volunteer=volunteer,
            task=task,
            team=task.team,
            date=date,
            hours=hours,
            note=note or "",
            source=source,
            logged_by=actor,
        )
        log(
            instance=record,
            action="linli.hours.log",
            user=actor,
            data={"hours": str(hours), "task": task.pk, "volunteer": volunteer.pk},
        )
        text = localized(
            gettext_lazy("%(name)s logged %(hours)s hours."),
            {"name": volunteer.get_display_name(), "hours": hours},
        )
        data = record_data(record, text, day_hours=hours_text(logged + hours))
        publish(topic=f"task:{task.pk}", type="hours.logged", data=data, actor=actor)
        reviewers = set(_leader_ids(task.team_id)) | {volunteer.pk}
        reviewers.discard(actor.pk)
        for user_id in sorted(reviewers):
            publish(topic=f"user:{user_id}", type="hours.logged", data=data, actor=actor)
    return record


def _review(actor, record: ServiceRecord, status: str, reason: str = "") -> ServiceRecord:
    _require_signed_in(actor)
    record = ServiceRecord.objects.select_related("task__community", "team", "volunteer").get(
        pk=record.pk
    )
    if perms.is_own_record(actor, record):
        raise NotAllowed(_("Nobody reviews their own hours."), code="own_work")
    if perms.is_own_hours_work(actor, record):
        raise NotAllowed(
            _("Another reviewer must check hours you logged yourself."), code="own_work"
        )
    if not perms.may_review_hours(actor, record):
        raise NotAllowed(_("Only the team's leader or community staff can review these hours."))
    with transaction.atomic():
        now = timezone.now()
        updated = ServiceRecord.objects.filter(
            pk=record.pk, status=ServiceRecord.Status.PENDING
        ).update(status=status, reviewer=actor, reviewed_at=now, decline_reason=reason)
        if not updated:
            raise Conflict(
                _("These hours were already reviewed."),
                code="wrong_state",
                extra={"current_status": ServiceRecord.objects.get(pk=record.pk).status},
            )
        record.refresh_from_db()
        log(
            instance=record,
            action=f"linli.hours.{'approve' if status == 'approved' else 'decline'}",
            user=actor,
            data={"hours": str(record.hours), "reason": reason},
        )
        total = approved_hours(record.volunteer)
        values = {"hours": record.hours}
        if status == ServiceRecord.Status.APPROVED:
            type = "hours.approved"
            text = localized(gettext_lazy("%(hours)s hours were approved."), values)
        else:
            type = "hours.declined"
            text = localized(
                gettext_lazy("%(hours)s hours were declined: %(reason)s"),
                {**values, "reason": reason},
            )
        data = record_data(
            record,
            text,
            reason=reason or None,
            total_hours=str(total),
            stars=star_level(total),
        )
        publish(topic=f"user:{record.volunteer_id}", type=type, data=data, actor=actor)
        publish(topic=f"task:{record.task_id}", type=type, data=data, actor=actor)
    return record


def approve_hours(*, actor, record: ServiceRecord) -> ServiceRecord:
    return _review(actor, record, ServiceRecord.Status.APPROVED)


def decline_hours(*, actor, record: ServiceRecord, reason: str) -> ServiceRecord:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the hours are declined.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    return _review(actor, record, ServiceRecord.Status.DECLINED, reason)


# --- team membership ---------------------------------------------------------------------------


def request_team_membership(*, actor, team: Team, note: str = "") -> TeamMembership:
    """A verified resident asks to join a team; a leader approves."""
    _require_signed_in(actor)
    existing = TeamMembership.objects.filter(team=team, user=actor).first()
    if existing and existing.status in ("pending", "active"):
        raise Conflict(
            _("You already asked to join or are a member."),
            code="already_member",
            extra={"current_status": existing.status},
        )
    if not perms.can_request_team_membership(actor, team):
        raise NotAllowed(_("Only verified residents can join an active team."))
    with transaction.atomic():
        membership, _created = TeamMembership.objects.update_or_create(
            team=team,
            user=actor,
            defaults={
                "status": TeamMembership.Status.PENDING,
                "role": TeamMembership.Role.MEMBER,
                "note": (note or "")[:200],
                "decided_by": None,
                "decided_at": None,
            },
        )
        log(instance=membership, action="linli.team.request", user=actor, data={"team": team.pk})
        data = {
            "id": membership.pk,
            "team": team_ref(team),
            "user": {"id": actor.pk, "display_name": actor.get_display_name()},
            "status": membership.status,
            **text_fields(
                localized(
                    gettext_lazy("%(name)s asked to join %(team)s."),
                    {"name": actor.get_display_name(), "team": team.name},
                )
            ),
        }
        for user_id in _leader_ids(team.pk):
            publish(topic=f"user:{user_id}", type="team.member_requested", data=data, actor=actor)
    return membership


def _decide_membership(actor, membership: TeamMembership, status: str) -> TeamMembership:
    _require_signed_in(actor)
    membership = TeamMembership.objects.select_related("team", "user").get(pk=membership.pk)
    if perms.is_own_team_membership(actor, membership.user_id):
        raise NotAllowed(_("Nobody decides on their own request to join."), code="own_work")
    if not perms.may_decide_team_membership(actor, membership):
        raise NotAllowed(_("Only the team's leaders or community staff can decide this."))
    with transaction.atomic():
        now = timezone.now()
        if not TeamMembership.objects.filter(
            pk=membership.pk, status=TeamMembership.Status.PENDING
        ).update(status=status, decided_by=actor, decided_at=now):
            raise Conflict(_("This request was already decided."), code="wrong_state")
        membership.refresh_from_db()
        team = membership.team
        log(
            instance=membership,
            action=f"linli.team.{'approve' if status == 'active' else 'decline'}",
            user=actor,
            data={"team": team.pk, "user": membership.user_id},
        )
        name = membership.user.get_display_name()
        if status == TeamMembership.Status.ACTIVE:
            data = {
                "id": membership.pk,
                "team": team_ref(team),
                "user": {"id": membership.user_id, "display_name": name},
                "status": status,
                **text_fields(
                    localized(
                        gettext_lazy("%(name)s joined %(team)s."), {"name": name, "team": team.name}
                    )
                ),
            }
            publish(topic=f"team:{team.pk}", type="team.member_joined", data=data, actor=actor)
            publish(
                topic=f"user:{membership.user_id}",
                type="team.member_joined",
                data=data,
                actor=actor,
            )
        else:
            data = {
                "id": membership.pk,
                "team": team_ref(team),
                "status": status,
                **text_fields(
                    localized(
                        gettext_lazy("Your request to join %(team)s was declined."),
                        {"team": team.name},
                    )
                ),
            }
            publish(
                topic=f"user:{membership.user_id}",
                type="team.member_declined",
                data=data,
                actor=actor,
            )
    return membership


def approve_team_membership(*, actor, membership: TeamMembership) -> TeamMembership:
    return _decide_membership(actor, membership, TeamMembership.Status.ACTIVE)


def decline_team_membership(*, actor, membership: TeamMembership) -> TeamMembership:
    return _decide_membership(actor, membership, TeamMembership.Status.DECLINED)


# --- needs -------------------------------------------------------------------------------------


def need_data(need: Need, text: str = "", **extra) -> dict:
    return {
        "id": need.pk,
        "status": need.status,
        "category": need.category,
        "private": need.private,
        "community": {"id": need.community_id, "name": need.community.name},
        "requester": {"id": need.requester_id, "display_name": need.requester.get_display_name()},
        **text_fields(text),
        **extra,
    }


def file_need(
    *,
    actor,
    community: Community,
    category: str,
    description: str,
    private: bool = False,
    on_behalf_of=None,
    client_key=None,
) -> Need:
    """A verified resident asks for help. Staff of the community are told.

    With `on_behalf_of`, staff file it for a verified member who came to the service station:
    the resident is the requester (and is told), the need is marked assisted and records who
    filed it (audited as `linli.need.assisted`)."""
    _require_signed_in(actor)
    on_behalf_of = assisted_resident(
        actor=actor,
        community=community,
        on_behalf_of=on_behalf_of,
        refused=_("Only community staff can ask for help for a resident."),
    )
    assisted = on_behalf_of is not None
    if not assisted and not perms.can_file_need(actor, community):
        raise NotAllowed(_("Only verified residents of this community can ask for help here."))
    requester = on_behalf_of if assisted else actor
    # A phone's draft sent again (client_key, see core/drafts.py) gets the need it made.
    existing = already_filed(Need, requester=requester, client_key=client_key)
    if existing is not None:
        return existing
    description = (description or "").strip()
    errors = {}
    if category not in Need.Category.values:
        errors["category"] = _("Choose a category.")
    if not description:
        errors["description"] = _("Describe what help you need.")
    elif len(description) > 2000:
        errors["description"] = _("Keep the description under 2000 characters.")
    if errors:
        raise ValidationError(errors)
    once = FiledOnce(Need, requester=requester, client_key=client_key)
    with once, transaction.atomic():
        need = Need.objects.create(
            community=community,
            requester=requester,
            client_key=client_key,
            category=category,
            description=description,
            private=bool(private),
            assisted=assisted,
            recorded_by=actor if assisted else None,
        )
        if assisted:
            log(
                instance=need,
                action="linli.need.assisted",
                user=actor,
                data={"category": category, "resident": requester.pk},
            )
        else:
            log(instance=need, action="linli.need.file", user=actor, data={"category": category})
        text = localized(
            gettext_lazy("%(name)s asked for help: %(category)s."),
            {"name": requester.get_display_name(), "category": Need.Category(need.category).label},
        )
        data = need_data(need, text)
        for user_id in sorted(set(_staff_ids(community)) | {requester.pk}):
            publish(topic=f"user:{user_id}", type="need.filed", data=data, actor=actor)
    if once.existing is not None:
        return once.existing
    return need


def _need_guard(actor, need: Need) -> None:
    if perms.is_own_need(actor, need) and perms.is_staff_of(actor, need.community):
        raise NotAllowed(
            _("Another staff member must decide this: the request for help is your own."),
            code="own_work",
        )
    if not perms.may_decide_need(actor, need):
        raise NotAllowed(_("Only community staff can decide on requests for help."))


def accept_need(
    *,
    actor,
    need: Need,
    title: str = "",
    description: str | None = None,
    location: str = "",
    priority: str = Task.Priority.NORMAL,
    required_skills=None,
    sensitive: bool | None = None,
    due_at=None,
    team: Team | None = None,
) -> Task:
    """Staff accept a need: the task is created in the same transaction. A private need
    becomes a sensitive task unless staff say otherwise."""
    _require_signed_in(actor)
    need = Need.objects.select_related("community", "requester").get(pk=need.pk)
    _need_guard(actor, need)
    if required_skills is None:
        slug = Need.CATEGORY_SKILL.get(need.category)
        required_skills = list(Skill.objects.filter(slug=slug)) if slug else []
    with transaction.atomic():
        now = timezone.now()
        if not Need.objects.filter(pk=need.pk, status=Need.Status.OPEN).update(
            status=Need.Status.ACCEPTED, decided_by=actor, decided_at=now
        ):
            raise Conflict(_("This request was already decided."), code="wrong_state")
        need.refresh_from_db()
        task = create_task(
            actor=actor,
            community=need.community,
            title=title
            or default_text(
                gettext_lazy("Help request: %(category)s"),
                {"category": Need.Category(need.category).label},
            ),
            description=need.description if description is None else description,
            location=location,
            priority=priority,
            required_skills=required_skills,
            sensitive=need.private if sensitive is None else sensitive,
            due_at=due_at,
            team=team,
            origin=Task.Origin.NEED,
            need=need,
        )
        log(instance=need, action="linli.need.accept", user=actor, data={"task": task.pk})
        data = need_data(
            need,
            localized(
                gettext_lazy(
                    "Your request for help was accepted; a volunteer team will take it on."
                )
            ),
            task={"id": task.pk, "status": task.status, "url": task.get_absolute_url()},
        )
        publish(topic=f"user:{need.requester_id}", type="need.accepted", data=data, actor=actor)
    return task


def decline_need(*, actor, need: Need, reason: str) -> Need:
    _require_signed_in(actor)
    need = Need.objects.select_related("community", "requester").get(pk=need.pk)
    _need_guard(actor, need)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is declined.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    with transaction.atomic():
        now = timezone.now()
        if not Need.objects.filter(pk=need.pk, status=Need.Status.OPEN).update(
            status=Need.Status.DECLINED, decided_by=actor, decided_at=now, decline_reason=reason
        ):
            raise Conflict(_("This request was already decided."), code="wrong_state")
        need.refresh_from_db()
        log(instance=need, action="linli.need.decline", user=actor, data={"reason": reason})
        data = need_data(
            need,
            localized(
                gettext_lazy("Your request for help was declined: %(reason)s"), {"reason": reason}
            ),
            reason=reason,
        )
        publish(topic=f"user:{need.requester_id}", type="need.declined", data=data, actor=actor)
    return need
