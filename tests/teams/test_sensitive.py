"""Sensitive tasks: details only for the community's staff and the team that holds it."""

import json

import pytest

from live import topics
from live.models import Event
from teams import services
from teams.models import Need
from teams.permissions import can_see_task_details, task_details_checker

from .conftest import ROLES, client_for

SECRET_TITLE = "家暴个案回访"
SECRET_TEXT = "住在5栋的一户人家"
SECRET_PLACE = "5栋2单元"
SEES = {"other_leader", "staff", "superuser"}


@pytest.fixture
def secret(world):
    task = services.create_task(
        actor=world.staff,
        community=world.yuling,
        title=SECRET_TITLE,
        description=SECRET_TEXT,
        location=SECRET_PLACE,
        sensitive=True,
        team=world.other_team,
    )
    task = services.claim_task(actor=world.other_leader, task=task, team=world.other_team)
    services.post_update(
        actor=world.other_leader, task=task, text=f"{SECRET_TEXT}情况稳定", status="in_progress"
    )
    task.refresh_from_db()
    return task


def _leaks(payload) -> bool:
    text = json.dumps(payload, ensure_ascii=False)
    return any(secret in text for secret in (SECRET_TITLE, SECRET_TEXT, SECRET_PLACE))


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_details(world, secret, role):
    user = getattr(world, role)
    expected = role in SEES
    assert can_see_task_details(user, secret) == expected
    assert task_details_checker(user)(secret) == expected
    assert topics.can_follow(user, f"task:{secret.pk}") == expected
    assert topics.can_follow(user, f"team:{world.other_team.pk}")  # team topics are public


@pytest.mark.parametrize("role", ROLES)
def test_api_list_and_detail_redact(world, secret, role):
    client = client_for(getattr(world, role))
    listing = client.get("/api/v1/tasks")
    assert listing.status_code == 200
    (item,) = [i for i in listing.json()["items"] if i["id"] == secret.pk]
    detail = client.get(f"/api/v1/tasks/{secret.pk}").json()
    for data in (item, detail):
        assert data["sensitive"] is True
        assert data["status"] == "in_progress"
        assert data["team"] == {"id": world.other_team.pk, "name": world.other_team.name}
    if role in SEES:
        assert item["title"] == SECRET_TITLE and not item["redacted"]
        assert detail["description"] == SECRET_TEXT
        assert len(detail["updates"]) == 1
    else:
        assert item["redacted"] and detail["redacted"]
        assert detail["updates"] == []
        assert not _leaks(listing.json()) and not _leaks(detail)


def test_public_topics_carry_redacted_data(world, secret):
    events = Event.objects.filter(data__id=secret.pk).exclude(topic=f"task:{secret.pk}")
    public = events.filter(topic__regex=r"^(community|team):")
    assert public.count() >= 3  # created, claimed, status
    for event in public:
        assert event.data["sensitive"] is True
        assert event.data["status"]
        assert event.data["title"] != SECRET_TITLE
        assert event.data["text"]
        assert not _leaks(event.data), event.topic
    full = Event.objects.filter(topic=f"task:{secret.pk}")
    assert full.filter(type="task.updated").get().data["update"]["text"].startswith(SECRET_TEXT)
    assert all(e.data["title"] == SECRET_TITLE for e in full)


def test_dispatched_team_and_requester_see_it(world):
    need = Need.objects.create(
        community=world.yuling,
        requester=world.resident,
        category="counselling",
        description="需要心理疏导",
        private=True,
    )
    task = services.accept_need(actor=world.staff, need=need, team=world.team)
    assert task.sensitive
    assert can_see_task_details(world.leader, task)  # dispatched to them, not yet claimed
    assert can_see_task_details(world.volunteer, task)
    assert can_see_task_details(world.resident, task)  # it answers their own need
    assert not can_see_task_details(world.other_leader, task)
    dispatched = Event.objects.get(topic=f"user:{world.leader.pk}", type="task.dispatched")
    assert dispatched.data["title"] == task.title  # the leader may read it
    team_event = Event.objects.get(topic=f"team:{world.team.pk}", type="task.dispatched")
    assert team_event.data["title"] != task.title


def test_list_query_count_with_sensitive_rows(world, secret, django_assert_max_num_queries):
    client = client_for(world.volunteer)
    client.get("/api/v1/tasks")  # warm the session
    with django_assert_max_num_queries(9):
        client.get("/api/v1/tasks")
