"""/api/v1/notifications: the signed-in person's notifications (their `user:<id>` events).

The same items as the notifications page, newest first, each text in the request's language
(live.texts.pick: the event's `texts`, else its stored `text`), as the person may see them
now (live.topics.as_seen_now). Page back with `before`.
"""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from core import ids

from .models import Event
from .topics import as_seen_now, event_label, topic_for
from .views import event_text, event_url

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    type: str
    label: str = Field(..., description="The event type's label, in the request's language")
    text: str = Field(..., description="The text in the request's language ('' when none)")
    url: str = Field(..., description="A same-site link, or ''")
    at: datetime


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_before: int | None = Field(None, description="`before` for the next (older) page")


class NotificationFilters(Schema):
    before: int | None = Field(None, ge=1, le=ids.MAX_ID, description="Only events older than it")
    limit: int = Field(20, ge=1, le=100)


@router.get(
    "/notifications",
    response=NotificationPage,
    summary="My notifications, newest first (texts in the request's language)",
)
def notifications(request, filters: Query[NotificationFilters]):
    events = Event.objects.filter(topic=topic_for("user", request.user.pk))
    if filters.before is not None:
        events = events.filter(id__lt=filters.before)
    rows = list(events.order_by("-id")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    # Paged by the log's ids; what the reader may not see now is redacted or left out.
    next_before = rows[-1].pk if more and rows else None
    return {
        "items": [
            {
                "id": event.pk,
                "type": event.type,
                "label": str(event_label(event.type)),
                "text": event_text(event),
                "url": event_url(event),
                "at": event.created_at,
            }
            for event in as_seen_now(request.user, rows)
        ],
        "next_before": next_before,
    }
