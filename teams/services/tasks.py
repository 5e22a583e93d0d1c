"""The task lifecycle: create, claim, release, dispatch, progress updates, verify, reopen and
cancel, and the events that announce each change of status.

Topics: `task:<id>` (restricted for sensitive tasks, so it carries full data), `team:<id>` and
`community:<id>` (public: sensitive tasks appear redacted), `user:<id>` (the people concerned).
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from communities.models import Community
from core.errors import Conflict, NotAllowed
from core.images import clean_image
from live.services import publish, publish_many
from live.texts import localized, text_fields

from .. import inbox
from .. import permissions as perms
from ..models import Need, Skill, Task, TaskUpdate, Team
from ..signals import task_status_changed, task_watchers
from .common import leader_ids, reload_task, require_signed_in, staff_ids, team_ref

S = Task.Status


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
        "required_skills": task.skill_slugs(),  # read with the task by reload_task
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
    return reload_task(task)


def _skills(slugs) -> list[Skill]:
    slugs = [s.slug if isinstance(s, Skill) else str(s) for s in (slugs or [])]
    found = {skill.slug: skill for skill in Skill.objects.filter(slug__in=slugs)}
    unknown = sorted(set(slugs) - set(found))
    if unknown:
        raise ValidationError(
            {"required_skills": _("Unknown skill: %(slugs)s.") % {"slugs": ", ".join(unknown[:5])}}
        )
    return list(found.values())


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
    require_signed_in(actor)
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
        task = reload_task(task)
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
        inbox.task_created(task, actor=actor)
        if team is not None:
            text = localized(gettext_lazy("Your team was asked to take on: %(title)s"), values)
            redacted = localized(
                gettext_lazy("Your team was asked to take on a confidential task.")
            )
            shown = task_public_data(task, text, redacted, dispatched=True)
            publish(topic=f"team:{team.pk}", type="task.dispatched", data=shown, actor=actor)
            for user_id in leader_ids(team.pk):
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
    require_signed_in(actor)
    if not perms.is_team_leader(actor, team):
        raise NotAllowed(_("Only a leader of this team can take tasks for it."))
    if not perms.team_may_take(task, team):
        # The page shows a leader the same reason (perms.claim_refusals).
        refusal = perms.team_refusal(task, team)
        if refusal is None:
            raise NotAllowed(
                _("This team cannot take this task (skills, community or dispatch do not match).")
            )
        raise NotAllowed(refusal.text, extra={"reason": refusal.code})
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
        task = reload_task(task)
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
    require_signed_in(actor)
    task = reload_task(task)
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
            staff = set(staff_ids(task.community)) - {actor.pk}
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
    require_signed_in(actor)
    task = reload_task(task)
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
        task = reload_task(task)
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
        for user_id in leader_ids(team.pk):
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
    require_signed_in(actor)
    task = reload_task(task, member=actor)
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
        notices = _progress_notices(task, update, entry, actor=actor)
        if not (status and status != old_status):
            publish_many([updated, *notices], actor=actor)
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
                # The update and its notices first, then the status it brought.
                after=[updated, *notices],
            )
            _status_changed(task, actor)
            if status == S.DONE:
                inbox.task_done(task, actor=actor)
    return update


# The part of an update's text that its notice quotes.
NOTICE_QUOTE = 140


def _progress_notices(task: Task, update: TaskUpdate, entry: dict, *, actor) -> list:
    """The `task.progress` events for whoever follows the task (its own followers and those
    other apps name, teams.signals.task_watchers) and may see it in full now, but the author
    of the update: with the text, the link and the photo's access-checked thumbnail. A
    sensitive task's notice reaches only the people inside the case; nobody outside it is
    told, not even that something happened. One query, however many follow (and what the
    other apps ask: deliberation one for a task that came from a proposal)."""
    watchers = set()
    for _receiver, found in task_watchers.send(sender=Task, task=task):
        watchers.update(found or ())
    followers = get_user_model().objects.filter(Q(task_follows__task=task) | Q(pk__in=watchers))
    readers = perms.task_detail_readers(task, followers.exclude(pk=actor.pk))
    if not readers:
        return []
    values = {"name": actor.get_display_name(), "title": task.title}
    if update.text:
        quote = update.text[:NOTICE_QUOTE] + ("…" if len(update.text) > NOTICE_QUOTE else "")
        message = gettext_lazy("%(name)s on “%(title)s”: %(text)s")
        values["text"] = quote
    elif update.photo:
        message = gettext_lazy("%(name)s posted a photo of “%(title)s”.")
    else:
        message = gettext_lazy("%(name)s posted an update on “%(title)s”.")
    data = task_data(task, localized(message, values), update=entry, photo=entry["photo"])
    return [(f"user:{user_id}", "task.progress", data) for user_id in sorted(readers)]


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
    require_signed_in(actor)
    task = reload_task(task)
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
    require_signed_in(actor)
    task = reload_task(task)
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
    require_signed_in(actor)
    task = reload_task(task)
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
