"""The Certificates admin: scoped to the staff's communities, masked names and document numbers,
issue and revoke through the services, no add or delete, and no admin of real-name profiles."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates import services
from certificates.models import Certificate
from communities.services import sync_staff_access
from teams.models import ServiceRecord
from tests.factories import make_user, member
from tests.teams.conftest import client_for

from .conftest import profile_for, resident_id

pytestmark = pytest.mark.django_db

FULL_NAME = "张秀兰"
MASKED_NAME = "张*兰"


@pytest.fixture
def admin_world(served):
    w = served
    for person in (w.staff, w.street_staff, w.other_staff):
        sync_staff_access(person)
        person.refresh_from_db()
    w.request, _created = services.request_certificate(
        actor=w.volunteer,
        community=w.yuling,
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
        purpose="入学申请",
    )
    return w


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def edit_url(certificate):
    return reverse("certificates_certificate:edit", args=[certificate.pk])


INDEX = reverse("certificates_certificate:index")


def test_the_list_shows_masked_names_and_numbers_only(admin_world):
    w = admin_world
    services.issue_certificate(actor=w.staff, certificate=w.request)
    body = client_for(w.staff).get(INDEX).content.decode()
    assert MASKED_NAME in body
    assert w.profile.id_number_masked in body
    assert FULL_NAME not in body
    assert resident_id() not in body
    number = Certificate.objects.get(pk=w.request.pk).number
    assert number in body


def test_a_request_shows_the_profile_masked_before_it_is_issued(admin_world):
    w = admin_world
    for url in (INDEX, edit_url(w.request)):
        body = client_for(w.staff).get(url).content.decode()
        assert MASKED_NAME in body, url
        assert FULL_NAME not in body and resident_id() not in body, url


def test_staff_of_another_community_see_nothing(admin_world):
    w = admin_world
    client = client_for(w.other_staff)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert MASKED_NAME not in response.content.decode()
    assert client.get(edit_url(w.request)).status_code == 404
    assert client.post(edit_url(w.request), {"action": "issue"}).status_code == 404
    assert Certificate.objects.get(pk=w.request.pk).status == "requested"


def test_street_staff_above_see_it(admin_world):
    w = admin_world
    assert MASKED_NAME in client_for(w.street_staff).get(INDEX).content.decode()


def test_residents_and_volunteers_are_kept_out(admin_world):
    w = admin_world
    for person in (w.resident, w.volunteer):
        response = client_for(person).get(INDEX)
        assert response.status_code in (302, 403)
        assert client_for(person).get(edit_url(w.request)).status_code in (302, 403, 404)


def test_staff_issue_through_the_service(admin_world):
    w = admin_world
    client = english(client_for(w.staff))
    response = client.post(edit_url(w.request), {"action": "issue", "remarks": "表现突出"})
    assert response.status_code == 302
    certificate = Certificate.objects.get(pk=w.request.pk)
    assert certificate.status == "publicising" and certificate.number
    assert certificate.remarks == "表现突出"
    assert certificate.lines.count() == 2
    # The service wrote the audit entry.
    assert ModelLogEntry.objects.filter(
        action="linli.certificate.issue", object_id=str(certificate.pk), user=w.staff
    ).exists()
    # Issuing again keeps the number; the page shows the lines and no issue form.
    body = client.get(edit_url(certificate)).content.decode()
    assert certificate.number in body
    assert "Issue the certificate" not in body
    assert "清理3栋楼道" in body
    assert "Revoke the certificate" in body


def test_turning_down_a_request_needs_a_reason(admin_world):
    w = admin_world
    client = english(client_for(w.staff))
    response = client.post(edit_url(w.request), {"action": "revoke", "reason": ""})
    assert response.status_code == 200
    assert Certificate.objects.get(pk=w.request.pk).status == "requested"
    response = client.post(edit_url(w.request), {"action": "revoke", "reason": "时段内没有记录"})
    assert response.status_code == 302
    certificate = Certificate.objects.get(pk=w.request.pk)
    assert certificate.status == "revoked" and certificate.number is None
    body = client.get(INDEX).content.decode()
    assert "Request turned down" in body
    filtered = client.get(INDEX + "?status=turned_down").content.decode()
    assert MASKED_NAME in filtered
    assert MASKED_NAME not in client.get(INDEX + "?status=revoked").content.decode()


def test_revoking_an_issued_certificate(admin_world):
    w = admin_world
    certificate = services.issue_certificate(actor=w.staff, certificate=w.request)
    client = english(client_for(w.street_staff))
    response = client.post(edit_url(certificate), {"action": "revoke", "reason": "时长有误"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "revoked" and certificate.revoke_reason == "时长有误"
    assert ModelLogEntry.objects.filter(action="linli.certificate.revoke").count() == 1
    response = client.post(edit_url(certificate), {"action": "revoke", "reason": "again"})
    assert response.status_code == 302  # the service's Conflict comes back as a message
    assert ModelLogEntry.objects.filter(action="linli.certificate.revoke").count() == 1


def test_the_status_filter_tells_valid_from_publicising(admin_world):
    w = admin_world
    certificate = services.issue_certificate(actor=w.staff, certificate=w.request)
    client = client_for(w.staff)
    assert MASKED_NAME in client.get(INDEX + "?status=publicising").content.decode()
    assert MASKED_NAME not in client.get(INDEX + "?status=valid").content.decode()
    Certificate.objects.filter(pk=certificate.pk).update(
        publicity_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert MASKED_NAME in client.get(INDEX + "?status=valid").content.decode()
    assert MASKED_NAME not in client.get(INDEX + "?status=publicising").content.decode()


def test_nobody_issues_their_own_certificate_here(admin_world):
    w = admin_world
    member(w.volunteer, w.street, "staff")  # the volunteer is staff of the street too
    sync_staff_access(w.volunteer)
    w.volunteer.refresh_from_db()
    client = english(client_for(w.volunteer))
    assert client.get(INDEX).status_code == 200
    response = client.get(edit_url(w.request))
    assert response.status_code in (200, 403, 404)
    assert "Issue the certificate" not in response.content.decode()
    client.post(edit_url(w.request), {"action": "issue"})
    assert Certificate.objects.get(pk=w.request.pk).status == "requested"


def test_unknown_actions_and_bad_input_are_no_500(admin_world):
    w = admin_world
    client = client_for(w.staff)
    for data in ({}, {"action": "delete"}, {"action": "revoke", "reason": "x" * 400}):
        assert client.post(edit_url(w.request), data).status_code in (200, 302)
    assert Certificate.objects.get(pk=w.request.pk).status == "requested"


def test_no_add_or_delete_views_and_no_profile_admin():
    with pytest.raises(NoReverseMatch):
        reverse("certificates_certificate:add")
    with pytest.raises(NoReverseMatch):
        reverse("certificates_certificate:delete", args=[1])
    from django.urls import URLResolver, get_resolver

    def admin_routes(patterns, route=""):
        for pattern in patterns:
            here = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from admin_routes(pattern.url_patterns, here)
            elif here.startswith("admin/"):
                yield here

    routes = list(admin_routes(get_resolver().url_patterns))
    assert any(route.startswith("admin/certificates_certificate/") for route in routes)
    assert not [route for route in routes if "profile" in route.lower()]


def test_the_list_reads_in_a_constant_number_of_queries(admin_world, django_assert_max_num_queries):
    w = admin_world
    day = timezone.localdate() - datetime.timedelta(days=3)

    def more_requests(n):
        for i in range(n):
            person = member(make_user(f"v{w.n}-{i}@example.com"), w.yuling)
            ServiceRecord.objects.create(
                volunteer=person,
                task=w.records[0].task,
                team=w.team,
                date=day,
                hours=1,
                source="self",
                status="approved",
                reviewer=w.staff,
            )
            profile_for(person, name=f"李{w.n}{i}明")
            services.request_certificate(
                actor=person, community=w.yuling, period_start=day, period_end=day
            )
        w.n += 1

    client = client_for(w.staff)
    w.n = 0
    more_requests(1)
    client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    more_requests(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(INDEX)
    assert response.content.decode().count("李") >= 6


def test_the_community_form_has_the_certificate_fields(admin_world):
    w = admin_world
    body = client_for(w.superuser).get(reverse("community:edit", args=[w.yuling.pk])).content
    for field in ("certificate_publicity_days", "person_in_charge", "contact_phone"):
        assert f'name="{field}"'.encode() in body


def test_control_characters_are_a_form_error(admin_world):
    w = admin_world
    client = client_for(w.staff)
    response = client.post(edit_url(w.request), {"action": "revoke", "reason": "no\x00pe"})
    assert response.status_code == 200
    response = client.post(edit_url(w.request), {"action": "issue", "remarks": "a\x07b"})
    assert response.status_code == 200
    assert Certificate.objects.get(pk=w.request.pk).status == "requested"
