"""The `certificate_request` kind of the staff inbox: a request waits for the staff of the
community that recorded the hours (and those above), never for the holder, never elsewhere."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates import services
from communities import inbox
from tests.factories import make_user, member
from tests.teams.conftest import client_for

from .conftest import profile_for

pytestmark = pytest.mark.django_db


def ask(w, person=None, purpose="评优"):
    certificate, _created = services.request_certificate(
        actor=person or w.volunteer,
        community=w.yuling,
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
        purpose=purpose,
    )
    return certificate


def counts(user):
    return inbox.inbox(user, kind="certificate_request", limit=0)["counts"]


def test_the_kind_is_registered():
    kind = inbox.get_kind("certificate_request")
    assert kind is not None
    assert [k.slug for k in inbox.kinds()].index("certificate_request") < [
        k.slug for k in inbox.kinds()
    ].index("membership_request")


def test_a_request_waits_for_the_staff_of_the_community_and_above(served):
    w = served
    assert counts(w.staff) == {"certificate_request": 0}
    certificate = ask(w)
    for person in (w.staff, w.street_staff, w.superuser):
        assert counts(person) == {"certificate_request": 1}, person
    assert counts(w.other_staff) == {"certificate_request": 0}
    assert inbox.inbox(w.volunteer) is None  # not staff: no inbox at all

    client = client_for(w.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/api/v1/inbox", {"kind": "certificate_request"}).json()
    (item,) = body["items"]
    assert item["kind"] == "certificate_request"
    assert item["id"] == certificate.pk
    assert item["url"] == f"/records/certificates/{certificate.pk}/"
    assert item["url"] == certificate.get_absolute_url()
    assert item["community"] == {"id": w.yuling.pk, "name": "玉岭社区"}
    assert "志愿者" in item["title"] and "5 hours" in item["title"]
    assert "评优" in item["reason"]
    # The real name and the document never travel in the inbox.
    text = str(body)
    assert "张秀兰" not in text and w.profile.id_number_masked not in text


def test_issued_or_turned_down_requests_leave_the_inbox(served):
    w = served
    certificate = ask(w)
    services.issue_certificate(actor=w.staff, certificate=certificate)
    assert counts(w.staff) == {"certificate_request": 0}
    services.revoke_certificate(actor=w.staff, certificate=certificate, reason="时长有误")
    assert counts(w.staff) == {"certificate_request": 0}
    second = ask(w)
    assert second.pk != certificate.pk and counts(w.staff) == {"certificate_request": 1}
    services.revoke_certificate(actor=w.staff, certificate=second, reason="重复申请")
    assert counts(w.staff) == {"certificate_request": 0}


def test_ones_own_request_does_not_wait_for_oneself(served):
    w = served
    member(w.volunteer, w.street, "staff")
    ask(w)
    assert counts(w.volunteer) == {"certificate_request": 0}
    assert counts(w.street_staff) == {"certificate_request": 1}


def test_items_read_in_a_constant_number_of_queries(served):
    w = served

    def items_queries():
        scope = inbox.scope_for(w.staff)
        kind = inbox.get_kind("certificate_request")
        with CaptureQueriesContext(connection) as captured:
            items = kind.items(scope, 50)
        return len(captured.captured_queries), len(items)

    ask(w)
    few, one = items_queries()
    for n in range(4):
        person = member(make_user(f"p{n}@example.com"), w.yuling)
        type(w.records[0]).objects.create(
            volunteer=person,
            task=w.records[0].task,
            team=w.team,
            date=w.records[0].date,
            hours=1,
            source="self",
            status="approved",
            reviewer=w.staff,
        )
        profile_for(person, name=f"李{n}明")
        ask(w, person=person)
    many, five = items_queries()
    assert (one, five) == (1, 5)
    assert many == few
