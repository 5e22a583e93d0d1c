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
  which writes it straight to its socket unless it must hold it back (see live.consumers:
  replay in progress, dedupe, permission re-check). Events of one topic waiting together in
  the inbox (the events of one transaction, say) go out together, in order, in one write per
  socket. The frame bytes are made once per event (live.wire), and behind daphne they go
  straight to the socket.
- Where the channel layer can publish from the committing thread (`group_send_now`, Redis),
  live.services also hands the message to this process's hub directly (`deliver_here`) when
  the hub has followers of the topic (`followed_here`), marked with the layer's `origin_of`
  token, and the hub passes by the copy the layer brings back with that mark. The request
  thread waits (briefly: live.services.HANDOVER_WAIT) until the local followers have had it:
  they do not wait for the round trip through Redis, nor for the loop to win the interpreter
  back from a request thread busy with its reply.
- `layer.reset` (config.channel_layers: Redis dropped, pushes may have been lost) is passed on
  to every local follower, which closes with 4012 so that its client resubscribes with `since`.
  If the receive loop itself fails, followers are told the same way: never a silent stop.
- `live.recheck` ({"type", "topic"}: live.services.topic_changed, what the topic carries became
  private) is passed on to the topic's local followers (`hub_recheck`) at once, ahead of any
  of its events still waiting in the inbox: they are held until the follower's check is done.

Ordering: `follow()` returns only once the hub's channel is in the group, so whatever commits
after it is pushed to the consumer; the consumer reads the log after that (live.consumers).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
import uuid
import weakref
from collections import deque

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
# channel layer -> (process id, token): see origin_of
_origins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_origins_lock = threading.Lock()


def get_hub(layer) -> Hub:
    """The hub of `layer` in the running event loop."""
    hub = _running_hub(layer)
    if hub is None:
        hub = _hubs.setdefault(asyncio.get_running_loop(), {})[id(layer)] = Hub(layer)
    return hub


def _running_hub(layer) -> Hub | None:
    """The hub of `layer` in the running event loop, if it has one."""
    return _hub_in(asyncio.get_running_loop(), layer)


def _hub_in(loop, layer) -> Hub | None:
    hub = _hubs.get(loop, {}).get(id(layer))
    return hub if hub is not None and hub.layer is layer else None


def origin_of(layer) -> str:
    """The mark of messages this process's hubs of `layer` have had from `deliver_here`: a
    token of this process and layer object (a forked child gets a new one)."""
    # A request thread marking its first push and the hub's pump reading its mark may ask at
    # the same moment: both must get the same token, or the pump lets the marked copy through.
    with _origins_lock:
        pid, token = _origins.get(layer, (None, None))
        if pid != os.getpid():
            token = f"{os.getpid()}-{uuid.uuid4().hex}"
            _origins[layer] = (os.getpid(), token)
    return token


def followed_here(layer, loop, topic: str) -> bool:
    """Whether the hub of `layer` in `loop` has followers of `topic`. Asked from a request
    thread, without the loop: a follower that comes just after is served by the layer's copy
    of the message and by its own read of the log (see Hub.follow)."""
    hub = _hub_in(loop, layer)
    return hub is not None and bool(hub.followers.get(topic))


async def deliver_here(layer, message: dict) -> None:
    """Hand a `live.event` message to the running loop's hub of `layer`, as if the layer had
    brought it (the copy the layer does bring, marked `origin_of(layer)`, is passed by), and
    return once it has been fanned out to the followers here, in its turn."""
    hub = _running_hub(layer)
    if hub is not None and hub._pump is not None:
        fanned_out = asyncio.get_running_loop().create_future()
        hub._pump.put(message, fanned_out)
        await fanned_out


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

    # -- following -----------------------------------------------------------------------

    async def follow(self, topic: str, consumer) -> None:
        """Deliver `topic`'s events to `consumer` from now on. Raises what the channel layer
        raises if the group cannot be joined (nothing is followed then)."""
        async with self._lock:
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

    def _stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        self._pump = None
        self.channel_name = None

    async def _abandon(self, pump: _Pump) -> None:
        """Give up `pump` after it failed: tell every follower to reconnect and start afresh
        on the next follow."""
        self._reset_followers()
        pump.cancel()
        async with self._lock:
            if self._pump is not pump:
                return
            self._pump = None
            self.channel_name = None
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
        # messages, each followed by the future of its deliver_here if it came that way
        self.inbox: deque[dict | asyncio.Future] = deque()
        self.ready = asyncio.Event()
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._receive()), loop.create_task(self._send())]

    def put(self, message: dict, fanned_out: asyncio.Future | None = None) -> None:
        """Queue `message`; `fanned_out`, if given, is resolved once it has gone out (or the
        pump stops)."""
        self.inbox.append(message)
        if fanned_out is not None:
            self.inbox.append(fanned_out)
        self.ready.set()

    def cancel(self) -> None:
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        for item in self.inbox:
            if isinstance(item, asyncio.Future) and not item.done():
                item.set_result(None)
        self.inbox.clear()

    async def _receive(self) -> None:
        layer = self.hub.layer
        delivered_here = origin_of(layer)
        try:
            while True:
                message = await layer.receive(self.channel)
                kind = message.get("type")
                if kind == EVENT:
                    if message.get("origin") != delivered_here:
                        self.put(message)
                elif kind == RESET:
                    self.hub._reset_followers()
                elif kind == RECHECK:
                    self.hub.recheck(message.get("topic"))
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
                    if isinstance(self.inbox[0], asyncio.Future):
                        fanned_out = self.inbox.popleft()
                        if not fanned_out.done():
                            fanned_out.set_result(None)
                        continue
                    topic = self.inbox[0].get("topic")
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
        while inbox and isinstance(inbox[0], dict) and inbox[0].get("topic") == topic:
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
