"""The /ws/live/ protocol, through config.asgi.application."""

import json
from datetime import datetime
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from live import consumers, topics
from live.models import Event
from live.services import publish

from .helpers import (
    app_session_token,
    apublish,
    ask,
    assert_pong,
    live_socket,
    publish_committed,
    receive,
    send,
)

pytestmark = pytest.mark.django_db(transaction=True)


def user_topic(user):
    return f"user:{user.pk}"


async def test_ping_pong():
    async with live_socket() as ws:
        assert await ask(ws, {"action": "ping"}) == {"type": "pong"}
        await assert_pong(ws)


BAD_REQUESTS = {
    "not-json": "not json",
    "blank": " ",
    "array": "[1, 2]",
    "string": '"ping"',
    "null": "null",
    "no-action": "{}",
    "action-not-string": '{"action": 5}',
    "unknown-action": '{"action": "dance"}',
    "subscribe-no-topic": '{"action": "subscribe"}',
    "topic-not-string": '{"action": "subscribe", "topic": 12}',
    "unsubscribe-no-topic": '{"action": "unsubscribe"}',
    "auth-no-token": '{"action": "auth"}',
    "auth-empty-token": '{"action": "auth", "session_token": ""}',
    "deep-nesting": "[" * 3000 + "]" * 3000,
}


async def test_bad_requests_keep_the_connection():
    async with live_socket() as ws:
        for case, text in BAD_REQUESTS.items():
            await ws.send_to(text_data=text)
            assert await receive(ws) == {"type": "error", "code": "bad_request"}, case
            await assert_pong(ws)


async def test_bad_since_is_a_bad_request(alice):
    async with live_socket(alice) as ws:
        for since in [-1, "5", True, 1.5, 2**63, [1]]:
            reply = await ask(
                ws, {"action": "subscribe", "topic": user_topic(alice), "since": since}
            )
            assert reply == {"type": "error", "code": "bad_request"}, since
        await assert_pong(ws)


async def test_binary_frame_is_a_bad_request():
    async with live_socket() as ws:
        await ws.send_to(bytes_data=b'{"action": "ping"}')
        assert await receive(ws) == {"type": "error", "code": "bad_request"}
        await assert_pong(ws)


async def test_oversize_frame_is_a_bad_request(settings):
    settings.LIVE_MAX_MESSAGE_BYTES = 200
    async with live_socket() as ws:
        await send(ws, {"action": "ping", "pad": "x" * 200})
        assert await receive(ws) == {"type": "error", "code": "bad_request"}
        # 100 characters, but 300 bytes in UTF-8: the limit counts bytes.
        await send(ws, {"action": "ping", "pad": "邻" * 100})
        assert await receive(ws) == {"type": "error", "code": "bad_request"}
        await send(ws, {"action": "ping", "pad": "x" * 100})
        assert await receive(ws) == {"type": "pong"}


async def test_unknown_topic():
    async with live_socket() as ws:
        for topic in ["nope:1", "user", "user:", "user:abc", "user:1:2", "user:-1", "user:01"]:
            reply = await ask(ws, {"action": "subscribe", "topic": topic})
            assert reply == {"type": "error", "code": "unknown_topic", "topic": topic}
        await assert_pong(ws)


async def test_another_users_topic_is_forbidden(alice, bob):
    async with live_socket(alice) as ws:
        reply = await ask(ws, {"action": "subscribe", "topic": user_topic(bob)})
        assert reply == {"type": "error", "code": "forbidden", "topic": user_topic(bob)}
        await assert_pong(ws)


async def test_signed_out_cannot_follow_a_user_topic(alice):
    async with live_socket() as ws:
        reply = await ask(ws, {"action": "subscribe", "topic": user_topic(alice)})
        assert reply == {"type": "error", "code": "forbidden", "topic": user_topic(alice)}


async def test_anyone_follows_an_existing_community(community):
    async with live_socket() as ws:
        topic = f"community:{community.pk}"
        assert await ask(ws, {"action": "subscribe", "topic": topic}) == {
            "type": "subscribed",
            "topic": topic,
        }
        missing = f"community:{community.pk + 1000}"
        assert await ask(ws, {"action": "subscribe", "topic": missing}) == {
            "type": "error",
            "code": "forbidden",
            "topic": missing,
        }
        await apublish(topic=topic, type="community.news", data={"text": "清洁日"})
        event = await receive(ws)
        assert event["topic"] == topic
        assert event["data"] == {"text": "清洁日"}


async def test_publish_arrives_after_commit_with_the_exact_shape(alice):
    """An event is written in the transaction and pushed after commit, as the wire form."""
    topic = user_topic(alice)

    def publish_and_check_nothing_before_commit():
        with transaction.atomic():
            event = publish(topic=topic, type="demo.hello", data={"text": "你好", "n": 1})
            pending = Event.objects.filter(pk=event.pk).exists()
        return event, pending

    async with live_socket(alice) as ws:
        assert await ask(ws, {"action": "subscribe", "topic": topic}) == {
            "type": "subscribed",
            "topic": topic,
        }
        await assert_pong(ws)
        event, written_in_transaction = await database_sync_to_async(
            publish_and_check_nothing_before_commit
        )()
        assert written_in_transaction
        message = await receive(ws)
        assert set(message) == {"id", "topic", "type", "data", "at"}
        assert message["id"] == event.pk
        assert message["topic"] == topic
        assert message["type"] == "demo.hello"
        assert message["data"] == {"text": "你好", "n": 1}
        assert datetime.fromisoformat(message["at"]) == event.created_at
        await assert_pong(ws)


async def test_rolled_back_publish_pushes_and_logs_nothing(alice):
    topic = user_topic(alice)

    class Boom(Exception):
        pass

    def rolled_back():
        try:
            with transaction.atomic():
                publish(topic=topic, type="demo.rolled_back", data={})
                raise Boom
        except Boom:
            pass

    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": topic})
        await database_sync_to_async(rolled_back)()
        assert await database_sync_to_async(Event.objects.count)() == 0
        # A committed event published afterwards is the first (and only) thing to arrive.
        committed = await apublish(topic=topic, type="demo.committed", data={})
        message = await receive(ws)
        assert message["id"] == committed.pk
        assert message["type"] == "demo.committed"
        await assert_pong(ws)
    assert await database_sync_to_async(Event.objects.count)() == 1


async def test_replay_since_in_id_order(alice, bob):
    topic = user_topic(alice)

    def history():
        ids = []
        for n in range(5):
            ids.append(publish_committed(topic=topic, type="demo.n", data={"n": n}).pk)
            publish_committed(topic=user_topic(bob), type="demo.other", data={})
        return ids

    ids = await database_sync_to_async(history)()
    async with live_socket(alice) as ws:
        reply = await ask(ws, {"action": "subscribe", "topic": topic, "since": ids[1]})
        assert reply == {"type": "subscribed", "topic": topic}
        replayed = [await receive(ws) for _ in ids[2:]]
        assert [m["id"] for m in replayed] == ids[2:]
        assert [m["data"]["n"] for m in replayed] == [2, 3, 4]
        assert all(m["topic"] == topic for m in replayed)
        await assert_pong(ws)
        # Then it streams.
        live = await apublish(topic=topic, type="demo.n", data={"n": 5})
        assert (await receive(ws))["id"] == live.pk


async def test_since_zero_replays_everything_and_no_since_replays_nothing(alice):
    topic = user_topic(alice)
    first = await apublish(topic=topic, type="demo.n", data={})
    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": topic})
        await assert_pong(ws)
    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": topic, "since": 0})
        assert (await receive(ws))["id"] == first.pk
        await assert_pong(ws)


async def test_resync_when_more_than_the_replay_limit_was_missed(alice, settings):
    settings.LIVE_REPLAY_LIMIT = 3
    topic = user_topic(alice)

    def history(count):
        return [publish_committed(topic=topic, type="demo.n", data={}).pk for _ in range(count)]

    ids = await database_sync_to_async(history)(4)
    async with live_socket(alice) as ws:
        # Exactly the limit: replayed.
        await ask(ws, {"action": "subscribe", "topic": topic, "since": ids[0]})
        assert [(await receive(ws))["id"] for _ in range(3)] == ids[1:]
        await assert_pong(ws)
    async with live_socket(alice) as ws:
        # One more than the limit: resync, no partial replay, then streaming.
        await ask(ws, {"action": "subscribe", "topic": topic, "since": ids[0] - 1})
        assert await receive(ws) == {"type": "resync", "topic": topic}
        await assert_pong(ws)
        live = await apublish(topic=topic, type="demo.n", data={})
        assert (await receive(ws))["id"] == live.pk


async def test_event_both_replayed_and_pushed_is_sent_once(alice):
    """Events committed while the subscribe replays reach the client once, in order."""
    topic = user_topic(alice)
    before = await apublish(topic=topic, type="demo.before", data={})
    real_replay = consumers.replay_events
    published = {}

    def replay_with_commits_around_the_query(*args, **kwargs):
        # Committed after group_add and before the query: pushed AND in the log.
        published["during"] = publish_committed(topic=topic, type="demo.during", data={}).pk
        rows = real_replay(*args, **kwargs)
        # Committed after the query: pushed only.
        published["after"] = publish_committed(topic=topic, type="demo.after", data={}).pk
        return rows

    async with live_socket(alice) as ws:
        with mock.patch.object(consumers, "replay_events", replay_with_commits_around_the_query):
            reply = await ask(ws, {"action": "subscribe", "topic": topic, "since": 0})
        assert reply == {"type": "subscribed", "topic": topic}
        received = [await receive(ws) for _ in range(3)]
        assert [m["id"] for m in received] == [before.pk, published["during"], published["after"]]
        assert [m["type"] for m in received] == ["demo.before", "demo.during", "demo.after"]
        await assert_pong(ws)


async def test_resubscribing_does_not_repeat_events(alice):
    topic = user_topic(alice)
    first = await apublish(topic=topic, type="demo.n", data={})
    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": topic, "since": 0})
        assert (await receive(ws))["id"] == first.pk
        second = await apublish(topic=topic, type="demo.n", data={})
        assert (await receive(ws))["id"] == second.pk
        # Asking again from the start replays nothing already sent on this connection.
        assert await ask(ws, {"action": "subscribe", "topic": topic, "since": 0}) == {
            "type": "subscribed",
            "topic": topic,
        }
        await assert_pong(ws)


async def test_unsubscribe_stops_the_stream(alice, community):
    topic = f"community:{community.pk}"
    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": topic})
        await ask(ws, {"action": "subscribe", "topic": user_topic(alice)})
        assert await ask(ws, {"action": "unsubscribe", "topic": topic}) == {
            "type": "unsubscribed",
            "topic": topic,
        }
        await apublish(topic=topic, type="community.news", data={})
        mine = await apublish(topic=user_topic(alice), type="demo.n", data={})
        assert (await receive(ws))["id"] == mine.pk
        # Unsubscribing from something not followed is harmless.
        assert await ask(ws, {"action": "unsubscribe", "topic": "task:99"}) == {
            "type": "unsubscribed",
            "topic": "task:99",
        }


async def test_subscription_cap(settings):
    settings.LIVE_MAX_SUBSCRIPTIONS = 2

    def make_communities():
        from communities.models import Community

        return [
            Community.objects.create(name=f"区{n}", kind=Community.Kind.DISTRICT).pk
            for n in range(3)
        ]

    a, b, c = (f"community:{pk}" for pk in await database_sync_to_async(make_communities)())
    async with live_socket() as ws:
        assert (await ask(ws, {"action": "subscribe", "topic": a}))["type"] == "subscribed"
        assert (await ask(ws, {"action": "subscribe", "topic": b}))["type"] == "subscribed"
        assert await ask(ws, {"action": "subscribe", "topic": c}) == {
            "type": "error",
            "code": "too_many_subscriptions",
            "topic": c,
        }
        # Re-subscribing to a topic already followed is not a new subscription.
        assert (await ask(ws, {"action": "subscribe", "topic": a}))["type"] == "subscribed"
        await ask(ws, {"action": "unsubscribe", "topic": b})
        assert (await ask(ws, {"action": "subscribe", "topic": c}))["type"] == "subscribed"
        await assert_pong(ws)


async def test_auth_with_an_app_session_token(alice, bob):
    token = await database_sync_to_async(app_session_token)(alice.email)
    topic = user_topic(alice)
    async with live_socket() as ws:
        assert await ask(ws, {"action": "subscribe", "topic": topic}) == {
            "type": "error",
            "code": "forbidden",
            "topic": topic,
        }
        assert await ask(ws, {"action": "auth", "session_token": token}) == {
            "type": "authenticated",
            "user": alice.pk,
        }
        assert await ask(ws, {"action": "subscribe", "topic": topic}) == {
            "type": "subscribed",
            "topic": topic,
        }
        assert (await ask(ws, {"action": "subscribe", "topic": user_topic(bob)}))[
            "code"
        ] == "forbidden"
        event = await apublish(topic=topic, type="demo.n", data={})
        assert (await receive(ws))["id"] == event.pk


async def test_auth_with_a_bad_token_is_forbidden_and_keeps_serving(alice):
    async with live_socket() as ws:
        for token in ["nope", "x" * 40, "a\x00b"]:
            reply = await ask(ws, {"action": "auth", "session_token": token})
            assert reply["type"] == "error"
            assert reply["code"] in {"forbidden", "bad_request"}
        assert await ask(ws, {"action": "auth", "session_token": "x" * 40}) == {
            "type": "error",
            "code": "forbidden",
        }
        await assert_pong(ws)


async def test_switching_identity_drops_topics_the_new_user_may_not_follow(alice, bob):
    token = await database_sync_to_async(app_session_token)(bob.email)
    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": user_topic(alice)})
        assert (await ask(ws, {"action": "auth", "session_token": token}))["user"] == bob.pk
        assert await receive(ws) == {
            "type": "error",
            "code": "forbidden",
            "topic": user_topic(alice),
        }
        await apublish(topic=user_topic(alice), type="demo.n", data={})
        await ask(ws, {"action": "subscribe", "topic": user_topic(bob)})
        mine = await apublish(topic=user_topic(bob), type="demo.n", data={})
        assert (await receive(ws))["id"] == mine.pk


async def test_a_topic_kind_registered_by_an_app(alice):
    followers = {7}
    topics.register("demo", lambda user, object_id: object_id in followers)
    try:
        async with live_socket() as ws:
            assert await ask(ws, {"action": "subscribe", "topic": "demo:7"}) == {
                "type": "subscribed",
                "topic": "demo:7",
            }
            assert await ask(ws, {"action": "subscribe", "topic": "demo:8"}) == {
                "type": "error",
                "code": "forbidden",
                "topic": "demo:8",
            }
            event = await apublish(topic="demo:7", type="demo.ping", data={"text": "hi"})
            assert (await receive(ws))["id"] == event.pk
    finally:
        topics.unregister("demo")
    assert not topics.is_registered("demo")
    async with live_socket() as ws:
        assert (await ask(ws, {"action": "subscribe", "topic": "demo:7"}))["code"] == (
            "unknown_topic"
        )


async def test_can_follow_that_raises_is_a_refusal():
    def broken(user, object_id):
        raise RuntimeError("bug in an app's check")

    topics.register("broken", broken)
    try:
        async with live_socket() as ws:
            assert await ask(ws, {"action": "subscribe", "topic": "broken:1"}) == {
                "type": "error",
                "code": "forbidden",
                "topic": "broken:1",
            }
            await assert_pong(ws)
    finally:
        topics.unregister("broken")


async def test_lost_permission_stops_the_stream(alice, settings):
    settings.LIVE_RECHECK_SECONDS = 0  # re-check on every event
    followers = {3}
    topics.register("demo", lambda user, object_id: object_id in followers)
    try:
        async with live_socket(alice) as ws:
            await ask(ws, {"action": "subscribe", "topic": "demo:3"})
            await ask(ws, {"action": "subscribe", "topic": user_topic(alice)})
            first = await apublish(topic="demo:3", type="demo.n", data={})
            assert (await receive(ws))["id"] == first.pk
            followers.clear()
            await apublish(topic="demo:3", type="demo.n", data={})
            assert await receive(ws) == {"type": "error", "code": "forbidden", "topic": "demo:3"}
            await apublish(topic="demo:3", type="demo.n", data={})
            mine = await apublish(topic=user_topic(alice), type="demo.n", data={})
            assert (await receive(ws))["id"] == mine.pk
            await assert_pong(ws)
    finally:
        topics.unregister("demo")


async def test_deactivated_user_loses_their_topic_on_recheck(alice, settings):
    settings.LIVE_RECHECK_SECONDS = 0
    topic = user_topic(alice)
    async with live_socket(alice) as ws:
        await ask(ws, {"action": "subscribe", "topic": topic})

        def deactivate():
            type(alice).objects.filter(pk=alice.pk).update(is_active=False)

        await database_sync_to_async(deactivate)()
        await apublish(topic=topic, type="demo.n", data={})
        assert await receive(ws) == {"type": "error", "code": "forbidden", "topic": topic}
        await assert_pong(ws)


async def test_publish_serialises_once_and_the_group_message_carries_the_text(alice):
    from live.models import Event as EventModel

    topic = user_topic(alice)
    layer = get_channel_layer()
    async with live_socket(alice) as first, live_socket(alice) as second:
        await ask(first, {"action": "subscribe", "topic": topic})
        await ask(second, {"action": "subscribe", "topic": topic})
        with (
            mock.patch.object(
                EventModel, "as_message", autospec=True, side_effect=EventModel.as_message
            ) as as_message,
            mock.patch.object(layer, "group_send", wraps=layer.group_send) as pushed,
        ):
            event = await apublish(topic=topic, type="demo.n", data={"text": "一次"})
            one = await first.receive_from(timeout=5)
            two = await second.receive_from(timeout=5)
        assert as_message.call_count == 1
        assert pushed.call_count == 1
        group, message = pushed.call_args.args
        assert group == topics.group_name(topic)
        assert message["type"] == "live.event"
        assert message["id"] == event.pk
        assert message["topic"] == topic
        # Both clients got exactly the text that was serialised once.
        assert one == two == message["text"]
        assert json.loads(one)["id"] == event.pk
