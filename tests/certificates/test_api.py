"""The certificates' JSON API: the real-name profile (masked on read, field errors), asking
for a certificate (201, 200 again, 409 profile_required), issuing (staff of the issuing
community, never one's own), revoking, who sees a certificate (others get 404), the list
(mine; staff by community) at a constant cost, and the public verification by number."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates import services
from certificates.models import Certificate, VolunteerProfile
from tests.factories import make_user, member
from tests.teams.conftest import client_for

from .conftest import approved_hours, profile_for, resident_id

P = "/api/v1"
TODAY = timezone.localdate()
PERIOD = {
    "period_start": (TODAY - datetime.timedelta(days=60)).isoformat(),
    "period_end": TODAY.isoformat(),
}
VERIFY_FIELDS = {"number", "status", "holder", "issuer", "period_start", "period_end", "hours"}
CERTIFICATE_FIELDS = {
    "id",
    "number",
    "status",
    "holder",
    "community",
    "period_start",
    "period_end",
    "hours",
    "verify_url",
}


@pytest.fixture(autouse=True)
def no_write_limits(settings):
    settings.WRITE_RATE_LIMITS = {"user": None, "anonymous": None}


def send(client, method, path, body=None):
    return getattr(client, method)(path, json.dumps(body or {}), content_type="application/json")


def ask(w, client=None, **fields):
    body = {**PERIOD, "community": w.yuling.pk, **fields}
    return send(client or client_for(w.volunteer), "post", P + "/certificates", body)


def requested(w):
    certificate, _created = services.request_certificate(
        actor=w.volunteer,
        community=w.yuling,
        period_start=TODAY - datetime.timedelta(days=60),
        period_end=TODAY,
    )
    return certificate


def issued(w):
    return services.issue_certificate(actor=w.staff, certificate=requested(w))


# --- the real-name profile ----------------------------------------------------------------------


def test_profile_is_filled_in_read_masked_and_kept(world):
    client = client_for(world.volunteer)
    url = P + "/me/volunteer-profile"
    assert client.get(url).json()["code"] == "not_found"
    body = {
        "real_name": "张秀兰",
        "id_type": "resident_id",
        "id_number": resident_id()[:-1] + resident_id()[-1].lower(),
        "volunteer_number": "42010012345678",
    }
    response = send(client, "put", url, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id_number"] == "421" + "*" * 11 + resident_id()[-4:]
    assert resident_id() not in response.content.decode()
    assert data["real_name"] == "张秀兰" and data["volunteer_number"] == "42010012345678"
    read = client.get(url)
    assert read.status_code == 200 and read.json()["id_number"] == data["id_number"]
    assert resident_id() not in read.content.decode()
    # A change without a number keeps the one stored.
    response = send(client, "put", url, {"real_name": "张秀英", "id_type": "resident_id"})
    assert response.status_code == 200
    assert response.json()["real_name"] == "张秀英"
    assert VolunteerProfile.objects.get(user=world.volunteer).id_number() == resident_id()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"real_name": "张秀兰", "id_number": resident_id()[:-1] + "0"}, "id_number"),
        ({"real_name": "张秀兰", "id_number": "42108719651312002X"}, "id_number"),
        ({"real_name": "", "id_number": resident_id()}, "real_name"),
        ({"real_name": "张秀兰", "id_type": "driving_licence", "id_number": "1"}, "id_type"),
        ({"real_name": "张秀兰", "id_type": "passport", "id_number": "E1"}, "id_number"),
        ({"real_name": "张秀兰", "id_number": resident_id(), "volunteer_number": "42 01"}, None),
        ({"real_name": "张\x00兰", "id_number": resident_id()}, "real_name"),
        ({"id_number": resident_id()}, "real_name"),
    ],
)
def test_profile_refuses_bad_input_with_field_errors(world, body, field):
    response = send(client_for(world.volunteer), "put", P + "/me/volunteer-profile", body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "invalid"
    assert (field or "volunteer_number") in data["errors"]
    assert not VolunteerProfile.objects.exists()


def test_profile_needs_sign_in(world):
    assert client_for(None).get(P + "/me/volunteer-profile").status_code == 401
    response = send(client_for(None), "put", P + "/me/volunteer-profile", {"real_name": "x"})
    assert response.status_code == 401


# --- asking for a certificate -------------------------------------------------------------------


def test_asking_needs_a_profile_then_gives_the_open_request_again(world):
    approved_hours(world)
    response = ask(world)
    assert response.status_code == 409
    assert response.json()["code"] == "profile_required"
    profile_for(world.volunteer)
    first = ask(world, purpose="升学申请")
    assert first.status_code == 201, first.content
    data = first.json()
    assert set(data) >= CERTIFICATE_FIELDS
    assert data["status"] == "requested" and data["number"] is None
    assert data["hours"] == "5.00" and data["verify_url"] is None
    assert data["community"] == {"id": world.yuling.pk, "name": world.yuling.name}
    assert data["holder"]["id"] == world.volunteer.pk
    again = ask(world)
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Certificate.objects.count() == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"community": 2**70}, "community"),
        ({"community": 999999}, "community"),
        ({"period_start": "2026-13-01"}, "period_start"),
        ({"period_end": (TODAY + datetime.timedelta(days=3)).isoformat()}, "period_end"),
        ({"period_start": TODAY.isoformat(), "period_end": "2020-01-01"}, "period_end"),
        ({"purpose": "x" * 201}, "purpose"),
    ],
)
def test_asking_refuses_bad_input(served, fields, field):
    response = ask(served, **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_asking_without_hours_there_is_refused(served):
    profile_for(served.outsider, name="李明")
    response = ask(served, client_for(served.outsider))
    assert response.status_code == 400
    assert "period_start" in response.json()["errors"]
    response = ask(served, community=served.other.pk)
    assert response.status_code == 400


# --- issuing, reading, revoking -----------------------------------------------------------------


def test_staff_issue_once_with_lines_and_the_same_number_again(served):
    certificate = requested(served)
    url = f"{P}/certificates/{certificate.pk}/issue"
    own = send(client_for(served.volunteer), "post", url)
    assert own.status_code == 403 and own.json()["code"] == "own_work"
    for outsider in (served.resident, served.leader, served.other_staff):
        assert send(client_for(outsider), "post", url).status_code == 404
    assert send(client_for(None), "post", url).status_code == 401
    response = send(client_for(served.staff), "post", url, {"remarks": "表现突出"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "publicising" and data["number"].startswith("LL")
    assert data["hours"] == "5.00" and data["remarks"] == "表现突出"
    assert [line["hours"] for line in data["lines"]] == ["3.00", "2.00"]
    assert {line["title"] for line in data["lines"]} == {"清理3栋楼道"}
    assert {line["team"] for line in data["lines"]} == {served.team.name}
    assert data["holder_name"] == "张秀兰" and data["id_number"].startswith("421***")
    assert data["issuer"]["name"] == served.yuling.name
    assert data["verify_url"].endswith(f"/records/verify/{data['number']}/")
    assert resident_id() not in response.content.decode()
    again = send(client_for(served.street_staff), "post", url)
    assert again.status_code == 200 and again.json()["number"] == data["number"]
    assert (
        ModelLogEntry.objects.filter(
            action="linli.certificate.issue", object_id=certificate.pk
        ).count()
        == 1
    )


def test_holder_and_staff_see_a_certificate_others_get_404(served):
    certificate = issued(served)
    url = f"{P}/certificates/{certificate.pk}"
    for user in (served.volunteer, served.staff, served.street_staff, served.superuser):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert response.json()["number"] == certificate.number
    for user in (served.resident, served.leader, served.outsider, served.other_staff):
        response = client_for(user).get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client_for(None).get(url).status_code == 401
    assert client_for(served.staff).get(f"{P}/certificates/{2**70}").status_code == 404
    assert client_for(served.staff).get(f"{P}/certificates/999999").status_code == 404


def test_staff_revoke_with_a_reason_and_verification_says_so(served):
    certificate = issued(served)
    url = f"{P}/certificates/{certificate.pk}/revoke"
    assert send(client_for(served.volunteer), "post", url, {"reason": "x"}).status_code == 403
    assert send(client_for(served.resident), "post", url, {"reason": "x"}).status_code == 404
    empty = send(client_for(served.staff), "post", url, {"reason": " "})
    assert empty.status_code == 400 and "reason" in empty.json()["errors"]
    assert send(client_for(served.staff), "post", url, {}).status_code == 400
    response = send(client_for(served.staff), "post", url, {"reason": "时长有误"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert response.json()["revoke_reason"] == "时长有误"
    again = send(client_for(served.staff), "post", url, {"reason": "时长有误"})
    assert again.status_code == 409
    answer = client_for(None).get(f"{P}/certificates/verify/{certificate.number}")
    assert answer.json()["status"] == "revoked"


# --- verification -------------------------------------------------------------------------------


def test_anyone_verifies_a_number_and_learns_only_the_public_facts(served):
    certificate = issued(served)
    response = client_for(None).get(f"{P}/certificates/verify/{certificate.number}")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == VERIFY_FIELDS
    assert data == {
        "number": certificate.number,
        "status": "publicising",
        "holder": "张*兰",
        "issuer": served.yuling.name,
        "period_start": certificate.period_start.isoformat(),
        "period_end": certificate.period_end.isoformat(),
        "hours": "5.00",
    }
    lower = client_for(served.resident).get(f"{P}/certificates/verify/{certificate.number.lower()}")
    assert lower.json()["number"] == certificate.number
    # After the notice period it is valid.
    Certificate.objects.filter(pk=certificate.pk).update(
        publicity_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert (
        client_for(None).get(f"{P}/certificates/verify/{certificate.number}").json()["status"]
        == "valid"
    )


@pytest.mark.parametrize("number", ["LL2026-AAAA-AAAA", "x", "L" * 40, "%E4%B8%AD%E6%96%87"])
def test_an_unknown_number_says_so_and_nothing_else(served, number):
    requested(served)  # a request has no number: nothing to find
    response = client_for(None).get(f"{P}/certificates/verify/{number}")
    assert response.status_code == 404
    assert response.json() == {"detail": response.json()["detail"], "code": "not_found"}


# --- lists --------------------------------------------------------------------------------------


def test_my_list_and_staff_list_by_community(served, django_assert_max_num_queries):
    first = issued(served)
    others = []
    for i in range(3):
        person = member(make_user(f"v{i}@example.com", display_name=f"志愿者{i}"), served.yuling)
        approved_hours(served_with(served, person), hours=(1,), days_ago=(3,))
        profile_for(person, name="王芳")
        certificate, _created = services.request_certificate(
            actor=person,
            community=served.yuling,
            period_start=TODAY - datetime.timedelta(days=30),
            period_end=TODAY,
        )
        others.append(certificate)
    mine = client_for(served.volunteer).get(P + "/certificates").json()
    assert [item["id"] for item in mine["items"]] == [first.pk] and mine["count"] == 1
    staff = client_for(served.staff)
    with django_assert_max_num_queries(8):
        listed = staff.get(f"{P}/certificates?community={served.yuling.pk}").json()
    assert listed["count"] == 4
    assert {item["id"] for item in listed["items"]} == {first.pk, *(c.pk for c in others)}
    by_status = staff.get(f"{P}/certificates?community={served.yuling.pk}&status=requested")
    assert by_status.json()["count"] == 3
    valid = staff.get(f"{P}/certificates?community={served.yuling.pk}&status=valid")
    assert valid.json()["count"] == 0
    Certificate.objects.filter(pk=first.pk).update(publicity_until=timezone.now())
    valid = staff.get(f"{P}/certificates?community={served.yuling.pk}&status=valid").json()
    assert [item["id"] for item in valid["items"]] == [first.pk]
    assert valid["items"][0]["status"] == "valid"
    assert staff.get(f"{P}/certificates?status=nonsense").status_code == 400
    assert staff.get(f"{P}/certificates?limit=1000").status_code == 400
    # Street staff see the community's; other communities' staff and residents are refused.
    street = client_for(served.street_staff).get(f"{P}/certificates?community={served.yuling.pk}")
    assert street.json()["count"] == 4
    for user in (served.other_staff, served.volunteer, served.leader):
        response = client_for(user).get(f"{P}/certificates?community={served.yuling.pk}")
        assert response.status_code == 403
    assert client_for(served.staff).get(f"{P}/certificates?community={2**70}").json()["count"] == 0
    assert client_for(None).get(P + "/certificates").status_code == 401


def served_with(w, person):
    """The world with `person` in the environment team, to log hours as its volunteer."""
    from teams.models import TeamMembership

    TeamMembership.objects.get_or_create(
        team=w.team, user=person, defaults={"role": "member", "status": "active"}
    )
    clone = type(w)(**vars(w))
    clone.volunteer = person
    return clone


def test_hours_are_decimal_strings(served):
    certificate = issued(served)
    data = client_for(served.volunteer).get(f"{P}/certificates/{certificate.pk}").json()
    assert Decimal(data["hours"]) == sum(Decimal(line["hours"]) for line in data["lines"])


def test_pdf_for_holder_and_staff_with_the_full_number_and_staff_reads_audited(served):
    import io

    from pypdf import PdfReader

    waiting = requested(served)
    response = client_for(served.volunteer).get(f"{P}/certificates/{waiting.pk}/pdf")
    assert response.status_code == 409 and response.json()["code"] == "not_issued"
    certificate = services.issue_certificate(actor=served.staff, certificate=waiting)
    url = f"{P}/certificates/{certificate.pk}/pdf"
    detail = client_for(served.volunteer).get(f"{P}/certificates/{certificate.pk}").json()
    assert detail["pdf_url"] == url
    reveals = ModelLogEntry.objects.filter(action="linli.profile.reveal")
    response = client_for(served.volunteer).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert reveals.count() == 0
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert certificate.number in text and resident_id() in text
    assert client_for(served.staff).get(url).status_code == 200
    assert reveals.count() == 1
    for user in (served.resident, served.leader, served.other_staff):
        assert client_for(user).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 401
