"""Notifications page, the account-nav link, the Wagtail admin for the log, live.js."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from live import topics
from live.models import Event
from live.services import publish
from live.views import PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = "/live/notifications/"


def make_events(user, count, **data):
    return [
        publish(topic=f"user:{user.pk}", type="demo.notice", data={"text": f"通知 {n}", **data})
        for n in range(count)
    ]


def test_url_name():
    assert reverse("live:notifications") == URL


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_shows_only_my_events_newest_first(client, alice, bob):
    mine = make_events(alice, 3)
    publish(topic=f"user:{bob.pk}", type="demo.notice", data={"text": "bob's secret"})
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "bob&#x27;s secret" not in html and "bob's secret" not in html
    positions = [html.index(f'data-live-id="{e.pk}"') for e in mine]
    assert positions == sorted(positions, reverse=True)
    assert f'data-live-topic="user:{alice.pk}"' in html
    assert f'data-live-since="{mine[-1].pk}"' in html
    assert 'data-live-list="prepend"' in html
    assert "js/live.js" in html
    assert 'id="linli-live-labels"' in html


def test_empty_page_streams_from_zero(client, alice):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert 'data-live-since="0"' in html
    assert "data-live-empty" in html


def test_labels_from_the_registry_and_text(client, alice):
    topics.register_event_label("demo.labelled", _("Demo label"))
    try:
        publish(topic=f"user:{alice.pk}", type="demo.labelled", data={})
        publish(topic=f"user:{alice.pk}", type="demo.unlabelled", data={"text": "请看这里"})
        client.force_login(alice)
        client.cookies["django_language"] = "en"
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Demo label" in html
        assert "请看这里" in html
        assert topics.event_label("demo.unlabelled") == str(topics.FALLBACK_LABEL)
        assert topics.event_labels()["demo.labelled"] == "Demo label"
    finally:
        topics.unregister_event_label("demo.labelled")


def test_only_same_site_links(client, alice):
    publish(topic=f"user:{alice.pk}", type="demo.link", data={"text": "inside", "url": "/teams/"})
    publish(
        topic=f"user:{alice.pk}",
        type="demo.link",
        data={"text": "outside", "url": "//evil.example/"},
    )
    publish(topic=f"user:{alice.pk}", type="demo.link", data=["not", "a", "dict"])
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert '<a href="/teams/">inside</a>' in html
    assert "evil.example" not in html


def test_constant_queries_and_pagination(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    make_events(alice, 3)
    with django_assert_max_num_queries(6) as few:
        assert client.get(URL).status_code == 200
    make_events(alice, PAGE_SIZE * 2 + 5)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count('class="notification"') == PAGE_SIZE
    page3 = client.get(URL, {"page": 3}).content.decode()
    assert page3.count('class="notification"') == 8
    # Older pages do not stream (new events belong at the top of page 1).
    assert "data-live-topic" not in page3
    assert client.get(URL, {"page": "abc"}).status_code == 200
    assert client.get(URL, {"page": 999}).status_code == 200


def test_account_nav_links_to_notifications(client, alice):
    assert URL not in client.get("/").content.decode()
    client.force_login(alice)
    assert f'href="{URL}"' in client.get("/").content.decode()


def test_admin_lists_events_for_superusers_read_only(client, alice):
    from accounts.models import User

    publish(topic=f"user:{alice.pk}", type="demo.notice", data={"text": "x"})
    publish(topic="community:1", type="community.news", data={})
    event = Event.objects.get(type="demo.notice")
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456!")
    client.force_login(admin)
    index = client.get("/admin/live_events/")
    assert index.status_code == 200
    assert "demo.notice" in index.content.decode()
    filtered = client.get("/admin/live_events/", {"topic__startswith": "community:"})
    assert filtered.status_code == 200
    assert "community.news" in filtered.content.decode()
    assert "demo.notice" not in filtered.content.decode()
    assert client.get("/admin/live_events/", {"type": "demo.notice"}).status_code == 200
    assert client.get(f"/admin/live_events/inspect/{event.pk}/").status_code == 200
    for path in ["new/", f"edit/{event.pk}/", f"delete/{event.pk}/"]:
        assert client.get(f"/admin/live_events/{path}").status_code == 404


def test_admin_refuses_staff_who_are_not_superusers(client, alice):
    alice.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(alice)
    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/live_events/")
    assert response.status_code in (302, 403)
    assert "/admin/live_events/" not in client.get("/admin/").content.decode()


def test_live_js_is_small_and_self_contained():
    source = (Path(settings.BASE_DIR) / "site/static/js/live.js").read_text()
    assert len(source.encode()) < 9000
    assert "http://" not in source and "https://" not in source
    assert "import " not in source and "require(" not in source
    for needle in ["/ws/live/", "linli:event", "linli:resync", "data-live-field", "since"]:
        assert needle in source
