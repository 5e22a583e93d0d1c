"""The unread count: a read mark per person, the count for templates and the API, and
opening the notifications page (page 1) reads them all."""

import pytest
from django.db import connection
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from live.context_processors import unread_notifications
from live.models import NotificationMark
from live.selectors import UNREAD_LIMIT, unread_count
from live.services import mark_notifications_read, publish, publish_many

pytestmark = pytest.mark.django_db

URL = "/live/notifications/"


def notify(user, n=1, type="demo.notice"):
    return publish_many(
        [(f"user:{user.pk}", type, {"text": f"通知 {i}"}) for i in range(n)], actor=None
    )


def test_counts_only_my_events_after_my_mark(alice, bob):
    assert unread_count(user=alice) == 0
    notify(alice, 3)
    notify(bob, 2)
    publish(topic="community:1", type="demo.notice", data={})
    assert unread_count(user=alice) == 3
    mark_notifications_read(user=alice)
    assert unread_count(user=alice) == 0
    notify(alice, 2)
    assert unread_count(user=alice) == 2
    assert unread_count(user=bob) == 2


def test_every_event_type_on_my_topic_counts(alice):
    """Every event on a person's own topic is a notification: the services publish there only
    what they mean to tell the person (access changes travel as control messages, unlogged)."""
    for type in ("task.dispatched", "need.accepted", "hours.approved", "proposal.accepted"):
        notify(alice, type=type)
    assert unread_count(user=alice) == 4


def test_new_inbox_work_is_a_notice(alice):
    """Staff are told when something new waits for them: `inbox.new` counts like any other
    event of their topic (tests/communities/test_inbox.py checks who receives and reads it)."""
    notify(alice, type="inbox.new")
    notify(alice)
    assert unread_count(user=alice) == 2


def test_one_query_and_capped(alice):
    notify(alice, UNREAD_LIMIT + 5)
    with CaptureQueriesContext(connection) as captured:
        assert unread_count(user=alice) == UNREAD_LIMIT
    assert len(captured.captured_queries) == 1


def test_anonymous_has_none(client):
    from django.contrib.auth.models import AnonymousUser

    assert unread_count(user=AnonymousUser()) == 0


def test_mark_only_moves_forward(alice):
    first, second = notify(alice, 2)
    mark_notifications_read(user=alice, upto=second.pk)
    mark_notifications_read(user=alice, upto=first.pk)
    assert NotificationMark.objects.get(user=alice).read_upto == second.pk
    assert unread_count(user=alice) == 0


def test_context_processor_is_lazy_and_renders_the_count(alice):
    notify(alice, 2)
    request = RequestFactory().get("/")
    request.user = alice
    with CaptureQueriesContext(connection) as captured:
        context = unread_notifications(request)
    assert len(captured.captured_queries) == 0
    template = Template(
        "<span data-unread-count{% if not unread_count %} hidden{% endif %}>"
        "{{ unread_count }}</span>"
    )
    assert template.render(Context(context)) == "<span data-unread-count>2</span>"


def test_context_processor_for_visitors():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = Template("{% if not unread_count %}none{% endif %}").render(RequestContext(request))
    assert html == "none"


def test_opening_page_one_reads_everything(client, alice):
    notify(alice, 25)  # more than one page
    client.force_login(alice)
    assert client.get(URL + "?page=2").status_code == 200
    assert unread_count(user=alice) == 25  # an older page reads nothing
    response = client.get(URL)
    assert response.status_code == 200
    assert unread_count(user=alice) == 0
    assert response.context["unread_count"] == 0


def test_opening_with_nothing_writes_no_mark(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 200
    assert not NotificationMark.objects.filter(user=alice).exists()


def test_api_me_and_mark_read(client, alice, bob):
    events = notify(alice, 3)
    client.force_login(alice)
    assert client.get("/api/v1/me").json()["unread_notifications"] == 3
    response = client.post(
        "/api/v1/notifications/read", {"upto": events[0].pk}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"read_upto": events[0].pk, "unread": 2}
    response = client.post("/api/v1/notifications/read", {}, content_type="application/json")
    assert response.json() == {"read_upto": events[-1].pk, "unread": 0}
    assert client.get("/api/v1/me").json()["unread_notifications"] == 0
    assert not NotificationMark.objects.filter(user=bob).exists()


def test_api_mark_read_needs_sign_in_and_valid_input(client, alice):
    assert (
        client.post("/api/v1/notifications/read", {}, content_type="application/json").status_code
        == 401
    )
    client.force_login(alice)
    response = client.post(
        "/api/v1/notifications/read", {"upto": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()
