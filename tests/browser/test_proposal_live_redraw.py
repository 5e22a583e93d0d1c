"""The proposal page draws itself again, live, at a 360 px phone: a resident keeps their own
proposal open while staff publish it, open the vote and decide, and other residents vote,
all through the API of the real server (so that the server pushes the events). The page
shows the new status sentence, the vote buttons, the tally, the outcome and the follow-up
task without a reload and without asking for one, and keeps what the resident was typing.

Then dates: an item the live client inserts and an item the server drew read in the same
format, in Chinese and in English.

Uses the `live_site`, `open_page` and `council` fixtures of tests/browser/conftest.py.
"""

import json
import re

import pytest

from .conftest import site_shell

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 5000

PROPOSAL = r"""
import json
from django.test import Client
from accounts.models import User
from communities.models import Community, Membership
from deliberation import services

yuling = Community.objects.get(name="玉岭社区")
resident = User.objects.get(email="resident@linli.example")
voter, _ = User.objects.get_or_create(
    email="voter3@linli.example", defaults={"display_name": "陈大爷"})
Membership.objects.get_or_create(
    user=voter, community=yuling, defaults={"role": "resident", "status": "verified"})
proposal = services.create_proposal(
    actor=resident, community=yuling, title="%(title)s",
    body="灯坏了一个多月，晚上老人下楼看不清台阶。", category="sanitation",
    location="玉岭社区7栋", submit=True)
client = Client()
client.force_login(voter)
print("PROPOSAL=" + json.dumps({"id": proposal.pk, "voter": client.cookies["sessionid"].value}))
"""


def make_proposal(site, title):
    return site_shell(site, PROPOSAL % {"title": title}, "PROPOSAL")


def wait_until_live(page):
    # live.js marks <html data-live="open"> once its WebSocket is up.
    page.locator('html[data-live="open"]').wait_for(state="attached", timeout=10_000)


def labels(page):
    return json.loads(page.locator("#proposal-status-labels").text_content())


def api(page, method, path, body=None):
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.fetch(
        "/api/v1" + path,
        method=method,
        data=json.dumps(body or {}),
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
    )
    assert response.ok, response.text()
    return response.json()


def voter_page(browser, live_site, cookie, path):
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, base_url=live_site["url"], locale="zh-CN"
    )
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_site["url"]}])
    page = context.new_page()
    page.goto(path)
    return page


def test_the_page_redraws_itself_from_submitted_to_decided(browser, live_site, open_page, council):
    from playwright.sync_api import expect

    made = make_proposal(live_site, "7栋楼道的灯坏了")
    pid = made["id"]
    path = f"/council/proposals/{pid}/"

    resident = open_page("resident", path)
    status = resident.locator("#proposal-status")
    names = labels(resident)
    expect(status).to_have_text(names["submitted"])
    # The "waiting for staff" sentence, and no discussion before it is published.
    expect(resident.locator("#proposal-part-status .message")).to_have_count(1)
    expect(resident.locator("#proposal-part-discussion .comment-form")).to_have_count(0)
    wait_until_live(resident)
    resident.evaluate("window.__stillTheSamePage = true")

    staff = open_page("staff", path)

    # 1. Published: the status sentence goes, the discussion with its comment box comes.
    api(staff, "POST", f"/proposals/{pid}/publish")
    expect(status).to_have_text(names["discussion"], timeout=LIVE_TIMEOUT_MS)
    expect(resident.locator("#proposal-part-status .message")).to_have_count(
        0, timeout=LIVE_TIMEOUT_MS
    )
    box = resident.locator("#proposal-part-discussion .comment-form textarea")
    expect(box).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    typed = "我觉得应该换成声控灯，"
    box.fill(typed)
    expect(box).to_be_focused()

    # 2. The vote opens: the buttons appear for the resident; the typing stays, with focus.
    api(staff, "POST", f"/proposals/{pid}/voting")
    expect(status).to_have_text(names["voting"], timeout=LIVE_TIMEOUT_MS)
    support = resident.locator("#proposal-part-vote button[data-choice=support]")
    expect(support).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(resident.locator("#proposal-part-vote button.vote-button")).to_have_count(3)
    expect(box).to_have_value(typed)
    expect(box).to_be_focused()
    assert support.bounding_box()["height"] >= 44

    # 3. Others vote: the tally moves.
    voters = [open_page(who, path) for who in ("leader1", "leader2")]
    voters.append(voter_page(browser, live_site, made["voter"], path))
    for n, page in enumerate(voters, start=1):
        api(page, "PUT", f"/proposals/{pid}/vote", {"choice": "support"})
        expect(resident.locator("#tally-total")).to_have_text(str(n), timeout=LIVE_TIMEOUT_MS)
    expect(resident.locator("#tally-support")).to_have_text("3")

    # 4. Staff decide: the outcome and the follow-up task appear, the buttons go.
    outcome = "物业本周内更换7栋楼道的灯。"
    api(staff, "POST", f"/proposals/{pid}/decision", {"outcome": outcome})
    expect(status).to_have_text(names["accepted"], timeout=LIVE_TIMEOUT_MS)
    expect(resident.locator("#proposal-outcome")).to_contain_text(outcome)
    expect(resident.locator("#proposal-outcome-section")).to_be_visible()
    expect(resident.locator("#proposal-part-vote button.vote-button")).to_have_count(
        0, timeout=LIVE_TIMEOUT_MS
    )
    task = resident.locator("#proposal-task")
    expect(task).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    task_id = task.get_attribute("data-task-id")
    assert task_id
    expect(resident.locator("#task-link")).to_have_attribute("href", f"/teams/tasks/{task_id}/")

    # Never a request to reload, the same page all along, what was typed still there.
    page_text = resident.locator("body").inner_text()
    assert not re.search(r"reload|刷新", page_text, re.IGNORECASE)
    assert resident.locator("#proposal-stale").count() == 0
    assert resident.evaluate("window.__stillTheSamePage") is True
    expect(box).to_have_value(typed)
    assert resident.evaluate("document.documentElement.scrollWidth") <= 360

    # The same parts on a fresh load, and the announcement for screen readers was made.
    expect(resident.locator("#proposal-announce")).to_contain_text(names["accepted"])
    fresh = open_page("resident", path)
    expect(fresh.locator("#proposal-status")).to_have_text(names["accepted"])
    expect(fresh.locator("#proposal-part-vote button.vote-button")).to_have_count(0)


ZH = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$")
EN = re.compile(
    r"^(Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.) \d{1,2}, \d{4}, "
    r"(\d{1,2}(:\d{2})? [ap]\.m\.|noon|midnight)$"
)


@pytest.mark.parametrize("locale,shape", [("zh-CN", ZH), ("en-US", EN)])
def test_live_and_server_dates_read_alike(live_site, open_page, council, locale, shape):
    """On the notifications page: an item the server drew, one live.js inserts."""
    from playwright.sync_api import expect

    first = make_proposal(live_site, f"旧的通知 {locale}")
    staff = open_page("staff", f"/council/proposals/{first['id']}/")
    # The author follows their proposal: publishing it leaves a notification for them.
    api(staff, "POST", f"/proposals/{first['id']}/publish")

    page = open_page("resident", "/live/notifications/", locale=locale)
    lang = "zh-hans" if locale == "zh-CN" else "en"
    if page.locator("html").get_attribute("lang") != lang:
        pytest.skip(f"the resident's saved language wins over the browser's {locale}")
    drawn = page.locator(".notification-list li.notification time").first
    server_text = drawn.inner_text().strip()
    assert shape.match(server_text), server_text
    # The client's formatter gives the server's text for the server's own instant.
    assert (
        page.evaluate(
            "el => window.Linli.formatDate(el.getAttribute('datetime'), 'DATETIME_FORMAT')",
            drawn.element_handle(),
        )
        == server_text
    )
    wait_until_live(page)

    second = make_proposal(live_site, f"新的通知 {locale}")
    api(staff, "POST", f"/proposals/{second['id']}/publish")
    live_item = page.locator(".notification-list li.live-new time").first
    expect(live_item).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    live_text = live_item.inner_text().strip()
    assert shape.match(live_text), live_text
