"""Reads of the live log used by pages, the API and the context processor."""

from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce

from .models import Event, NotificationMark
from .topics import topic_for

# Counting stops here: a badge says "99" the same for 99 or 5,000, and the query stays short.
UNREAD_LIMIT = 99


def notifications(*, user):
    """The person's notices: the events of their `user:<id>` topic. Staff's `inbox.new`
    events are notices too (something new waits for them); their header also reads the
    inbox count again when one arrives (site/static/js/header-counts.js)."""
    return Event.objects.filter(topic=topic_for("user", user.pk))


def unread_count(*, user) -> int:
    """How many events of the person's `user:<id>` topic came after their read mark (all of
    them before they first open their notifications), at most UNREAD_LIMIT: one query.

    The services publish on a person's topic what they mean to tell that person; control
    messages (live.services.access_changed) are never logged as events."""
    if not getattr(user, "is_authenticated", False):
        return 0
    read_upto = NotificationMark.objects.filter(user_id=user.pk).values("read_upto")[:1]
    events = notifications(user=user).filter(id__gt=Coalesce(Subquery(read_upto), Value(0)))
    return events.values("id")[:UNREAD_LIMIT].count()


def read_mark(*, user) -> int:
    """The id of the newest notification the person has read (0 before they read any)."""
    mark = NotificationMark.objects.filter(user_id=user.pk).values_list("read_upto", flat=True)
    return mark.first() or 0
