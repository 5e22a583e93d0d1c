"""The topic registry. Apps register their topic kinds here; `live` imports no app above it.

A topic is "<kind>:<id>", e.g. "task:12". Each kind has a `can_follow(user, object_id)`
check used by the WebSocket consumer (and by pages that embed a live region).

Apps also register a human label for each event type they publish
(`register_event_label("task.claimed", _("Task claimed"))`); the notifications page and
the browser client show it when an event carries no `data["text"]`.

And a reader for each family of events they publish (`register_reader("task", ...)`, the
family being the part of the type before the dot): the log keeps an event as it was published,
but whoever reads it later (a replay, a resync, the notifications page and API) gets it as the
state NOW lets them see it (`as_seen_now`): redacted, or left out. Redacting at read time
rather than rewriting the stored events: the rule is the app's permission function, asked
once, so it also holds for every later change (a task marked sensitive, a proposal hidden,
a membership ended, and back), and the log stays an append-only record.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import pgettext, pgettext_lazy

logger = logging.getLogger(__name__)

CanFollow = Callable[[object, int], bool]
#: reader(user, events) -> for each event, in order: the data to show, or None to leave it out
EventReader = Callable[[object, list], list]


@dataclass(frozen=True)
class TopicKind:
    name: str
    can_follow: CanFollow


_registry: dict[str, TopicKind] = {}
_event_labels: dict[str, object] = {}
_readers: dict[str, EventReader] = {}
_narrowing: set[str] = set()

FALLBACK_LABEL = pgettext_lazy("live event", "Update")


class UnknownTopic(ValueError):
    pass


def register(name: str, can_follow: CanFollow) -> None:
    if not name or not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"invalid topic kind {name!r}")
    _registry[name] = TopicKind(name=name, can_follow=can_follow)


def unregister(name: str) -> None:
    """Forget a topic kind (tests register throwaway kinds and remove them again)."""
    _registry.pop(name, None)


def is_registered(name: str) -> bool:
    return name in _registry


def parse(topic: str) -> tuple[TopicKind, int]:
    """Split "task:12" into its registered kind and object id, or raise UnknownTopic."""
    if not isinstance(topic, str) or topic.count(":") != 1:
        raise UnknownTopic(topic)
    name, _sep, raw_id = topic.partition(":")
    kind = _registry.get(name)
    if (
        kind is None
        or not raw_id.isascii()
        or not raw_id.isdigit()
        or len(raw_id) > 18
        or (len(raw_id) > 1 and raw_id.startswith("0"))
    ):
        raise UnknownTopic(topic)
    return kind, int(raw_id)


def can_follow(user, topic: str) -> bool:
    kind, object_id = parse(topic)
    return bool(kind.can_follow(user or AnonymousUser(), object_id))


def topic_for(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def group_name(topic: str) -> str:
    """Channel-layer group names allow only [a-zA-Z0-9._-]."""
    return "live." + topic.replace(":", ".")


def register_event_label(type: str, label) -> None:
    """Give an event type (e.g. "task.claimed") a human label; pass a gettext_lazy string."""
    _event_labels[type] = label


def unregister_event_label(type: str) -> None:
    _event_labels.pop(type, None)


def event_label(type: str) -> str:
    """The label of an event type in the active language ("Update" when none is registered)."""
    return str(_event_labels.get(type, FALLBACK_LABEL))


def event_labels() -> dict[str, str]:
    """Every registered label in the active language, plus "*" for the fallback."""
    labels = {type: str(label) for type, label in _event_labels.items()}
    labels["*"] = pgettext("live event", "Update")
    return labels


def register_reader(family: str, reader: EventReader) -> None:
    """Decide how people see events of `family` ("task" for "task.claimed") when they read
    them from the log.

    `reader(user, events)` gets every event of the family in one batch (live.models.Event
    rows, of any topic; `user` may be anonymous) and returns a list as long as `events`: for
    each, the data to show (its own, or a redacted copy) or None to leave it out. It asks the
    database a constant number of times for the whole batch. Events of a family without a
    reader are shown as stored.
    """
    _readers[family] = reader


def unregister_reader(family: str) -> None:
    _readers.pop(family, None)


def family_of(type: str) -> str:
    return type.partition(".")[0]


def as_seen_now(user, events: list) -> list:
    """`events` (Event rows read from the log) as `user` may see them now, in their order:
    each family's reader redacts (the row's `data` is replaced in memory, never saved) or
    leaves out. A reader that fails leaves its whole batch out rather than show too much."""
    user = user or AnonymousUser()
    batches: dict[str, list] = {}
    for event in events:
        family = family_of(event.type)
        if family in _readers:
            batches.setdefault(family, []).append(event)
    hidden: set[int] = set()
    for family, batch in batches.items():
        try:
            shown = list(_readers[family](user, batch))
            if len(shown) != len(batch):
                raise ValueError(f"reader of {family!r} returned {len(shown)} for {len(batch)}")
        except Exception:
            logger.exception("live: reading %s events failed; they are left out", family)
            shown = [None] * len(batch)
        for event, data in zip(batch, shown, strict=True):
            if data is None:
                hidden.add(id(event))
            else:
                event.data = data
    return [event for event in events if id(event) not in hidden] if hidden else events


def register_narrowing_event(type: str) -> None:
    """Events of this type say that their topic became more private ("proposal.hidden"):
    once one is pushed, the topic's followers are checked with can_follow again at once
    (live.services.topic_changed)."""
    _narrowing.add(type)


def unregister_narrowing_event(type: str) -> None:
    _narrowing.discard(type)


def narrows(type: str) -> bool:
    return type in _narrowing
