"""Read from the log, an event shows what its reader may see NOW (issue 22, point 4).

The log keeps events as they were published; the readers registered by teams and deliberation
(live.topics.as_seen_now) redact or leave out, at read time, what has become private since: a
task marked sensitive, a proposal hidden, a membership that ended. Replays over the WebSocket,
the notifications page and the notifications API all read through them.
"""

import json

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from django.test import Client
from django.utils import timezone

from communities.models import Membership
from deliberation import services as council
from deliberation.models import Follow, Proposal
from live import topics
from live.models import Event
from teams import services as teams
from teams.models import Task, TeamMembership
from tests.factories import (
    CommunityFactory,
    CouncilFactory,
    TeamFactory,
    TeamMembershipFactory,
    make_user,
    member,
)

from .helpers import apublish, ask, assert_pong, live_socket, receive

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "回访王阿姨(新住址:玉岭社区7栋302)"
PROPOSAL_TITLE = "东门垃圾点清运(举报人张三)"
NEED_TEXT = "家里有人动手打人,需要帮助"


def build_world():
    class W:
        pass

    w = W()
    w.district = CommunityFactory(name="松滋市", kind="district")
    w.yuling = CommunityFactory(name="玉岭社区", parent=w.district)
    w.staff = member(make_user("staff@example.com", display_name="社工"), w.yuling, "staff")
    w.chief = member(make_user("chief@example.com", display_name="主任"), w.district, "staff")
    w.resident = member(make_user("resident@example.com", display_name="居民甲"), w.yuling)
    w.follower = member(make_user("follower@example.com", display_name="居民乙"), w.yuling)
    w.leader = member(make_user("leader@example.com", display_name="队长"), w.yuling)
    w.team = TeamFactory(name="邻里互助队", communities=[w.yuling])
    w.leadership = TeamMembershipFactory(team=w.team, user=w.leader, role="leader")
    w.council = CouncilFactory(community=w.yuling, name="玉岭社区居民议事会")
    return w


@pytest.fixture
def world(db):
    return build_world()


def task_made_public_then_sensitive(w) -> Task:
    """A task created open (its title in the community's events and in the leader's
    notifications), then marked sensitive in the admin (its edit view saves the model)."""
    task = teams.create_task(actor=w.staff, community=w.yuling, title=TITLE, team=w.team)
    task = Task.objects.get(pk=task.pk)
    task.sensitive = True
    task.save()
    return task


def published_then_hidden(w) -> Proposal:
    now = timezone.now()
    proposal = Proposal.objects.create(
        council=w.council,
        author=w.resident,
        status="submitted",
        submitted_at=now,
        title=PROPOSAL_TITLE,
        body="三天没人收了。",
        category="sanitation",
    )
    Follow.objects.create(user=w.follower, proposal=proposal)
    Follow.objects.create(user=w.resident, proposal=proposal)
    council.publish_proposal(actor=w.staff, proposal=proposal)
    council.hide_proposal(actor=w.staff, proposal=proposal, reason="含他人姓名")
    return proposal


async def replay(ws, topic) -> list[dict]:
    """Everything a subscription with since=0 sends, up to the pong that follows it."""
    assert await ask(ws, {"action": "subscribe", "topic": topic, "since": 0}) == {
        "type": "subscribed",
        "topic": topic,
    }
    await ws.send_to(text_data=json.dumps({"action": "ping"}))
    messages = []
    while (message := await receive(ws)) != {"type": "pong"}:
        messages.append(message)
    return messages


def texts(messages) -> str:
    return json.dumps(messages, ensure_ascii=False)


# --- replay --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "resident", "staff"])
async def test_replay_of_the_community_after_a_task_became_sensitive(who):
    w = await database_sync_to_async(build_world)()
    task = await database_sync_to_async(task_made_public_then_sensitive)(w)
    user = None if who == "anonymous" else getattr(w, who)
    async with live_socket(user) as ws:
        events = await replay(ws, f"community:{w.yuling.pk}")
    assert [e["type"] for e in events] == ["task.created"]
    (event,) = events
    if who == "staff":  # may see the task's details now: the event as it was published
        assert event["data"]["title"] == TITLE
    else:
        assert TITLE not in texts(events)
        assert event["data"]["id"] == task.pk
        assert event["data"]["sensitive"] is True
        assert event["data"]["title"] != TITLE


async def test_replay_of_the_community_after_a_proposal_was_hidden():
    w = await database_sync_to_async(build_world)()
    proposal = await database_sync_to_async(published_then_hidden)(w)
    topic = f"community:{w.yuling.pk}"
    for user in (None, w.follower):
        async with live_socket(user) as ws:
            assert await replay(ws, topic) == []
    # Staff and the author still see it; the proposal's own topic is theirs alone now.
    for user in (w.staff, w.resident):
        async with live_socket(user) as ws:
            events = await replay(ws, topic)
            assert [e["data"]["proposal"]["title"] for e in events] == [PROPOSAL_TITLE]
    async with live_socket(w.follower) as ws:
        reply = await ask(ws, {"action": "subscribe", "topic": f"proposal:{proposal.pk}"})
        assert reply["code"] == "forbidden"


async def test_replay_of_a_leaders_notifications_after_they_left_the_team():
    w = await database_sync_to_async(build_world)()

    def leave():
        task = task_made_public_then_sensitive(w)
        w.leadership.status = TeamMembership.Status.LEFT
        w.leadership.save()
        return task

    task = await database_sync_to_async(leave)()
    async with live_socket(w.leader) as ws:
        events = await replay(ws, f"user:{w.leader.pk}")
        await assert_pong(ws)
    assert [e["type"] for e in events] == ["task.dispatched"]
    assert TITLE not in texts(events)
    assert events[0]["data"]["id"] == task.pk


async def test_an_event_left_out_of_the_replay_is_not_sent_by_the_hub_either():
    """Replayed ids count as sent, those left out too: the copy as published, pushed while
    the replay ran, must not slip through."""
    w = await database_sync_to_async(build_world)()
    await database_sync_to_async(published_then_hidden)(w)
    hidden_event = await database_sync_to_async(
        lambda: Event.objects.get(type="proposal.published", topic__startswith="community:")
    )()
    async with live_socket(w.follower) as ws:
        assert await replay(ws, f"community:{w.yuling.pk}") == []
        consumer_sent_it = [hidden_event.pk]
        # The hub hands the consumer the old copy, as if pushed during the replay.
        from channels.layers import get_channel_layer

        from live.services import serialise

        await get_channel_layer().group_send(
            topics.group_name(hidden_event.topic),
            {
                "type": "live.event",
                "topic": hidden_event.topic,
                "id": consumer_sent_it[0],
                "text": serialise(hidden_event),
            },
        )
        # A marker on the same topic, after it: the first thing to arrive must be the marker.
        marker = await apublish(topic=hidden_event.topic, type="demo.marker", data={})
        assert (await receive(ws))["id"] == marker.pk
        await assert_pong(ws)


# --- notifications page and API ------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notifications(user) -> tuple[str, list[dict]]:
    client = signed_in(user)
    page = client.get("/live/notifications/")
    assert page.status_code == 200
    api = client.get("/api/v1/notifications")
    assert api.status_code == 200
    return page.content.decode(), api.json()["items"]


def test_notifications_forget_a_task_that_became_sensitive_for_a_leader_who_left(world):
    task = task_made_public_then_sensitive(world)
    page, items = notifications(world.leader)
    assert TITLE in page and TITLE in json.dumps(items, ensure_ascii=False)  # still a leader
    world.leadership.status = TeamMembership.Status.LEFT
    world.leadership.save()
    page, items = notifications(world.leader)
    assert TITLE not in page
    assert TITLE not in json.dumps(items, ensure_ascii=False)
    assert [item["type"] for item in items] == ["task.dispatched"]
    assert items[0]["url"] == task.get_absolute_url()


def test_notifications_forget_a_hidden_proposal_but_its_author_keeps_them(world):
    published_then_hidden(world)
    page, items = notifications(world.follower)
    assert PROPOSAL_TITLE not in page
    assert items == []
    page, items = notifications(world.resident)  # the author
    assert [item["type"] for item in items] == ["proposal.published"]
    assert PROPOSAL_TITLE in items[0]["text"]


def test_notifications_forget_a_private_need_once_staff_are_no_longer_staff(world):
    teams.file_need(
        actor=world.resident,
        community=world.yuling,
        category="other",
        description=NEED_TEXT,
        private=True,
    )
    _page, items = notifications(world.staff)
    assert [item["type"] for item in items] == ["need.filed"]
    membership = Membership.objects.get(user=world.staff, community=world.yuling)
    membership.role = Membership.Role.RESIDENT
    membership.save()
    page, items = notifications(world.staff)
    assert items == []
    assert "居民甲" not in page
    # The resident who asked still has it.
    _page, items = notifications(world.resident)
    assert [item["type"] for item in items] == ["need.filed"]


def test_notification_pages_keep_paging_by_the_log(world, settings):
    """Items left out do not change `next_before`: the next page starts below the last row
    read, not the last item shown."""
    published_then_hidden(world)
    with transaction.atomic():
        from live.services import publish

        publish(topic=f"user:{world.follower.pk}", type="demo.newer", data={"text": "新"})
    client = signed_in(world.follower)
    first = client.get("/api/v1/notifications", {"limit": 1}).json()
    # The newest row is the demo event; the proposal notice below it is left out.
    assert [item["type"] for item in first["items"]] == ["demo.newer"]
    second = client.get("/api/v1/notifications", {"before": first["next_before"]}).json()
    assert second == {"items": [], "next_before": None}


# --- site search ---------------------------------------------------------------------------------


def test_site_search_does_not_find_a_hidden_proposal(world):
    published_then_hidden(world)
    for client in (Client(), signed_in(world.follower)):
        response = client.get("/search/", {"q": "东门垃圾点"})
        assert response.status_code == 200
        assert PROPOSAL_TITLE not in response.content.decode()


# --- the registry --------------------------------------------------------------------------------


def test_a_failing_reader_leaves_its_events_out(world):
    def broken(user, events):
        raise RuntimeError("boom")

    with transaction.atomic():
        from live.services import publish

        publish(topic=f"user:{world.resident.pk}", type="probe.one", data={"text": "x"})
        publish(topic=f"user:{world.resident.pk}", type="other.two", data={"text": "y"})
    topics.register_reader("probe", broken)
    try:
        events = list(Event.objects.order_by("id"))
        assert [e.type for e in topics.as_seen_now(world.resident, events)] == ["other.two"]
    finally:
        topics.unregister_reader("probe")


def test_reading_many_events_asks_a_constant_number_of_queries(
    world, django_assert_max_num_queries
):
    for n in range(3):
        task = teams.create_task(actor=world.staff, community=world.yuling, title=f"{TITLE}{n}")
        Task.objects.filter(pk=task.pk).update(sensitive=True)
    published_then_hidden(world)
    events = list(Event.objects.filter(topic=f"community:{world.yuling.pk}"))
    assert len(events) == 4
    with django_assert_max_num_queries(8):
        shown = topics.as_seen_now(world.follower, events)
    assert [e.type for e in shown] == ["task.created"] * 3
