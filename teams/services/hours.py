"""Service hours: a member logs them on the task their team holds; a leader or staff review them."""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from core.errors import Conflict, NotAllowed
from core.reasons import required_reason
from live.services import publish
from live.texts import localized, text_fields

from .. import inbox, ledger
from .. import permissions as perms
from ..models import ServiceRecord, Task, star_level
from .common import leader_ids, reload_task, require_signed_in


def _parse_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"hours": _("Enter the hours as a number.")}) from None
    if not hours.is_finite() or hours <= 0 or hours > 24:
        raise ValidationError({"hours": _("Hours must be more than 0 and at most 24.")})
    return hours


DAY_HOURS_MAX = Decimal(24)


def hours_text(hours: Decimal) -> str:
    """Hours as the API and events write them: "14.50"."""
    return str(Decimal(hours).quantize(Decimal("0.01")))


def record_data(record: ServiceRecord, text: str = "", **extra) -> dict:
    return {
        "id": record.pk,
        "status": record.status,
        "hours": str(record.hours),
        "date": record.date.isoformat(),
        "task": {"id": record.task_id} if record.task_id else None,
        "title": record.title,
        "team": {"id": record.team_id, "name": record.team.name} if record.team_id else None,
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
    require_signed_in(actor)
    task = reload_task(task)
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
            volunteer=volunteer, date=date, status__in=ServiceRecord.COUNTED_STATUSES
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
        reviewers = set(leader_ids(task.team_id)) | {volunteer.pk}
        reviewers.discard(actor.pk)
        for user_id in sorted(reviewers):
            publish(topic=f"user:{user_id}", type="hours.logged", data=data, actor=actor)
        inbox.hours_logged(record, actor=actor)
    return record


def _review(actor, record: ServiceRecord, status: str, reason: str = "") -> ServiceRecord:
    require_signed_in(actor)
    record = ServiceRecord.objects.select_related("community", "task", "team", "volunteer").get(
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
        total = ledger.approved_hours(volunteer=record.volunteer)
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
        if record.task_id:
            publish(topic=f"task:{record.task_id}", type=type, data=data, actor=actor)
    return record


def approve_hours(*, actor, record: ServiceRecord) -> ServiceRecord:
    return _review(actor, record, ServiceRecord.Status.APPROVED)


def decline_hours(*, actor, record: ServiceRecord, reason: str) -> ServiceRecord:
    reason = required_reason(reason, missing=_("Say why the hours are declined."))
    return _review(actor, record, ServiceRecord.Status.DECLINED, reason)
