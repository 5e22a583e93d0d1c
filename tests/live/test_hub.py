"""The per-process hub (live.hub): one group membership per topic per process, events handed
straight to the local consumers, with the consumer's ordering and dedupe guarantees.

These run on whichever channel layer the settings give: the in-memory one, or Redis
(RedisPubSubChannelLayer) when REDIS_URL is set.
"""

import asyncio
import contextlib
import json
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from live import consumers, topics
from live.hub import get_hub

from .helpers import apublish, ask, assert_pong, live_socket, publish_committed, receive

pytestmark = pytest.mark.django_db(transaction=True)


def group_members(layer, topic) -> set[str]:
    """The channels in `topic`'s group, on the in-memory or the Redis pub/sub layer."""
    group = topics.group_name(topic)
    if hasattr(layer, "_get_layer"):  # channels_redis' pub/sub layer: one per event loop
        loop_layer = layer._get_layer()
        return set(loop_layer.groups.get(loop_layer._get_group_channel_name(group), ()))
    return set(layer.groups.get(group, {}))


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
        assert group_members(layer, topic) == {hub.channel_name}
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
            assert group_members(layer, topic) == {channel}
            await ask(first, {"action": "unsubscribe", "topic": topic})
            assert group_members(layer, topic) == {channel}  # second still follows
            # Closing without unsubscribing counts as leaving too.
        await eventually(lambda: not group_members(layer, topic))
        assert topic not in hub.followers
        assert hub.channel_name is None  # nothing followed: the hub's channel is gone

        await apublish(topic=topic, type="demo.n", data={})
        assert await first.receive_nothing(timeout=0.2)
        # Following again joins again, with a new channel.
        await ask(first, {"action": "subscribe", "topic": topic})
        assert group_members(layer, topic) == {hub.channel_name}
        event = await apublish(topic=topic, type="demo.n", data={})
        assert (await receive(first))["id"] == event.pk
        await ask(first, {"action": "unsubscribe", "topic": topic})
    assert not group_members(layer, topic)


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


async def test_the_events_of_one_transaction_reach_a_follower_in_one_batch():
    """An update and the status change it makes go out together: one write per socket."""
    from django.db import transaction

    from live.services import publish

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
                return [
                    publish(topic="task:77", type=kind, data={}).pk
                    for kind in ("task.updated", "task.status")
                ]

        published = await database_sync_to_async(update_and_status)()
        await eventually(lambda: follower.batches)
        await asyncio.sleep(0.1)
        assert follower.batches == [published]
    finally:
        await hub.unfollow("task:77", follower)


def test_push_uses_the_layers_direct_publish_when_it_has_one(monkeypatch):
    from live import services

    class Layer:
        def __init__(self, direct_ok):
            self.direct_ok = direct_ok
            self.direct, self.later = [], []

        def group_send_now(self, group, message):
            self.direct.append((group, message["id"]))
            return self.direct_ok

        async def group_send(self, group, message):
            self.later.append((group, message["id"]))

    for direct_ok, direct, later in ((True, 1, 0), (False, 1, 1)):
        layer = Layer(direct_ok)
        monkeypatch.setattr(services, "get_channel_layer", lambda layer=layer: layer)
        services._push("task:5", [(41, "{}")])
        assert (len(layer.direct), len(layer.later)) == (direct, later)
        assert layer.direct[0] == (topics.group_name("task:5"), 41)


class DirectLayer:
    """Publishes at once from the calling thread and brings every message back, as Redis
    pub/sub does."""

    def __init__(self):
        self.inbox = asyncio.Queue()
        self.published = []
        self.loop = asyncio.get_running_loop()

    def group_send_now(self, group, message):
        self.published.append(message)
        self.loop.call_soon_threadsafe(self.inbox.put_nowait, message)
        return True

    async def new_channel(self, prefix=""):
        return f"{prefix}1"

    async def group_add(self, group, channel):
        pass

    async def group_discard(self, group, channel):
        pass

    async def receive(self, channel):
        return await self.inbox.get()


class Follower:
    def __init__(self):
        self.ids = []

    def hub_event(self, topic, batch):
        self.ids += [event_id for event_id, _ in batch.events]


@contextlib.asynccontextmanager
async def followed_on_a_direct_layer(topic):
    """A DirectLayer that live.services publishes to, whose hub here has a Follower of `topic`."""
    from live import services

    layer = DirectLayer()
    hub = get_hub(layer)
    follower = Follower()
    await hub.follow(topic, follower)
    try:
        with mock.patch.object(services, "get_channel_layer", lambda: layer):
            yield layer, follower
    finally:
        await hub.unfollow(topic, follower)


async def push_from_a_request_thread(topic, events):
    from asgiref.sync import sync_to_async

    from live import services

    await sync_to_async(services._push)(topic, events)


async def test_a_direct_publish_from_a_request_thread_reaches_local_followers_through_the_hub():
    """A layer that publishes from the committing thread (Redis): a push made in a worker
    thread of the loop goes straight to this process's hub as well, the thread waiting until
    it has gone out here, and the hub passes by the copy the layer brings back marked as this
    process's, but not copies from elsewhere."""
    from live.hub import origin_of

    async with followed_on_a_direct_layer("task:9") as (layer, follower):
        await push_from_a_request_thread("task:9", [(31, "{}")])
        # The request thread went on only once the follower here had it.
        assert follower.ids == [31]
        (published,) = layer.published
        assert published["id"] == 31
        assert published["origin"] == origin_of(layer)
        # Another process's message (no mark, or another process's) is fanned out as before.
        elsewhere = {"type": "live.event", "topic": "task:9", "id": 32, "text": "{}"}
        layer.inbox.put_nowait({**elsewhere, "origin": "4242-elsewhere"})
        layer.inbox.put_nowait({**elsewhere, "id": 33})
        await eventually(lambda: len(follower.ids) >= 3)
        await asyncio.sleep(0.05)
        assert follower.ids == [31, 32, 33]


async def test_a_direct_publish_of_a_topic_nobody_follows_here_is_left_to_the_layer():
    """The request thread does not wait on the loop for a topic without followers in this
    process: the message goes out unmarked, so that the hub here does not pass by the copy the
    layer brings back (a follower who has come meanwhile gets it)."""
    from live import services

    async with followed_on_a_direct_layer("task:9") as (layer, other):
        with mock.patch.object(services.hub, "deliver_here") as deliver_here:
            await push_from_a_request_thread("task:10", [(41, "{}")])
        deliver_here.assert_not_called()
        (published,) = layer.published
        assert "origin" not in published
        await asyncio.sleep(0.05)
        assert other.ids == []


def test_outside_a_loop_a_direct_publish_is_not_marked(monkeypatch):
    """A management command or the task worker has no hub of its own to hand the event to:
    every process's hub, this one's included, must take the copy the layer brings."""
    from live import services

    published = []

    class Layer:
        def group_send_now(self, group, message):
            published.append(message)
            return True

    monkeypatch.setattr(services, "get_channel_layer", Layer)
    services._push("task:5", [(41, "{}")])
    assert "origin" not in published[0]
