"""The public pages, as an anonymous visitor: verification by number and the community's
public notice list. They say the status, the masked name, the issuer, the period and the
hours, and nothing else about the person; an unknown number gives nothing away."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.models import Certificate

from .conftest import resident_id

pytestmark = pytest.mark.django_db


def anonymous() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def issue(w) -> Certificate:
    today = timezone.localdate()
    certificate, _created = services.request_certificate(
        actor=w.volunteer,
        community=w.yuling,
        period_start=today - datetime.timedelta(days=60),
        period_end=today,
    )
    return services.issue_certificate(actor=w.staff, certificate=certificate)


def answer(number: str):
    response = anonymous().get(reverse("certificates:verify", args=[number]))
    return response, response.content.decode()


def assert_nothing_personal(text: str, w):
    for secret in (
        "张秀兰",
        resident_id(),
        resident_id()[-4:],
        "42010012345678",
        w.volunteer.email,
        w.volunteer.get_display_name(),
        "清理3栋楼道",
    ):
        assert secret not in text, secret


def test_statuses_for_an_anonymous_visitor(served):
    w = served
    certificate = issue(w)
    assert certificate.verify_path() == f"/records/verify/{certificate.number}/"

    response, text = answer(certificate.number)
    assert response.status_code == 200
    assert 'data-status="publicising"' in text and "On public notice" in text
    assert "张*兰" in text and "玉岭社区" in text and certificate.number in text
    assert '<dd id="verify-hours">5</dd>' in text
    assert_nothing_personal(text, w)
    # Typed in lower case with spaces: the form finds it.
    typed = anonymous().get(
        reverse("certificates:verify_form"), {"number": " " + certificate.number.lower() + " "}
    )
    assert typed.status_code == 302 and typed["Location"] == certificate.verify_path()

    Certificate.objects.filter(pk=certificate.pk).update(
        publicity_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    response, text = answer(certificate.number)
    assert response.status_code == 200 and 'data-status="valid"' in text
    assert_nothing_personal(text, w)

    services.revoke_certificate(actor=w.staff, certificate=certificate, reason="时长有误")
    response, text = answer(certificate.number)
    assert response.status_code == 200 and 'data-status="revoked"' in text
    assert "时长有误" not in text  # the reason is between the community and the holder
    assert_nothing_personal(text, w)


def test_unknown_number_reveals_nothing(served):
    w = served
    certificate = issue(w)
    known, known_text = answer(certificate.number)
    for number in ("LL2026-AAAA-AAAA", "x", "A" * 32, "A" * 200, "LL2026-%E4%B8%AD"):
        response, text = answer(number)
        assert response.status_code == 404, number
        assert 'data-found="0"' in text and "No certificate with this number was found" in text
        assert_nothing_personal(text, w)
        assert "玉岭社区" not in text and "张*兰" not in text
        # The same page: the same sections, the form to try again.
        assert 'id="verify-answer"' in text and 'id="verify-form"' in text
    assert 'id="verify-answer"' in known_text


def test_a_request_has_no_public_answer(served):
    w = served
    today = timezone.localdate()
    services.request_certificate(
        actor=w.volunteer,
        community=w.yuling,
        period_start=today - datetime.timedelta(days=60),
        period_end=today,
    )
    assert anonymous().get(reverse("certificates:verify_form")).status_code == 200
    bad = anonymous().get(reverse("certificates:verify_form"), {"number": "<script>"})
    assert bad.status_code == 400 and "<script>" not in bad.content.decode()


def test_publicity_list_masks_names_and_says_how_to_object(served, django_assert_max_num_queries):
    w = served
    w.yuling.contact_phone = "0716-6221234"
    w.yuling.save(update_fields=["contact_phone"])
    url = reverse("certificates:publicity", args=[w.yuling.pk])
    empty = anonymous().get(url)
    assert empty.status_code == 200 and 'id="publicity-empty"' in empty.content.decode()
    certificate = issue(w)
    with django_assert_max_num_queries(6):
        response = anonymous().get(url)
    text = response.content.decode()
    assert response.status_code == 200
    assert "张*兰" in text and certificate.number in text and "0716-6221234" in text
    assert_nothing_personal(text, w)
    # After the notice period it leaves the list; a revoked one is not on it either.
    Certificate.objects.filter(pk=certificate.pk).update(
        publicity_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert certificate.number not in anonymous().get(url).content.decode()
    # The street's list shows the certificates of the communities below it.
    Certificate.objects.filter(pk=certificate.pk).update(
        publicity_until=timezone.now() + datetime.timedelta(days=3)
    )
    street = anonymous().get(reverse("certificates:publicity", args=[w.street.pk]))
    assert certificate.number in street.content.decode()
    assert anonymous().get(reverse("certificates:publicity", args=[10**9])).status_code == 404
