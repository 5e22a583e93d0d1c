"""The council from proposal to follow-up work, in real browsers against a real daphne server.

A resident proposes through the form, staff publish and open the vote, three residents vote,
staff accept; the resident's proposal page, left open, shows the new follow-up task and then
its claim (a leader claims through the API) live, without reloading.

Uses the `live_site` and `open_page` fixtures of tests/browser/conftest.py. Every change goes
through the server's pages and API, so that its live events are pushed by the server itself.
Only the council (which has no page to create it) is made with `manage.py shell`
(the `council` fixture of tests/browser/conftest.py).
"""

import json

import pytest

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 5000


def wait_until_live(page):
    # live.js marks <html data-live="open"> once its WebSocket is up.
    page.locator('html[data-live="open"]').wait_for(state="attached", timeout=10_000)


def labels(page, element_id):
    return json.loads(page.locator(f"#{element_id}").text_content())


def test_proposal_to_accepted_task_and_claim_live(live_site, open_page, council):
    from playwright.sync_api import expect

    world = live_site["world"]
    team = world["teams"]["env"]

    # 1. A resident proposes (the plain form, photos optional).
    resident = open_page("resident", f"/council/{council['community']}/new/")
    resident.fill("#id_title", "东门垃圾分类点的垃圾三天没人清运")
    resident.select_option("#id_category", "sanitation")
    resident.fill("#id_body", "分类点的桶已经满了，气味很大，<b>请尽快处理</b>。")
    resident.fill("#id_location", "玉岭社区东门垃圾分类点")
    resident.locator("button[name=submit_proposal]").click()
    resident.wait_for_url("**/council/proposals/*/")
    proposal_path = "/council/proposals/" + resident.url.rstrip("/").rsplit("/", 1)[1] + "/"
    expect(resident.locator("#proposal-status")).to_have_text(
        labels(resident, "proposal-status-labels")["submitted"]
    )
    # What was typed comes back as text, not markup.
    expect(resident.locator(".proposal-body")).to_contain_text("<b>请尽快处理</b>")
    assert resident.locator(".proposal-body b").count() == 0

    # 2. Staff publish it and open the vote.
    staff = open_page("staff", proposal_path)
    staff.locator("[data-action=publish]").click()
    expect(staff.locator("#proposal-status")).to_have_text(
        labels(staff, "proposal-status-labels")["discussion"]
    )
    staff.locator("#open-voting summary").click()
    staff.locator("[data-action=open-voting]").click()
    expect(staff.locator("#proposal-status")).to_have_text(
        labels(staff, "proposal-status-labels")["voting"]
    )

    # 3. Residents vote; the proposer's page stays open from here on.
    for who, choice in [("leader1", "support"), ("resident", "support")]:
        voter = open_page(who, proposal_path)
        voter.locator(f"button[data-choice={choice}]").click()
        expect(voter.locator(f"button[data-choice={choice}]")).to_have_attribute(
            "aria-pressed", "true"
        )
    watcher = voter  # the resident's page, after their vote
    expect(watcher.locator("#tally-total")).to_have_text("2")
    wait_until_live(watcher)
    watcher.evaluate("window.__stillTheSamePage = true")

    other = open_page("leader2", proposal_path)
    other.locator("button[data-choice=oppose]").click()
    expect(other.locator("button[data-choice=oppose]")).to_have_attribute("aria-pressed", "true")
    # The tally moves live on the open page.
    expect(watcher.locator("#tally-total")).to_have_text("3", timeout=LIVE_TIMEOUT_MS)
    expect(watcher.locator("#tally-oppose")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)

    # 4. Staff close the vote and decide: 2 support, 1 oppose, quorum 3 -> accepted.
    staff.reload()
    staff.locator("#decide summary").click()
    staff.fill("#id_decision-outcome", "由环境志愿服务队负责清运。")
    staff.check("#id_decision-confirm_early")
    staff.locator("[data-action=decide]").click()
    expect(staff.locator("#proposal-status")).to_have_text(
        labels(staff, "proposal-status-labels")["accepted"]
    )
    task_id = staff.locator("#proposal-task").get_attribute("data-task-id")
    assert task_id

    # 5. The open page shows the decision and the new task, live.
    task_labels = labels(watcher, "task-status-labels")
    expect(watcher.locator("#proposal-status")).to_have_text(
        labels(watcher, "proposal-status-labels")["accepted"], timeout=LIVE_TIMEOUT_MS
    )
    expect(watcher.locator("#proposal-task")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(watcher.locator("#proposal-task")).to_have_attribute("data-task-id", task_id)
    expect(watcher.locator("#task-status")).to_have_text(task_labels["open"])
    expect(watcher.locator("#task-link")).to_have_attribute("href", f"/teams/tasks/{task_id}/")
    expect(watcher.locator("#proposal-outcome")).to_contain_text("由环境志愿服务队负责清运。")
    # Drawn again for the reader, no request to reload: the vote buttons are gone.
    expect(watcher.locator("#proposal-part-vote .vote-form")).to_have_count(0)
    expect(watcher.locator(".vote-form")).to_be_hidden()

    # 6. A leader claims the task through the API; the open page shows it, live.
    leader = open_page("leader1", f"/teams/tasks/{task_id}/")
    csrf = next(c["value"] for c in leader.context.cookies() if c["name"] == "csrftoken")
    response = leader.request.post(
        f"/api/v1/tasks/{task_id}/claim",
        data=json.dumps({"team": team["id"]}),
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
    )
    assert response.status == 200, response.text()
    expect(watcher.locator("#task-status")).to_have_attribute(
        "data-status", "claimed", timeout=LIVE_TIMEOUT_MS
    )
    expect(watcher.locator("#task-status")).to_have_text(task_labels["claimed"])
    expect(watcher.locator("#task-team")).to_contain_text(team["name"], timeout=LIVE_TIMEOUT_MS)
    assert watcher.evaluate("window.__stillTheSamePage") is True

    # 7. Phone width: nothing overflows, and the proposal page as a resident sees it.
    assert watcher.evaluate("document.documentElement.scrollWidth") <= 360
    watcher.screenshot(path="/tmp/proposal-360.png", full_page=True)

    # A fresh load shows the same: the page is drawn from the same state as the events.
    fresh = open_page(None, proposal_path)
    expect(fresh.locator("#task-status")).to_have_attribute("data-status", "claimed")
    expect(fresh.locator("#task-team")).to_contain_text(team["name"])


def test_council_pages_work_without_javascript(browser, live_site, council):
    """Reading, searching and the tabs are plain links and GET forms."""
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 360, "height": 800}, java_script_enabled=False, base_url=live_site["url"]
    )
    try:
        page = context.new_page()
        page.goto(f"/council/{council['community']}/")
        page.fill("input[name=q]", "垃圾")
        page.locator(".filter-form button[type=submit]").click()
        expect(page.locator("input[name=q]")).to_have_value("垃圾")
        items = page.locator(".proposal-item")
        for i in range(items.count()):
            expect(items.nth(i)).to_contain_text("垃圾")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path="/tmp/council-360.png", full_page=True)
    finally:
        context.close()
