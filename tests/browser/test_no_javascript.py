"""Propose, comment, reply and vote with JavaScript switched off, on a 360 px phone.

Residents on weak connections or old phones may have no working JavaScript: every step of the
council must then still work as plain HTML forms (JavaScript only adds live updates). Each step
is done through the page's own form in a context with `java_script_enabled=False`, and its
result is checked on the page the server sends back.
"""

import pytest

pytestmark = pytest.mark.browser

WIDTH = 360


@pytest.fixture
def no_js(browser, live_site):
    """no_js(who) -> a fresh page without JavaScript at 360 px, signed in as `who`."""
    contexts = []

    def _open(who):
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 800},
            java_script_enabled=False,
            locale="zh-CN",
            base_url=live_site["url"],
        )
        contexts.append(context)
        if who is not None:
            context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": live_site["world"]["cookies"][who],
                        "url": live_site["url"],
                    }
                ]
            )
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def fits(page):
    # Page geometry is read by the driver, not by the page's (disabled) scripts.
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def status_label(page, status):
    import json

    return json.loads(page.locator("#proposal-status-labels").text_content())[status]


def test_propose_comment_reply_and_vote_without_javascript(no_js, council):
    from playwright.sync_api import expect

    # 1. The resident proposes through the form and sends it.
    resident = no_js("resident")
    resident.goto(f"/council/{council['community']}/new/")
    fits(resident)
    resident.fill("#id_title", "无脚本：小区北门路灯不亮")
    resident.select_option("#id_category", "safety")
    resident.fill("#id_body", "北门路灯坏了一个多星期，晚上老人出门看不清路。")
    resident.fill("#id_location", "玉岭社区北门")
    resident.locator("button[name=submit_proposal]").click()
    resident.wait_for_url("**/council/proposals/*/")
    proposal_path = "/council/proposals/" + resident.url.rstrip("/").rsplit("/", 1)[1] + "/"
    expect(resident.locator("h1")).to_contain_text("无脚本：小区北门路灯不亮")
    expect(resident.locator("#proposal-status")).to_have_text(status_label(resident, "submitted"))
    expect(resident.locator(".proposal-body")).to_contain_text("北门路灯坏了一个多星期")
    fits(resident)

    # 2. Staff publish it through their page form.
    staff = no_js("staff")
    staff.goto(proposal_path)
    staff.locator("[data-action=publish]").click()
    staff.wait_for_load_state()
    expect(staff.locator("#proposal-status")).to_have_text(status_label(staff, "discussion"))
    fits(staff)

    # 3. Another resident comments; the resident comments and replies to it.
    neighbour = no_js("leader1")
    neighbour.goto(proposal_path)
    neighbour.fill(".comment-form textarea[name=body]", "同意，我家老人也摔过一跤。")
    neighbour.locator("[data-action=comment]").click()
    neighbour.wait_for_load_state()
    expect(neighbour.locator(".thread .comment-body").first).to_contain_text("我家老人也摔过一跤")

    resident.goto(proposal_path)
    resident.fill(".comment-form textarea[name=body]", "谢谢大家，希望这周能修好。")
    resident.locator("[data-action=comment]").click()
    resident.wait_for_load_state()
    expect(resident.locator(".comment-body", has_text="希望这周能修好")).to_have_count(1)
    thread = resident.locator(".thread", has_text="我家老人也摔过一跤")
    thread.locator(".reply-details summary").click()  # <details> opens without scripts
    thread.locator(".reply-details textarea").fill("您家老人没事吧？我去跟物业说。")
    thread.locator(".reply-details button[type=submit]").click()
    resident.wait_for_load_state()
    thread = resident.locator(".thread", has_text="我家老人也摔过一跤")
    expect(thread.locator(".replies .comment-body")).to_contain_text("我去跟物业说")
    fits(resident)

    # 4. Staff open the vote through the form in its <details>.
    staff.goto(proposal_path)
    staff.locator("#open-voting summary").click()
    staff.locator("[data-action=open-voting]").click()
    staff.wait_for_load_state()
    expect(staff.locator("#proposal-status")).to_have_text(status_label(staff, "voting"))

    # 5. The resident votes, then changes the vote; the page shows each.
    resident.goto(proposal_path)
    resident.locator("button[data-choice=support]").click()
    resident.wait_for_load_state()
    expect(resident.locator("button[data-choice=support]")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(resident.locator("#my-vote")).to_be_visible()
    expect(resident.locator("#tally-support")).to_have_text("1")
    expect(resident.locator("#tally-total")).to_have_text("1")

    resident.locator("button[data-choice=oppose]").click()
    resident.wait_for_load_state()
    expect(resident.locator("button[data-choice=oppose]")).to_have_attribute("aria-pressed", "true")
    expect(resident.locator("button[data-choice=support]")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(resident.locator("#tally-support")).to_have_text("0")
    expect(resident.locator("#tally-oppose")).to_have_text("1")
    expect(resident.locator("#tally-total")).to_have_text("1")
    fits(resident)
    # No script ran: live.js would have marked <html data-live="...">.
    assert resident.locator("html[data-live]").count() == 0
    resident.screenshot(path="/tmp/no-js-vote-360.png", full_page=True)


def test_staff_file_a_proposal_for_a_resident_without_javascript(no_js, council):
    """Assisted participation at the service station: find the resident, file in their name."""
    from playwright.sync_api import expect

    staff = no_js("staff")
    staff.goto(f"/council/{council['community']}/new/")
    expect(staff.locator(".assisted-section")).to_be_visible()
    fits(staff)
    staff.fill("#id_title", "无脚本：代居民提出的楼道扶手")
    staff.fill("#id_body", "刘阿姨说3栋楼道需要装扶手。")
    staff.fill("#id_resident_q", "刘阿姨")
    staff.locator("button[name=find_resident]").click()
    staff.wait_for_load_state()
    # The list is narrowed to the match; what was typed is still there.
    options = staff.locator("#id_on_behalf_of option:not([value=''])")
    expect(options).to_have_count(1)
    expect(staff.locator("#id_title")).to_have_value("无脚本：代居民提出的楼道扶手")
    staff.screenshot(path="/tmp/assisted-form-360.png", full_page=True)
    staff.select_option("#id_on_behalf_of", index=1)
    staff.select_option("#id_category", "facilities")
    staff.locator("button[name=submit_proposal]").click()
    staff.wait_for_url("**/council/proposals/*/")
    expect(staff.locator(".assisted-note")).to_contain_text("社工小李")
    expect(staff.locator(".facts")).to_contain_text("刘阿姨")
    fits(staff)

    # The resident finds it among their own proposals, with the same note.
    resident = no_js("resident")
    resident.goto(staff.url)
    expect(resident.locator(".assisted-note")).to_contain_text("社工小李")
