"""The certificate pages: real-name details, 我的证明, a certificate and its evidence, the staff
list. Pages in English where a test reads text."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates import services
from certificates.models import Certificate, VolunteerProfile
from teams import services as team_services
from teams.models import TeamMembership
from tests.factories import make_user, member

from .conftest import approved_hours, make_task, profile_for, resident_id

pytestmark = pytest.mark.django_db


def english(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def ask(w, **fields) -> Certificate:
    today = timezone.localdate()
    certificate, _created = services.request_certificate(
        actor=w.volunteer,
        community=w.yuling,
        period_start=fields.get("start", today - datetime.timedelta(days=60)),
        period_end=fields.get("end", today),
    )
    return certificate


def issued(w) -> Certificate:
    return services.issue_certificate(actor=w.staff, certificate=ask(w))


# --- real-name details --------------------------------------------------------------------------


def test_profile_form_shows_errors_and_keeps_what_was_typed(world):
    client = english(world.volunteer)
    bad = resident_id()[:-1] + ("0" if resident_id()[-1] != "0" else "1")
    response = client.post(
        reverse("certificates:profile"),
        {"real_name": "张秀兰", "id_type": "resident_id", "id_number": bad, "volunteer_number": ""},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "The last character does not match" in text
    assert 'value="张秀兰"' in text and f'value="{bad}"' in text
    assert not VolunteerProfile.objects.filter(user=world.volunteer).exists()

    response = client.post(
        reverse("certificates:profile"),
        {"real_name": "", "id_type": "nonsense", "id_number": "x" * 39},
    )
    assert response.status_code == 400


def test_profile_saved_masked_and_revealed_to_the_holder(world):
    client = english(world.volunteer)
    response = client.post(
        reverse("certificates:profile"),
        {
            "real_name": "张秀兰",
            "id_type": "resident_id",
            "id_number": resident_id(),
            "volunteer_number": "42010012345678",
            "next": reverse("certificates:mine"),
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("certificates:mine")
    page = client.get(reverse("certificates:profile")).content.decode()
    assert resident_id() not in page
    assert VolunteerProfile.objects.get(user=world.volunteer).id_number_masked in page
    assert "Show the full number" in page

    revealed = client.post(reverse("certificates:reveal"))
    assert revealed.status_code == 200 and resident_id() in revealed.content.decode()
    assert revealed["Cache-Control"].startswith("private")
    # The holder's own reads are not audited; nobody else has a profile page for it.
    assert not ModelLogEntry.objects.filter(action="linli.profile.reveal").exists()
    assert english(world.resident).post(reverse("certificates:reveal")).status_code == 404
    # An empty number keeps the stored one.
    client.post(
        reverse("certificates:profile"),
        {"real_name": "张秀兰", "id_type": "resident_id", "id_number": "", "volunteer_number": ""},
    )
    assert VolunteerProfile.objects.get(user=world.volunteer).id_number() == resident_id()


# --- 我的证明 and asking for a certificate ---------------------------------------------------


def test_mine_offers_the_communities_with_hours_and_asks(served):
    w = served
    client = english(w.volunteer)
    page = client.get(reverse("certificates:mine"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "玉岭社区 (5 hours)" in text
    assert f'value="{timezone.localdate().replace(month=1, day=1).isoformat()}"' in text
    start = (timezone.localdate() - datetime.timedelta(days=60)).isoformat()
    response = client.post(
        reverse("certificates:request"),
        {
            "community": w.yuling.pk,
            "period_start": start,
            "period_end": timezone.localdate().isoformat(),
            "purpose": "升学",
        },
    )
    certificate = Certificate.objects.get(holder=w.volunteer)
    assert response.status_code == 302 and response["Location"] == certificate.get_absolute_url()
    listing = client.get(reverse("certificates:mine")).content.decode()
    assert "Certificate request" in listing and 'data-status="requested"' in listing


def test_request_form_errors_without_500(served):
    w = served
    client = english(w.volunteer)
    today = timezone.localdate()
    response = client.post(
        reverse("certificates:request"),
        {
            "community": w.yuling.pk,
            "period_start": today.isoformat(),
            "period_end": (today - datetime.timedelta(days=3)).isoformat(),
            "purpose": "评优",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "The end of the period must not come before its start." in text
    assert 'value="评优"' in text
    for bad in (
        {"community": w.other.pk, "period_start": "2026-01-01", "period_end": "2026-01-02"},
        {"community": "x", "period_start": "yesterday", "period_end": "\x00"},
        {"community": w.yuling.pk, "period_start": "1900-01-01", "period_end": "1900-01-02"},
        {"community": w.yuling.pk, "period_start": today.isoformat(), "period_end": "2999-01-01"},
    ):
        assert client.post(reverse("certificates:request"), bad).status_code == 400
    assert not Certificate.objects.exists()


def test_asking_without_a_profile_leads_to_the_profile_page(world):
    approved_hours(world)
    client = english(world.volunteer)
    response = client.post(
        reverse("certificates:request"),
        {
            "community": world.yuling.pk,
            "period_start": (timezone.localdate() - datetime.timedelta(days=60)).isoformat(),
            "period_end": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("certificates:profile") + "?next=")


# --- a certificate ------------------------------------------------------------------------------


def test_detail_for_holder_and_staff_only(served):
    w = served
    certificate = issued(w)
    url = certificate.get_absolute_url()
    assert url == f"/records/certificates/{certificate.pk}/"
    page = english(w.volunteer).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert certificate.number in text and "张秀兰" in text
    assert certificate.holder_id_number_masked in text and resident_id() not in text
    assert "清理3栋楼道" in text and reverse("certificates:pdf", args=[certificate.pk]) in text
    assert "Issue the certificate" not in text and "revoke-form" not in text
    assert english(w.staff).get(url).status_code == 200
    stranger = member(make_user("stranger@example.com"), w.yuling)
    for user in (w.resident, w.other_staff, stranger, w.leader):
        assert english(user).get(url).status_code == 404, user
    line = certificate.lines.first()
    evidence = reverse("certificates:evidence", args=[certificate.pk, line.pk])
    assert english(w.resident).get(evidence).status_code == 404
    assert english(w.other_staff).get(evidence).status_code == 404
    assert Client().get(url).status_code == 302  # to sign in


def test_staff_issue_and_revoke_through_the_page(served):
    w = served
    certificate = ask(w)
    client = english(w.staff)
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert "Issue the certificate" in page and "清理3栋楼道" in page
    # The holder cannot issue their own.
    assert (
        english(w.volunteer)
        .post(reverse("certificates:issue", args=[certificate.pk]), {"issue-remarks": ""})
        .status_code
        == 403
    )
    response = client.post(
        reverse("certificates:issue", args=[certificate.pk]), {"issue-remarks": "表现突出"}
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "publicising" and certificate.remarks == "表现突出"
    empty = client.post(
        reverse("certificates:revoke", args=[certificate.pk]), {"revoke-reason": ""}
    )
    assert empty.status_code == 400
    client.post(
        reverse("certificates:revoke", args=[certificate.pk]), {"revoke-reason": "时长有误"}
    )
    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    mine = english(w.volunteer).get(reverse("certificates:mine")).content.decode()
    assert "Reason: 时长有误" in mine


def test_evidence_of_a_sensitive_task_hidden_outside_the_case(world):
    w = world
    task = make_task(
        w.yuling, team=w.team, status="in_progress", sensitive=True, title="独居老人探访"
    )
    team_services.post_update(actor=w.leader, task=task, text="探访了王奶奶，情况良好")
    record = team_services.log_hours(
        actor=w.volunteer, task=task, hours=2, date=timezone.localdate()
    )
    team_services.approve_hours(actor=w.leader, record=record)
    profile_for(w.volunteer)
    certificate = issued(w)
    line = certificate.lines.get()
    url = reverse("certificates:evidence", args=[certificate.pk, line.pk])
    # Staff of the community are inside the case: they see what was done.
    inside = english(w.staff).get(url).content.decode()
    assert "探访了王奶奶" in inside and "evidence-confidential" not in inside
    # The volunteer left the team: outside the case now, they learn only that evidence exists.
    TeamMembership.objects.filter(team=w.team, user=w.volunteer).update(status="left")
    outside = english(w.volunteer).get(url)
    assert outside.status_code == 200
    text = outside.content.decode()
    assert "evidence-confidential" in text and "confidential task" in text
    assert "探访了王奶奶" not in text and "独居老人探访" not in text
    count = int(text.split("There are ")[1].split(" records")[0])
    assert count >= 2  # the update, the hours logged and approved


def test_evidence_of_a_plain_task_lists_the_events(served):
    w = served
    certificate = issued(w)
    line = certificate.lines.first()
    page = english(w.volunteer).get(
        reverse("certificates:evidence", args=[certificate.pk, line.pk])
    )
    assert page.status_code == 200
    assert 'id="evidence-list"' in page.content.decode()
    # A line of another certificate is not found under this one.
    assert (
        english(w.volunteer)
        .get(reverse("certificates:evidence", args=[certificate.pk, 10**9]))
        .status_code
        == 404
    )


# --- the staff list -----------------------------------------------------------------------------


def test_staff_list_queries_do_not_grow(served, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = served
    client = english(w.staff)
    url = reverse("certificates:staff_list")
    issued(w)

    def count():
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured.captured_queries), response.content.decode()

    few, _text = count()
    today = timezone.localdate()
    for n in range(4):
        person = member(make_user(f"v{n}@example.com", display_name=f"志愿者{n}"), w.yuling)
        TeamMembership.objects.create(team=w.team, user=person, status="active", role="member")
        task = make_task(w.yuling, team=w.team, status="in_progress", title=f"任务{n}")
        record = team_services.log_hours(actor=person, task=task, hours=1, date=today)
        team_services.approve_hours(actor=w.leader, record=record)
        profile_for(person, name=f"李{n}明")
        certificate, _ = services.request_certificate(
            actor=person,
            community=w.yuling,
            period_start=today - datetime.timedelta(days=1),
            period_end=today,
        )
        if n % 2:
            services.issue_certificate(actor=w.staff, certificate=certificate)
    many, text = count()
    assert many == few
    assert "志愿者0" in text and "李1明" in text
    with django_assert_max_num_queries(few):
        client.get(url)
    assert english(w.resident).get(url).status_code == 403


def test_links_from_my_pages_and_the_inbox(served):
    w = served
    assert (
        reverse("certificates:mine")
        in english(w.volunteer).get(reverse("teams:my_hours")).content.decode()
    )
    assert (
        reverse("certificates:mine")
        in english(w.volunteer).get(reverse("accounts:profile")).content.decode()
    )
    inbox = english(w.staff).get(reverse("communities:inbox"))
    assert reverse("certificates:staff_list") in inbox.content.decode()


def test_staff_see_the_evidence_before_issuing(served):
    w = served
    certificate = ask(w)
    record = w.records[0]
    url = reverse("certificates:record_evidence", args=[certificate.pk, record.pk])
    page = english(w.staff).get(url)
    assert page.status_code == 200 and 'id="evidence-list"' in page.content.decode()
    assert english(w.other_staff).get(url).status_code == 404
    # Only the records the request would certify.
    other = approved_hours(w, hours=(1,), days_ago=(1,))[0]
    Certificate.objects.filter(pk=certificate.pk).update(
        period_end=timezone.localdate() - datetime.timedelta(days=2)
    )
    missing = reverse("certificates:record_evidence", args=[certificate.pk, other.pk])
    assert english(w.staff).get(missing).status_code == 404
    # Once issued, the evidence is read through the certificate's own lines.
    services.issue_certificate(actor=w.staff, certificate=certificate)
    assert english(w.staff).get(url).status_code == 404
