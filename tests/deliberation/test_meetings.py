"""Council meetings: schedule, agenda, attendance, minutes, decisions; the API lists them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict, NotAllowed
from deliberation import services
from deliberation.models import AgendaItem, Meeting

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db


def test_schedule_record_and_read(world):
    first = make_proposal(world, status="discussion", title="绿化带杂物")
    second = make_proposal(world, status="voting", title="垃圾清运")
    meeting = services.schedule_meeting(
        actor=world.staff,
        council=world.council,
        starts_at=timezone.now() + timedelta(days=2),
        place="玉岭社区党群服务中心二楼",
        title="三月议事会",
        agenda=[first, second.pk],
    )
    assert [i.proposal_id for i in meeting.items.order_by("position")] == [first.pk, second.pk]

    services.record_attendance(
        actor=world.staff,
        meeting=meeting,
        attendees=[world.resident, world.rep],
        other_attendees="王阿姨\n李师傅\n",
    )
    meeting.refresh_from_db()
    assert meeting.attendance_count == 4
    services.record_minutes(actor=world.staff, meeting=meeting, minutes="大家同意周末清理。")
    services.record_decision(
        actor=world.staff, meeting=meeting, proposal=first, decision="由环境队周六清理"
    )
    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert AgendaItem.objects.get(meeting=meeting, proposal=first).decision == "由环境队周六清理"

    data = client_for(None).get(f"/api/v1/meetings/{meeting.pk}").json()
    assert data["title"] == "三月议事会"
    assert data["status"] == "held"
    assert data["minutes"] == "大家同意周末清理。"
    assert data["other_attendees"] == ["王阿姨", "李师傅"]
    assert {p["display_name"] for p in data["attendees"]} == {"居民甲", "代表"}
    assert data["agenda"][0] == {
        "proposal": {"id": first.pk, "name": "绿化带杂物"},
        "decision": "由环境队周六清理",
    }
    listed = client_for(None).get(f"/api/v1/communities/{world.yuling.pk}/meetings").json()
    assert listed["count"] == 1


def test_agenda_hides_invisible_proposals_from_others(world):
    hidden = make_proposal(world, status="discussion", hidden=True)
    shown = make_proposal(world, status="discussion")
    meeting = services.schedule_meeting(
        actor=world.staff,
        council=world.council,
        starts_at=timezone.now(),
        place="活动室",
        agenda=[hidden, shown],
    )
    public = client_for(None).get(f"/api/v1/meetings/{meeting.pk}").json()
    assert [a["proposal"]["id"] for a in public["agenda"]] == [shown.pk]
    staff = client_for(world.staff).get(f"/api/v1/meetings/{meeting.pk}").json()
    assert len(staff["agenda"]) == 2


@pytest.mark.parametrize("role", ["resident", "rep", "other_staff", "anonymous"])
def test_only_staff_manage_meetings(world, role):
    with pytest.raises(NotAllowed):
        services.schedule_meeting(
            actor=getattr(world, role),
            council=world.council,
            starts_at=timezone.now(),
            place="活动室",
        )


def test_agenda_must_hold_this_councils_proposals(world):
    from deliberation.models import Proposal

    foreign = Proposal.objects.create(
        council=world.other_council, author=world.outsider, title="t", body="b"
    )
    with pytest.raises(ValidationError):
        services.schedule_meeting(
            actor=world.staff,
            council=world.council,
            starts_at=timezone.now(),
            place="活动室",
            agenda=[foreign],
        )


def test_set_agenda_keeps_recorded_decisions(world):
    a = make_proposal(world, status="discussion")
    b = make_proposal(world, status="discussion")
    c = make_proposal(world, status="discussion")
    meeting = services.schedule_meeting(
        actor=world.staff, council=world.council, starts_at=timezone.now(), place="x", agenda=[a, b]
    )
    services.record_decision(actor=world.staff, meeting=meeting, proposal=a, decision="通过")
    services.set_agenda(actor=world.staff, meeting=meeting, proposals=[c, a])
    items = list(meeting.items.order_by("position"))
    assert [(i.proposal_id, i.decision) for i in items] == [(c.pk, ""), (a.pk, "通过")]


def test_cancel(world):
    meeting = services.schedule_meeting(
        actor=world.staff, council=world.council, starts_at=timezone.now(), place="x"
    )
    services.cancel_meeting(actor=world.staff, meeting=meeting, reason="下雨")
    assert Meeting.objects.get(pk=meeting.pk).status == "cancelled"
    held = services.schedule_meeting(
        actor=world.staff, council=world.council, starts_at=timezone.now(), place="x"
    )
    services.record_minutes(actor=world.staff, meeting=held, minutes="纪要")
    with pytest.raises(Conflict):
        services.cancel_meeting(actor=world.staff, meeting=held)


def test_council_rules_change_by_staff_only(world):
    services.update_council(
        actor=world.staff, council=world.council, voters="representatives", pass_percent=66
    )
    world.council.refresh_from_db()
    assert world.council.voters == "representatives"
    with pytest.raises(NotAllowed):
        services.update_council(actor=world.rep, council=world.council, pass_percent=10)
    with pytest.raises(ValidationError):
        services.update_council(actor=world.staff, council=world.council, pass_percent=100)
    with pytest.raises(ValidationError):
        services.update_council(actor=world.staff, council=world.council, community=world.other)
