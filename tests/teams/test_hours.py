"""Service hours: logged pending, reviewed by the team's leader or staff, never deleted; stars."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from config.errors import Conflict, NotAllowed
from live.models import Event
from teams import services
from teams.models import ServiceRecord, approved_hours, star_level, volunteer_star_level

from .conftest import client_for, make_task

TODAY = datetime.date.today


@pytest.fixture
def task(world):
    return make_task(world.yuling, team=world.team, status="in_progress")


def test_log_and_approve(world, task):
    record = services.log_hours(actor=world.volunteer, task=task, hours="2.5", date=TODAY())
    assert (record.status, record.source, record.team, record.reviewer) == (
        "pending",
        "self",
        world.team,
        None,
    )
    assert Event.objects.filter(topic=f"user:{world.leader.pk}", type="hours.logged").exists()
    record = services.approve_hours(actor=world.leader, record=record)
    assert (record.status, record.reviewer) == ("approved", world.leader)
    assert record.reviewed_at is not None
    event = Event.objects.get(topic=f"user:{world.volunteer.pk}", type="hours.approved")
    assert event.data["total_hours"] == "2.50"
    assert event.data["stars"] == 0
    assert event.data["text"]
    with pytest.raises(Conflict):
        services.decline_hours(actor=world.staff, record=record, reason="晚了")


def test_decline_needs_reason_and_keeps_reviewer(world, task):
    record = services.log_hours(actor=world.volunteer, task=task, hours=3, date=TODAY())
    with pytest.raises(ValidationError):
        services.decline_hours(actor=world.leader, record=record, reason="  ")
    record = services.decline_hours(actor=world.staff, record=record, reason="与签到不符")
    assert (record.status, record.reviewer, record.decline_reason) == (
        "declined",
        world.staff,
        "与签到不符",
    )
    event = Event.objects.get(topic=f"user:{world.volunteer.pk}", type="hours.declined")
    assert event.data["reason"] == "与签到不符"


def test_leader_cannot_approve_own_hours(world, task):
    record = services.log_hours(actor=world.leader, task=task, hours=1, date=TODAY())
    with pytest.raises(NotAllowed):
        services.approve_hours(actor=world.leader, record=record)
    services.approve_hours(actor=world.staff, record=record)


def test_leader_and_staff_log_for_members(world, task):
    record = services.log_hours(
        actor=world.leader, task=task, hours=2, date=TODAY(), volunteer=world.volunteer
    )
    assert (record.volunteer, record.source, record.logged_by) == (
        world.volunteer,
        "leader",
        world.leader,
    )
    record = services.log_hours(
        actor=world.staff, task=task, hours=2, date=TODAY(), volunteer=world.volunteer
    )
    assert record.source == "staff"
    # Not for someone outside the team, and a plain member not for others.
    with pytest.raises(NotAllowed):
        services.log_hours(
            actor=world.leader, task=task, hours=2, date=TODAY(), volunteer=world.resident
        )
    with pytest.raises(NotAllowed):
        services.log_hours(
            actor=world.volunteer, task=task, hours=2, date=TODAY(), volunteer=world.leader
        )


@pytest.mark.parametrize("hours", ["0", "-1", "24.01", "abc", "NaN", "Infinity", None])
def test_hours_range(world, task, hours):
    with pytest.raises(ValidationError) as info:
        services.log_hours(actor=world.volunteer, task=task, hours=hours, date=TODAY())
    assert "hours" in info.value.message_dict


def test_future_date_refused(world, task):
    with pytest.raises(ValidationError) as info:
        services.log_hours(
            actor=world.volunteer,
            task=task,
            hours=1,
            date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "date" in info.value.message_dict


def test_open_task_takes_no_hours(world):
    other = make_task(world.yuling)
    with pytest.raises(NotAllowed):  # no team holds it, so nobody is its member
        services.log_hours(actor=world.volunteer, task=other, hours=1, date=TODAY())


def test_db_checks_hours(world, task):
    for hours in (Decimal("0"), Decimal("24.5")):
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceRecord.objects.create(
                volunteer=world.volunteer,
                task=task,
                team=world.team,
                date=TODAY(),
                hours=hours,
                source="self",
            )


def test_records_are_never_deleted(world, task):
    record = services.log_hours(actor=world.volunteer, task=task, hours=1, date=TODAY())
    with pytest.raises(PermissionDenied):
        record.delete()
    with pytest.raises(PermissionDenied):
        ServiceRecord.objects.all().delete()
    with pytest.raises(ProtectedError):
        task.delete()
    with pytest.raises(ProtectedError):
        world.volunteer.delete()
    assert ServiceRecord.objects.filter(pk=record.pk).exists()


def test_star_levels_follow_settings(settings, world, task):
    assert settings.STAR_LEVEL_THRESHOLDS == [100, 300, 600, 1000, 1500]
    assert [star_level(h) for h in (0, 99.99, 100, 299, 300, 600, 999, 1000, 1500, 9000)] == [
        0,
        0,
        1,
        1,
        2,
        3,
        3,
        4,
        5,
        5,
    ]
    settings.STAR_LEVEL_THRESHOLDS = [5, 10, 15, 20, 25]
    for _ in range(3):
        record = services.log_hours(actor=world.volunteer, task=task, hours=4, date=TODAY())
        services.approve_hours(actor=world.leader, record=record)
    declined = services.log_hours(actor=world.volunteer, task=task, hours=20, date=TODAY())
    services.decline_hours(actor=world.leader, record=declined, reason="不对")
    services.log_hours(actor=world.volunteer, task=task, hours=20, date=TODAY())  # pending
    assert approved_hours(world.volunteer) == Decimal("12")
    assert volunteer_star_level(world.volunteer) == 2
    assert world.team.star_level() == 2


def test_star_level_is_one_query(world, task, django_assert_num_queries):
    with django_assert_num_queries(1):
        volunteer_star_level(world.volunteer)


def test_api_hours_fields_and_errors(world, task):
    client = client_for(world.volunteer)
    response = client.post(
        f"/api/v1/tasks/{task.pk}/hours",
        {"hours": 2, "date": TODAY().isoformat(), "note": "打扫"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"id", "status", "hours", "date", "task", "team", "volunteer", "source"}
    assert (body["status"], body["hours"], body["source"]) == ("pending", "2.00", "self")
    for bad in (
        {"hours": 0, "date": "2024-01-01"},
        {"hours": 25, "date": "2024-01-01"},
        {"hours": 2, "date": "not-a-date"},
        {"hours": "x", "date": "2024-01-01"},
        {"hours": 1.234, "date": "2024-01-01"},
    ):
        response = client.post(
            f"/api/v1/tasks/{task.pk}/hours", bad, content_type="application/json"
        )
        assert response.status_code == 400, bad
        assert response.json()["errors"]
    response = client_for(world.leader).post(
        f"/api/v1/hours/{body['id']}/decline", {}, content_type="application/json"
    )
    assert response.status_code == 400
    response = client_for(world.leader).post(f"/api/v1/hours/{body['id']}/approve")
    assert response.status_code == 200
    assert response.json()["reviewer"]["id"] == world.leader.pk
    assert client_for(world.leader).post("/api/v1/hours/999999/approve").status_code == 404
