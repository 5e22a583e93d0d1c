"""Publishing: events are written in the caller's transaction and pushed after commit."""

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import Event
from .topics import group_name, parse

logger = logging.getLogger(__name__)


def serialise(event: Event) -> str:
    """The wire form of an event, {"id","topic","type","data","at"}, as compact JSON text."""
    return json.dumps(event.as_message(), ensure_ascii=False, separators=(",", ":"))


def publish(*, topic: str, type: str, data: dict, actor=None) -> Event:
    """Log one event and push it to the topic's group once the transaction commits.

    The message is serialised once here; every consumer forwards the text as it is.
    If the transaction rolls back, neither the row nor the push survives.
    """
    parse(topic)
    event = Event.objects.create(
        topic=topic,
        type=type,
        data=data,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    text = serialise(event)
    transaction.on_commit(lambda: _push(topic, event.pk, text))
    return event


def _push(topic: str, event_id: int, text: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            group_name(topic),
            {"type": "live.event", "id": event_id, "topic": topic, "text": text},
        )
    except Exception:
        # The log is the truth: clients that miss the push catch up with `since`.
        logger.warning("live push failed for %s #%s", topic, event_id, exc_info=True)
