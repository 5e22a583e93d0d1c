"""live.layers.InMemoryChannelLayer: the expiry walk off the fan-out path, unbounded hub
channels."""

import asyncio

import pytest
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

from live import layers
from live.layers import CLEAN_DELAY, InMemoryChannelLayer


@pytest.fixture
def walks(monkeypatch):
    calls = []
    original = ChannelsInMemoryChannelLayer._clean_expired

    def counting(self):
        calls.append(asyncio.get_running_loop().time())
        original(self)

    monkeypatch.setattr(ChannelsInMemoryChannelLayer, "_clean_expired", counting)
    return calls


async def test_group_send_delivers_before_the_expiry_walk(walks):
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel(prefix="live.hub.")
    await layer.group_add("task-1", channel)
    walks.clear()
    sent_at = asyncio.get_running_loop().time()
    await layer.group_send("task-1", {"type": "live.event", "id": 1})
    assert walks == []  # not inside the send
    assert (await layer.receive(channel))["id"] == 1
    await asyncio.sleep(CLEAN_DELAY + 0.1)
    assert len(walks) == 1 and walks[0] >= sent_at + CLEAN_DELAY - 0.01


async def test_the_walk_runs_at_most_once_per_interval(walks, monkeypatch):
    layer = InMemoryChannelLayer()
    walks.clear()
    for n in range(20):
        await layer.group_send("task-1", {"type": "live.event", "id": n})
    await asyncio.sleep(CLEAN_DELAY + 0.1)
    assert len(walks) == 1
    monkeypatch.setattr(layers, "CLEAN_INTERVAL", 0.0)
    await layer.group_send("task-1", {"type": "live.event", "id": 99})
    await asyncio.sleep(CLEAN_DELAY + 0.1)
    assert len(walks) == 2


async def test_expired_messages_are_still_dropped():
    layer = InMemoryChannelLayer(expiry=0)
    channel = await layer.new_channel()
    await layer.group_add("task-1", channel)
    await layer.send(channel, {"type": "live.event", "id": 1})
    layer._cleaned_at = float("-inf")
    layer._clean_expired()
    await asyncio.sleep(CLEAN_DELAY + 0.1)
    assert channel not in layer.channels
    assert channel not in layer.groups.get("task-1", {})  # an expired message ends membership


async def test_hub_channels_take_any_burst():
    layer = InMemoryChannelLayer(capacity=3)
    hub_channel = await layer.new_channel(prefix="live.hub.")
    for n in range(50):
        await layer.send(hub_channel, {"type": "live.event", "id": n})
    assert [(await layer.receive(hub_channel))["id"] for _ in range(50)] == list(range(50))
    other = await layer.new_channel()
    for n in range(3):
        await layer.send(other, {"type": "live.event", "id": n})
    with pytest.raises(ChannelFull):
        await layer.send(other, {"type": "live.event", "id": 3})
