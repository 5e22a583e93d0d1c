"""The per-process hub (live.hub): one group membership per topic per process, events handed
straight to the local consumers, with the consumer's ordering and dedupe guarantees.

These run on whichever channel layer the settings give: the in-memory one, or channels_redis'
pub/sub layer when REDIS_URL is set.
"""

import asyncio
import json
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer

from live import consumers, publisher, topics
from live.hub import get_hub
from live.services import REDIS_LAYERS

from .helpers import apublish, ask, assert_pong, live_socket, publish_committed, receive

pytestmark = pytest.mark.django_db(transaction=True)


def assert_members(layer, topic, expected: set) -> None:
    """The channels in `topic`'s group are `expected` (checked on the in-memory layer, whose
    groups are public; Redis keeps its subscriptions to itself)."""
    if isinstance(layer, InMemoryChannelLayer):
        assert set(layer.groups.get(topics.group_name(topic), {})) == expected


async def eventually(condition, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def ids(ws, count):
    return [(await receive(ws))["id"] for _ in range(count)]


async def test_two_consumers_one_membership_every_event_once(alice):
    topic = f"user:{alice.pk}"
    layer = get_channel_layer()
    hub = get_hub(layer)
    async with live_socket(alice) as first, live_socket(alice) as second:
        await ask(first, {"action": "subscribe", "topic": topic})
        await ask(second, {"action": "subscribe", "topic": topic})
        # One member in the topic's group: this process's hub, not each consumer.
        assert_members(layer, topic, {hub.channel_name})
        assert len(hub.followers[topic]) == 2

        def burst():
            # One transaction: the events reach the hub together.
            from django.db import transaction

            from live.services import publish

            with transaction.atomic():
                return [publish(topic=topic, type="demo.n", data={"n": n}).pk for n in range(3)]

        published = await database_sync_to_async(burst)()
        published += [(await apublish(topic=topic, type="demo.n", data={})).pk for _ in range(3)]
        assert await ids(first, 6) == published
        assert await ids(second, 6) == published
        # Nothing more: each event came once.
        await assert_pong(first)
        await assert_pong(second)


async def test_replaying_consumer_gets_live_events_in_order_once(alice):
    """B subscribes with `since` while A streams the same topic: events committed during B's
    replay reach A at once, and B after its replay, in id order, each once."""
    topic = f"user:{alice.pk}"
    before = [(await apublish(topic=topic, type="demo.before", data={})).pk for _ in range(2)]
    real_replay = consumers.replay_events
    published = {"during": [], "after": []}

    def replay_with_commits_around_the_query(*args, **kwargs):
        # Committed after the follow and before the query: pushed AND in the log.
        published["during"] += [
            publish_committed(topic=topic, type="demo.during", data={}).pk for _ in range(3)
        ]
        rows = real_replay(*args, **kwargs)
        # Committed after the query: pushed only.
        published["after"] += [
            publish_committed(topic=topic, type="demo.after", data={}).pk for _ in range(3)
        ]
        return rows

    async with live_socket(alice) as a, live_socket(alice) as b:
        await ask(a, {"action": "subscribe", "topic": topic})
        with mock.patch.object(consumers, "replay_events", replay_with_commits_around_the_query):
            reply = await ask(b, {"action": "subscribe", "topic": topic, "since": 0})
        assert reply == {"type": "subscribed", "topic": topic}
        streamed = await ids(a, 6)
        replayed_then_streamed = await ids(b, 8)
        live = published["during"] + published["after"]
        assert streamed == live
        assert replayed_then_streamed == before + live
        await assert_pong(a)
        await assert_pong(b)


async def test_events_wait_for_the_reply_being_sent(alice, community):
    """While a client message is handled, events of other topics are held and follow the
    reply (as when Channels dispatched one message at a time)."""
    mine = f"user:{alice.pk}"
    news = f"community:{community.pk}"
    real_check = consumers.check_follow
    published = []

    def check_and_publish(user, topic, **kwargs):
        if topic == news:
            published.append(publish_committed(topic=mine, type="demo.n", data={}).pk)
        return real_check(user, topic, **kwargs)

    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": mine})
        with mock.patch.object(consumers, "check_follow", check_and_publish):
            assert await ask(ws, {"action": "subscribe", "topic": news}) == {
                "type": "subscribed",
                "topic": news,
            }
        assert (await receive(ws))["id"] == published[0]
        await assert_pong(ws)


async def test_last_local_consumer_leaving_leaves_the_group(alice):
    topic = f"user:{alice.pk}"
    layer = get_channel_layer()
    hub = get_hub(layer)
    async with live_socket(alice) as first:
        async with live_socket(alice) as second:
            await ask(first, {"action": "subscribe", "topic": topic})
            await ask(second, {"action": "subscribe", "topic": topic})
            channel = hub.channel_name
            assert_members(layer, topic, {channel})
            await ask(first, {"action": "unsubscribe", "topic": topic})
            assert_members(layer, topic, {channel})  # second still follows
            assert topic in hub.joined
            # Closing without unsubscribing counts as leaving too.
        await eventually(lambda: topic not in hub.joined)
        assert_members(layer, topic, set())
        assert topic not in hub.followers
        assert hub.channel_name is None  # nothing followed: the hub's channel is gone

        await apublish(topic=topic, type="demo.n", data={})
        if isinstance(layer, REDIS_LAYERS):
            # Redis pushes leave from the publisher's thread: let this one go out while nobody
            # follows, or it could reach the hub after the subscription below.
            assert await asyncio.to_thread(publisher.publisher_for(layer).flush, 10)
        # Following again joins again, with a new channel; the event published while nobody
        # followed does not come (the next one is the first to arrive).
        await ask(first, {"action": "subscribe", "topic": topic})
        assert_members(layer, topic, {hub.channel_name})
        event = await apublish(topic=topic, type="demo.n", data={})
        assert (await receive(first))["id"] == event.pk
        await ask(first, {"action": "unsubscribe", "topic": topic})
    assert_members(layer, topic, set())


async def test_layer_reset_closes_the_hubs_followers_with_4012(alice, community):
    layer = get_channel_layer()
    hub = get_hub(layer)
    async with live_socket(alice) as ws, live_socket() as idle:
        await ask(ws, {"action": "subscribe", "topic": f"user:{alice.pk}"})
        await ask(ws, {"action": "subscribe", "topic": f"community:{community.pk}"})
        await layer.send(hub.channel_name, {"type": "layer.reset"})
        assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4012}
        # Only followers: a connection that follows nothing has no stream to lose.
        await assert_pong(idle)


async def test_a_lost_redis_connection_closes_the_hubs_followers_with_4012(alice):
    """What live.redis_watch does when the layer's Redis connection drops."""
    hub = get_hub(get_channel_layer())
    async with live_socket(alice) as ws, live_socket() as idle:
        await ask(ws, {"action": "subscribe", "topic": f"user:{alice.pk}"})
        hub.layer_lost()
        assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4012}
        await assert_pong(idle)


async def test_published_text_is_forwarded_as_is(alice):
    """The hub forwards the text `publish` serialised; it never re-serialises."""
    topic = f"user:{alice.pk}"
    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": topic})
        event = await apublish(topic=topic, type="demo.n", data={"text": "邻里 <&>"})
        raw = await ws.receive_from(timeout=5)
    assert "邻里 <&>" in raw  # ensure_ascii=False, nothing escaped
    assert json.loads(raw)["id"] == event.pk


async def test_events_arriving_during_a_fan_out_join_it_in_order():
    """Events of the topic that reach the hub while it fans out go with the rest to the
    followers not served yet (one write) and to the others right after, each in order."""
    from live.hub import YIELD_EVERY, Hub
    from live.wire import Outgoing

    class Follower:
        def __init__(self):
            self.batches = []

        async def hub_event(self, topic, batch):
            self.batches.append([event_id for event_id, _ in batch.events])

    hub = Hub(layer=None)
    followers = [Follower() for _ in range(YIELD_EVERY * 2 + 5)]
    hub.followers["task:1"] = dict.fromkeys(followers)
    arriving = [[(2, Outgoing("2")), (3, Outgoing("3"))], [(4, Outgoing("4"))]]

    await hub.fan_out("task:1", [(1, Outgoing("1"))], lambda: arriving.pop(0) if arriving else [])

    for follower in followers:
        assert [i for batch in follower.batches for i in batch] == [1, 2, 3, 4]
    assert followers[0].batches == [[1], [2, 3, 4]]
    assert followers[YIELD_EVERY].batches == [[1, 2, 3], [4]]
    assert followers[-1].batches == [[1, 2, 3, 4]]


async def test_the_events_of_one_publish_reach_a_follower_in_one_batch():
    """An update and the status change it makes (one publish_many, as teams.services posts
    them) go out together: one write per socket."""
    from django.db import transaction

    from live.services import publish, publish_many

    class Follower:
        def __init__(self):
            self.batches = []

        def hub_event(self, topic, batch):
            self.batches.append([event_id for event_id, _ in batch.events])

    hub = get_hub(get_channel_layer())
    follower = Follower()
    await hub.follow("task:77", follower)
    try:

        def update_and_status():
            with transaction.atomic():
                publish(topic="community:3", type="task.status", data={})
                events = publish_many(
                    [("task:77", kind, {}) for kind in ("task.updated", "task.status")]
                )
                return [event.pk for event in events]

        published = await database_sync_to_async(update_and_status)()
        marker = await apublish(topic="task:77", type="demo.marker", data={})
        await eventually(lambda: marker.pk in sum(follower.batches, []))
        # Both events in the first write (the marker may join it).
        assert follower.batches[0][: len(published)] == published
        assert sum(follower.batches, []) == [*published, marker.pk]
    finally:
        await hub.unfollow("task:77", follower)


def test_pushes_to_a_redis_layer_go_through_the_publisher_without_waiting(monkeypatch):
    """channels_redis' layers are sent to from the process's publisher thread (live.publisher),
    whatever thread publishes; other layers get `group_send` on the consumers' loop."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from live import publisher, services

    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1/0"])
    handed = []
    monkeypatch.setattr(services, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(publisher, "publish", lambda *args: handed.append(args))
    services._push("task:5", [(41, "{}"), (42, "{}")])
    assert handed == [
        (
            layer,
            topics.group_name("task:5"),
            {"type": "live.event", "topic": "task:5", "events": [[41, "{}"], [42, "{}"]]},
        )
    ]
