"""A day of the council as the people who run it see it, in real browsers against daphne.

A resident proposes; the staff member's header count goes up live while they read another
page; they open 待处理 (the inbox), go from its item to the proposal, publish it and open the
vote; three residents vote; staff decide and give the follow-up task to one team; that team's
leader claims it from the task page, while the other team's leader is told why they cannot.

Uses the `live_site`, `open_page` and `council` fixtures of tests/browser/conftest.py.
"""

import re

import pytest

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 5000
TITLE = "2栋门前路灯坏了一个月，晚上老人出门不方便"


def wait_until_live(page):
    page.locator('html[data-live="open"]').wait_for(state="attached", timeout=10_000)


def badge_number(page, selector) -> int:
    badge = page.locator(selector)
    if badge.is_hidden():
        return 0
    return int(badge.text_content().strip().rstrip("+"))


def test_resident_to_inbox_to_vote_to_dispatched_claim(live_site, open_page, council):
    from playwright.sync_api import expect

    env_team = live_site["world"]["teams"]["env"]

    # Staff read the team list; their header shows what waits and stays live.
    staff = open_page("staff", "/teams/")
    wait_until_live(staff)
    waiting_before = badge_number(staff, "#nav-inbox [data-inbox-count]")
    unread_before = badge_number(staff, "#nav-notifications [data-unread-count]")

    # 1. A resident proposes.
    resident = open_page("resident", f"/council/{council['community']}/new/")
    resident.fill("#id_title", TITLE)
    resident.select_option("#id_category", "sanitation")
    resident.fill("#id_body", "路灯不亮已经一个月了，晚上去垃圾分类点要摸黑，请尽快修好。")
    resident.fill("#id_location", "玉岭社区2栋门前")
    resident.locator("button[name=submit_proposal]").click()
    resident.wait_for_url("**/council/proposals/*/")
    proposal_path = "/council/proposals/" + resident.url.rstrip("/").rsplit("/", 1)[1] + "/"

    # 2. The staff header count goes up without a reload, and a notification arrives.
    staff.evaluate("window.__stillTheSamePage = true")
    expect(staff.locator("#nav-inbox [data-inbox-count]")).to_have_text(
        str(waiting_before + 1), timeout=LIVE_TIMEOUT_MS
    )
    expect(staff.locator("#nav-notifications [data-unread-count]")).to_have_text(
        str(unread_before + 1), timeout=LIVE_TIMEOUT_MS
    )
    assert staff.evaluate("window.__stillTheSamePage") is True

    # 3. From the inbox to the proposal: publish it and open the vote.
    staff.locator("#nav-inbox").click()
    staff.wait_for_url("**/communities/inbox/")
    item = staff.locator(".inbox-item[data-kind=proposal_review]", has_text=TITLE)
    expect(item).to_have_count(1)
    item.locator("a.button").click()
    staff.wait_for_url(f"**{proposal_path}")
    staff.locator("[data-action=publish]").click()
    staff.locator("#open-voting summary").click()
    staff.locator("[data-action=open-voting]").click()
    expect(staff.locator("#proposal-status")).to_have_class(re.compile(r"\bstatus-voting\b"))

    # 4. Three residents vote (quorum 3 votes).
    for who, choice in [("resident", "support"), ("leader1", "support"), ("leader2", "oppose")]:
        voter = open_page(who, proposal_path)
        voter.locator(f"button[data-choice={choice}]").click()
        expect(voter.locator(f"button[data-choice={choice}]")).to_have_attribute(
            "aria-pressed", "true"
        )

    # 5. Staff decide and give the follow-up task to the environment team.
    staff.reload()
    staff.locator("#decide summary").click()
    team_choice = staff.locator("#decision-teams label", has_text=env_team["name"])
    expect(team_choice.locator(".team-fit")).to_have_attribute("data-fit", "yes")
    team_choice.click()
    staff.fill("#id_decision-outcome", "由环境志愿服务队联系物业更换路灯。")
    staff.check("#id_decision-confirm_early")
    staff.locator("[data-action=decide]").click()
    expect(staff.locator("#proposal-status")).to_have_class(re.compile(r"\bstatus-accepted\b"))
    task_id = staff.locator("#proposal-task").get_attribute("data-task-id")
    assert task_id

    # 6. The other team's leader is told why they cannot take it.
    other = open_page("leader2", f"/teams/tasks/{task_id}/")
    expect(other.locator("#claim-button")).to_have_count(0)
    expect(other.locator("#claim-refusals")).to_contain_text(env_team["name"])

    # 7. The environment team's leader claims it from the task page.
    leader = open_page("leader1", f"/teams/tasks/{task_id}/")
    leader.locator("#claim-button").click()
    expect(leader.locator("#task-status")).to_have_attribute("data-status", "claimed")
    expect(leader.locator("#task-team")).to_contain_text(env_team["name"])
    assert leader.evaluate("document.documentElement.scrollWidth") <= 360
    leader.screenshot(path="/tmp/walk-task-360.png", full_page=True)

    # The inbox no longer lists the proposal.
    staff.goto("/communities/inbox/")
    expect(staff.locator(".inbox-item", has_text=TITLE)).to_have_count(0)
