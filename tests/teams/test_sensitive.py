"""Sensitive tasks: details only for the community's staff and the team that holds it."""

import json

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from core.errors import Conflict, NotAllowed
from live import topics
from live.models import Event
from teams import permissions as perms
from teams import services
from teams.models import Need
from teams.permissions import can_see_task_details, task_details_checker
from tests.live.helpers import ask, live_socket

from .conftest import ROLES, client_for

SECRET_TITLE = "家暴个案回访"
SECRET_TEXT = "住在5栋的一户人家"
SECRET_PLACE = "5栋2单元"
SEES = {"other_leader", "staff", "superuser"}


def url(name, *args):
    return reverse(f"teams:{name}", args=args)


def html_of(response):
    return response.content.decode()


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


# --- a sensitive case stays with the people it was given to (issue #22) ------------------------


def _given_back(world, secret):
    """The team that was given the case gives it back through the API."""
    response = client_for(world.other_leader).post(
        f"/api/v1/tasks/{secret.pk}/release", "{}", content_type="application/json"
    )
    assert response.status_code == 200, response.content
    secret.refresh_from_db()
    return secret


def test_a_released_sensitive_task_goes_back_to_staff_not_to_the_pool(world, secret):
    task = _given_back(world, secret)
    assert (task.status, task.team_id, task.dispatched_team_id) == ("open", None, None)
    # The staff of the community find it in their inbox, with what they may read.
    notices = Event.objects.filter(type="task.released", topic__startswith="user:")
    staff = {f"user:{world.staff.pk}", f"user:{world.street_staff.pk}"}  # and the street's
    assert {e.topic for e in notices} == staff
    for notice in notices:
        assert notice.data["title"] == SECRET_TITLE and notice.data["to"] == "staff"
    # No team takes it from the pool: not the one that gave it back, not another one.
    for leader, team in ((world.leader, world.team), (world.other_leader, world.other_team)):
        assert not perms.can_claim(leader, task, team)
        assert not perms.claimable_teams(leader, task).exists()
        response = client_for(leader).post(
            f"/api/v1/tasks/{task.pk}/claim", {"team": team.pk}, content_type="application/json"
        )
        assert response.status_code == 403, response.content
        page = client_for(leader).post(url("task_claim", task.pk), {"team": team.pk})
        assert page.status_code == 302
        task.refresh_from_db()
        assert task.team_id is None
        board = html_of(client_for(leader).get(url("team_board", team.pk)))
        assert f'data-task-id="{task.pk}"' not in board and SECRET_TITLE not in board


@pytest.mark.parametrize("role", ROLES)
def test_after_release_only_staff_read_it(world, secret, role):
    task = _given_back(world, secret)
    user = getattr(world, role)
    expected = role in {"staff", "superuser"}  # the team that gave it back reads it no more
    assert can_see_task_details(user, task) == expected
    assert task_details_checker(user)(task) == expected
    assert topics.can_follow(user, f"task:{task.pk}") == expected
    client = client_for(user)
    detail = client.get(f"/api/v1/tasks/{task.pk}").json()
    page = html_of(client.get(url("task_detail", task.pk)))
    if expected:
        assert detail["description"] == SECRET_TEXT and len(detail["updates"]) == 1
        assert SECRET_TITLE in page
    else:
        assert detail["redacted"] and detail["updates"] == [] and not _leaks(detail)
        assert SECRET_TITLE not in page and SECRET_TEXT not in page
        assert f'data-live-topic="task:{task.pk}"' not in page


def test_staff_give_it_to_another_team_which_alone_reads_it(world, secret):
    task = _given_back(world, secret)
    page = html_of(client_for(world.staff).get(url("task_detail", task.pk)))
    assert url("task_dispatch", task.pk) in page
    response = client_for(world.staff).post(
        url("task_dispatch", task.pk), {"dispatch-team": world.team.pk}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.dispatched_team_id == world.team.pk
    assert can_see_task_details(world.volunteer, task)
    assert not can_see_task_details(world.other_leader, task)  # who gave it back
    # Only the team it was given to may claim it; a second dispatch once held is refused.
    assert not perms.can_claim(world.other_leader, task, world.other_team)
    services.claim_task(actor=world.leader, task=task, team=world.team)
    response = client_for(world.staff).post(
        f"/api/v1/tasks/{task.pk}/dispatch",
        {"team": world.other_team.pk},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "wrong_state"
    leader_notice = Event.objects.get(topic=f"user:{world.leader.pk}", type="task.dispatched")
    assert leader_notice.data["title"] == SECRET_TITLE
    team_event = Event.objects.filter(topic=f"team:{world.team.pk}", type="task.dispatched").last()
    assert not _leaks(team_event.data)


def test_a_sensitive_task_given_to_no_team_is_claimed_by_none(world, monkeypatch):
    task = services.create_task(
        actor=world.staff, community=world.yuling, title=SECRET_TITLE, sensitive=True
    )
    assert not perms.eligible_teams(task).exists()
    with pytest.raises(NotAllowed):
        services.claim_task(actor=world.leader, task=task, team=world.team)
    # Even past the permission check, the conditional UPDATE keeps it out of the pool.
    monkeypatch.setattr(perms, "team_may_take", lambda task, team: True)
    with pytest.raises(Conflict):
        services.claim_task(actor=world.leader, task=task, team=world.team)


@pytest.mark.django_db(transaction=True)
async def test_the_team_that_gave_it_back_cannot_subscribe_to_its_topic(world, secret):
    topic = f"task:{secret.pk}"
    async with live_socket(world.other_leader) as ws:
        assert await ask(ws, {"action": "subscribe", "topic": topic}) == {
            "type": "subscribed",
            "topic": topic,
        }
    await database_sync_to_async(_given_back)(world, secret)
    async with live_socket(world.other_leader) as ws:
        reply = await ask(ws, {"action": "subscribe", "topic": topic})
        assert reply == {"type": "error", "code": "forbidden", "topic": topic}
    async with live_socket(world.staff) as ws:
        reply = await ask(ws, {"action": "subscribe", "topic": topic})
        assert reply == {"type": "subscribed", "topic": topic}
