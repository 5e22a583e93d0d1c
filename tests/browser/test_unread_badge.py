"""The header's unread badge goes up live: a resident follows a task, a team leader posts
progress on it in another browser, and the resident's badge (on another page, at 360 px)
counts it without a reload; opening 通知 reads it and the badge is gone."""

import pytest

from .conftest import site_shell

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 3000

TASK = r"""
import json
from accounts.models import User
from communities.models import Community
from teams import services
from teams.models import Team
staff = User.objects.get(email="staff@linli.example")
leader = User.objects.get(email="leader1@linli.example")
team = Team.objects.get(name="玉岭社区环境志愿服务队")
yuling = Community.objects.get(name="玉岭社区", kind="community")
task = services.create_task(actor=staff, community=yuling, title="修好2栋门口的路灯",
                            required_skills=["sanitation"], team=team)
services.claim_task(actor=leader, task=task, team=team)
print("BADGE=" + json.dumps({"task": task.pk}))
"""


def wait_until_live(page):
    page.locator('html[data-live="open"]').wait_for(state="attached", timeout=10_000)


def test_badge_counts_live_and_clears_on_opening_notifications(live_site, open_page):
    from playwright.sync_api import expect

    task_path = f"/teams/tasks/{site_shell(live_site, TASK, 'BADGE')['task']}/"
    resident = open_page("resident", task_path)
    resident.locator("#task-follow").click()
    expect(resident.locator("#task-follow")).to_have_attribute("aria-pressed", "true")

    resident.goto("/")
    badge = resident.locator("#nav-notifications [data-unread-count]")
    resident.goto("/live/notifications/")  # start from nothing unread
    resident.goto("/")
    expect(badge).to_be_hidden()
    wait_until_live(resident)
    resident.evaluate("window.__stillTheSamePage = true")

    leader = open_page("leader1", task_path)
    leader.locator("form.action-update textarea").fill("路灯换好了，晚上亮了。")
    leader.locator("[data-action=update]").click()
    expect(leader.locator("#task-timeline")).to_contain_text("路灯换好了")

    expect(badge).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(badge).to_have_text("1")
    expect(resident.locator("body > [role=status]")).to_contain_text("1")
    assert resident.evaluate("window.__stillTheSamePage") is True
    assert resident.evaluate("document.documentElement.scrollWidth") <= 360
    resident.screenshot(path="/tmp/home-360.png", full_page=True)

    resident.locator("#nav-notifications").click()
    resident.wait_for_url("**/live/notifications/")
    expect(resident.locator(".notification-list")).to_contain_text("路灯换好了")
    expect(badge).to_be_hidden()
    resident.goto("/")
    expect(badge).to_be_hidden()
