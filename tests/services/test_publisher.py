"""live.publisher against a private redis-server: pushes from threads without an event loop
go out in order through one connection, wait in order while Redis is unreachable and arrive
once it is back, within bounds; a forked child gets a publisher of its own."""

import asyncio
import logging
import multiprocessing
import os
import sys
import threading
import time

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from live import publisher

GROUP = "task-1"


def make_layer(port: int, prefix: str | None = None) -> RedisPubSubChannelLayer:
    return RedisPubSubChannelLayer(
        hosts=[f"redis://127.0.0.1:{port}/0"],
        prefix=prefix or f"pub{os.getpid()}x{time.monotonic_ns()}",
    )


class CountingLayer:
    """`layer` for the publisher (which only calls `group_send`), counting the sends tried,
    whether they get through or not."""

    def __init__(self, layer):
        self.layer = layer
        self.tries = 0

    async def group_send(self, group, message):
        self.tries += 1
        return await self.layer.group_send(group, message)


async def eventually(condition, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


class Receiver:
    """A channel of `layer` in the group, read continuously into `messages` (a receive that
    is cancelled would drop the channel's subscription)."""

    def __init__(self, layer):
        self.layer = layer
        self.messages: list[dict] = []
        self.arrived = asyncio.Event()

    async def __aenter__(self):
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(GROUP, self.channel)
        self.task = asyncio.get_running_loop().create_task(self._read())
        # The subscription is in place once a message sent after it comes back.
        deadline = time.monotonic() + 10
        while not any(m.get("ready") for m in self.messages):
            assert time.monotonic() < deadline, "the subscription never took effect"
            await self.layer.group_send(GROUP, {"type": "probe", "ready": True})
            await self.wait_until(lambda: any(m.get("ready") for m in self.messages), 0.2, False)
        self.messages.clear()
        return self

    async def __aexit__(self, *exc):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def _read(self):
        while True:
            self.messages.append(await self.layer.receive(self.channel))
            self.arrived.set()

    async def wait_until(self, condition, timeout: float = 15.0, required: bool = True) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                assert not required, f"timed out; received {self.messages}"
                return False
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                continue
        return True

    def numbers(self) -> list[int]:
        return [m["n"] for m in self.messages if "n" in m]


def push_from_a_thread(layer, numbers) -> float:
    """Push {"n": n} for each of `numbers` from a thread without an event loop; returns how
    long the pushes held that thread up."""
    took = []

    def run():
        started = time.monotonic()
        for n in numbers:
            publisher.publish(layer, GROUP, {"type": "live.event", "n": n})
        took.append(time.monotonic() - started)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=10)
    return took[0]


async def test_pushes_from_threads_arrive_in_order(redis_servers):
    _proc, port = redis_servers.redis()
    layer = make_layer(port)
    async with Receiver(layer) as receiver:
        push_from_a_thread(layer, range(200))
        await receiver.wait_until(lambda: len(receiver.numbers()) >= 200)
        assert receiver.numbers() == list(range(200))
    # One publisher (one thread, one loop) per layer and process.
    assert publisher.publisher_for(layer) is publisher.publisher_for(layer)


async def test_pushes_made_while_redis_is_unreachable_arrive_once_it_is_back(
    redis_servers, proxy, caplog
):
    """A network cut between this process and Redis while the subscribers still reach it:
    the pushes wait in order, the pushing thread goes on at once, one warning is logged."""
    _proc, port = redis_servers.redis()
    line = proxy(port)
    prefix = f"cut{os.getpid()}x{time.monotonic_ns()}"
    pushing = CountingLayer(make_layer(line.port, prefix))
    receiving = make_layer(port, prefix)
    async with Receiver(receiving) as receiver:
        push_from_a_thread(pushing, [1])
        await receiver.wait_until(lambda: receiver.numbers() == [1])
        # Redis may deliver 1 before its reply reaches the publisher; a cut in between would
        # make the publisher send 1 again (at least once, by design). Cut after the reply.
        assert await asyncio.to_thread(publisher.publisher_for(pushing).flush, 10)

        line.cut()
        with caplog.at_level(logging.WARNING, logger="live.publisher"):
            took = push_from_a_thread(pushing, [2, 3, 4, 5])
            assert took < 0.5  # the thread did not wait for Redis
            before = pushing.tries
            await eventually(lambda: pushing.tries >= before + 3)  # some attempts fail meanwhile
            line.restore()
            push_from_a_thread(pushing, [6])
            await receiver.wait_until(lambda: 6 in receiver.numbers())
        assert receiver.numbers() == [1, 2, 3, 4, 5, 6]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "queued and sent again" in w]) == 1, warnings


def test_an_outage_longer_than_the_bounds_drops_the_oldest_pushes(monkeypatch, caplog):
    monkeypatch.setattr(publisher, "MAX_PENDING", 3)
    monkeypatch.setattr(publisher, "MAX_AGE", 0.3)
    layer = make_layer(1)  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="live.publisher"):
        push_from_a_thread(layer, range(5))
        assert publisher.publisher_for(layer).flush(timeout=10)
    warnings = [r.getMessage() for r in caplog.records]
    assert len([w for w in warnings if "queue full" in w]) == 2
    assert len([w for w in warnings if "unreachable for too long" in w]) == 3
    assert len([w for w in warnings if "queued and sent again" in w]) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
async def test_a_forked_child_gets_a_publisher_of_its_own(redis_servers):
    """As a gunicorn worker forked from a master that had pushed already."""
    _proc, port = redis_servers.redis()
    layer = make_layer(port)
    async with Receiver(layer) as receiver:
        parents = publisher.publisher_for(layer)
        push_from_a_thread(layer, [1])
        await receiver.wait_until(lambda: receiver.numbers() == [1])

        def child() -> None:
            mine = publisher.publisher_for(layer)
            if mine is parents or not mine.thread.is_alive():
                sys.exit(3)
            mine.push(GROUP, {"type": "live.event", "n": 2})
            sys.exit(0 if mine.flush(timeout=10) else 4)

        process = multiprocessing.get_context("fork").Process(target=child)
        process.start()
        await asyncio.to_thread(process.join, 30)
        assert process.exitcode == 0
        await receiver.wait_until(lambda: receiver.numbers() == [1, 2])
