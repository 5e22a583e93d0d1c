"""Reads of certificates used by pages, API and admin, keyword-only."""

from django.utils import timezone
from django.utils.translation import gettext as _

from live import topics
from live.models import Event
from teams import ledger
from teams.permissions import task_details_checker

from . import idnumbers
from .models import Certificate, CertificateLine

#: The events that stand behind an hour: on the task's topic, and on the activity's
#: attendance topic (activities.services).
TASK_EVIDENCE = (
    "task.claimed",
    "task.dispatched",
    "task.updated",
    "task.status",
    "task.verified",
    "hours.logged",
    "hours.approved",
)
ATTENDANCE_EVIDENCE = (
    "attendance.checked_in",
    "attendance.checked_out",
    "attendance.corrected",
    "activity.finished",
)
EVIDENCE_LIMIT = 50


def verification(*, number) -> dict | None:
    """What anyone may learn from a certificate number: its status, the masked holder name,
    the issuer, the period and the hours; None for a number that was never issued."""
    if not isinstance(number, str) or not 6 <= len(number) <= 32:
        return None
    certificate = (
        Certificate.objects.filter(number=number.strip().upper())
        .exclude(status=Certificate.Status.REQUESTED)
        .select_related("community")
        .first()
    )
    if certificate is None:
        return None
    return {
        "number": certificate.number,
        "status": certificate.current_status,
        "status_label": certificate.get_current_status_display(),
        "holder": idnumbers.mask_name(certificate.holder_name),
        "issuer": certificate.issuer_name,
        "period_start": certificate.period_start,
        "period_end": certificate.period_end,
        "hours": certificate.total_hours,
        "issued_at": certificate.issued_at,
        "publicity_until": certificate.publicity_until,
        "revoked_at": certificate.revoked_at,
    }


def publicity_list(*, community, now=None):
    """Certificates of `community` (and below) on public notice now, newest first."""
    return (
        Certificate.objects.publicising(now=now or timezone.now())
        .filter(community__path__startswith=community.path)
        .select_related("community")
        .order_by("-issued_at", "-pk")
    )


def certifiable_records(*, certificate):
    """The approved hours the certificate covers: its holder's, recorded by its community's
    teams and activities (or those of the communities below it), in its period."""
    return (
        ledger.approved_records(
            volunteer=certificate.holder,
            community=certificate.community,
            start=certificate.period_start,
            end=certificate.period_end,
        )
        .select_related("task", "team")
        .order_by("date", "pk")
    )


def line_title(record, may_see) -> str:
    """What a line says was done: the task's or activity's title; a confidential task only as
    such, because a certificate travels (to a school, an employer)."""
    if record.task_id and (record.task.sensitive or not may_see(record.task)):
        return _("Confidential community service")
    return record.what


def lines_for(*, certificate, records) -> list[CertificateLine]:
    """The (unsaved) lines of `records`, titled as the holder may read them."""
    may_see = task_details_checker(certificate.holder)
    return [
        CertificateLine(
            certificate=certificate,
            record=record,
            date=record.date,
            title=line_title(record, may_see)[:200],
            team_name=record.team.name if record.team_id else "",
            hours=record.hours,
        )
        for record in records
    ]


def certificate_detail(*, pk: int):
    return Certificate.objects.select_related("community", "holder", "issued_by", "revoked_by").get(
        pk=pk
    )


def lines(*, certificate):
    return CertificateLine.objects.filter(certificate=certificate).select_related(
        "record", "record__task", "record__attendance"
    )


def evidence(*, viewer, line: CertificateLine) -> dict:
    """The events behind one line, read from the live log as `viewer` may see them now:
    {"count": n, "events": [...], "confidential": bool}. For a confidential task the
    viewer outside the case learns only that evidence exists (its count)."""
    record = line.record
    if record.task_id:
        task = record.task
        events = list(
            Event.objects.filter(topic=f"task:{task.pk}", type__in=TASK_EVIDENCE).order_by("id")[
                : EVIDENCE_LIMIT * 2
            ]
        )
        events = [event for event in events if _about_record(event, record)]
        if task.sensitive and not task_details_checker(viewer)(task):
            return {"count": len(events), "events": [], "confidential": True}
    else:
        attendance = getattr(record, "attendance", None)
        if attendance is None:
            return {"count": 0, "events": [], "confidential": False}
        events = [
            event
            for event in Event.objects.filter(
                topic=f"attendance:{attendance.activity_id}", type__in=ATTENDANCE_EVIDENCE
            ).order_by("id")[: EVIDENCE_LIMIT * 4]
            if event.type == "activity.finished"
            or (event.data or {}).get("person", {}).get("id") == record.volunteer_id
        ]
    shown = topics.as_seen_now(viewer, events)[:EVIDENCE_LIMIT]
    return {"count": len(events), "events": shown, "confidential": False}


def _about_record(event, record) -> bool:
    """Hours events count for their own record only; the work on the task (claim, updates,
    status, verification) stands behind every record of it."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.type.startswith("hours."):
        return data.get("id") == record.pk
    return True
