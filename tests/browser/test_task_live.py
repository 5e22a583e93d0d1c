"""The task page updates live: a leader claims a task in one browser, and a resident who has
the same task open in another browser sees the new status within 2 seconds, without reloading.
"""

import json

import pytest

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 2000


def status_label(page, status):
    return json.loads(page.locator("#task-status-labels").text_content())[status]


def wait_until_live(page):
    # live.js marks <html data-live="open"> once its WebSocket is up.
    page.locator('html[data-live="open"]').wait_for(state="attached", timeout=10_000)


def test_claim_shows_up_live_on_another_page(live_site, open_page):
    from playwright.sync_api import expect

    task_id = live_site["world"]["tasks"]["live"]
    path = f"/teams/tasks/{task_id}/"
    watcher = open_page("resident", path)
    anonymous = open_page(None, path)
    leader = open_page("leader1", path)
    for page in (watcher, anonymous):
        expect(page.locator("#task-status")).to_have_attribute("data-status", "open")
        wait_until_live(page)
        # Reloading the page would lose this marker.
        page.evaluate("window.__stillTheSamePage = true")
    assert watcher.locator("[data-action=claim]").count() == 0

    leader.locator("#claim-button").click()
    expect(leader.locator("#task-status")).to_have_attribute("data-status", "claimed")

    claimed = status_label(watcher, "claimed")
    for page in (watcher, anonymous):
        badge = page.locator("#task-status")
        expect(badge).to_have_attribute("data-status", "claimed", timeout=LIVE_TIMEOUT_MS)
        expect(badge).to_have_text(claimed, timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("#task-team")).to_contain_text(
            live_site["world"]["teams"]["env"]["name"], timeout=LIVE_TIMEOUT_MS
        )
        expect(page.locator("#task-timeline li").last).to_contain_text(
            live_site["world"]["teams"]["env"]["name"], timeout=LIVE_TIMEOUT_MS
        )
        assert page.evaluate("window.__stillTheSamePage") is True

    # The leader's own page now offers the team's next steps; at 360 px nothing overflows.
    expect(leader.locator("[data-action=update]")).to_be_visible()
    assert leader.evaluate("document.documentElement.scrollWidth") <= 360
    leader.screenshot(path="/tmp/task-360.png", full_page=True)


def test_a_stale_claim_names_the_team_that_holds_the_task(live_site, open_page):
    from playwright.sync_api import expect

    task_id = live_site["world"]["tasks"]["race"]
    path = f"/teams/tasks/{task_id}/"
    first = open_page("leader1", path)
    second = open_page("leader2", path)
    wait_until_live(second)
    first.locator("#claim-button").click()
    expect(first.locator("#task-status")).to_have_attribute("data-status", "claimed")

    # The second leader's page learns it live and says the page is out of date ...
    expect(second.locator("#task-status")).to_have_attribute(
        "data-status", "claimed", timeout=LIVE_TIMEOUT_MS
    )
    expect(second.locator("#task-stale")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    # ... and a click on the stale button is refused with the holder's name.
    second.locator("#claim-button").click()
    holder = live_site["world"]["teams"]["env"]["name"]
    expect(second.locator(".message-error")).to_contain_text(holder)
    expect(second.locator("#task-status")).to_have_attribute("data-status", "claimed")
