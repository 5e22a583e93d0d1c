"""The admin's moderation page shows what waits: proposals submitted for review and open
reports, under a header that names the page (not only "Home")."""

import re

import pytest
from django.urls import reverse

from communities.services import sync_staff_access
from deliberation import services

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_world(world):
    for user in (world.staff, world.other_staff):
        sync_staff_access(user)
    return world


def breadcrumbs(html):
    nav = re.search(r'<nav[^>]*aria-label="[^"]*"[^>]*>\s*<ol.*?</ol>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", nav)).strip()


def test_submitted_proposals_wait_on_the_moderation_page(admin_world):
    w = admin_world
    waiting = make_proposal(w, status="submitted", title="东门路灯不亮")
    make_proposal(w, status="discussion", title="已经公开的议题")
    html = client_for(w.staff).get(reverse("council_moderation:index")).content.decode()
    assert waiting.title in html and "已经公开的议题" not in html
    assert reverse("council_proposal:edit", args=[waiting.pk]) in html
    # Another community's staff do not see it.
    html = client_for(w.other_staff).get(reverse("council_moderation:index")).content.decode()
    assert waiting.title not in html


def test_open_reports_are_counted(admin_world):
    w = admin_world
    proposal = make_proposal(w, status="discussion")
    services.report_content(actor=w.resident2, target=proposal, reason="广告")
    html = client_for(w.staff).get(reverse("council_moderation:index")).content.decode()
    assert re.search(r"1 (open report|条举报)", html)
    html = client_for(w.other_staff).get(reverse("council_moderation:index")).content.decode()
    assert re.search(r"0 (open reports|条举报)", html)


def test_the_header_names_the_moderation_page(admin_world):
    w = admin_world
    staff = client_for(w.staff)
    html = staff.get(reverse("council_moderation:index")).content.decode()
    assert "待审核内容" in breadcrumbs(html)
    proposal = make_proposal(w, status="discussion", hidden=True)
    html = staff.get(reverse("council_moderation:proposal", args=[proposal.pk])).content.decode()
    trail = breadcrumbs(html)
    assert "待审核内容" in trail and "审核" in trail.replace("待审核内容", "")
