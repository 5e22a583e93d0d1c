from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors
from .models import Event
from .services import mark_notifications_read
from .texts import pick
from .topics import as_seen_now, event_label, event_labels, topic_for

PAGE_SIZE = 20


def event_text(event: Event) -> str:
    """The event's text in the reader's (active) language, else as it was stored."""
    return pick(event.data)


def _same_site(event: Event, key: str) -> str:
    """data[key] when it is a same-site address, never an outside one; else ""."""
    data = event.data if isinstance(event.data, dict) else {}
    value = data.get(key)
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return ""


def event_url(event: Event) -> str:
    """A same-site link carried by the event (data["url"])."""
    return _same_site(event, "url")


def event_photo(event: Event) -> str:
    """The thumbnail an event carries (data["photo"]: the access-checked photo address)."""
    return _same_site(event, "photo")


@login_required
def notifications(request):
    """The signed-in person's `user:<id>` events, newest first; page 1 updates live."""
    topic = topic_for("user", request.user.pk)
    events = selectors.notifications(user=request.user).order_by("-id")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # As the reader may see them now (live.topics readers), not as they were published.
    items = [
        {
            "event": event,
            "label": event_label(event.type),
            "text": event_text(event),
            "url": event_url(event),
            "photo": event_photo(event),
        }
        for event in as_seen_now(request.user, rows)
    ]
    live = page.number == 1
    context = {
        "page": page,
        "items": items,
        "topic": topic,
        "live": live,
        # Page 1 shows the newest events: stream everything after the newest read.
        "since": rows[0].pk if rows else 0,
        "labels": event_labels() if live else None,
    }
    if live:
        # Page 1 shows the newest: opening it reads them all, so the header counts none
        # (without asking the database again).
        if rows:
            mark_notifications_read(user=request.user, upto=rows[0].pk)
        context["unread_count"] = 0
    return render(request, "live/notifications.html", context)
