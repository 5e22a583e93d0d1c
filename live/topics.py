"""The topic registry. Apps register their topic kinds here; `live` imports no app.

A topic is "<kind>:<id>", e.g. "task:12". Each kind has a `can_follow(user, object_id)`
check used by the WebSocket consumer (and by pages that embed a live region).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

CanFollow = Callable[[object, int], bool]


@dataclass(frozen=True)
class TopicKind:
    name: str
    can_follow: CanFollow


_registry: dict[str, TopicKind] = {}


class UnknownTopic(ValueError):
    pass


def register(name: str, can_follow: CanFollow) -> None:
    _registry[name] = TopicKind(name=name, can_follow=can_follow)


def parse(topic: str) -> tuple[TopicKind, int]:
    """Split "task:12" into its registered kind and object id, or raise UnknownTopic."""
    if not isinstance(topic, str) or topic.count(":") != 1:
        raise UnknownTopic(topic)
    name, _, raw_id = topic.partition(":")
    kind = _registry.get(name)
    if kind is None or not raw_id.isdigit() or len(raw_id) > 18:
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
