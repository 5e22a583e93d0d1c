"""An activity at the door, on 360 px phones, in Chinese, against daphne.

A volunteer of 玉岭社区环境志愿服务队 signs up on the activity page. The team's leader opens the
attendance page: it shows the check-in QR code (an <svg> drawn by the server). The URL the code
stands for (read from the page's code endpoint, as the phone camera would read it from the
picture) is opened in the volunteer's browser, which checks in; the leader's list shows the
volunteer as arrived without a reload. Check-out the same way with the check-out code. The leader
finishes the activity, and the volunteer's 我的时长 shows the hours approved.

Between check-in and check-out the activity is moved back in time (manage.py shell, as
tests/activities/conftest.py's `started` does), so that the volunteer served a whole two-hour
window instead of the few seconds the test takes: the hours are then exactly 2.

Uses the `live_site`, `browser`, `open_page` and `site_shell` of tests/browser/conftest.py.
"""

import pytest

from .conftest import site_shell

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 5000
TITLE = "公益集市：磨剪刀、量血压、旧衣换新"
VOLUNTEER_EMAIL = "checkin-volunteer@linli.example"

SETUP = r"""
import datetime, json
from django.test import Client
from django.utils import timezone
from accounts.models import User
from activities import services
from communities.models import Community, Membership
from teams.models import Team, TeamMembership

yuling = Community.objects.get(name="玉岭社区")
env = Team.objects.get(name="玉岭社区环境志愿服务队")
leader = TeamMembership.objects.get(team=env, role="leader").user
volunteer, _ = User.objects.get_or_create(email=%(email)r, defaults={"display_name": "郑小军"})
Membership.objects.get_or_create(
    user=volunteer, community=yuling, defaults={"role": "resident", "status": "verified"})
TeamMembership.objects.get_or_create(
    team=env, user=volunteer, defaults={"role": "member", "status": "active"})
starts_at = timezone.now() + datetime.timedelta(minutes=30)
activity = services.create_activity(
    actor=leader, community=yuling, team=env, kind="service", title=%(title)r,
    description="志愿者负责搭摊、引导排队，散场后打扫广场。", place="玉岭社区中心广场",
    starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=3), quota=5,
    audience="team",
)
client = Client()
client.force_login(volunteer)
print("CHECKIN=" + json.dumps({
    "activity": activity.pk, "volunteer": volunteer.pk,
    "cookie": client.cookies["sessionid"].value,
}))
"""

# The volunteer arrived before the start of a two-hour window that has just ended.
MOVE_BACK = r"""
import datetime, json
from django.utils import timezone
from activities.models import Activity, Attendance

ends_at = timezone.now() - datetime.timedelta(minutes=1)
starts_at = ends_at - datetime.timedelta(hours=2)
Activity.objects.filter(pk=%(activity)d).update(starts_at=starts_at, ends_at=ends_at)
moved = Attendance.objects.filter(activity_id=%(activity)d, person_id=%(volunteer)d).update(
    checked_in_at=starts_at - datetime.timedelta(minutes=10))
print("MOVED=" + json.dumps(moved))
"""

LEDGER = r"""
import json
from teams.models import ServiceRecord
print("LEDGER=" + json.dumps([
    {"status": r.status, "hours": str(r.hours), "source": r.source, "title": r.title}
    for r in ServiceRecord.objects.filter(volunteer_id=%(volunteer)d)
]))
"""


def wait_until_live(page):
    page.locator('html[data-live="open"]').wait_for(state="attached", timeout=10_000)


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def scanned_url(organiser, activity_id: int, purpose: str) -> str:
    """What the phone camera reads from the QR: the code endpoint of the organiser's page
    gives the same URL the <svg> on the screen draws."""
    code_url = organiser.locator("#qr").get_attribute("data-code-url")
    assert code_url == f"/activities/{activity_id}/code/"
    response = organiser.request.get(f"{code_url}?purpose={purpose}")
    assert response.status == 200, response.text()
    data = response.json()
    path = "check-in" if purpose == "in" else "check-out"
    assert f"/activities/{activity_id}/{path}/?code={data['code']}" in data["url"]
    return data["url"]


def test_sign_up_scan_in_and_out_close_and_hours_approved(live_site, browser, open_page):
    from playwright.sync_api import expect

    made = site_shell(live_site, SETUP % {"email": VOLUNTEER_EMAIL, "title": TITLE}, "CHECKIN")
    activity_id, volunteer_id = made["activity"], made["volunteer"]
    ids = {"activity": activity_id, "volunteer": volunteer_id}

    # The volunteer's own phone: a context of its own, signed in by session cookie.
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, locale="zh-CN", base_url=live_site["url"]
    )
    try:
        context.add_cookies(
            [{"name": "sessionid", "value": made["cookie"], "url": live_site["url"]}]
        )
        volunteer = context.new_page()

        # 1. Sign up on the activity page.
        volunteer.goto(f"/activities/{activity_id}/")
        volunteer.locator("#signup-button").click()
        expect(volunteer.locator("#my-state")).to_have_attribute("data-state", "confirmed")
        no_horizontal_scroll(volunteer)

        # 2. The organiser's attendance page shows the check-in QR and the volunteer expected.
        organiser = open_page("leader1", f"/activities/{activity_id}/attendance/")
        wait_until_live(organiser)
        expect(organiser.locator("#qr-box svg")).to_have_count(1)
        row = organiser.locator(f"#person-{volunteer_id}")
        expect(row).to_have_attribute("data-state", "expected")
        no_horizontal_scroll(organiser)
        organiser.evaluate("window.__stillTheSamePage = true")

        # 3. The volunteer "scans" the check-in code: the page checks in by itself.
        volunteer.goto(scanned_url(organiser, activity_id, "in"))
        expect(volunteer.locator("#scan-result")).to_have_attribute(
            "data-result", "checked_in", timeout=LIVE_TIMEOUT_MS
        )
        no_horizontal_scroll(volunteer)

        # 4. The organiser's list shows the arrival live, without a reload.
        expect(row).to_have_attribute("data-state", "arrived", timeout=LIVE_TIMEOUT_MS)
        expect(organiser.locator('#manage-counts [data-count="arrived"] dd')).to_have_text("1")
        assert organiser.evaluate("window.__stillTheSamePage") is True

        # The two hours of the activity have passed (see the module docstring).
        assert site_shell(live_site, MOVE_BACK % ids, "MOVED") == 1

        # 5. Check-out the same way, with the check-out code.
        organiser.locator('[data-purpose-link="out"]').click()
        expect(organiser.locator("#qr")).to_have_attribute("data-purpose", "out")
        expect(organiser.locator("#qr-box svg")).to_have_count(1)
        volunteer.goto(scanned_url(organiser, activity_id, "out"))
        expect(volunteer.locator("#scan-result")).to_have_attribute(
            "data-result", "checked_out", timeout=LIVE_TIMEOUT_MS
        )
        expect(row).to_have_attribute("data-state", "left", timeout=LIVE_TIMEOUT_MS)
        expect(row.locator('[data-field="hours"]')).to_contain_text("2")
        expect(row.locator(".record-pending")).to_have_count(1)
        assert organiser.evaluate("window.__stillTheSamePage") is True

        # 6. The organiser finishes the activity, which approves the hours.
        organiser.goto(f"/activities/{activity_id}/attendance/close/")
        expect(organiser.locator("#pending-count")).to_contain_text("1")
        organiser.locator("#button-close").click()
        organiser.wait_for_url(f"**/activities/{activity_id}/attendance/**")
        expect(organiser.locator("#activity-status")).to_have_attribute("data-status", "finished")

        ledger = site_shell(live_site, LEDGER % ids, "LEDGER")
        assert ledger == [
            {"status": "approved", "hours": "2.00", "source": "attendance", "title": TITLE}
        ]

        # 7. 我的时长 shows them approved.
        volunteer.goto("/teams/my/hours/")
        expect(volunteer.locator("#approved-hours")).to_have_text("2")
        # The table under 已确认 (Approved), not the one under 待审核.
        approved = volunteer.locator('h2:text-is("已确认") + .table-scroll')
        expect(approved).to_contain_text(TITLE)
        no_horizontal_scroll(volunteer)
        volunteer.screenshot(path="/tmp/activity-hours-360.png", full_page=True)
    finally:
        context.close()
