"""Staff decide a facilities proposal on a 360 px phone: the form starts from the category's
skill (repairs), says that no team has it, and as staff change the skills each team says
whether it could take the task; choosing a team gives the new task to that team.

Uses the `live_site`, `open_page` and `council` fixtures of tests/browser/conftest.py.
"""

import pytest

from .conftest import site_shell

pytestmark = pytest.mark.browser

VOTING = r"""
import json
from accounts.models import User
from communities.models import Community
from deliberation import services

yuling = Community.objects.get(name="玉岭社区")
staff = User.objects.get(email="staff@linli.example")
resident = User.objects.get(email="resident@linli.example")
proposal = services.create_proposal(
    actor=resident, community=yuling, title="%(title)s",
    body="5栋门口的路灯坏了，晚上看不清台阶。", category="facilities",
    location="玉岭社区5栋", submit=True)
services.publish_proposal(actor=staff, proposal=proposal)
services.open_voting(actor=staff, proposal=proposal)
for email in ("resident@linli.example", "leader1@linli.example", "leader2@linli.example"):
    services.cast_vote(actor=User.objects.get(email=email), proposal=proposal, choice="support")
print("VOTING=" + json.dumps({"id": proposal.pk}))
"""

TASK = r"""
import json
from deliberation.models import Proposal
p = Proposal.objects.select_related("task").get(pk=%(pk)d)
print("TASK=" + json.dumps({"status": p.status, "skills": p.task.skill_slugs(),
                            "team": p.task.dispatched_team_id}))
"""


def test_staff_choose_skills_and_a_team_on_a_phone(live_site, open_page, council):
    from playwright.sync_api import expect

    pid = site_shell(live_site, VOTING % {"title": "5栋门口的路灯坏了"}, "VOTING")["id"]
    page = open_page("staff", f"/council/proposals/{pid}/")
    page.locator("#decide summary").click()
    warning = page.locator("#decision-no-team")
    expect(warning).to_be_visible()
    repairs = page.locator('input[name="decision-required_skills"][value="repairs"]')
    expect(repairs).to_be_checked()

    env = live_site["world"]["teams"]["env"]
    env_fit = page.locator(f'label.team-choice:has(input[value="{env["id"]}"]) .team-fit')
    expect(env_fit).to_have_attribute("data-fit", "no")

    # Untick repairs and tick sanitation: both teams have it, the warning goes.
    repairs.uncheck()
    page.locator('input[name="decision-required_skills"][value="sanitation"]').check()
    expect(warning).to_be_hidden()
    expect(page.locator('.team-fit[data-fit="yes"]')).to_have_count(2)

    # Touch targets and no sideways scrolling at 360 px.
    for label in page.locator("#decision-follow-up .choice-label").all():
        assert label.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.locator(f'input[name="decision-team"][value="{env["id"]}"]').check()
    page.locator('input[name="decision-confirm_early"]').check()
    page.locator('button[data-action="decide"]').click()
    expect(page.locator(".message-success")).to_contain_text(env["name"])

    made = site_shell(live_site, TASK % {"pk": pid}, "TASK")
    assert made == {"status": "accepted", "skills": ["sanitation"], "team": env["id"]}
