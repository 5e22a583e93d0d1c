"""Hostile WebSocket clients against config.asgi.application: random, binary, oversized and
out-of-order frames get answers (errors), never a closed connection, and ping is still answered."""

import json
import random

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from tests.live.helpers import ask, assert_pong, live_socket, receive, send

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 20261128


def random_frames(n):
    """Deterministic garbage: random text, random bytes, JSON that is not a valid message."""
    rng = random.Random(SEED)
    alphabet = "{}[]\":,ab 邻\\\x00\u202e<>'" + "0123456789"
    frames = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80)))
            frames.append(("text", text))
        elif kind == 1:
            frames.append(("bytes", bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 80)))))
        elif kind == 2:
            value = rng.choice([None, True, 3.5, -1, "ping", [], [{"action": "ping"}], {"a": 1}])
            frames.append(("text", json.dumps(value)))
        elif kind == 3:
            action = rng.choice(["subscribe", "unsubscribe", "auth"])
            field = {"subscribe": "topic", "unsubscribe": "topic", "auth": "session_token"}[action]
            bad = rng.choice([None, 12, [], {}, True, 1.5])
            frames.append(("text", json.dumps({"action": action, field: bad})))
        else:
            action = "".join(rng.choice("abcxyz_") for _ in range(rng.randint(1, 12)))
            frames.append(("text", json.dumps({"action": action})))
    return frames


async def test_random_frames_get_errors_and_the_connection_keeps_serving():
    async with live_socket() as ws:
        for kind, frame in random_frames(60):
            if kind == "bytes":
                await ws.send_to(bytes_data=frame)
            else:
                await ws.send_to(text_data=frame)
            reply = await receive(ws)
            assert reply["type"] == "error", (frame, reply)
            assert reply["code"] in {"bad_request", "unknown_topic", "forbidden"}, (frame, reply)
        await assert_pong(ws)


async def test_oversized_frames_of_every_shape(settings):
    settings.LIVE_MAX_MESSAGE_BYTES = 1024
    async with live_socket() as ws:
        await ws.send_to(text_data="x" * 1_000_000)
        assert (await receive(ws))["code"] == "bad_request"
        await ws.send_to(bytes_data=b"\xff" * 1_000_000)
        assert (await receive(ws))["code"] == "bad_request"
        await send(ws, {"action": "subscribe", "topic": "user:" + "9" * 5000})
        assert (await receive(ws))["type"] == "error"
        await assert_pong(ws)


async def test_out_of_order_messages():
    alice = await database_sync_to_async(User.objects.create_user)(
        email="alice@example.com", password="pw-123456"
    )
    async with live_socket() as ws:
        # Subscribing to a private topic before signing in is refused, not crashed on.
        reply = await ask(ws, {"action": "subscribe", "topic": f"user:{alice.pk}"})
        assert reply == {"type": "error", "code": "forbidden", "topic": f"user:{alice.pk}"}
        # Unsubscribing from something never subscribed is harmless (idempotent).
        reply = await ask(ws, {"action": "unsubscribe", "topic": "task:424242"})
        assert reply["type"] in {"unsubscribed", "error"}
        reply = await ask(ws, {"action": "unsubscribe", "topic": "no-such-kind:1"})
        assert reply["type"] in {"unsubscribed", "error"}
        # A bad token after all that: forbidden, and still serving.
        reply = await ask(ws, {"action": "auth", "session_token": "forged"})
        assert reply["type"] == "error" and reply["code"] == "forbidden"
        # Since without a subscription that makes sense, repeated subscribe, ping in between.
        for _ in range(3):
            reply = await ask(ws, {"action": "subscribe", "topic": "community:999999"})
            assert reply["type"] in {"error", "subscribed"}
            await assert_pong(ws)
        await assert_pong(ws)


async def test_many_frames_in_a_burst_are_all_answered_in_order():
    async with live_socket() as ws:
        for i in range(50):
            await ws.send_to(text_data=f"garbage {i}" if i % 2 else '{"action": "ping"}')
        replies = [await receive(ws) for _ in range(50)]
        expected = ["pong" if i % 2 == 0 else "error" for i in range(50)]
        assert [r["type"] for r in replies] == expected
        await assert_pong(ws)
