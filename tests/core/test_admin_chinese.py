"""The Wagtail admin in good Chinese: our msgids do not rename Wagtail's own labels, yes/no
columns read 是/否, English left over in Wagtail's catalog is filled by ours, and a superuser's
dashboard names the districts without figures once instead of drawing empty charts for each."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

from core.wagtail_strings import WAGTAIL_STRINGS
from deliberation.models import Proposal
from tests.factories import (
    CommunityFactory,
    CouncilFactory,
    ProposalFactory,
    UserFactory,
    make_team,
)

pytestmark = pytest.mark.django_db

# Wagtail's label, and what our own strings with the same English mean (now under a context).
COLLISIONS = [
    ("Pages", "页面", "pagination", "翻页"),
    ("Reports", "报告", "reports by residents", "举报"),
    ("Update", "更新", "live event", "动态"),
    ("Active", "有效", "team membership", "在队"),
]


def superuser_client():
    user = UserFactory(email="root@example.com", superuser=True, email_verified=None)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def shows(html, label):
    """The label as page text, or inside the sidebar's JSON props (where Chinese is escaped)."""
    escaped = json.dumps(label)[1:-1]
    return any(f'"{x}"' in html or f">{x}<" in html for x in (label, escaped))


@pytest.mark.parametrize(("msgid", "wagtails", "context", "ours"), COLLISIONS)
def test_our_msgids_that_wagtail_also_uses_have_a_context(msgid, wagtails, context, ours):
    with translation.override("zh-hans"):
        assert gettext(msgid) == wagtails
        assert pgettext(context, msgid) == ours


def test_wagtails_menu_says_pages_and_reports():
    html = superuser_client().get(reverse("wagtailadmin_home")).content.decode()
    assert shows(html, "页面") and shows(html, "报告")
    assert not shows(html, "翻页") and not shows(html, "举报")


def test_yes_no_columns_show_marks_named_in_chinese(yuling):
    make_team("玉岭社区环境志愿服务队", community=yuling)
    html = superuser_client().get(reverse("teams_team:index")).content.decode()
    assert re.search(r'icon-check.*?<span class="w-sr-only">\s*是\s*</span>', html, re.S)
    assert not re.search(r">\s*(True|False)\s*<", html)


def test_proposal_listing_has_no_raw_booleans(yuling):
    council = CouncilFactory(community=yuling)
    ProposalFactory(council=council, status="submitted", title="修路灯")
    html = superuser_client().get(reverse("council_proposal:index")).content.decode()
    assert "修路灯" in html
    assert not re.search(r">\s*(True|False)\s*<", html)


def test_wagtail_strings_missing_from_its_catalog_are_translated_by_ours():
    with translation.override("zh-hans"):
        for message in WAGTAIL_STRINGS:
            if isinstance(message, str):
                assert gettext(message) != message, message
        assert ngettext("Referenced %(count)s time", "Referenced %(count)s times", 3) == (
            "引用了 %(count)s 次"
        )


def test_the_dashboard_site_summary_is_in_chinese():
    html = superuser_client().get(reverse("wagtailadmin_home")).content.decode()
    assert not re.search(r"\d+\s+(Pages?|Images?|Documents?)\b", html)
    assert "个页面" in html


def test_a_superuser_sees_figures_only_for_districts_that_have_them(yuling):
    busy = yuling.parent.parent
    quiet = [CommunityFactory(name=name, kind="district") for name in ("监利市", "石首市")]
    ProposalFactory(council=CouncilFactory(community=yuling), status=Proposal.Status.SUBMITTED)
    html = superuser_client().get(reverse("wagtailadmin_home")).content.decode()
    assert f"community-figures-{busy.pk}" in html
    for district in quiet:
        assert f"community-figures-{district.pk}" not in html
        assert district.name in html
    assert html.count('class="linli-chart"') == 3
    assert "community-figures-empty" in html
