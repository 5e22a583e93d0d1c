"""Dates, times and numbers follow the reader's language (Django's formats, Asia/Shanghai).

zh-hans: 2026年11月28日 10:30; English: Nov. 28, 2026, 10:30 a.m. Times are shown in the
site's time zone (TIME_ZONE = Asia/Shanghai, UTC+8) whatever the server's zone.
"""

import datetime
import re

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from accounts.models import User
from communities.models import Community, Membership
from deliberation import services
from deliberation.models import Comment, Council, Proposal

# 02:30 UTC is 10:30 in Shanghai.
MOMENT = datetime.datetime(2026, 11, 28, 2, 30, tzinfo=datetime.UTC)


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load humanize %}" + source).render(Context(context)).strip()


@pytest.mark.parametrize(
    "language,date,datetime_,short",
    [
        ("zh-hans", "2026年11月28日", "2026年11月28日 10:30", "2026年11月28日"),
        ("en", "Nov. 28, 2026", "Nov. 28, 2026, 10:30 a.m.", "Nov. 28, 2026"),
    ],
)
def test_date_formats_follow_the_language(language, date, datetime_, short):
    assert render('{{ d|date:"DATE_FORMAT" }}', language, d=MOMENT) == date
    assert render('{{ d|date:"DATETIME_FORMAT" }}', language, d=MOMENT) == datetime_
    assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', language, d=MOMENT) == short


@pytest.mark.parametrize(
    "language,hours,count",
    [("zh-hans", "12345.5", "12345"), ("en", "12,345.5", "12,345")],
)
def test_numbers_follow_the_language(language, hours, count):
    assert render('{{ h|floatformat:"-1g" }}', language, h=12345.5) == hours
    assert render("{{ n|intcomma }}", language, n=12345) == count
    # small figures stay as they are, decimals with a point in both
    assert render('{{ h|floatformat:"-2" }}', language, h=2.5) == "2.50"
    assert render('{{ h|floatformat:"-2" }}', language, h=3) == "3"


@pytest.fixture
def proposal(db):
    community = Community.objects.create(name="Yuling", kind="community")
    Council.objects.create(community=community, name="Council")
    author = User.objects.create_user(email="a@example.com", password="pw-123456")
    Membership.objects.create(user=author, community=community, status="verified")
    staff = User.objects.create_user(email="s@example.com", password="pw-123456")
    Membership.objects.create(user=staff, community=community, role="staff", status="verified")
    proposal = services.create_proposal(
        actor=author, community=community, title="Bins", body="Full bins."
    )
    services.publish_proposal(actor=staff, proposal=proposal)
    comment = services.add_comment(actor=author, proposal=proposal, body="A comment.")
    Proposal.objects.filter(pk=proposal.pk).update(created_at=MOMENT)
    Comment.objects.filter(pk=comment.pk).update(created_at=MOMENT)
    proposal.staff = staff
    return proposal


@pytest.mark.parametrize(
    "language,date,comment_time",
    [
        ("zh-hans", "2026年11月28日", "2026年11月28日 10:30"),
        ("en", "Nov. 28, 2026", "Nov. 28, 2026, 10:30 a.m."),
    ],
)
def test_pages_show_dates_in_the_readers_language(proposal, language, date, comment_time):
    html = Client(HTTP_ACCEPT_LANGUAGE=language).get(proposal.get_absolute_url()).content.decode()
    assert f'<html lang="{language}"' in html
    # the proposal's date and a comment's time, in Shanghai time; the machine-readable
    # datetime attribute stays ISO 8601
    assert re.search(rf'<time datetime="2026-11-28T10:30:00\+08:00">{re.escape(date)}</time>', html)
    assert f">{comment_time}</time>" in html


def test_the_vote_opened_message_uses_the_readers_format(proposal):
    from django.utils.formats import date_format

    closes = timezone.localtime(timezone.now() + datetime.timedelta(days=3)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(proposal.staff)
    response = client.post(
        f"/council/proposals/{proposal.pk}/voting/",
        {"voting-closes_at": closes.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    html = response.content.decode()
    with translation.override("en"):
        english = date_format(closes, "DATETIME_FORMAT")
    assert english.endswith(", 6 p.m.")
    assert f"Voting is open until {english}." in html
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(proposal.staff)
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert f"{closes.year}年{closes.month}月{closes.day}日 18:00" in html


def test_the_site_time_zone_is_shanghai(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ and settings.USE_I18N
    with timezone.override("Asia/Shanghai"):
        assert timezone.localtime(MOMENT).hour == 10
