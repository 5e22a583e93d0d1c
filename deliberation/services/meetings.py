"""Council meetings: scheduling, the agenda, attendance, minutes and the decisions taken."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotAllowed
from live.services import publish

from .. import permissions as perms
from ..models import AgendaItem, Council, Meeting, Proposal
from .common import audit, clean_text


def _meeting_guard(actor, council: Council) -> None:
    if not perms.can_manage_meetings(actor, council):
        raise NotAllowed(_("Only community staff can manage council meetings."))


def _agenda_proposals(council: Council, proposals) -> list[Proposal]:
    ids = [p.pk if isinstance(p, Proposal) else int(p) for p in proposals or []]
    found = {p.pk: p for p in Proposal.objects.filter(pk__in=ids, council=council)}
    if len(found) != len(set(ids)):
        raise ValidationError({"agenda": [gettext("Choose proposals of this council.")]})
    return [found[i] for i in dict.fromkeys(ids)]


def schedule_meeting(*, actor, council: Council, starts_at, place, title="", agenda=()) -> Meeting:
    _meeting_guard(actor, council)
    place = clean_text(place, field="place", max_length=200)
    title = clean_text(title, field="title", max_length=120, required=False)
    if starts_at is None:
        raise ValidationError({"starts_at": [gettext("This field is required.")]})
    proposals = _agenda_proposals(council, agenda)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            council=council, starts_at=starts_at, place=place, title=title, created_by=actor
        )
        AgendaItem.objects.bulk_create(
            [AgendaItem(meeting=meeting, proposal=p, position=i) for i, p in enumerate(proposals)]
        )
        audit(meeting, "linli.meeting.schedule", actor, agenda=[p.pk for p in proposals])
        publish(
            topic=f"community:{council.community_id}",
            type="meeting.scheduled",
            data={
                "meeting": {"id": meeting.pk, "title": str(meeting), "place": place},
                "starts_at": meeting.starts_at.isoformat(),
                "url": meeting.get_absolute_url(),
            },
            actor=actor,
        )
    return meeting


def set_agenda(*, actor, meeting: Meeting, proposals) -> Meeting:
    """Replace the agenda (decisions already recorded for kept items stay)."""
    _meeting_guard(actor, meeting.council)
    chosen = _agenda_proposals(meeting.council, proposals)
    with transaction.atomic():
        AgendaItem.objects.filter(meeting=meeting).exclude(proposal__in=chosen).delete()
        for position, proposal in enumerate(chosen):
            AgendaItem.objects.update_or_create(
                meeting=meeting, proposal=proposal, defaults={"position": position}
            )
        audit(meeting, "linli.meeting.agenda", actor, agenda=[p.pk for p in chosen])
    return meeting


def record_attendance(
    *, actor, meeting: Meeting, attendees=(), other_attendees="", attendance_count=None
) -> Meeting:
    """Who came: people with an account, names of others, and the head count."""
    _meeting_guard(actor, meeting.council)
    names = clean_text(other_attendees, field="other_attendees", max_length=2000, required=False)
    users = list(attendees or [])
    name_count = len([line for line in names.splitlines() if line.strip()])
    if attendance_count is None:
        attendance_count = len(users) + name_count
    if not isinstance(attendance_count, int) or attendance_count < 0 or attendance_count > 100000:
        raise ValidationError({"attendance_count": [gettext("Enter a number of people.")]})
    with transaction.atomic():
        meeting.attendees.set(users)
        meeting.other_attendees = names
        meeting.attendance_count = attendance_count
        meeting.save(update_fields=["other_attendees", "attendance_count", "updated_at"])
        audit(
            meeting,
            "linli.meeting.attendance",
            actor,
            attendees=[u.pk for u in users],
            count=attendance_count,
        )
    return meeting


def record_minutes(*, actor, meeting: Meeting, minutes, held: bool = True) -> Meeting:
    _meeting_guard(actor, meeting.council)
    minutes = clean_text(minutes, field="minutes", max_length=20000)
    with transaction.atomic():
        meeting.minutes = minutes
        fields = ["minutes", "updated_at"]
        if held and meeting.status != Meeting.Status.HELD:
            meeting.status = Meeting.Status.HELD
            fields.append("status")
        meeting.save(update_fields=fields)
        audit(meeting, "linli.meeting.minutes", actor, held=meeting.status == "held")
    return meeting


def record_decision(*, actor, meeting: Meeting, proposal: Proposal, decision) -> AgendaItem:
    """What the meeting decided about one agenda item (added to the agenda if missing)."""
    _meeting_guard(actor, meeting.council)
    if proposal.council_id != meeting.council_id:
        raise ValidationError({"proposal": [gettext("Choose a proposal of this council.")]})
    if perms.is_own_proposal(actor, proposal):
        raise NotAllowed(
            _("Another staff member must do this: the proposal is your own."), code="own_work"
        )
    decision = clean_text(decision, field="decision", max_length=2000)
    with transaction.atomic():
        item, _created = AgendaItem.objects.get_or_create(
            meeting=meeting,
            proposal=proposal,
            defaults={"position": AgendaItem.objects.filter(meeting=meeting).count()},
        )
        item.decision = decision
        item.save(update_fields=["decision"])
        audit(meeting, "linli.meeting.decision", actor, proposal=proposal.pk, decision=decision)
    return item


def cancel_meeting(*, actor, meeting: Meeting, reason="") -> Meeting:
    _meeting_guard(actor, meeting.council)
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        if meeting.status == Meeting.Status.HELD:
            raise Conflict(_("A meeting that was held cannot be cancelled."))
        meeting.status = Meeting.Status.CANCELLED
        meeting.save(update_fields=["status", "updated_at"])
        audit(meeting, "linli.meeting.cancel", actor, reason=reason)
    return meeting
