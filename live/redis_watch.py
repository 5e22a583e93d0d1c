"""Telling live clients to resync when Redis may have lost their messages.

`channels_redis.pubsub.RedisPubSubChannelLayer` (through redis-py's pub/sub client) reconnects
and subscribes again by itself after Redis restarts or the connection drops, but whatever was
published in between never arrives, and nobody is told. Linli's live log is the truth and
clients catch up with `since`, so all a follower needs is to learn that its stream had a hole.

A `Watch` does that for one Redis host, in one event loop: it holds a pub/sub connection of
its own to the host the channel layer uses (redis-py's public asyncio client), reads it
continuously (a dropped connection shows at once) and pings through it every PING_INTERVAL
seconds (a connection that stops answering counts as lost after PONG_TIMEOUT). When it fails,
every hub it watches for tells its followers, once per outage (live.hub: Hub._reset_followers,
which makes each consumer close with 4012 so that its client resubscribes with `since`); then
it tries again every RETRY_INTERVAL seconds. While it is down, hubs refuse new follows.

The first follow of a hub on a Redis layer starts the watch (`watch`); the hub's last unfollow
stops it (`unwatch`). The hosts are those of the layer's entry in settings.CHANNEL_LAYERS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

from channels.layers import get_channel_layer
from django.conf import settings
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

logger = logging.getLogger(__name__)

REDIS_PUBSUB_LAYER = "channels_redis.pubsub.RedisPubSubChannelLayer"
PING_INTERVAL = 1.0
PONG_TIMEOUT = 5.0
RETRY_INTERVAL = 1.0
CONNECT_TIMEOUT = 2.0
CLOSE_TIMEOUT = 1.0
CHANNEL = "linli.live.watch"  # subscribed to, never published to

# event loop -> {host key: Watch}
_watches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hosts_of(layer) -> list | None:
    """The `hosts` of `layer`'s entry in settings.CHANNEL_LAYERS if it is channels_redis' pub/sub
    layer, else None (nothing to watch)."""
    for alias, config in getattr(settings, "CHANNEL_LAYERS", {}).items():
        if config.get("BACKEND") == REDIS_PUBSUB_LAYER and get_channel_layer(alias) is layer:
            return list(config.get("CONFIG", {}).get("hosts") or ["redis://localhost:6379"])
    return None


def watch(hub) -> list[Watch]:
    """Start watching the Redis hosts of `hub.layer` for `hub` (none for other layers)."""
    hosts = hosts_of(hub.layer)
    if not hosts:
        return []
    per_loop = _watches.setdefault(asyncio.get_running_loop(), {})
    watches = []
    for host in hosts:
        key = repr(host)
        current = per_loop.get(key)
        if current is None or current.stopped:
            current = per_loop[key] = Watch(host)
        current.add(hub)
        watches.append(current)
    return watches


def unwatch(hub, watches) -> None:
    for current in watches:
        current.discard(hub)


def connect(host) -> aioredis.Redis:
    """A redis.asyncio client for one entry of channels_redis' `hosts` setting (a URL, a
    (host, port) pair, or a dict of connection options with "address" or Sentinel's
    "sentinels" and "master_name")."""
    # No retries: a reconnect inside the client would hide the outage this is here to see.
    options = {"socket_connect_timeout": CONNECT_TIMEOUT, "retry": Retry(NoBackoff(), 0)}
    if isinstance(host, str | bytes):
        return aioredis.Redis.from_url(host, **options)
    if isinstance(host, tuple | list):
        return aioredis.Redis(host=host[0], port=host[1], **options)
    host = dict(host)
    if "master_name" in host:
        master_name = host.pop("master_name")
        sentinels = host.pop("sentinels")
        sentinel_kwargs = host.pop("sentinel_kwargs", None)
        return Sentinel(sentinels, sentinel_kwargs=sentinel_kwargs, **host).master_for(master_name)
    if "address" in host:
        return aioredis.Redis.from_url(host.pop("address"), **{**options, **host})
    return aioredis.Redis(**{**options, **host})


def stop_if_cancelled() -> None:
    """Raise CancelledError if the running task was asked to stop: a read with its own timeout
    inside the Redis client may end with that timeout rather than with the cancellation, and
    the watch must still stop (or a loop shutting down waits for it forever)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Watch:
    """One Redis host watched in one event loop for the hubs that use it (module doc)."""

    def __init__(self, host):
        self.host = host
        self.hubs: weakref.WeakSet = weakref.WeakSet()
        self.down = False
        self.stopped = False
        self.task = asyncio.get_running_loop().create_task(self._run())

    def add(self, hub) -> None:
        self.hubs.add(hub)

    def discard(self, hub) -> None:
        self.hubs.discard(hub)
        if not self.hubs:
            self.stopped = True
            self.task.cancel()

    async def _run(self) -> None:
        while True:
            try:
                await self._watch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._lost(exc)
            stop_if_cancelled()
            await asyncio.sleep(RETRY_INTERVAL)

    async def _watch(self) -> None:
        """Hold a pub/sub connection to the host until it fails (raises)."""
        client = connect(self.host)
        pubsub = client.pubsub()
        try:
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await pubsub.subscribe(CHANNEL)
                while await pubsub.get_message(timeout=CONNECT_TIMEOUT) is None:
                    pass
            self._restored()
            answered = loop.time()
            while True:
                await pubsub.ping()
                deadline = loop.time() + PING_INTERVAL
                while (remaining := deadline - loop.time()) > 0:
                    message = await pubsub.get_message(timeout=remaining)
                    stop_if_cancelled()
                    kind = None if message is None else message.get("type")
                    if kind in ("pong", b"pong"):
                        answered = loop.time()
                    elif kind in ("subscribe", b"subscribe"):
                        # The client reconnected by itself: messages may have been lost.
                        raise ConnectionError("the Redis connection was made again")
                if loop.time() - answered > PONG_TIMEOUT:
                    raise TimeoutError(f"no answer from Redis for {PONG_TIMEOUT:.0f} s")
        finally:
            # Bounded: closing must not keep a cancelled watch (a loop shutting down) waiting.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), CLOSE_TIMEOUT)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.aclose(), CLOSE_TIMEOUT)

    def _lost(self, exc) -> None:
        if self.down:
            return
        self.down = True
        logger.warning("Redis connection lost (%s); live clients are told to reconnect", exc)
        for hub in list(self.hubs):
            hub.layer_lost()

    def _restored(self) -> None:
        if self.down:
            self.down = False
            logger.warning("Redis connection restored")
