"""channels_redis' pub/sub layer, made to say so when messages may have been lost.

`channels_redis.pubsub.RedisPubSubChannelLayer` reconnects by itself after Redis restarts or
the network drops, but whatever was published in between never arrives, and nobody is told.
Linli's live log is the truth and clients catch up with `since`, so all a consumer needs is to
learn that its stream had a hole. This layer adds that, and keeps an outage cheap:

- Lost connection. Each connection's receive loop reads continuously; a read that fails
  (Redis stopped or restarted, connection reset) marks the connection lost and sends every
  channel of this process one message `{"type": "layer.reset"}`, so consumers must handle
  `layer_reset` (live.consumers.LiveConsumer closes with 4012, "reconnect"; the client
  reconnects and resubscribes with `since`). A channel is told once per outage. The loop keeps
  retrying every second; on success it unsubscribes whatever went away meanwhile.
- Pushes are kept, not dropped. A group_send that cannot reach Redis (down, restarting, a
  stale connection after a restart, a network cut between this process and Redis while others
  still reach it) is queued in this process and sent again every RESEND_INTERVAL seconds until
  it goes through (at most MAX_PENDING messages, none older than MAX_AGE seconds); while the
  queue is not empty, new messages join it in order. Consumers drop ids they already sent, so
  a message that arrives both by replay and by resend is shown once. Without a running event
  loop of its own (management commands, the task worker) a process cannot resend and the push
  is dropped as before (live.services._push logs it; the log has the event).
- No leaks or noise. A channel whose subscription fails is forgotten, and unsubscribing while
  Redis is down is not an error (the server forgot the subscription with the connection).
- Publishing without the event loop. `group_send_now(group, message)` publishes at once from
  the calling thread with a plain (sync) Redis client, in the same wire form as `group_send`.
  live.services pushes an event this way from the request thread the moment its transaction
  commits: every process's fan-out starts without waiting for this process's event loop to
  get a turn (under daphne the loop shares the interpreter with the request thread, which is
  still building its response) and without the round trip through it. It declines (returns
  False, and the caller uses `group_send`) while pushes are queued here for resending, for
  DIRECT_PAUSE seconds after it failed, and for hosts it cannot address (Sentinel), so that
  pushes keep their order behind queued ones and an outage costs one failed attempt per pause.

Settings: CHANNEL_LAYERS BACKEND "config.channel_layers.RedisPubSubChannelLayer", CONFIG as for
channels_redis' pub/sub layer. Relies on channels_redis 4.3's pub/sub internals (pinned in
requirements.txt); tests/services/test_faults.py exercises it against a real redis-server.
"""

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque

import redis
from channels_redis import pubsub
from channels_redis.utils import _consistent_hash, _wrap_close, decode_hosts
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RESET = {"type": "layer.reset"}
RESEND_INTERVAL = 0.5
MAX_PENDING = 10_000
MAX_AGE = 300.0
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
DIRECT_PAUSE = 5.0
DIRECT_TIMEOUT = 0.5  # seconds, connecting and each command of the direct client


class ShardConnection(pubsub.RedisSingleShardConnection):
    """One Redis connection (publish + subscriptions) that notices when it drops."""

    def __init__(self, host, channel_layer):
        super().__init__(host, channel_layer)
        self.lost = False
        self._told: set[str] = set()  # channels sent RESET during the current outage

    async def unsubscribe(self, channel):
        # While Redis is down the server has forgotten the subscription with the connection;
        # _restored() removes the client-side record once the connection is back.
        with contextlib.suppress(*UNAVAILABLE):
            await super().unsubscribe(channel)

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    if self.lost:
                        await self._restored()
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:
                self._lost(exc)
                await asyncio.sleep(1)

    def _lost(self, exc) -> None:
        if not self.lost:
            logger.warning(
                "Redis pub/sub connection lost (%s); live clients are told to reconnect", exc
            )
        self.lost = True
        layer = self.channel_layer
        text = layer.channel_layer.serialize(RESET)
        for name, queue in list(layer.channels.items()):
            if name not in self._told:
                self._told.add(name)
                queue.put_nowait(text)
        self._told &= set(layer.channels)

    async def _restored(self) -> None:
        self.lost = False
        self._told.clear()
        layer = self.channel_layer
        async with self._lock:
            stale = [
                name
                for name in self._subscribed_to
                if name not in layer.channels and name not in layer.groups
            ]
            if stale:
                try:
                    await self._pubsub.unsubscribe(*stale)
                except UNAVAILABLE:
                    return
                self._subscribed_to.difference_update(stale)
        logger.warning("Redis pub/sub connection restored")


class LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, **kwargs):
        super().__init__(hosts, *args, **kwargs)
        self._shards = [ShardConnection(host, self) for host in decode_hosts(hosts)]
        self._pending: deque = deque()  # (queued at, group, message)
        self._resender: asyncio.Task | None = None

    async def group_send(self, group, message):
        if self._pending:  # keep the order: wait behind what is queued
            self._queue(group, message)
            return
        try:
            await super().group_send(group, message)
        except UNAVAILABLE as exc:
            logger.warning("Redis unavailable (%s); live pushes are queued and sent again", exc)
            self._queue(group, message)

    def _queue(self, group, message) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
            logger.warning("live push queue full: the oldest queued push is dropped")
        self._pending.append((time.monotonic(), group, message))
        if self._resender is None or self._resender.done():
            self._resender = asyncio.ensure_future(self._resend())

    async def _resend(self):
        while self._pending:
            queued_at, group, message = self._pending[0]
            if time.monotonic() - queued_at > MAX_AGE:
                self._pending.popleft()
                continue
            try:
                await super().group_send(group, message)
            except UNAVAILABLE:
                await asyncio.sleep(RESEND_INTERVAL)
                continue
            self._pending.popleft()
        logger.warning("Redis reachable again: queued live pushes sent")

    async def _subscribe_to_channel(self, channel):
        try:
            await super()._subscribe_to_channel(channel)
        except BaseException:
            self.channels.pop(channel, None)
            raise

    async def group_add(self, group, channel):
        group_channel = self._get_group_channel_name(group)
        was_member = channel in self.groups.get(group_channel, ())
        try:
            await super().group_add(group, channel)
        except BaseException:
            members = self.groups.get(group_channel)
            if members is not None and not was_member:
                members.discard(channel)
                if not members:
                    del self.groups[group_channel]
            raise


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """Drop-in for channels_redis.pubsub.RedisPubSubChannelLayer (see the module doc)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hosts = kwargs.get("hosts", args[0] if args else None)
        self._direct_hosts = decode_hosts(hosts)
        self._direct_clients: dict[int, redis.Redis | None] = {}
        self._direct_lock = threading.Lock()
        self._direct_failed_at = float("-inf")

    def group_send_now(self, group: str, message: dict) -> bool:
        """Publish `message` to `group` from this thread, at once; False if not done (then
        send it with `group_send`). See the module doc."""
        if time.monotonic() - self._direct_failed_at < DIRECT_PAUSE:
            return False
        if any(layer._pending for layer in list(self._layers.values())):
            return False
        # The name RedisPubSubLoopLayer._get_group_channel_name gives the group.
        channel = f"{self._kwargs.get('prefix', 'asgi')}__group__{group}"
        client = self._direct_client(_consistent_hash(channel, len(self._direct_hosts)))
        if client is None:
            return False
        try:
            client.publish(channel, self.serialize(message))
        except (redis.RedisError, OSError) as exc:
            self._direct_failed_at = time.monotonic()
            logger.warning("Redis publish failed (%s); pushes go through the event loop", exc)
            return False
        return True

    def _direct_client(self, index: int) -> redis.Redis | None:
        with self._direct_lock:
            if index not in self._direct_clients:
                host = dict(self._direct_hosts[index])
                options = {
                    "socket_connect_timeout": DIRECT_TIMEOUT,
                    "socket_timeout": DIRECT_TIMEOUT,
                }
                if "address" in host:
                    address = host.pop("address")
                    client = redis.Redis.from_url(address, **{**options, **host})
                elif "master_name" in host:
                    client = None  # Sentinel: group_send finds the master
                else:
                    client = redis.Redis(**{**options, **host})
                self._direct_clients[index] = client
            return self._direct_clients[index]

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
            return layer
