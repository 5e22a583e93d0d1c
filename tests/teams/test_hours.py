"""Service hours: logged pending, reviewed by the team's leader or staff, never deleted; stars."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, NotAllowed
from live.models import Event
from teams import ledger, services
from teams.models import ServiceRecord, Task, star_level

from .conftest import client_for, make_task

TODAY = timezone.localdate  # the community's date (settings.TIME_ZONE), as the service's


@pytest.fixture
def task(world):
    task = make_task(world.yuling, team=world.team, status="in_progress")
    # A task of last week, so that hours may be logged on the days since.
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - datetime.timedelta(days=7))
    task.refresh_from_db()
    return task


def days_ago(n):
    return TODAY() - datetime.timedelta(days=n)


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
    declined = services.log_hours(actor=world.volunteer, task=task, hours=20, date=days_ago(1))
    services.decline_hours(actor=world.leader, record=declined, reason="不对")
    services.log_hours(actor=world.volunteer, task=task, hours=20, date=days_ago(1))  # pending
    assert ledger.standing(world.volunteer) == (Decimal("12"), 2)
    assert star_level(ledger.approved_hours(team=world.team)) == 2


def test_star_level_is_one_query(world, task, django_assert_num_queries):
    with django_assert_num_queries(1):
        ledger.standing(world.volunteer)


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


# --- hours are plausible; nobody approves their own (issue #22) ---------------------------------


def test_a_persons_day_holds_at_most_24_hours(world, task):
    services.log_hours(actor=world.volunteer, task=task, hours=10, date=TODAY())
    other = make_task(world.yuling, team=world.team, status="in_progress")
    record = services.log_hours(actor=world.volunteer, task=other, hours=10, date=TODAY())
    services.approve_hours(actor=world.leader, record=record)
    # Pending and approved count, whoever logs them and on whichever task.
    with pytest.raises(ValidationError) as info:
        services.log_hours(
            actor=world.leader, task=task, hours="4.5", date=TODAY(), volunteer=world.volunteer
        )
    assert "hours" in info.value.message_dict
    assert " 20 " in info.value.message_dict["hours"][0]  # what the day holds already
    services.log_hours(actor=world.volunteer, task=task, hours=4, date=TODAY())  # 24 in all
    # Declined hours do not count; another day or another person is another sum.
    declined = services.log_hours(actor=world.volunteer, task=task, hours=5, date=days_ago(1))
    services.decline_hours(actor=world.leader, record=declined, reason="不对")
    services.log_hours(actor=world.volunteer, task=task, hours=24, date=days_ago(1))
    services.log_hours(actor=world.leader, task=task, hours=24, date=TODAY())


def test_api_and_page_refuse_a_25th_hour(world, task):
    services.log_hours(actor=world.volunteer, task=task, hours=20, date=TODAY())
    client = client_for(world.volunteer)
    response = client.post(
        f"/api/v1/tasks/{task.pk}/hours",
        {"hours": "5", "date": TODAY().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    page = client.post(
        reverse("teams:task_hours", args=[task.pk]),
        {"hours-hours": "5", "hours-date": TODAY().isoformat()},
    )
    assert page.status_code == 400 and "errorlist" in page.content.decode()
    assert ServiceRecord.objects.filter(volunteer=world.volunteer).count() == 1


def test_no_date_before_the_task_existed(world):
    task = make_task(world.yuling, team=world.team, status="in_progress")  # created now
    with pytest.raises(ValidationError) as info:
        services.log_hours(actor=world.volunteer, task=task, hours=1, date=days_ago(1))
    assert "date" in info.value.message_dict
    response = client_for(world.volunteer).post(
        f"/api/v1/tasks/{task.pk}/hours",
        {"hours": "1", "date": days_ago(1).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    services.log_hours(actor=world.volunteer, task=task, hours=1, date=TODAY())


def test_dates_are_the_communitys_local_dates(world, task, settings):
    # 20:30 UTC on the 1st is 04:30 on the 2nd in Shanghai: the 2nd is today, not the future.
    assert settings.TIME_ZONE == "Asia/Shanghai"
    moment = datetime.datetime(2026, 3, 1, 20, 30, tzinfo=datetime.UTC)
    Task.objects.filter(pk=task.pk).update(created_at=moment - datetime.timedelta(days=1))
    task.refresh_from_db()
    with timezone.override("UTC"), _frozen(moment):
        services.log_hours(
            actor=world.volunteer, task=task, hours=1, date=datetime.date(2026, 3, 2)
        )
        with pytest.raises(ValidationError):
            services.log_hours(
                actor=world.volunteer, task=task, hours=1, date=datetime.date(2026, 3, 3)
            )


def _frozen(moment):
    from unittest import mock

    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.mark.parametrize("reviewer", ["staff", "superuser", "leader"])
def test_nobody_reviews_their_own_hours(world, task, reviewer):
    user = getattr(world, reviewer)
    from teams.models import TeamMembership

    TeamMembership.objects.get_or_create(team=world.team, user=user, defaults={"status": "active"})
    own = services.log_hours(actor=user, task=task, hours=24, date=TODAY())
    assert not services.perms.can_review_hours(user, own)
    for review in (
        lambda: services.approve_hours(actor=user, record=own),
        lambda: services.decline_hours(actor=user, record=own, reason="不对"),
    ):
        with pytest.raises(NotAllowed) as info:
            review()
        assert info.value.code == "own_work"
    response = client_for(user).post(
        f"/api/v1/hours/{own.pk}/approve", "{}", content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "own_work"
    # The review page shows no buttons for one's own record, and the POST is refused.
    page = client_for(user).get(reverse("teams:team_hours", args=[world.team.pk]))
    action = reverse("teams:hours_review", args=[world.team.pk, own.pk])
    assert action not in page.content.decode()
    client_for(user).post(action, {"decision": "approve"})
    own.refresh_from_db()
    assert own.status == "pending"
    # Nor through the admin's review page, which calls the same service.
    from communities.services import sync_staff_access

    if sync_staff_access(user) or user.is_superuser:
        review = reverse("teams_hours:edit", args=[own.pk])
        assert client_for(user).post(review, {"decision": "approve"}).status_code in (200, 403)
        own.refresh_from_db()
        assert own.status == "pending"


def test_reviewers_see_the_days_total(world, task):
    first = services.log_hours(actor=world.volunteer, task=task, hours=8, date=TODAY())
    other = make_task(world.yuling, team=world.team, status="in_progress")
    second = services.log_hours(actor=world.volunteer, task=other, hours="6.5", date=TODAY())
    services.log_hours(actor=world.volunteer, task=task, hours=3, date=days_ago(1))
    logged = Event.objects.filter(topic=f"user:{world.leader.pk}", type="hours.logged").first()
    assert logged.data["day_hours"] == "8.00"
    # The hours page of the team, per record.
    html = client_for(world.leader).get(reverse("teams:team_hours", args=[world.team.pk]))
    html = html.content.decode()
    totals = re.findall(r'class="muted day-hours">([^<]*)<', html)
    assert len(totals) == 3
    assert sum("14.50" in t for t in totals) == 2 and sum(" 3 " in f" {t}" for t in totals) == 1
    # The API's record data.
    response = client_for(world.leader).post(
        f"/api/v1/hours/{first.pk}/approve", "{}", content_type="application/json"
    )
    assert response.json()["day_hours"] == "14.50"
    # The admin listing and review page.
    from communities.services import sync_staff_access

    sync_staff_access(world.staff)
    staff = client_for(world.staff)
    listing = staff.get(reverse("teams_hours:index")).content.decode()
    assert "14.50" in listing
    review = staff.get(reverse("teams_hours:edit", args=[second.pk])).content.decode()
    assert "14.50" in review
