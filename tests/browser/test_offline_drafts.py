"""Drafts written without a connection (site/static/js/pwa.js, site/static/js/sw.js), in Chromium.

The resident opens the propose form, the phone goes offline, they write and send: the page says
the proposal is kept on the phone and will be sent when the connection returns. A reload while
still offline shows the form (kept by the service worker) with the draft. Back online, the draft
is sent once; going offline and online again sends nothing more. The same for a request for help,
sent from the offline page and confirmed again by the page that replaces it; plus a form sent
online: the server's page and the script's confirmation through the API file it once (client_key,
core/drafts.py).

Uses the `live_site` and `open_page` fixtures of tests/browser/conftest.py; the council is made
with `manage.py shell`, as in test_council_flow.py, and so are the counts.
"""

import json
import re
import time

import pytest

from .conftest import site_shell

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000

COUNT = r"""
import json, sys
from deliberation.models import Proposal
from teams.models import Need
text = {text!r}
print("COUNT=" + json.dumps({{
    "proposals": list(Proposal.objects.filter(title=text).values("id", "author__email",
                                                                 "client_key", "status")),
    "needs": list(Need.objects.filter(description=text).values("id", "requester__email",
                                                               "client_key")),
}}, default=str))
"""


def filed(live_site, text):
    return site_shell(live_site, COUNT.format(text=text), "COUNT")


def ready_for_offline(page):
    """The worker controls the page and has kept this form page for offline use."""
    page.locator('html[data-pwa="ready"]').wait_for(state="attached", timeout=TIMEOUT_MS)
    # (wait_for_function would evaluate a string, which the site's CSP forbids.)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker never took over the page"
        time.sleep(0.1)


def stored_drafts(page):
    return page.evaluate("JSON.parse(localStorage.getItem('linli.drafts') || '{}')")


def test_a_proposal_written_offline_is_sent_once(live_site, open_page, council):
    from playwright.sync_api import expect

    title = "离线写的提案：3栋楼道灯坏了"
    page = open_page("resident", f"/council/{council['community']}/new/")
    context = page.context
    ready_for_offline(page)

    context.set_offline(True)
    page.fill("#id_title", title)
    page.select_option("#id_category", "safety")
    page.fill("#id_body", "楼道里晚上一片漆黑，老人上下楼很危险。")
    page.fill("#id_location", "玉岭社区3栋二单元")
    page.locator("button[name=submit_proposal]").click()

    status = page.locator("[data-draft-status]")
    expect(status).to_be_visible()
    expect(status).to_have_attribute("data-state", "info")
    expect(page.locator('html[data-draft="queued"]')).to_be_attached()
    message = status.text_content()
    assert message.strip()
    # In Chinese once notes/po/pwa-djangojs.po is in the catalogue; English until then.
    assert "连接" in message or "connection" in message, message
    assert page.url.endswith(f"/council/{council['community']}/new/")  # still on the form
    [draft] = stored_drafts(page).values()
    assert draft["state"] == "queued" and draft["fields"]["title"] == title
    key = draft["key"]
    page.screenshot(path="/tmp/offline-draft-queued-360.png")
    assert filed(live_site, title)["proposals"] == []

    # Reloading offline: the kept form page, with the draft written back into it.
    page.reload()
    expect(page.locator("#id_title")).to_have_value(title)
    expect(page.locator("#id_location")).to_have_value("玉岭社区3栋二单元")
    expect(page.locator("[data-draft-status]")).to_have_attribute("data-state", "info")
    assert page.locator("input[name=client_key]").input_value() == key
    assert filed(live_site, title)["proposals"] == []

    # Back online: sent by itself, and the page links to the new proposal.
    context.set_offline(False)
    done = page.locator("[data-draft-status][data-state=success]")
    expect(done).to_be_visible(timeout=TIMEOUT_MS)
    link = done.locator("a")
    expect(link).to_have_attribute("href", re.compile(r"/council/proposals/\d+/$"))
    rows = filed(live_site, title)["proposals"]
    assert len(rows) == 1, rows
    assert rows[0]["author__email"] == "resident@linli.example"
    assert rows[0]["client_key"] == key
    assert rows[0]["status"] == "submitted"
    assert stored_drafts(page) == {}
    page.screenshot(path="/tmp/offline-draft-sent-360.png")
    # The form is ready for a new draft, with a new key.
    expect(page.locator("#id_title")).to_have_value("")
    assert page.locator("input[name=client_key]").input_value() not in ("", key)

    # Offline and online again, and a fresh load of another page: nothing more is sent.
    context.set_offline(True)
    context.set_offline(False)
    page.goto(link.get_attribute("href"))
    expect(page.locator("h1")).to_contain_text(title)
    page.goto("/teams/")
    page.locator('html[data-pwa="ready"]').wait_for(state="attached", timeout=TIMEOUT_MS)
    assert len(filed(live_site, title)["proposals"]) == 1


def test_a_request_for_help_written_offline_is_sent_once(live_site, open_page):
    from playwright.sync_api import expect

    text = "离线写的求助：家里水管漏水，需要有人帮忙看看。"
    page = open_page("leader2", "/teams/needs/")
    context = page.context
    ready_for_offline(page)

    context.set_offline(True)
    page.select_option("#id_category", "repairs")
    page.fill("#id_description", text)
    page.locator("form[data-offline-draft] button[type=submit]").click()
    expect(page.locator("[data-draft-status]")).to_have_attribute("data-state", "info")
    expect(page.locator('html[data-draft="queued"]')).to_be_attached()
    assert filed(live_site, text)["needs"] == []

    # Somewhere else in the site, offline: the offline page lists what the phone keeps.
    page.goto("/teams/my/hours/")
    expect(page.locator("[data-draft-list]")).to_be_visible()
    expect(page.locator("[data-draft-list] li")).to_contain_text(text[:20])
    page.screenshot(path="/tmp/offline-page-360.png")

    # The connection returns on that page: the draft is sent from there.
    context.set_offline(False)
    done = page.locator("#linli-draft-notice[data-state=success]")
    expect(done).to_be_visible(timeout=TIMEOUT_MS)
    [row] = filed(live_site, text)["needs"]
    expect(done.locator("a")).to_have_attribute("href", f"/teams/needs/#need-{row['id']}")
    assert row["requester__email"] == "leader2@linli.example"
    assert stored_drafts(page) == {}

    # The offline page gives way to the page it stood in for, which says it again (the draft is
    # no longer on the phone: a reload at the moment it is sent would otherwise leave no word).
    page.reload()
    expect(page.locator("[data-draft-list]")).to_have_count(0)
    expect(done).to_be_visible()
    expect(done.locator("a")).to_have_attribute("href", f"/teams/needs/#need-{row['id']}")

    context.set_offline(True)
    context.set_offline(False)
    page.goto("/teams/needs/")
    expect(page.locator(f"#need-{row['id']}")).to_be_visible()
    page.locator('html[data-pwa="ready"]').wait_for(state="attached", timeout=TIMEOUT_MS)
    assert page.locator("#linli-draft-notice").count() == 0  # said once more, not on every page
    assert len(filed(live_site, text)["needs"]) == 1


def test_a_request_sent_online_is_confirmed_once(live_site, open_page):
    """Online the form goes as usual; on the page it leads to, the script confirms the queued
    copy through the API with the same key, which returns the request already made."""
    from playwright.sync_api import expect

    text = "在线提交的求助：楼下路灯不亮。"
    page = open_page("leader1", "/teams/needs/")
    page.locator('html[data-pwa="ready"]').wait_for(state="attached", timeout=TIMEOUT_MS)
    page.select_option("#id_category", "other")
    page.fill("#id_description", text)
    key = page.locator("input[name=client_key]").input_value()
    assert key
    page.locator("form[data-offline-draft] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_be_visible()
    page.locator('html[data-draft="sent"]').wait_for(state="attached", timeout=TIMEOUT_MS)
    assert stored_drafts(page) == {}
    # The page's own message says it was sent; the script adds no second one.
    assert page.locator("#linli-draft-notice").count() == 0
    [row] = filed(live_site, text)["needs"]
    assert row["client_key"] == key
    expect(page.locator("#id_description")).to_have_value("")


def test_refusals_are_shown_and_the_draft_is_kept(live_site, open_page, council):
    """429 keeps the draft queued; 403 and a 400 with field errors give it back to be corrected,
    with the reason on the page. Nothing is lost and nothing is filed until it is right."""
    from playwright.sync_api import expect

    title = "被退回的离线提案：小区门口积水"
    body = "下雨后东门口积水很深，老人孩子进出不方便。"
    page = open_page("resident", f"/council/{council['community']}/new/")
    context = page.context
    ready_for_offline(page)
    status = page.locator("[data-draft-status]")
    api = "**/api/v1/communities/*/proposals"

    def queue_offline():
        context.set_offline(True)
        page.locator("button[name=submit_proposal]").click()
        expect(status).to_have_attribute("data-state", "info")
        context.set_offline(False)

    # 429: kept in the queue, to be sent later.
    context.route(
        api,
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "600", "Content-Type": "application/json"},
            body=json.dumps({"detail": "Too many requests.", "code": "rate_limited"}),
        ),
    )
    page.fill("#id_title", title)
    page.fill("#id_body", body)
    queue_offline()
    expect(status).to_have_attribute("data-state", "warning", timeout=TIMEOUT_MS)
    [draft] = stored_drafts(page).values()
    assert draft["state"] == "queued" and draft["fields"]["title"] == title
    context.unroute(api)

    # 403: given back to be corrected, the reason on the page.
    context.route(
        api,
        lambda route: route.fulfill(
            status=403,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"detail": "CSRF check Failed", "code": "forbidden"}),
        ),
    )
    context.set_offline(True)
    context.set_offline(False)
    expect(status).to_have_attribute("data-state", "error", timeout=TIMEOUT_MS)
    expect(status).to_contain_text("CSRF check Failed")
    [draft] = stored_drafts(page).values()
    assert draft["state"] == "editing" and draft["fields"]["body"] == body
    context.unroute(api)

    # 400 from the real server: the title is missing; the field error is shown.
    page.fill("#id_title", "")
    queue_offline()
    expect(status).to_have_attribute("data-state", "error", timeout=TIMEOUT_MS)
    [draft] = stored_drafts(page).values()
    assert draft["state"] == "editing" and "error" in draft and draft["error"]
    expect(page.locator("#id_body")).to_have_value(body)
    assert filed(live_site, title)["proposals"] == []

    # Corrected and sent online through the form: one proposal, and the draft is gone.
    key = page.locator("input[name=client_key]").input_value()
    page.fill("#id_title", title)
    page.locator("button[name=submit_proposal]").click()
    page.wait_for_url("**/council/proposals/*/")
    page.locator('html[data-draft="sent"]').wait_for(state="attached", timeout=TIMEOUT_MS)
    assert stored_drafts(page) == {}
    [row] = filed(live_site, title)["proposals"]
    assert row["client_key"] == key
