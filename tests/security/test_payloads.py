"""Script and HTML payloads in every text field come back escaped on pages, as the same plain
strings in the API, and as the same plain strings in live event data; uploads are limited."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communities import services as community_services
from communities.models import Membership
from deliberation import services as council_services
from deliberation.models import Comment, Proposal
from live.models import Event
from teams.models import Need, Task
from tests.core.test_security import audit
from tests.deliberation.conftest import client_for, make_user, world  # noqa: F401

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
]
TEXT_LIKE = ["javascript:alert(1)", "{{7*7}}", "{% debug %}"]
PAYLOAD = " ".join(MARKUP + TEXT_LIKE)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def api(client, method, url, body):
    response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 201), (url, response.content)
    return response.json()


def assert_safe_page(html, where):
    for raw in MARKUP:
        assert raw not in html, (where, raw)
    found = audit(html)
    assert found.inline_scripts == [] and found.handlers == [] and found.js_urls == [], where
    assert "{{7*7}}" in html or "{{ 7*7 }}" not in html  # templates are never re-rendered


@pytest.fixture
def hostile_world(world, settings):  # noqa: F811
    w = world
    settings.DELIBERATION_RATE_LIMITS = {}
    resident, staff, leader = client_for(w.resident), client_for(w.staff), client_for(w.leader)
    w.resident.display_name = PAYLOAD[:60]
    w.resident.save(update_fields=["display_name"])

    proposal = api(
        resident,
        "post",
        f"/api/v1/communities/{w.yuling.pk}/proposals",
        {"title": PAYLOAD[:120], "body": PAYLOAD, "location": PAYLOAD[:200], "category": "other"},
    )
    assert proposal["title"] == PAYLOAD[:120] and proposal["body"] == PAYLOAD
    w.proposal = Proposal.objects.get(pk=proposal["id"])
    council_services.publish_proposal(actor=w.staff, proposal=w.proposal)
    comments_url = f"/api/v1/proposals/{w.proposal.pk}/comments"
    comment = api(resident, "post", comments_url, {"body": PAYLOAD})
    assert comment["body"] == PAYLOAD
    w.comment = Comment.objects.get(pk=comment["id"])

    task = api(
        staff,
        "post",
        f"/api/v1/communities/{w.yuling.pk}/tasks",
        {"title": PAYLOAD[:120], "description": PAYLOAD, "required_skills": ["sanitation"]},
    )
    assert task["title"] == PAYLOAD[:120] and task["description"] == PAYLOAD
    w.task = Task.objects.get(pk=task["id"])
    api(leader, "post", f"/api/v1/tasks/{w.task.pk}/claim", {"team": w.team.pk})
    posted = api(leader, "post", f"/api/v1/tasks/{w.task.pk}/updates", {"text": PAYLOAD})
    assert posted["update"]["text"] == PAYLOAD

    need = api(
        resident,
        "post",
        f"/api/v1/communities/{w.yuling.pk}/needs",
        {"category": "repairs", "description": PAYLOAD},
    )
    assert need["description"] == PAYLOAD
    w.need = Need.objects.get(pk=need["id"])

    w.newcomer = make_user("newcomer@example.com", display_name=PAYLOAD[:60])
    community_services.request_membership(user=w.newcomer, community=w.yuling, note=PAYLOAD[:200])
    return w


def test_pages_escape_every_payload(hostile_world):
    w = hostile_world
    pages = [
        (None, reverse("deliberation:proposal_detail", args=[w.proposal.pk])),
        (w.resident, reverse("deliberation:proposal_detail", args=[w.proposal.pk])),
        (w.staff, reverse("deliberation:proposal_detail", args=[w.proposal.pk])),
        (None, reverse("deliberation:council", args=[w.yuling.pk])),
        (w.resident, reverse("deliberation:my_proposals")),
        (w.leader, reverse("teams:task_detail", args=[w.task.pk])),
        (w.leader, reverse("teams:team_board", args=[w.team.pk])),
        (w.leader, reverse("teams:my_tasks")),
        (None, reverse("teams:team_detail", args=[w.team.pk])),
        (w.resident, reverse("teams:my_needs")),
        (w.staff, reverse("teams:dispatch")),
        (w.staff, reverse("communities:requests", args=[w.yuling.pk])),
        (w.resident, reverse("accounts:profile")),
        (w.resident, reverse("live:notifications")),
    ]
    seen_payload_somewhere = 0
    for user, url in pages:
        response = client_for(user).get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_safe_page(html, url)
        seen_payload_somewhere += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The payloads are shown (escaped), not dropped.
    assert seen_payload_somewhere >= 8


def test_api_returns_the_payloads_as_plain_strings(hostile_world):
    w = hostile_world
    anonymous, staff = client_for(None), client_for(w.staff)
    proposal = anonymous.get(f"/api/v1/proposals/{w.proposal.pk}").json()
    assert proposal["title"] == PAYLOAD[:120]
    assert proposal["body"] == PAYLOAD
    assert proposal["author"]["display_name"] == PAYLOAD[:60]
    comments = anonymous.get(f"/api/v1/proposals/{w.proposal.pk}/comments").json()
    assert PAYLOAD in set(strings(comments))
    task = client_for(w.leader).get(f"/api/v1/tasks/{w.task.pk}").json()
    assert task["description"] == PAYLOAD
    assert PAYLOAD in set(strings(task["updates"]))
    memberships = staff.get(f"/api/v1/communities/{w.yuling.pk}/memberships")
    if memberships.status_code == 200:
        assert PAYLOAD[:200] in set(strings(memberships.json()))
    # JSON, never HTML: the content type says so and nothing is HTML-escaped.
    response = anonymous.get(f"/api/v1/proposals/{w.proposal.pk}")
    assert response["Content-Type"].startswith("application/json")
    assert "&lt;" not in response.content.decode()


def test_live_events_carry_the_payloads_as_plain_strings(hostile_world):
    texts = set()
    for event in Event.objects.all():
        texts |= set(strings(event.data))
    assert PAYLOAD in texts  # the comment or the update, unchanged
    assert not any("&lt;" in t for t in texts)  # escaping is the page's job, not the log's


def png_bytes(size=(8, 8)):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_uploads_too_large_or_not_images_are_refused_clearly(hostile_world):
    w = hostile_world
    leader = client_for(w.leader)
    url = f"/api/v1/tasks/{w.task.pk}/updates"
    big = png_bytes() + b"\0" * (5 * 1024 * 1024 + 1)
    cases = {
        "too-large": SimpleUploadedFile("big.png", big, content_type="image/png"),
        "not-an-image": SimpleUploadedFile("x.png", b"<html>hi</html>", content_type="image/png"),
        "svg": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml"),
    }
    for case, upload in cases.items():
        response = leader.post(url, {"text": "照片", "photo": upload})
        assert response.status_code == 400, (case, response.content)
        body = response.json()
        assert body["code"] and body["detail"], case
        assert "photo" in json.dumps(body), case
    ok = leader.post(
        url,
        {"photo": SimpleUploadedFile("ok.png", png_bytes(), content_type="image/png")},
    )
    assert ok.status_code == 201, ok.content
    # The page form says the same, without a 500.
    response = leader.post(
        reverse("teams:task_update", args=[w.task.pk]),
        {"text": "照片", "photo": SimpleUploadedFile("big.png", big, content_type="image/png")},
    )
    assert response.status_code in (200, 400)
    assert "5 MB" in response.content.decode() or "5 MB" in str(response.content)
    assert Membership.objects.filter(user=w.newcomer).exists()
