"""Pushes to a Redis channel layer from threads that have no event loop of their own.

A gunicorn worker thread, a management command or the task worker has no running event loop;
`async_to_sync(layer.group_send)` would make a new loop, and with it a new Redis connection,
for every push. Instead each process keeps one publisher per Redis layer: a daemon thread
running an asyncio loop of its own, started on the first push and made again after a fork
(checked by process id). Pushes are handed to it with `loop.call_soon_threadsafe` and sent in
the order they were made, each with the layer's public `group_send`; the calling thread does
not wait for Redis.

While Redis is unreachable (stopped, restarting, a stale connection after a restart, a network
cut) the pushes stay queued in order and are sent again every RESEND_INTERVAL seconds, at most
MAX_PENDING of them and none older than MAX_AGE seconds; one warning is logged per outage.
Consumers drop event ids they have already sent, so a push that arrives both by a client's
replay (`since`) and by resending is shown once. At interpreter exit the queue is given
EXIT_FLUSH seconds to go out, so that a management command's last pushes are not lost.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
from collections import deque
from concurrent.futures import Future

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RESEND_INTERVAL = 0.5
MAX_PENDING = 10_000
MAX_AGE = 300.0
#: A send that takes longer is treated like an unreachable Redis and made again (a message
#: that did get through then arrives twice; consumers drop the copy by its event id).
SEND_TIMEOUT = 5.0
EXIT_FLUSH = 5.0
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)

_publishers: dict[int, Publisher] = {}
_publishers_lock = threading.Lock()


def publish(layer, group: str, message: dict) -> None:
    """Send `message` to `group` on `layer` from this process's publisher, in order."""
    publisher_for(layer).push(group, message)


def publisher_for(layer) -> Publisher:
    """This process's publisher for `layer`, started if need be."""
    with _publishers_lock:
        publisher = _publishers.get(id(layer))
        if publisher is None or publisher.layer is not layer or publisher.pid != os.getpid():
            publisher = _publishers[id(layer)] = Publisher(layer)
        return publisher


class Publisher:
    """One thread with one event loop sending a layer's pushes in order (see the module doc)."""

    def __init__(self, layer):
        self.layer = layer
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        # (queued at, group, message), or a Future resolved when the sender reaches it
        self.pending: deque = deque()
        self.failing = False
        started = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(started,), name="live-publisher", daemon=True
        )
        self.thread.start()
        started.wait()
        atexit.register(self.flush, EXIT_FLUSH)

    def push(self, group: str, message: dict) -> None:
        self.loop.call_soon_threadsafe(self._queue, (time.monotonic(), group, message))

    def flush(self, timeout: float) -> bool:
        """Wait until every push made before has been sent (or dropped); False on timeout."""
        if self.pid != os.getpid() or not self.thread.is_alive():
            return False
        done: Future = Future()
        self.loop.call_soon_threadsafe(self._queue, done)
        try:
            done.result(timeout)
        except TimeoutError:
            return False
        return True

    # -- in the publisher's thread -------------------------------------------------------

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.ready = asyncio.Event()
        self.loop.create_task(self._send_all())
        started.set()
        self.loop.run_forever()

    def _queue(self, item) -> None:
        if isinstance(item, tuple) and len(self.pending) >= MAX_PENDING:
            self._drop_oldest()
        self.pending.append(item)
        self.ready.set()

    def _drop_oldest(self) -> None:
        for index, item in enumerate(self.pending):
            if isinstance(item, tuple):
                del self.pending[index]
                logger.warning("live push queue full: the oldest queued push is dropped")
                return

    async def _send_all(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            while self.pending:
                item = self.pending[0]
                if isinstance(item, Future):
                    self.pending.popleft()
                    if not item.done():
                        item.set_result(None)
                    continue
                if await self._send(*item):
                    self.pending.popleft()
                else:
                    await asyncio.sleep(RESEND_INTERVAL)

    async def _send(self, queued_at: float, group: str, message: dict) -> bool:
        """Send one push; False if Redis is unreachable (it stays queued)."""
        if time.monotonic() - queued_at > MAX_AGE:
            logger.warning("live push to %s dropped: Redis unreachable for too long", group)
            return True
        try:
            await asyncio.wait_for(self.layer.group_send(group, message), SEND_TIMEOUT)
        except UNAVAILABLE as exc:
            if not self.failing:
                self.failing = True
                logger.warning("Redis unavailable (%s); live pushes are queued and sent again", exc)
            return False
        except Exception:
            # Not an outage (a message the layer cannot send): waiting would not help.
            logger.exception("live push to %s failed", group)
            return True
        if self.failing:
            self.failing = False
            logger.warning("Redis reachable again: queued live pushes are being sent")
        return True
