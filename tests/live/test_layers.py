"""The channel layer settings: channels_redis' pub/sub layer as its README documents with
REDIS_URL, Channels' in-memory layer with documented options without; the in-memory layer
keeps the live hub in its groups and takes a burst of events on the hub's channel."""

import importlib

import pytest
from channels.layers import InMemoryChannelLayer

import config.settings.base as base


@pytest.fixture
def settings_without_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    try:
        yield importlib.reload(base)
    finally:
        monkeypatch.undo()
        importlib.reload(base)


def test_with_redis_url_channels_redis_pubsub_layer_as_documented(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")
    monkeypatch.setenv("REDIS_PREFIX", "linli_test")
    try:
        layer = importlib.reload(base).CHANNEL_LAYERS["default"]
    finally:
        monkeypatch.undo()
        importlib.reload(base)
    assert layer == {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/5"], "prefix": "linli_test"},
    }


def in_memory_layer(settings_module) -> InMemoryChannelLayer:
    config = settings_module.CHANNEL_LAYERS["default"]
    assert config["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert set(config["CONFIG"]) <= {"capacity", "expiry", "group_expiry"}
    return InMemoryChannelLayer(**config["CONFIG"])


def test_hub_memberships_do_not_expire(settings_without_redis):
    layer = in_memory_layer(settings_without_redis)
    assert layer.group_expiry >= 5 * 365 * 86400  # the hub leaves its groups itself


async def test_a_burst_of_events_reaches_the_hubs_channel_whole(settings_without_redis):
    layer = in_memory_layer(settings_without_redis)
    channel = await layer.new_channel(prefix="live.hub.")
    await layer.group_add("task-1", channel)
    for n in range(2000):
        await layer.group_send("task-1", {"type": "live.event", "id": n})
    assert [(await layer.receive(channel))["id"] for _ in range(2000)] == list(range(2000))
