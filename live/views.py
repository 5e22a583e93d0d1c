from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .models import Event
from .texts import pick
from .topics import as_seen_now, event_label, event_labels, topic_for

PAGE_SIZE = 20


def event_text(event: Event) -> str:
    """The event's text in the reader's (active) language, else as it was stored."""
    return pick(event.data)


def event_url(event: Event) -> str:
    """A same-site link carried by the event (data["url"]), never an outside address."""
    data = event.data if isinstance(event.data, dict) else {}
    url = data.get("url")
    if isinstance(url, str) and url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    return ""


@login_required
def notifications(request):
    """The signed-in person's `user:<id>` events, newest first; page 1 updates live."""
    topic = topic_for("user", request.user.pk)
    events = Event.objects.filter(topic=topic).order_by("-id")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # As the reader may see them now (live.topics readers), not as they were published.
    items = [
        {
            "event": event,
            "label": event_label(event.type),
            "text": event_text(event),
            "url": event_url(event),
        }
        for event in as_seen_now(request.user, rows)
    ]
    live = page.number == 1
    return render(
        request,
        "live/notifications.html",
        {
            "page": page,
            "items": items,
            "topic": topic,
            "live": live,
            # Page 1 shows the newest events: stream everything after the newest read.
            "since": rows[0].pk if rows else 0,
            "labels": event_labels() if live else None,
        },
    )
