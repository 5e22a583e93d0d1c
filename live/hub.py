"""The per-process fan-out hub of /ws/live/.

Without it every WebSocket consumer joins the topic's channel-layer group itself, so one event
becomes N channel-layer messages, N receive tasks waking up and N dispatches in one process.
With it, each process (each event loop, per channel layer) has ONE channel of its own:

- The first local consumer that follows a topic makes the hub add its channel to the topic's
  group; the last one to leave makes it discard it. When no topic is followed any more the hub
  stops its receive loop and drops its channel (a new one is made on the next follow).
- One long-lived receive loop reads that channel into an inbox; a fan-out task hands each
  `live.event` message ({"type": "live.event", "id", "topic", "text"}, or "events": [[id,
  text], ...] for several events of one transaction; text serialised once by
  `live.services.publish`) to every local consumer of the topic (`LiveConsumer.hub_event`),
  which sends it at once unless it must hold it back (see live.consumers: replay in progress,
  dedupe, permission re-check). Events of one topic waiting together in the inbox (the events
  of one transaction, say) go out together, in order. Behind daphne each event is framed once
  for all sockets as an autobahn prepared message (live.wire).
- A lost stream: on channels_redis' pub/sub layer the hub watches the layer's Redis
  (live.redis_watch) from its first follow to its last unfollow. When the connection to Redis
  drops, pushes may have been lost: every local follower is told (`hub_reset`) and closes with
  4012, so that its client resubscribes with `since` and catches up from the log; while Redis
  is down the hub refuses new follows. A `layer.reset` message on the hub's channel is passed
  on the same way. If the receive loop itself fails, followers are told too: never a silent
  stop. Leaving a group while Redis is down is logged, not raised.
- `live.recheck` ({"type", "topic"}: live.services.topic_changed, what the topic carries became
  private) takes its place in the inbox: the events that came before it (published before
  the change, made for the followers of then) go out first, then it is passed on to the
  topic's local followers (`hub_recheck`), who hold the topic's later events until their
  check is done.

Ordering: `follow()` returns only once the hub's channel is in the group, so whatever commits
after it is pushed to the consumer; the consumer reads the log after that (live.consumers).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections import deque

from . import redis_watch
from .topics import group_name
from .wire import Batch, Outgoing

logger = logging.getLogger(__name__)

EVENT = "live.event"
#: A fan-out lets the event loop run after this many consumers (other connections, and
#: servers that only buffer on send get to write what was sent so far).
YIELD_EVERY = 128
RESET = "layer.reset"
RECHECK = "live.recheck"

# event loop -> {id(channel layer): Hub}
_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class LayerUnavailable(ConnectionError):
    """The channel layer's Redis is unreachable: following now would pretend to be live."""


def get_hub(layer) -> Hub:
    """The hub of `layer` in the running event loop."""
    per_loop = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = per_loop.get(id(layer))
    if hub is None or hub.layer is not layer:
        hub = per_loop[id(layer)] = Hub(layer)
    return hub


class Hub:
    """One channel-layer subscription per topic for all the consumers of this process."""

    def __init__(self, layer):
        self.layer = layer
        self.channel_name: str | None = None
        # topic -> consumers following it here (a dict keeps the order they came in)
        self.followers: dict[str, dict[object, None]] = {}
        # topics whose group our channel is in
        self.joined: set[str] = set()
        self._lock = asyncio.Lock()
        self._pump: _Pump | None = None
        self._watches: list[redis_watch.Watch] = []

    # -- following -----------------------------------------------------------------------

    async def follow(self, topic: str, consumer) -> None:
        """Deliver `topic`'s events to `consumer` from now on. Raises what the channel layer
        raises if the group cannot be joined, LayerUnavailable while the layer's Redis is
        unreachable (nothing is followed then)."""
        async with self._lock:
            if any(watch.down for watch in self._watches):
                raise LayerUnavailable("the channel layer's Redis is unreachable")
            if topic not in self.joined:
                await self._start()
                try:
                    await self.layer.group_add(group_name(topic), self.channel_name)
                except BaseException:
                    if not self.joined:
                        self._stop()
                    raise
                self.joined.add(topic)
            self.followers.setdefault(topic, {})[consumer] = None

    async def unfollow(self, topic: str, consumer) -> None:
        """Stop delivering `topic` to `consumer` (at once); leave the group if it was the last
        local follower."""
        followers = self.followers.get(topic)
        if followers is not None:
            followers.pop(consumer, None)
        await self._prune([topic])

    def forget(self, consumer) -> None:
        """Drop `consumer` from every topic at once (it is gone); groups left empty are
        discarded in the background."""
        emptied = []
        for topic, followers in self.followers.items():
            if consumer in followers:
                del followers[consumer]
                if not followers:
                    emptied.append(topic)
        if emptied:
            task = asyncio.get_running_loop().create_task(self._prune(emptied))
            _background.add(task)
            task.add_done_callback(_background.discard)

    async def _prune(self, topics) -> None:
        async with self._lock:
            for topic in topics:
                if self.followers.get(topic) or topic not in self.joined:
                    continue
                self.followers.pop(topic, None)
                self.joined.discard(topic)
                try:
                    await self.layer.group_discard(group_name(topic), self.channel_name)
                except Exception:
                    logger.warning("live hub: group_discard failed for %s", topic, exc_info=True)
            if not self.joined:
                self._stop()

    # -- the pump: receive loop and fan-out ------------------------------------------------

    async def _start(self) -> None:
        if self._pump is not None:
            return
        channel = await self.layer.new_channel(prefix="live.hub.")
        self._pump = _Pump(self, channel)
        self.channel_name = channel
        self._watches = redis_watch.watch(self)

    def _stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        self._pump = None
        self.channel_name = None
        redis_watch.unwatch(self, self._watches)
        self._watches = []

    async def _abandon(self, pump: _Pump) -> None:
        """Give up `pump` after it failed: tell every follower to reconnect and start afresh
        on the next follow."""
        self._reset_followers()
        pump.cancel()
        async with self._lock:
            if self._pump is not pump:
                return
            self._stop()
            joined, self.joined = self.joined, set()
            self.followers.clear()
            for topic in joined:
                try:
                    await self.layer.group_discard(group_name(topic), pump.channel)
                except Exception:
                    logger.warning("live hub: group_discard failed for %s", topic, exc_info=True)

    async def fan_out(self, topic: str, events: list, more=None) -> None:
        """Hand consecutive events of `topic` ([(id, Outgoing), ...]) to every local follower.

        `more()`, if given, returns further events of the topic that arrived meanwhile (it is
        asked whenever the fan-out lets the loop run): followers not served yet get them with
        the rest in one write, the others in another round right after, each in order."""
        followers = self.followers.get(topic)
        if not followers:
            return
        events = list(events)
        batches: dict[tuple[int, int], Batch] = {}
        todo = [(consumer, 0) for consumer in followers]  # (follower, events it has)
        n = 0
        while todo:
            behind = []
            for consumer, start in todo:
                end = len(events)
                batch = batches.get((start, end))
                if batch is None:
                    batch = batches[start, end] = Batch(events[start:end])
                try:
                    # Nearly always done at once (see LiveConsumer.hub_event): no coroutine
                    # per follower; an awaitable only when it must go through ASGI `send`.
                    pending = consumer.hub_event(topic, batch)
                    if pending is not None:
                        await pending
                except Exception:
                    logger.exception("live hub: delivering events of %s failed", topic)
                behind.append((consumer, end))
                n += 1
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                    if more is not None:
                        events += more()
            todo = [(consumer, end) for consumer, end in behind if end < len(events)]

    def recheck(self, topic) -> None:
        for consumer in list(self.followers.get(topic, ())):
            try:
                consumer.hub_recheck(topic)
            except Exception:
                logger.exception("live hub: asking a follower of %s to re-check failed", topic)

    def layer_lost(self) -> None:
        """The layer's connection to Redis dropped (live.redis_watch): pushes may be lost."""
        self._reset_followers()

    def _reset_followers(self) -> None:
        consumers = {c: None for followers in self.followers.values() for c in followers}
        for consumer in consumers:
            try:
                consumer.hub_reset()
            except Exception:
                logger.exception("live hub: telling a follower to reconnect failed")


class _Pump:
    """The hub's channel with its two tasks: one reads the channel into an inbox as fast as
    messages come, the other fans the inbox out, taking consecutive events of one topic
    together (one write per follower for all of them), also those that come in while the
    fan-out is under way (see Hub.fan_out)."""

    def __init__(self, hub: Hub, channel: str):
        self.hub = hub
        self.channel = channel
        self.inbox: deque[dict] = deque()
        self.ready = asyncio.Event()
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._receive()), loop.create_task(self._send())]

    def put(self, message: dict) -> None:
        self.inbox.append(message)
        self.ready.set()

    def cancel(self) -> None:
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self.inbox.clear()

    async def _receive(self) -> None:
        layer = self.hub.layer
        try:
            while True:
                message = await layer.receive(self.channel)
                kind = message.get("type")
                if kind == EVENT:
                    self.put(message)
                elif kind == RESET:
                    self.hub._reset_followers()
                elif kind == RECHECK:
                    self.put(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Never stop silently: followers reconnect and catch up from the log.
            logger.exception("live hub: receive loop failed; followers are told to reconnect")
            await self.hub._abandon(self)

    async def _send(self) -> None:
        try:
            while True:
                await self.ready.wait()
                self.ready.clear()
                while self.inbox:
                    topic = self.inbox[0].get("topic")
                    if self.inbox[0].get("type") == RECHECK:
                        self.inbox.popleft()
                        self.hub.recheck(topic)
                        continue
                    events = self._take(topic)
                    if events:
                        await self.hub.fan_out(topic, events, functools.partial(self._take, topic))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("live hub: fan-out failed; followers are told to reconnect")
            await self.hub._abandon(self)

    def _take(self, topic) -> list[tuple[int, Outgoing]]:
        """The events of `topic` at the head of the inbox (up to another topic's)."""
        inbox = self.inbox
        events = []
        while inbox and inbox[0].get("type") == EVENT and inbox[0].get("topic") == topic:
            message = inbox.popleft()
            carried = message.get("events")
            if carried is None:
                carried = [(message.get("id"), message.get("text"))]
            elif not isinstance(carried, list):
                carried = [(None, None)]
            for item in carried:
                event_id, text = (
                    item if isinstance(item, list | tuple) and len(item) == 2 else (None, None)
                )
                if (
                    isinstance(topic, str)
                    and isinstance(event_id, int)
                    and not isinstance(event_id, bool)
                    and isinstance(text, str)
                ):
                    events.append((event_id, Outgoing(text)))
                else:
                    logger.warning("live hub: malformed event message for %r", topic)
        return events


# Strong references to fire-and-forget tasks (asyncio keeps only weak ones).
_background: set[asyncio.Task] = set()
