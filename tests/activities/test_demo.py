"""The activities demo of 玉岭社区: a past 公益集市 with approved hours, a past training with
training records, an upcoming 邻里节 with places left, a full 集体生日会; idempotent."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from activities import demo, services
from activities.models import Activity, Attendance, Signup, TrainingRecord
from teams.models import ServiceRecord

pytestmark = pytest.mark.django_db


def load_all():
    from communities import demo as communities_demo
    from teams import demo as teams_demo

    out = io.StringIO()
    communities_demo.load(stdout=out)
    teams_demo.load(stdout=out)
    demo.load(stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Activity, Signup, Attendance, TrainingRecord, ServiceRecord)
    }


def test_demo_loads_twice_the_same():
    output = load_all()
    assert "activities: 4 new" in output
    first = counts()
    assert "activities: 0 new" in load_all()
    assert counts() == first


def test_past_fair_has_attendance_and_approved_hours_in_the_ledger():
    load_all()
    fair = Activity.objects.get(title=demo.FAIR, community__name="玉岭社区")
    assert fair.kind == "service" and fair.status == "finished"
    assert fair.team.name == "玉岭社区环境志愿服务队"
    assert fair.ends_at < timezone.now()
    assert fair.finished_by.email == "staff@example.com"
    attendances = {a.person.email: a for a in fair.attendances.select_related("person", "record")}
    assert set(attendances) == {
        "volunteer1@example.com",
        "leader1@example.com",
        "leader2@example.com",
    }
    assert {a.check_in_method for a in attendances.values()} == {"sheet"}
    # Arriving early and leaving late count nothing: the window is 8:30 to 11:30.
    assert attendances["volunteer1@example.com"].hours == Decimal("3.00")
    # The organiser corrected one line, with a reason.
    assert attendances["leader2@example.com"].record.hours == Decimal("2.00")
    assert attendances["leader2@example.com"].record.note

    record = ServiceRecord.objects.get(volunteer__email="volunteer1@example.com", title=demo.FAIR)
    assert record == attendances["volunteer1@example.com"].record
    assert (record.source, record.status, record.hours) == ("attendance", "approved", Decimal(3))
    assert record.community.name == "玉岭社区" and record.team == fair.team
    assert record.reviewer.email == "staff@example.com" and record.task is None
    assert record.date == timezone.localdate(fair.starts_at)
    assert not ServiceRecord.objects.filter(attendance__activity=fair, status="pending").exists()


def test_volunteer1_sees_the_fair_hours_in_my_hours(client):
    load_all()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(
        "/accounts/login/", {"login": "volunteer1@example.com", "password": "demo-pass-2026"}
    )
    page = client.get("/teams/my/hours/").content.decode()
    approved = page.split("Approved</h2>", 1)[1].split("</table>", 1)[0]
    assert demo.FAIR in approved


def test_past_training_keeps_training_records_not_hours():
    load_all()
    training = Activity.objects.get(title=demo.TRAINING)
    assert (training.kind, training.status) == ("training", "finished")
    records = TrainingRecord.objects.filter(activity=training)
    assert records.count() == 3
    assert {r.hours for r in records} == {Decimal("2.00")}
    assert not ServiceRecord.objects.filter(title=demo.TRAINING).exists()


def test_upcoming_festival_has_places_left_and_sign_ups():
    load_all()
    festival = Activity.objects.get(title=demo.FESTIVAL)
    assert (festival.kind, festival.status, festival.audience) == (
        "event",
        "published",
        "residents",
    )
    assert festival.starts_at > timezone.now()
    numbers = services.counts(festival)
    assert numbers["confirmed_count"] == 5 and numbers["waitlist_count"] == 0
    assert numbers["places_left"] == festival.quota - 5 > 0
    assisted = festival.signups.get(assisted=True)
    assert assisted.person.email == "resident6@example.com"
    assert assisted.recorded_by.email == "staff@example.com"


def test_birthday_party_is_full_with_a_waiting_list():
    load_all()
    party = Activity.objects.get(title=demo.BIRTHDAY)
    numbers = services.counts(party)
    assert numbers == {"confirmed_count": 3, "waitlist_count": 2, "places_left": 0}
    waiting = party.signups.filter(status="waitlisted").order_by("queue_number")
    assert [s.person.email for s in waiting] == ["resident5@example.com", "resident1@example.com"]


def test_demo_activity_pages_open_for_their_people(client):
    load_all()
    fair = Activity.objects.get(title=demo.FAIR)
    festival = Activity.objects.get(title=demo.FESTIVAL)
    assert client.get(f"/activities/{festival.pk}/").status_code == 200
    client.post("/accounts/login/", {"login": "leader1@example.com", "password": "demo-pass-2026"})
    page = client.get(f"/activities/{fair.pk}/attendance/")
    assert page.status_code == 200
    assert "郑小军" in page.content.decode()  # volunteer1 on the list of who came
    client.post(
        "/accounts/login/", {"login": "resident5@example.com", "password": "demo-pass-2026"}
    )
    assert client.get(f"/activities/{festival.pk}/").status_code == 200
    assert client.get("/activities/mine/").status_code == 200
