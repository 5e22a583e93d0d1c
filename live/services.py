"""Publishing: events are written in the caller's transaction and pushed after commit.

The push is one `group_send` per topic to the topic's group (live.hub fans it out to the local
sockets): {"type": "live.event", "topic", "id", "text"} for one event, {"type": "live.event",
"topic", "events": [[id, text], ...]} for several. The events of one `publish_many` call share
one commit hook, so those of one topic (an update and the status change it makes, say) travel
in one message and reach every socket in one write, instead of the second waiting for the
first to have gone out to everyone; separate calls push separately, in the order they were made
(Django runs commit hooks in order, and drops those of a savepoint that rolls back).

How a push reaches the layer depends on where the layer lives:

- channels_redis' layers talk to Redis from any event loop: the push is handed to this
  process's publisher (live.publisher), one thread with its own loop that sends the pushes in
  order and keeps them while Redis is unreachable. The calling thread (a gunicorn worker, a
  management command, the task worker, a sync view under daphne) does not wait for Redis.
- Any other layer (Channels' in-memory layer: `make run` and the tests, one daphne process)
  only reaches the consumers on their own event loop. In a worker thread of that loop (a sync
  Django view under daphne, `database_sync_to_async`), `async_to_sync(layer.group_send)` runs
  the send on it, as asgiref documents; called in the loop's own thread, the send is
  scheduled on it.

Lost access. `access_changed(user_ids)` (a membership ended, a role was lowered, an account was
deactivated) and `topic_changed(topic)` (what a topic shows became private: a task marked
sensitive, a proposal hidden) send, after commit, a control message that makes the sockets
concerned check their subscriptions with can_follow at once, rather than when the periodic
re-check falls due (LIVE_RECHECK_SECONDS): {"type": "live.access"} to the person's group
(`access_group`, which each of their sockets joins), {"type": "live.recheck", "topic"} to the
topic's group (the hub passes it on to its local followers).
"""

import asyncio
import functools
import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.db import transaction

from core.errors import NotAllowed

from . import hub, publisher
from .models import Event, NotificationMark
from .topics import group_name, narrows, parse, topic_for

ACCESS = "live.access"
RECHECK = hub.RECHECK

logger = logging.getLogger(__name__)

REDIS_LAYERS = (RedisPubSubChannelLayer, RedisChannelLayer)


def serialise(event: Event) -> str:
    """The wire form of an event, {"id","topic","type","data","at"}, as compact JSON text."""
    return json.dumps(event.as_message(), ensure_ascii=False, separators=(",", ":"))


def publish(*, topic: str, type: str, data: dict, actor=None) -> Event:
    """Log one event and push it to the topic's group once the transaction commits.

    The message is serialised once here; every consumer forwards the text as it is.
    If the transaction rolls back, neither the row nor the push survives.
    """
    return publish_many([(topic, type, data)], actor=actor)[0]


def publish_many(items, *, actor=None) -> list[Event]:
    """`publish` for several events at once: [(topic, type, data), ...] in this order.

    One INSERT for all the rows (ids ascending in list order) and one commit hook that pushes
    them in that order, each to its topic's group, as `publish` would one by one.
    """
    items = list(items)
    for topic, _type, _data in items:
        parse(topic)
    actor = actor if getattr(actor, "is_authenticated", False) else None
    rows = [Event(topic=topic, type=type, data=data, actor=actor) for topic, type, data in items]
    if len(rows) == 1:
        rows[0].save(force_insert=True)
    else:
        rows = Event.objects.bulk_create(rows)
    pushes = [(event.topic, event.pk, serialise(event)) for event in rows]
    transaction.on_commit(functools.partial(_push_all, pushes))
    for topic, type, _data in items:
        if narrows(type):
            topic_changed(topic)
    return rows


def _push_all(pushes) -> None:
    """One push per topic, its events in id order; topics in the order they were first used."""
    per_topic: dict[str, list] = {}
    for topic, event_id, text in pushes:
        per_topic.setdefault(topic, []).append((event_id, text))
    for topic, events in per_topic.items():
        _push(topic, events)


def _push(topic: str, events: list[tuple[int, str]]) -> None:
    if len(events) == 1:
        event_id, text = events[0]
        message = {"type": "live.event", "id": event_id, "topic": topic, "text": text}
    else:
        message = {"type": "live.event", "topic": topic, "events": [list(e) for e in events]}
    _send(group_name(topic), message)


def _send(group: str, message: dict) -> None:
    """Send `message` to `group` on the default channel layer (see the module doc). Failures
    are logged: the log is the truth, and clients that miss a push catch up with `since`."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, REDIS_LAYERS):
        publisher.publish(layer, group, message)
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(layer.group_send(group, message))
        _background.add(task)
        task.add_done_callback(functools.partial(_sent, group, message["type"]))
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("live %s to %s failed", message["type"], group, exc_info=True)


def _sent(group: str, kind: str, task: asyncio.Task) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("live %s to %s failed", kind, group, exc_info=task.exception())


# Strong references to sends scheduled on the running loop (asyncio keeps only weak ones).
_background: set[asyncio.Task] = set()


def access_group(user_id: int) -> str:
    """The channel-layer group of one person's sockets ("-" keeps it apart from topic groups,
    whose kinds are letters, digits and "_")."""
    return f"live.access-user.{int(user_id)}"


def access_changed(user_ids) -> None:
    """The people `user_ids` may see less than before: once the transaction commits, every
    open socket of theirs checks all its subscriptions again at once and drops, with
    `forbidden`, those can_follow now refuses (live.consumers)."""
    ids = sorted({int(user_id) for user_id in user_ids if user_id})
    if ids:
        messages = [(access_group(user_id), {"type": ACCESS}) for user_id in ids]
        transaction.on_commit(lambda: _send_control(messages))


def topic_changed(topic: str) -> None:
    """What `topic` carries became more private: once the transaction commits, each of its
    followers is checked with can_follow again at once (live.hub passes it on)."""
    parse(topic)
    messages = [(group_name(topic), {"type": RECHECK, "topic": topic})]
    transaction.on_commit(lambda: _send_control(messages))


def _send_control(messages) -> None:
    """Send [(group, message), ...] as `_push` sends events."""
    for group, message in messages:
        _send(group, message)


def mark_notifications_read(*, user, upto: int | None = None) -> None:
    """The person has read their notifications up to event `upto` (default: the newest on
    their topic). The mark only moves forward, so a page opened earlier in another tab cannot
    make read notifications unread again: the row is made if missing, then moved by a
    conditional UPDATE, so concurrent calls settle in the database."""
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed()
    if upto is None:
        upto = (
            Event.objects.filter(topic=topic_for("user", user.pk))
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        ) or 0
    # No transaction needed: each statement stands on its own (once the first has run, the row
    # is there for the second), and neither leaves anything to undo.
    NotificationMark.objects.bulk_create(
        [NotificationMark(user_id=user.pk, read_upto=upto)], ignore_conflicts=True
    )
    NotificationMark.objects.filter(user_id=user.pk, read_upto__lt=upto).update(read_upto=upto)
