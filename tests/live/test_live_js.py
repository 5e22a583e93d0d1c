"""site/static/js/live.js in Debian's Chromium, against a scripted /ws/live/ (Playwright's
WebSocket routing): events update the page, fields take only their own kinds of events,
duplicates are dropped, reconnect resubscribes with the last id seen, resync fires
`linli:resync` and reloads pages that opted in.

Playwright's sync API refuses to run in a thread with a running asyncio loop, and under
pytest-asyncio's auto mode an earlier async test may leave one behind in the main thread; so
each browser session runs whole in a thread of its own (`in_browser`).
"""

import json
import os
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ORIGIN = "http://linli.test"
SESSION_TIMEOUT = 120

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<section id="task" data-live-topic="task:12" data-live-since="40" data-live-reload>
  <span id="status" data-live-field="status">open</span>
  <span id="any-status" data-live-field="status" data-live-types="*">open</span>
  <p data-live-types="hours.*, task.claimed"><span id="hours" data-live-field="hours">0</span>
    <span id="claimed-status" data-live-field="status">open</span></p>
  <ul data-live-list="prepend"><li data-live-empty>nothing yet</li></ul>
</section>
<script id="linli-live-labels" type="application/json">
{"task.claimed": "已认领", "*": "更新"}
</script>
<script>
  window.seen = []; window.resyncs = 0; window.preventResync = true;
  var el = document.getElementById("task");
  el.addEventListener("linli:event", function (e) { window.seen.push(e.detail.id); });
  el.addEventListener("linli:resync", function (e) {
    window.resyncs++; if (window.preventResync) e.preventDefault();
  });
</script>
<script src="/static/js/live.js"></script>
</body></html>"""


def event(id, type="task.updated", **data):
    at = "2026-11-28T08:00:00+00:00"
    return json.dumps({"id": id, "topic": "task:12", "type": type, "data": data, "at": at})


def in_browser(scenario):
    """Run `scenario(page)` with a fresh Chromium page, in a thread of its own (module doc);
    its failure is raised here."""
    if os.environ.get("REQUIRE_BROWSER") != "1" and not os.path.exists(CHROMIUM):
        pytest.skip("needs /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    source = (Path(settings.BASE_DIR) / "site/static/js/live.js").read_text()
    outcome = {}

    def session():
        try:
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page()
                    page.route(
                        f"{ORIGIN}/",
                        lambda route: route.fulfill(
                            body=PAGE, content_type="text/html; charset=utf-8"
                        ),
                    )
                    page.route(
                        f"{ORIGIN}/static/js/live.js",
                        lambda route: route.fulfill(body=source, content_type="text/javascript"),
                    )
                    scenario(page)
                finally:
                    browser.close()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=session, name="playwright", daemon=True)
    thread.start()
    thread.join(SESSION_TIMEOUT)
    assert not thread.is_alive(), f"the browser session took longer than {SESSION_TIMEOUT} s"
    if "error" in outcome:
        raise outcome["error"]


def wait_until(page, condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def test_live_js_against_a_scripted_server():
    in_browser(scripted_server)


def scripted_server(page):
    connections = []

    def on_socket(ws):
        received = []
        connections.append((ws, received))
        ws.on_message(lambda message: received.append(json.loads(message)))

    page.route_web_socket("ws://linli.test/ws/live/", on_socket)
    page.goto(f"{ORIGIN}/")

    wait_until(page, lambda: connections and connections[0][1])
    ws, received = connections[0]
    assert received[0] == {"action": "subscribe", "topic": "task:12", "since": 40}

    ws.send(json.dumps({"type": "subscribed", "topic": "task:12"}))
    ws.send(event(41, status="claimed", text="环境志愿服务队认领了任务"))
    ws.send(event(41, status="claimed", text="duplicate"))
    ws.send(event(42, type="task.claimed"))
    page.wait_for_function("window.seen.length === 2")
    assert page.evaluate("window.seen") == [41, 42]
    assert page.text_content("#status") == "claimed"
    items = page.locator("[data-live-list] li")
    assert items.count() == 2  # the "nothing yet" item is gone
    assert items.nth(0).get_attribute("data-live-id") == "42"
    assert "已认领" in items.nth(0).text_content()
    assert "环境志愿服务队认领了任务" in items.nth(1).text_content()
    assert "duplicate" not in page.content()

    # The programmatic API shares the socket.
    # (A function given to evaluate is called; Linli.live.subscribe's result must not be.)
    page.evaluate("() => { Linli.live.subscribe('user:9', (e) => { window.got = e.id; }); }")
    wait_until(page, lambda: {"action": "subscribe", "topic": "user:9"} in received)

    # The server goes away: the client comes back and resumes from the last id it saw.
    ws.close()
    wait_until(page, lambda: len(connections) == 2 and len(connections[1][1]) == 2)
    ws, received = connections[1]
    assert {"action": "subscribe", "topic": "task:12", "since": 42} in received
    assert {"action": "subscribe", "topic": "user:9"} in received
    ws.send(event(42, type="task.claimed"))  # replayed again: dropped
    ws.send(json.dumps({"id": 50, "topic": "user:9", "type": "x", "data": {}, "at": ""}))
    page.wait_for_function("window.got === 50")
    assert page.evaluate("window.seen") == [41, 42]

    # resync: the event is cancelable; not cancelled + data-live-reload -> reload.
    ws.send(json.dumps({"type": "resync", "topic": "task:12"}))
    page.wait_for_function("window.resyncs === 1")
    page.evaluate("window.preventResync = false")
    with page.expect_navigation():
        ws.send(json.dumps({"type": "resync", "topic": "task:12"}))
    wait_until(page, lambda: len(connections) == 3 and connections[2][1])
    assert connections[2][1][0] == {"action": "subscribe", "topic": "task:12", "since": 40}


def test_forbidden_topic_is_dropped():
    """A refused topic is dropped: the client neither reconnects for it nor asks for it again."""
    in_browser(forbidden_topic)


def forbidden_topic(page):
    connections = []

    def on_socket(ws):
        received = []
        connections.append((ws, received))
        ws.on_message(lambda message: received.append(json.loads(message)))

    page.route_web_socket("ws://linli.test/ws/live/", on_socket)
    page.goto(f"{ORIGIN}/")
    page.evaluate(
        "document.getElementById('task').addEventListener('linli:error',"
        " function (e) { window.refused = e.detail.code; })"
    )
    wait_until(page, lambda: connections and connections[0][1])
    ws, received = connections[0]
    ws.send(json.dumps({"type": "error", "code": "forbidden", "topic": "task:12"}))
    page.wait_for_function("window.refused === 'forbidden'")
    ws.close()
    # Nothing left to follow: the client does not come back for it. The next subscription
    # opens the one new connection, and asks there for its own topic alone.
    page.wait_for_function("document.documentElement.dataset.live === 'closed'")
    page.evaluate("() => { Linli.live.subscribe('user:9'); }")
    wait_until(page, lambda: len(connections) == 2 and connections[1][1])
    assert connections[1][1] == [{"action": "subscribe", "topic": "user:9"}]
    assert len(connections) == 2


def test_fields_take_only_their_kinds_of_events():
    in_browser(field_types)


def field_types(page):
    connections = []
    page.route_web_socket("ws://linli.test/ws/live/", lambda ws: connections.append(ws))
    page.goto(f"{ORIGIN}/")
    wait_until(page, lambda: connections)
    ws = connections[0]

    def texts():
        return {f: page.text_content(f"#{f}") for f in ("status", "any-status", "hours")} | {
            "claimed-status": page.text_content("#claimed-status")
        }

    # Hours on the task topic carry the hours record's status: the task's status stays.
    ws.send(event(41, type="hours.logged", status="pending", hours=2))
    page.wait_for_function("window.seen.length === 1")
    assert texts() == {
        "status": "open",
        "any-status": "pending",
        "hours": "2",
        "claimed-status": "pending",
    }
    # task.* events fill the default fields; data-live-types="hours.*, task.claimed" also
    # takes task.claimed, and nothing else of the task's.
    ws.send(event(42, type="task.claimed", status="claimed"))
    ws.send(event(43, type="task.status", status="in_progress"))
    page.wait_for_function("window.seen.length === 3")
    assert texts() == {
        "status": "in_progress",
        "any-status": "in_progress",
        "hours": "2",
        "claimed-status": "claimed",
    }
    # An event without a type fills only "*" fields.
    ws.send(json.dumps({"id": 44, "topic": "task:12", "data": {"status": "odd"}, "at": ""}))
    page.wait_for_function("window.seen.length === 4")
    assert texts()["status"] == "in_progress"
    assert texts()["any-status"] == "odd"


def test_texts_in_the_page_language():
    in_browser(page_language)


def page_language(page):
    connections = []
    page.route_web_socket("ws://linli.test/ws/live/", lambda ws: connections.append(ws))
    page.goto(f"{ORIGIN}/")
    wait_until(page, lambda: connections)
    ws = connections[0]
    page.evaluate(
        "() => { document.documentElement.lang = 'en';"
        " var f = document.createElement('span'); f.id = 'outcome';"
        " f.setAttribute('data-live-field', 'outcome'); f.setAttribute('data-live-types', '*');"
        " document.getElementById('task').appendChild(f); }"
    )
    both = {"zh-hans": "队伍认领了任务", "en": "The team took on the task"}
    outcomes = {"zh-hans": "通过", "en": "Accepted"}
    ws.send(event(41, text=both["zh-hans"], texts=both, outcome="通过", outcomes=outcomes))
    page.wait_for_function("window.seen.length === 1")
    first = page.locator('[data-live-id="41"]').text_content()
    assert "The team took on the task" in first and "队伍" not in first
    assert page.text_content("#outcome") == "Accepted"

    page.evaluate("() => { document.documentElement.lang = 'zh-Hans'; }")
    ws.send(event(42, text=both["zh-hans"], texts=both, outcome="通过", outcomes=outcomes))
    page.wait_for_function("window.seen.length === 2")
    assert "队伍认领了任务" in page.locator('[data-live-id="42"]').text_content()
    assert page.text_content("#outcome") == "通过"

    # No text in the page's language (or no texts at all): the stored text.
    page.evaluate("() => { document.documentElement.lang = 'en'; }")
    ws.send(event(43, text="只有中文", texts={"zh-hans": "只有中文"}))
    ws.send(event(44, text="plain", texts="not a map"))
    page.wait_for_function("window.seen.length === 4")
    assert "只有中文" in page.locator('[data-live-id="43"]').text_content()
    assert "plain" in page.locator('[data-live-id="44"]').text_content()
