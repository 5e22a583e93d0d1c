"""config.channel_layers.RedisPubSubChannelLayer.group_send_now: a push published from the
calling thread at once, in the wire form of group_send; declined (False) while pushes wait to
be sent again, and for a pause after a failure."""

import asyncio
import logging
import os
import time

import pytest

from config.channel_layers import DIRECT_PAUSE, RedisPubSubChannelLayer


def make_layer(url=None):
    return RedisPubSubChannelLayer(
        hosts=[url or os.environ["REDIS_URL"]], prefix=f"direct{os.getpid()}x{time.monotonic_ns()}"
    )


async def test_published_from_a_thread_reaches_the_groups_channels():
    layer = make_layer()
    channel = await layer.new_channel(prefix="live.hub.")
    await layer.group_add("task-1", channel)
    message = {"type": "live.event", "id": 7, "topic": "task:1", "text": "{}"}
    received = None
    for _ in range(20):  # the subscription reaches Redis on another connection
        assert await asyncio.to_thread(layer.group_send_now, "task-1", message)
        try:
            received = await asyncio.wait_for(layer.receive(channel), 0.25)
            break
        except TimeoutError:
            continue
    assert received == message
    await layer.group_discard("task-1", channel)


async def test_declined_while_pushes_wait_to_be_sent_again():
    layer = make_layer()
    queued = layer._get_layer()._pending
    queued.append((time.monotonic(), "task-1", {"type": "live.event"}))
    assert layer.group_send_now("task-1", {"type": "live.event"}) is False
    queued.clear()
    assert layer.group_send_now("task-1", {"type": "live.event"}) is True


def test_unreachable_redis_is_tried_once_per_pause(caplog, monkeypatch):
    layer = make_layer("redis://127.0.0.1:1/0")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="config.channel_layers"):
        assert layer.group_send_now("task-1", {"type": "live.event"}) is False
        assert layer.group_send_now("task-1", {"type": "live.event"}) is False
    assert len([r for r in caplog.records if "publish failed" in r.getMessage()]) == 1
    later = time.monotonic() + DIRECT_PAUSE + 1
    monkeypatch.setattr("config.channel_layers.time.monotonic", lambda: later)
    with caplog.at_level(logging.WARNING, logger="config.channel_layers"):
        assert layer.group_send_now("task-1", {"type": "live.event"}) is False
    assert len([r for r in caplog.records if "publish failed" in r.getMessage()]) == 2


@pytest.mark.parametrize("hosts", [[{"master_name": "mymaster", "sentinels": [("h", 1)]}]])
def test_sentinel_hosts_go_through_group_send(hosts):
    layer = RedisPubSubChannelLayer(hosts=hosts)
    assert layer.group_send_now("task-1", {"type": "live.event"}) is False
