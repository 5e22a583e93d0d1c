"""The certificate's PDF, read back with pypdf: its facts, its status, its verification address,
who may download it and the audit entry of a staff download."""

import datetime
import io

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from wagtail.models import ModelLogEntry

from certificates import pdf, selectors, services
from certificates.models import Certificate, CertificateLine

from .conftest import resident_id

pytestmark = pytest.mark.django_db

TITLE = "Volunteer service record certificate"


def client_for(user, language="en") -> Client:
    client = Client()
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def issue(w, **fields) -> Certificate:
    today = timezone.localdate()
    certificate, _created = services.request_certificate(
        actor=w.volunteer,
        community=w.yuling,
        period_start=today - datetime.timedelta(days=60),
        period_end=today,
    )
    return services.issue_certificate(actor=w.staff, certificate=certificate, **fields)


def text_of(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_holds_the_four_groups(served):
    w = served
    certificate = issue(w, remarks="服务认真")
    response = client_for(w.volunteer).get(reverse("certificates:pdf", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"].startswith("private")
    content = response.content
    assert content.startswith(b"%PDF")
    text = text_of(content)
    assert TITLE in text
    assert "张秀兰" in text  # Chinese through the CID font, read back
    assert certificate.number in text
    assert "玉岭社区" in text and "清理3栋楼道" in text and "环境志愿服务队" in text
    assert "Total hours" in text and "5" in text
    assert resident_id() in text  # the full number, on the holder's own document
    assert "42010012345678" in text and "服务认真" in text
    assert f"/records/verify/{certificate.number}/" in text
    assert "REVOKED" not in text
    # The holder's own download is not audited.
    assert not ModelLogEntry.objects.filter(action="linli.profile.reveal").exists()


def test_pdf_in_chinese_has_the_official_title(served):
    """志愿服务记录证明 once the zh_Hans catalogue holds the certificate strings."""
    with translation.override("zh-hans"):
        if translation.gettext(TITLE) == TITLE:
            pytest.skip("the zh_Hans catalogue does not translate the certificate strings yet")
    w = served
    certificate = issue(w)
    response = client_for(w.volunteer, language="zh-hans").get(
        reverse("certificates:pdf", args=[certificate.pk])
    )
    text = text_of(response.content)
    assert "志愿服务记录证明" in text and "张秀兰" in text and certificate.number in text


def test_staff_download_is_audited(served):
    w = served
    certificate = issue(w)
    response = client_for(w.staff).get(reverse("certificates:pdf", args=[certificate.pk]))
    assert response.status_code == 200 and resident_id() in text_of(response.content)
    entry = ModelLogEntry.objects.get(action="linli.profile.reveal")
    assert entry.user_id == w.staff.pk and entry.object_id == str(certificate.pk)
    assert entry.data["person"] == w.volunteer.pk


def test_revoked_pdf_says_so(served):
    w = served
    certificate = issue(w)
    services.revoke_certificate(actor=w.staff, certificate=certificate, reason="重复申请")
    response = client_for(w.volunteer).get(reverse("certificates:pdf", args=[certificate.pk]))
    text = text_of(response.content)
    assert "REVOKED" in text and "重复申请" in text and certificate.number in text


def test_only_issued_and_only_for_holder_and_staff(served):
    w = served
    today = timezone.localdate()
    requested, _created = services.request_certificate(
        actor=w.volunteer,
        community=w.yuling,
        period_start=today - datetime.timedelta(days=60),
        period_end=today,
    )
    url = reverse("certificates:pdf", args=[requested.pk])
    assert client_for(w.volunteer).get(url).status_code == 404
    certificate = services.issue_certificate(actor=w.staff, certificate=requested)
    for user in (w.resident, w.other_staff, w.leader):
        assert client_for(user).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    assert not ModelLogEntry.objects.filter(action="linli.profile.reveal").exists()
    assert client_for(w.street_staff).get(url).status_code == 200  # staff above the community
    assert certificate.number


def test_long_lists_go_over_several_pages(served):
    """The lines table runs on over pages, its header repeated; the total comes last."""
    w = served
    certificate = issue(w)
    line = certificate.lines.first()
    many = [
        CertificateLine(
            certificate=certificate,
            record=line.record,
            date=line.date,
            title=f"第{n}次服务",
            team_name=line.team_name,
            hours=line.hours,
        )
        for n in range(120)
    ]
    with translation.override("en"):
        content = pdf.render(
            certificate,
            lines=list(selectors.lines(certificate=certificate)) + many,
            id_number=resident_id(),
            verify_url="https://linli.example/records/verify/X/",
        )
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 3
    assert "第119次服务" in reader.pages[-1].extract_text() or "第119次服务" in "".join(
        page.extract_text() for page in reader.pages[-2:]
    )
    assert all("Task or activity" in page.extract_text() for page in reader.pages[1:-1])
