"""The one live endpoint, /ws/live/ (protocol in the design, "Live updates").

client -> server (JSON text frames, at most settings.LIVE_MAX_MESSAGE_BYTES bytes):
  {"action": "auth", "session_token": "..."}       allauth headless app session
  {"action": "subscribe", "topic": "task:12", "since": 41}   since is optional
  {"action": "unsubscribe", "topic": "task:12"}
  {"action": "ping"}

server -> client:
  {"type": "authenticated", "user": 9}
  {"type": "subscribed", "topic": "..."}, {"type": "unsubscribed", "topic": "..."}
  events {"id", "topic", "type", "data", "at"} (the text `live.services.publish` serialised)
  {"type": "resync", "topic": "..."}
  {"type": "pong"}
  close code 4012 when the channel layer may have lost messages (Redis restarted or
      unreachable): reconnect and resubscribe with since
  {"type": "error", "code": ..., "topic": ...}   the connection keeps serving after any error:
      bad_request             not JSON, not an object, missing/invalid fields, unknown action,
                              binary frame, frame larger than LIVE_MAX_MESSAGE_BYTES
      unknown_topic           unregistered kind or malformed topic (with "topic")
      forbidden               can_follow refused (with "topic"), or an invalid session token
      too_many_subscriptions  more than LIVE_MAX_SUBSCRIPTIONS topics on one connection

Fan-out. Consumers do not join channel-layer groups themselves: the process's hub
(live.hub) holds ONE group membership per followed topic and hands each event's text to the
local consumers of the topic (`hub_event`), which send it on at once: behind daphne as
autobahn's prepared messages, framed once for all the sockets (live.wire). Channels'
per-message `close_old_connections` hop is skipped (`dispatch`): every database access here
goes through `database_sync_to_async`, which closes old connections around the call itself.

Replay and resync. With `since`, the consumer first follows the topic (the hub is in the
group once that returns), then reads the topic's events with id > since from the log, in id
order. If there are more than LIVE_REPLAY_LIMIT of them it replays nothing and sends `resync`
instead: a partial replay would leave a hole (newest N) or show stale state (oldest N), and
the client reloads the region anyway. Otherwise it sends them all, then streams.

No loss, no duplicates, in order. While a client message is being handled (a subscribe with
its replay, an auth with its re-checks, anything), events the hub hands over are held in a
per-connection queue and sent right after the reply, in arrival order; so is everything that
comes in while held events are still being sent or while a permission re-check runs. Every
event id sent on this connection is remembered (a bounded set), and an id already sent is
never sent again, whether it came from the replay or from the hub. An id lower than one
already sent is still delivered (two transactions may commit in the other order than they
got ids).

What the reader may see now. Replayed events go through the readers of live.topics
(`as_seen_now`): an event about a task that became sensitive comes redacted, one about a
proposal that was hidden not at all, whatever the log kept from when they were published.
Streamed events were made for their topic's followers when they were published.

Lost permission. Subscriptions are re-checked with can_follow (and a fresh user row) when an
event arrives and the last check is older than LIVE_RECHECK_SECONDS (default 300; None turns
it off), and at once, all of a person's, when live.services.access_changed names them (a
membership ended, a role was lowered, the account was deactivated: each signed-in socket with
subscriptions is in the person's `access_group`), or, for one topic, when topic_changed names
it. A refusal drops the subscription and sends `forbidden` for that topic; events of a topic
whose check is due wait for it. A deactivated account's socket goes on as signed out. A
session that is logged out elsewhere keeps this connection's identity until it closes.
"""

import asyncio
import json
import logging
import time
from collections import deque

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from accounts.session_tokens import user_for_session_token
from core import ids

from . import topics
from .hub import get_hub
from .models import Event
from .services import access_group, serialise
from .wire import Batch, prepared_sender

logger = logging.getLogger(__name__)

#: How many sent event ids a connection remembers; beyond it the oldest half is forgotten
#: and everything at or below the forgotten ids counts as sent.
SENT_MEMORY = 2048


def replay_events(
    topic: str, since: int, limit: int, user=None
) -> list[tuple[int, str | None]] | None:
    """The events of `topic` after `since`, in id order, serialised as `user` may see them
    now (None for one left out), or None if more than `limit` were missed (the client must
    resync)."""
    events = list(Event.objects.filter(topic=topic, id__gt=since).order_by("id")[: limit + 1])
    if len(events) > limit:
        return None
    shown = {id(event) for event in topics.as_seen_now(user, events)}
    return [(event.pk, serialise(event) if id(event) in shown else None) for event in events]


def check_follow(user, topic: str, *, refresh: bool = False) -> bool:
    """can_follow for the consumer: a failing check refuses rather than breaking the socket."""
    if refresh and getattr(user, "is_authenticated", False):
        user = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    try:
        return topics.can_follow(user or AnonymousUser(), topic)
    except topics.UnknownTopic:
        return False
    except Exception:
        logger.exception("can_follow failed for %s", topic)
        return False


def check_follows(user, topic_list) -> tuple[object, dict[str, bool]]:
    """(the user afresh, None if gone or deactivated; {topic: check_follow}) in one hop."""
    if getattr(user, "is_authenticated", False):
        user = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    return user, {topic: check_follow(user, topic) for topic in topic_list}


def _next_check() -> float:
    """When a subscription checked now must be checked again (LIVE_RECHECK_SECONDS)."""
    interval = getattr(settings, "LIVE_RECHECK_SECONDS", 300)
    return float("inf") if interval is None else time.monotonic() + interval


def _valid_since(since) -> bool:
    return since is None or (
        isinstance(since, int) and not isinstance(since, bool) and 0 <= since <= ids.MAX_ID
    )


class LiveConsumer(AsyncWebsocketConsumer):
    """The one live endpoint, /ws/live/."""

    async def __call__(self, scope, receive, send):
        self.hub = None
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when the application fails or is cancelled without a disconnect message.
            self._stop_delivery()

    async def dispatch(self, message):
        """As Channels' AsyncConsumer.dispatch, without its `close_old_connections` run in the
        sync thread before every message (see the module doc)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.user = self.scope.get("user") or AnonymousUser()
        # topic -> time.monotonic() at which its can_follow check is due again
        self.subscriptions: dict[str, float] = {}
        self.sent: set[int] = set()
        self.sent_floor = 0
        # Events held back while a client message is handled or held events are sent:
        # (topic, id, live.wire.Outgoing), sent in this order by _drain().
        self.held: deque = deque()
        self._handling = asyncio.Lock()
        self._drainer: asyncio.Task | None = None
        self._closing = False
        # The access_group this socket is in (joined with its first subscription).
        self._access_group: str | None = None
        self.hub = get_hub(self.channel_layer)
        self._send_prepared = None
        await self.accept()
        # Behind daphne, events go to the socket as autobahn's prepared messages (live.wire).
        self._send_prepared = prepared_sender(self.base_send)

    async def disconnect(self, code):
        self._stop_delivery()

    def _stop_delivery(self):
        self._closing = True
        if self.hub is not None:
            self.hub.forget(self)
        drainer = getattr(self, "_drainer", None)
        if drainer is not None and drainer is not asyncio.current_task():
            drainer.cancel()
        if hasattr(self, "subscriptions"):
            self.subscriptions.clear()
        group = getattr(self, "_access_group", None)
        if group is not None:
            self._access_group = None
            _in_background(self.channel_layer.group_discard(group, self.channel_name))

    # -- client -> server --------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        # Events arriving meanwhile wait in `held` and follow the reply (module doc).
        async with self._handling:
            await self._handle(text_data)
        self._start_drain()

    async def _handle(self, text_data):
        message = self._decode(text_data)
        if message is None:
            await self.error("bad_request")
            return
        action = message.get("action")
        handler = self.ACTIONS.get(action) if isinstance(action, str) else None
        if handler is None:
            await self.error("bad_request")
            return
        await handler(self, message)

    def _decode(self, text_data):
        if text_data is None:  # binary frame
            return None
        limit = settings.LIVE_MAX_MESSAGE_BYTES
        if len(text_data) > limit or len(text_data.encode("utf-8", "replace")) > limit:
            return None
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            return None
        return message if isinstance(message, dict) else None

    async def do_ping(self, message):
        await self.send_json({"type": "pong"})

    async def do_auth(self, message):
        token = message.get("session_token")
        if not isinstance(token, str) or not token or "\x00" in token:
            await self.error("bad_request")
            return
        user = await database_sync_to_async(user_for_session_token)(token)
        if user is None:
            # The connection keeps its current identity.
            await self.error("forbidden")
            return
        changed = user.pk != getattr(self.user, "pk", None)
        self.user = user
        self.scope["user"] = user
        await self.send_json({"type": "authenticated", "user": user.pk})
        if changed and self.subscriptions:
            await self._watch_access()
            # Topics followed under the previous identity must be allowed to the new one.
            for topic in list(self.subscriptions):
                if await database_sync_to_async(check_follow)(self.user, topic):
                    self.subscriptions[topic] = _next_check()
                else:
                    await self._leave(topic)
                    await self.error("forbidden", topic)

    async def do_subscribe(self, message):
        topic = message.get("topic")
        since = message.get("since")
        if not isinstance(topic, str) or not _valid_since(since):
            await self.error("bad_request")
            return
        try:
            topics.parse(topic)
        except topics.UnknownTopic:
            await self.error("unknown_topic", topic)
            return
        new = topic not in self.subscriptions
        if new and len(self.subscriptions) >= settings.LIVE_MAX_SUBSCRIPTIONS:
            await self.error("too_many_subscriptions", topic)
            return
        # In the person's group before the check: an access change after it reaches us.
        await self._watch_access()
        if not await database_sync_to_async(check_follow)(self.user, topic):
            if not new:
                await self._leave(topic)
            await self.error("forbidden", topic)
            return
        if new:
            # Follow before reading the log: whatever commits from now on is pushed to us,
            # whatever committed before is in the log; the overlap is dropped by id.
            await self.hub.follow(topic, self)
        self.subscriptions[topic] = _next_check()
        await self.send_json({"type": "subscribed", "topic": topic})
        if since is not None:
            await self._replay(topic, since)

    async def do_unsubscribe(self, message):
        topic = message.get("topic")
        if not isinstance(topic, str):
            await self.error("bad_request")
            return
        if topic in self.subscriptions:
            await self._leave(topic)
        await self.send_json({"type": "unsubscribed", "topic": topic})

    ACTIONS = {
        "ping": do_ping,
        "auth": do_auth,
        "subscribe": do_subscribe,
        "unsubscribe": do_unsubscribe,
    }

    # -- hub -> client -----------------------------------------------------------------

    def hub_event(self, topic: str, batch: Batch):
        """Events of a followed topic, in order, from the hub (live.hub).

        Plain, not a coroutine: the hub calls it for every local follower, and nearly always
        it is done at once (sent as prepared messages, held back, or nothing to send), so it
        returns None; only when the events must go through the ASGI `send` it returns an
        awaitable that the hub awaits.
        """
        if self._drainer is not None or self.held or self._handling.locked():
            self._hold(topic, batch)
            return None
        check_due = self.subscriptions.get(topic)
        if check_due is None:
            return None  # not (or no longer) followed here
        if time.monotonic() >= check_due:
            self._hold(topic, batch)  # the permission re-check needs the database
            return None
        sent, floor = self.sent, self.sent_floor
        events = batch.events
        if len(events) == 1:
            event_id, outgoing = events[0]
            if event_id <= floor or event_id in sent:
                return None
            self._remember(event_id)
            fresh = events
        else:
            fresh = []
            for event_id, outgoing in events:
                if event_id > floor and event_id not in sent:
                    self._remember(event_id)
                    fresh.append((event_id, outgoing))
            if not fresh:
                return None
        outgoing_list = (
            batch.outgoing if len(fresh) == len(events) else [outgoing for _id, outgoing in fresh]
        )
        if self._send_prepared is not None and self._send_prepared(outgoing_list):
            return None
        return self._send_all(outgoing_list)

    async def _send_all(self, outgoing_list) -> None:
        for outgoing in outgoing_list:
            await self.base_send(outgoing.message)

    def hub_reset(self) -> None:
        """The hub's stream may have lost events: close with 4012 (see layer_reset)."""
        if not self._closing:
            self._closing = True
            task = asyncio.get_running_loop().create_task(self.close(code=4012))
            _background.add(task)
            task.add_done_callback(_background.discard)

    def _hold(self, topic, batch: Batch) -> None:
        if self._closing:
            return
        self.held.extend((topic, event_id, outgoing) for event_id, outgoing in batch.events)
        if not self._handling.locked():
            self._start_drain()

    def _start_drain(self) -> None:
        if self.held and self._drainer is None and not self._closing:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Send the held events in order (waiting for any client message being handled)."""
        try:
            async with self._handling:
                while self.held:
                    topic, event_id, outgoing = self.held.popleft()
                    try:
                        await self._deliver(topic, event_id, outgoing)
                    except Exception:
                        logger.exception("live: delivering #%s of %s failed", event_id, topic)
        finally:
            self._drainer = None

    async def _deliver(self, topic, event_id, outgoing) -> None:
        if topic not in self.subscriptions or self._already_sent(event_id):
            return
        if not await self._still_allowed(topic) or self._already_sent(event_id):
            return
        self._remember(event_id)
        if self._send_prepared is None or not self._send_prepared([outgoing]):
            await self.base_send(outgoing.message)

    async def live_access(self, message):
        """live.services.access_changed named this socket's person: check every subscription
        now; events arriving meanwhile wait for it."""
        for topic in self.subscriptions:
            self.subscriptions[topic] = 0.0
        await self._recheck(list(self.subscriptions))

    def hub_recheck(self, topic: str) -> None:
        """live.services.topic_changed: check `topic` now (from the hub, like hub_event)."""
        if topic in self.subscriptions and not self._closing:
            self.subscriptions[topic] = 0.0  # its events wait for the check
            _in_background(self._recheck([topic]))

    async def _recheck(self, topic_list) -> None:
        async with self._handling:
            topic_list = [topic for topic in topic_list if topic in self.subscriptions]
            if topic_list and not self._closing:
                user, allowed = await database_sync_to_async(check_follows)(self.user, topic_list)
                if user is None and getattr(self.user, "is_authenticated", False):
                    self.user = self.scope["user"] = AnonymousUser()  # deactivated
                for topic in topic_list:
                    if topic not in self.subscriptions:
                        continue
                    if allowed[topic]:
                        self.subscriptions[topic] = _next_check()
                    else:
                        await self._leave(topic)
                        await self.error("forbidden", topic)
        self._start_drain()

    async def layer_reset(self, message):
        """The channel layer lost its Redis connection (live.hub, live.redis_watch): pushes may have
        been lost. Close with 4012 (4000 + 1012 "service restart": servers may only send 1000
        or 3000-4999); the client reconnects and resubscribes with `since`, and the replay from
        the log fills the gap."""
        if not self._closing:
            self._closing = True
            await self.close(code=4012)

    # -- helpers -----------------------------------------------------------------------

    async def _replay(self, topic, since):
        rows = await database_sync_to_async(replay_events)(
            topic, since, settings.LIVE_REPLAY_LIMIT, self.user
        )
        if rows is None:
            await self.send_json({"type": "resync", "topic": topic})
            return
        for event_id, text in rows:
            if not self._already_sent(event_id):
                # Also one left out: its copy as published must not follow from the hub.
                self._remember(event_id)
                if text is not None:
                    await self.send(text_data=text)

    async def _watch_access(self) -> None:
        """Be in the access_group of the connection's person (and only theirs)."""
        user = self.user
        group = access_group(user.pk) if getattr(user, "is_authenticated", False) else None
        if group == self._access_group:
            return
        old, self._access_group = self._access_group, group
        if old is not None:
            await self.channel_layer.group_discard(old, self.channel_name)
        if group is not None:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _still_allowed(self, topic) -> bool:
        if time.monotonic() < self.subscriptions[topic]:
            return True
        if await database_sync_to_async(check_follow)(self.user, topic, refresh=True):
            if topic in self.subscriptions:
                self.subscriptions[topic] = _next_check()
            return topic in self.subscriptions
        if topic in self.subscriptions:
            await self._leave(topic)
            await self.error("forbidden", topic)
        return False

    async def _leave(self, topic):
        self.subscriptions.pop(topic, None)
        await self.hub.unfollow(topic, self)

    def _already_sent(self, event_id) -> bool:
        if not isinstance(event_id, int) or isinstance(event_id, bool):
            return True
        return event_id <= self.sent_floor or event_id in self.sent

    def _remember(self, event_id: int) -> None:
        self.sent.add(event_id)
        if len(self.sent) > SENT_MEMORY:
            ordered = sorted(self.sent)
            half = len(ordered) // 2
            self.sent_floor = ordered[half - 1]
            self.sent = set(ordered[half:])

    async def error(self, code, topic=None):
        content = {"type": "error", "code": code}
        if topic is not None:
            content["topic"] = topic
        await self.send_json(content)

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))


# Strong references to fire-and-forget tasks (asyncio keeps only weak ones).
_background: set[asyncio.Task] = set()


def _in_background(coroutine) -> None:
    task = asyncio.get_running_loop().create_task(coroutine)
    _background.add(task)
    task.add_done_callback(_background_done)


def _background_done(task: asyncio.Task) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("live: background work failed", exc_info=task.exception())
