"""Client processes of the fan-out benchmark: many WebSocket subscribers in one asyncio loop.

The parent talks to each worker over a Pipe:
    worker -> parent  ("started",)  once imported; then it waits for
    parent -> worker  ("connect",)  sent to all workers at once, so that their clients connect
                                    and subscribe side by side, not one process's after another's
    worker -> parent  ("ready", subscribed, [errors])
    parent -> worker  ("expect", [event ids], grace seconds)   or  ("stop",)
    worker -> parent  ("done", [[(event id, receive time), ...] per client])
Receive times are `time.time()` taken as soon as the loop hands over the message. The
client processes collect no garbage while they measure (see `_run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time

from websockets.asyncio.client import connect

CONNECT_CONCURRENCY = 50
SUBSCRIBE_TIMEOUT = 60.0


class Subscriber:
    def __init__(self, url: str, origin: str, topic: str):
        self.url = url
        self.origin = origin
        self.topic = topic
        self.ws = None
        self.received: list[tuple[int, float]] = []
        self.ids: set[int] = set()
        self.error: str | None = None

    async def open(self, gate: asyncio.Semaphore) -> None:
        async with gate:
            self.ws = await connect(
                self.url,
                origin=self.origin,
                compression=None,
                proxy=None,
                ping_interval=None,
                open_timeout=SUBSCRIBE_TIMEOUT,
                close_timeout=2,
                max_queue=None,
            )
            await self.ws.send(json.dumps({"action": "subscribe", "topic": self.topic}))
            while True:
                reply = json.loads(await asyncio.wait_for(self.ws.recv(), SUBSCRIBE_TIMEOUT))
                if reply.get("type") == "subscribed":
                    return
                if reply.get("type") == "error":
                    raise RuntimeError(f"subscribe refused: {reply}")

    async def listen(self) -> None:
        received = self.received
        ids = self.ids
        try:
            async for raw in self.ws:
                now = time.time()
                message = json.loads(raw)
                event_id = message.get("id")
                if event_id is not None and message.get("topic") == self.topic:
                    received.append((event_id, now))
                    ids.add(event_id)
        except Exception as exc:  # connection dropped: counted as lost events
            self.error = repr(exc)


async def _run(conn, urls: list[str], origins: list[str], topic: str, count: int) -> None:
    loop = asyncio.get_running_loop()
    conn.send(("started",))
    command = await loop.run_in_executor(None, conn.recv)
    if command[0] != "connect":
        conn.send(("done", [[] for _ in range(count)]))
        return
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    subs = [Subscriber(urls[i % len(urls)], origins[i % len(origins)], topic) for i in range(count)]
    opened = await asyncio.gather(*(s.open(gate) for s in subs), return_exceptions=True)
    errors = sorted({repr(r) for r in opened if isinstance(r, BaseException)})
    live = [s for s, r in zip(subs, opened, strict=True) if not isinstance(r, BaseException)]
    listeners = [asyncio.create_task(s.listen()) for s in live]
    # No garbage collection in the client processes while they measure: a full pass over a
    # thousand connections' objects paused a client process for 14-33 ms now and then (gc
    # callbacks, 25-32 passes per process in a run, up to 28 ms), which landed on a random
    # event, the floor's or Linli's alike, and decided p99 more than either server did.
    # What the clients drop is freed by reference counting; the process ends after the run.
    gc.collect()
    gc.freeze()
    gc.disable()
    conn.send(("ready", len(live), errors[:5]))

    command = await loop.run_in_executor(None, conn.recv)
    if command[0] == "expect":
        expected, grace = set(command[1]), command[2]
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if all(expected <= s.ids for s in live):
                break
            await asyncio.sleep(0.05)

    for s in live:
        with contextlib.suppress(Exception):
            s.ws.transport.abort()
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    conn.send(("done", [s.received for s in subs]))


def worker(conn, urls: list[str], origins: list[str], topic: str, count: int) -> None:
    """Entry point of one client process."""
    from bench.servers import raise_fd_limit

    raise_fd_limit()
    try:
        asyncio.run(_run(conn, urls, origins, topic, count))
    finally:
        conn.close()
