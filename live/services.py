"""Publishing: events are written in the caller's transaction and pushed after commit.

The push is one `group_send` per topic to the topic's group (live.hub fans it out to the local
sockets): {"type": "live.event", "topic", "id", "text"} for one event, {"type": "live.event",
"topic", "events": [[id, text], ...]} for several. The events one transaction publishes share
one commit hook, so those of one topic (an update and the status change it makes, say) travel
in one message and reach every socket in one write, instead of the second waiting for the
first to have gone out to everyone.

A channel layer that can publish from the calling thread at once (`group_send_now`: the Redis
layer, config.channel_layers) does so: every process's fan-out starts without waiting for an
event loop. In a worker thread of a running loop (a sync Django view under daphne,
`database_sync_to_async`) the message also goes straight to this process's hub, and the thread
waits (at most HANDOVER_WAIT seconds) until the hub has fanned it out here: the local
followers need neither the trip through Redis nor the loop winning the interpreter back from
the request thread, which goes on with its reply (live.hub; bench.fanout with a probe in the
daphne processes, two of them sharing Redis on two cores: publish to the local fan-out's start
0.5-10.5 ms before, often after the reply; under 1 ms for two thirds of the events after, and
2-9 ms for the rest, while the other processes hold both cores).

Otherwise, in a worker thread of a running loop, the push is handed to that loop and the
thread waits only until the loop has taken it (the group_send has run, at most HANDOVER_WAIT
seconds), not for the fan-out: the pushes of one thread reach the loop, and the group, in the
order they were made. Waiting for the hand-over is what lets the fan-out start at once: a
request thread that goes straight on with its reply holds the interpreter, and the loop gets
it only when the switch interval forces a turn, once for the group_send and again for the hub
(bench.fanout with a probe in the daphne process, 1,000 sockets: push to fan-out start
1.2-2.2 ms going straight on, 0.3-0.7 ms waiting for the hand-over). Anywhere else the push
is made with `async_to_sync` and waited for.

Lost access. `access_changed(user_ids)` (a membership ended, a role was lowered, an account was
deactivated) and `topic_changed(topic)` (what a topic shows became private: a task marked
sensitive, a proposal hidden) send, after commit, a control message that makes the sockets
concerned check their subscriptions with can_follow at once, rather than when the periodic
re-check falls due (LIVE_RECHECK_SECONDS): {"type": "live.access"} to the person's group
(`access_group`, which each of their sockets joins), {"type": "live.recheck", "topic"} to the
topic's group (the hub passes it on to its local followers).
"""

import asyncio
import contextlib
import json
import logging
import os

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import hub
from .models import Event
from .topics import group_name, narrows, parse

ACCESS = "live.access"
RECHECK = hub.RECHECK

logger = logging.getLogger(__name__)

#: How long a request thread waits for its event loop to take a push (see above); a loop
#: that is busy for longer gets it later, and the thread goes on without it.
HANDOVER_WAIT = 0.05


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
    _push_after_commit([(event.topic, event.pk, serialise(event)) for event in rows])
    for topic, type, _data in items:
        if narrows(type):
            topic_changed(topic)
    return rows


class _Pushes:
    """The commit hook of the events published in one transaction: [(topic, id, text), ...]."""

    def __init__(self, pushes):
        self.pushes = list(pushes)

    def __call__(self) -> None:
        _push_all(self.pushes)


def _push_after_commit(pushes) -> None:
    """Push after commit, joining the hook of the events published just before in the same
    transaction and savepoint (a savepoint's rollback drops its hooks: Django keeps each hook
    with the savepoints it was registered under, so only hooks of the same ones are joined)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and connection.run_on_commit:
        savepoints, hook, _robust = connection.run_on_commit[-1]
        if isinstance(hook, _Pushes) and savepoints == set(connection.savepoint_ids):
            hook.pushes += pushes
            return
    transaction.on_commit(_Pushes(pushes))


def _push_all(pushes) -> None:
    """One push per topic, its events in id order; topics in the order they were first used."""
    per_topic: dict[str, list] = {}
    for topic, event_id, text in pushes:
        per_topic.setdefault(topic, []).append((event_id, text))
    for topic, events in per_topic.items():
        _push(topic, events)


def _push(topic: str, events: list[tuple[int, str]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    group = group_name(topic)
    event_id = events[0][0]  # named in warnings
    if len(events) == 1:
        message = {"type": "live.event", "id": event_id, "topic": topic, "text": events[0][1]}
    else:
        message = {"type": "live.event", "topic": topic, "events": [list(e) for e in events]}
    send_now = getattr(layer, "group_send_now", None)
    loop = _calling_loop()
    if send_now is not None:
        # In a worker thread of a loop whose hub has followers of the topic, they get it from
        # here at once, and the copy the layer brings back, marked, is passed by (live.hub).
        # Without followers here there is nothing to wait for: the copy serves late-comers.
        here = loop is not None and hub.followed_here(layer, loop, topic)
        marked = {**message, "origin": hub.origin_of(layer)} if here else message
        if send_now(group, marked):
            if here:
                _hand_over(loop, hub.deliver_here(layer, message), topic, event_id)
            return
    if loop is not None:
        _hand_over(loop, layer.group_send(group, message), topic, event_id)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The log is the truth: clients that miss the push catch up with `since`.
        logger.warning("live push failed for %s #%s", topic, event_id, exc_info=True)


def _hand_over(loop, coroutine, topic: str, event_id: int) -> None:
    """Run `coroutine` in `loop` and wait until it is done, at most HANDOVER_WAIT seconds."""
    try:
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    except Exception:
        coroutine.close()
        logger.warning("live push failed for %s #%s", topic, event_id, exc_info=True)
        return
    future.add_done_callback(lambda done: _pushed(done, topic, event_id))
    # Still under way after the wait, or failed: _pushed reports how it ends.
    with contextlib.suppress(Exception):
        future.result(timeout=HANDOVER_WAIT)


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
    """Send [(group, message), ...] as `_push` sends events (never losing the caller's turn
    for longer than HANDOVER_WAIT)."""
    layer = get_channel_layer()
    if layer is None:
        return
    send_now = getattr(layer, "group_send_now", None)
    loop = _calling_loop()
    for group, message in messages:
        if send_now is not None and send_now(group, message):
            continue
        if loop is not None:
            _hand_over(loop, layer.group_send(group, message), group, message["type"])
            continue
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.warning("live %s to %s failed", message["type"], group, exc_info=True)


def _calling_loop():
    """The running event loop whose worker thread this is (asgiref's SyncToAsync), or None."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return None  # called in a loop's own thread (not from async code: async_to_sync says so)
    local = SyncToAsync.threadlocal
    loop = getattr(local, "main_event_loop", None)
    if loop is None or getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() and not loop.is_closed() else None


def _pushed(done, topic: str, event_id: int) -> None:
    if done.cancelled():
        logger.warning("live push cancelled for %s #%s", topic, event_id)
    elif done.exception() is not None:
        # The log is the truth: clients that miss the push catch up with `since`.
        logger.warning("live push failed for %s #%s", topic, event_id, exc_info=done.exception())
