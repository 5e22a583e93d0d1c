"""The topic registry. Apps register their topic kinds here; `live` imports no app above it.

A topic is "<kind>:<id>", e.g. "task:12". Each kind has a `can_follow(user, object_id)`
check used by the WebSocket consumer (and by pages that embed a live region).

Apps also register a human label for each event type they publish
(`register_event_label("task.claimed", _("Task claimed"))`); the notifications page and
the browser client show it when an event carries no `data["text"]`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CanFollow = Callable[[object, int], bool]


@dataclass(frozen=True)
class TopicKind:
    name: str
    can_follow: CanFollow


_registry: dict[str, TopicKind] = {}
_event_labels: dict[str, object] = {}

FALLBACK_LABEL = _("Update")


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
    labels["*"] = gettext("Update")
    return labels
