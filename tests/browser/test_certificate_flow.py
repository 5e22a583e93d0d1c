"""A volunteer service certificate from request to verification, on 360 px phones, in Chinese,
against daphne.

A volunteer of 玉岭社区环境志愿服务队 with approved hours fills in the real-name details and asks
for a certificate; the staff member opens the certificate page and issues it; 玉岭社区's public
notice list shows it with the name masked; an anonymous visitor's verification page answers for
its number ("on public notice") with the masked name, and says nothing for a made-up number.

The volunteer and the approved hours are made with `manage.py shell` (site_shell), as no page
approves hours without a task's whole story. Uses the `live_site`, `browser`, `open_page` and
`site_shell` of tests/browser/conftest.py.
"""

import pytest

from .conftest import site_shell

pytestmark = pytest.mark.browser

REAL_NAME = "陈志愿"
MASKED = "陈*愿"
ID_PREFIX = "42108719900101002"  # invented: 松滋市, born 1990-01-01

VOLUNTEER = r"""
import datetime, json
from django.test import Client
from django.utils import timezone
from accounts.models import User
from communities.models import Community, Membership
from teams import services
from teams.models import ServiceRecord, Team, TeamMembership

yuling = Community.objects.get(name="玉岭社区")
staff = User.objects.get(email="staff@linli.example")
team = Team.objects.get(name="玉岭社区环境志愿服务队")
user, made = User.objects.get_or_create(
    email="certvolunteer@linli.example", defaults={"display_name": "小陈"})
if made:
    Membership.objects.create(user=user, community=yuling, role="resident", status="verified")
    TeamMembership.objects.create(team=team, user=user, role="member", status="active")
    task = services.create_task(
        actor=staff, community=yuling, title="给独居老人送午餐",
        description="每天中午把社区食堂的午餐送到3位独居老人家里。",
        location="玉岭社区5栋", required_skills=["sanitation"])
    ServiceRecord.objects.create(
        volunteer=user, task=task, team=team, date=timezone.localdate(), hours=3,
        source="self", status="approved", reviewer=staff)
client = Client()
client.force_login(user)
print("CERT=" + json.dumps({"cookie": client.cookies["sessionid"].value, "community": yuling.pk}))
"""


def resident_id() -> str:
    from certificates.idnumbers import check_digit

    return ID_PREFIX + check_digit(ID_PREFIX)


def test_request_issue_publicity_and_verification(live_site, browser, open_page):
    from playwright.sync_api import expect

    made = site_shell(live_site, VOLUNTEER, "CERT")
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, locale="zh-CN", base_url=live_site["url"]
    )
    try:
        context.add_cookies(
            [{"name": "sessionid", "value": made["cookie"], "url": live_site["url"]}]
        )
        volunteer = context.new_page()

        # 1. The real-name details, then back to 我的证明.
        volunteer.goto("/records/profile/?next=/records/")
        volunteer.fill("#id_real_name", REAL_NAME)
        volunteer.select_option("#id_id_type", "resident_id")
        volunteer.fill("#id_id_number", resident_id())
        volunteer.locator("#profile-form button[type=submit]").click()
        volunteer.wait_for_url("**/records/")
        assert volunteer.evaluate("document.documentElement.scrollWidth") <= 360

        # 2. The request: this year's approved hours in 玉岭社区 (the form's defaults).
        volunteer.fill("#id_purpose", "单位评优")
        volunteer.locator("#request-form button[type=submit]").click()
        volunteer.wait_for_url("**/records/certificates/*/")
        certificate_path = volunteer.url.split(live_site["url"], 1)[1]
        expect(volunteer.locator("#cert-number")).to_have_text("—")
        expect(volunteer.locator("#issue-form")).to_have_count(0)  # nobody certifies their own
    finally:
        context.close()

    # 3. Staff issue it from the certificate page.
    staff = open_page("staff", certificate_path)
    expect(staff.locator("#holder-name")).to_contain_text("陈")
    staff.locator("#issue-form button[type=submit]").click()
    staff.wait_for_url(f"**{certificate_path}")
    number = staff.locator("#cert-number").text_content().strip()
    assert number.startswith("LL") and len(number) >= 12, number
    expect(staff.locator("#issue-form")).to_have_count(0)
    assert staff.evaluate("document.documentElement.scrollWidth") <= 360

    # 4. The public notice list shows it, the name masked.
    public = open_page(None, f"/records/publicity/{made['community']}/")
    listing = public.locator("#publicity-list")
    expect(listing.locator(".cert-name", has_text=MASKED)).to_have_count(1)
    assert REAL_NAME not in public.content()
    assert resident_id() not in public.content()
    assert public.evaluate("document.documentElement.scrollWidth") <= 360

    # 5. Anyone can verify the number; a made-up number is simply not found.
    check = open_page(None, f"/records/verify/{number}/")
    answer = check.locator("#verify-answer")
    expect(answer).to_have_attribute("data-found", "1")
    expect(answer.locator(".cert-answer-status")).to_have_attribute("data-status", "publicising")
    expect(check.locator("#verify-holder")).to_have_text(MASKED)
    expect(check.locator("#verify-hours")).to_have_text("3")
    assert REAL_NAME not in check.content()
    assert resident_id() not in check.content()
    unknown = open_page(None, "/records/verify/LL2026-AAAA-BBBB/")
    expect(unknown.locator("#verify-answer")).to_have_attribute("data-found", "0")
