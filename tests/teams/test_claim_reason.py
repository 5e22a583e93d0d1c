"""Why a leader's team cannot claim a task, said in plain words on the task page and in the
claim API's error; staff see which teams could take it, and what to do when none can."""

import pytest
from django.conf import settings
from django.utils import translation

from teams import permissions as perms
from teams.models import Task

from .conftest import client_for, make_task, make_team

pytestmark = pytest.mark.django_db


def page(user, task, language="en"):
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(language):
        html = client.get(task.get_absolute_url()).content.decode()
    assert f'<html lang="{language}"' in html
    return html


def claim_api(user, task, team):
    with translation.override("en"):
        return client_for(user).post(
            f"/api/v1/tasks/{task.pk}/claim",
            {"team": team.pk},
            "application/json",
            headers={"accept-language": "en"},
        )


@pytest.fixture
def repairs_task(world):
    return make_task(world.yuling, skill_slugs=("repairs",), title="修路灯")


def test_missing_skill_is_the_reason(world, repairs_task):
    refusals = perms.claim_refusals(world.leader, repairs_task)
    assert [(r.team, r.code, r.missing) for r in refusals] == [(world.team, "skills", ("Repairs",))]
    with translation.override("en"):
        assert refusals[0].text == "Your team “环境志愿服务队” lacks the skills: Repairs."


def test_the_page_tells_the_leader_why(world, repairs_task):
    html = page(world.leader, repairs_task)
    assert 'id="claim-button"' not in html
    assert 'id="claim-refusals"' in html
    assert 'data-reason="skills"' in html
    assert "lacks the skills: Repairs" in html


def test_dispatched_to_another_team(world):
    task = make_task(world.yuling, dispatched_team=world.other_team)
    [refusal] = perms.claim_refusals(world.leader, task)
    assert refusal.code == "dispatched"
    assert "邻里互助队" in page(world.leader, task)
    # the team it was given to may claim it: no reason for its leader
    assert perms.claim_refusals(world.other_leader, task) == []
    assert 'id="claim-button"' in page(world.other_leader, task)


def test_team_not_serving_the_community(world):
    task = make_task(world.other)
    [refusal] = perms.claim_refusals(world.leader, task)
    assert refusal.code == "community"
    assert "does not serve this community" in page(world.leader, task)


def test_inactive_team(world):
    world.team.active = False
    world.team.save()
    task = make_task(world.yuling)
    [refusal] = perms.claim_refusals(world.leader, task)
    assert refusal.code == "inactive"
    assert "is not active" in page(world.leader, task)


def test_confidential_task_not_given_out(world):
    task = make_task(world.yuling, sensitive=True)
    [refusal] = perms.claim_refusals(world.leader, task)
    assert refusal.code == "confidential"


def test_no_reason_when_the_team_can_claim_or_the_task_is_not_open(world):
    task = make_task(world.yuling)
    assert perms.claim_refusals(world.leader, task) == []
    held = make_task(world.yuling, team=world.other_team, status="claimed")
    assert perms.claim_refusals(world.leader, held) == []
    assert 'id="claim-refusals"' not in page(world.leader, held)


def test_residents_and_visitors_see_no_reasons(world, repairs_task):
    for user in (world.resident, world.volunteer, None):
        assert 'id="claim-refusals"' not in page(user, repairs_task)


def test_a_leader_of_two_teams_sees_the_reason_of_each(world, repairs_task):
    second = make_team(
        "第二队", community=world.other, skill_slugs=("repairs",), leader=world.leader
    )
    codes = {r.team.pk: r.code for r in perms.claim_refusals(world.leader, repairs_task)}
    assert codes == {world.team.pk: "skills", second.pk: "community"}


@pytest.mark.parametrize("kind", ["skills", "dispatched", "community", "inactive", "none"])
def test_the_reason_agrees_with_team_may_take(world, kind):
    task = make_task(
        world.other if kind == "community" else world.yuling,
        skill_slugs=("repairs",) if kind == "skills" else ("sanitation",),
        dispatched_team=world.other_team if kind == "dispatched" else None,
    )
    if kind == "inactive":
        world.team.active = False
        world.team.save()
    refusal = perms.team_refusal(task, world.team)
    assert perms.team_may_take(task, world.team) is (refusal is None)
    assert (refusal.code if refusal else "none") == kind


# --- the claim API gives the same reason -------------------------------------------------------


def test_claim_api_gives_the_reason(world, repairs_task):
    response = claim_api(world.leader, repairs_task, world.team)
    assert response.status_code == 403
    body = response.json()
    assert body["reason"] == "skills"
    with translation.override("en"):
        assert body["detail"] == perms.team_refusal(repairs_task, world.team).text
    repairs_task.refresh_from_db()
    assert repairs_task.status == "open"


def test_claim_api_dispatched_elsewhere(world):
    task = make_task(world.yuling, dispatched_team=world.other_team)
    response = claim_api(world.leader, task, world.team)
    assert response.status_code == 403
    assert response.json()["reason"] == "dispatched"
    assert "邻里互助队" in response.json()["detail"]


def test_claim_api_taken_is_still_409(world):
    task = make_task(world.yuling, team=world.other_team, status="claimed")
    response = claim_api(world.leader, task, world.team)
    assert response.status_code == 409
    assert response.json()["holder"]["name"] == "邻里互助队"


# --- staff -------------------------------------------------------------------------------------


def test_staff_see_the_teams_that_can_take_it(world):
    task = make_task(world.yuling, skill_slugs=("sanitation",))
    html = page(world.staff, task)
    assert 'id="able-teams" data-count="2"' in html
    assert "环境志愿服务队" in html and "邻里互助队" in html


def test_staff_get_a_hint_when_no_team_can(world, repairs_task):
    html = page(world.staff, repairs_task)
    assert 'id="able-teams" data-count="0"' in html
    assert "No team can take this task now" in html
    assert 'href="#dispatch"' in html and 'id="dispatch"' in html
    from django.urls import reverse

    assert reverse("teams_task:edit", args=[repairs_task.pk]) in html


def test_staff_list_is_left_out_for_a_dispatched_or_held_task(world):
    dispatched = make_task(world.yuling, dispatched_team=world.team)
    assert 'id="able-teams"' not in page(world.staff, dispatched)
    held = make_task(world.yuling, team=world.team, status="claimed")
    assert 'id="able-teams"' not in page(world.staff, held)


def test_after_staff_dispatch_the_leader_can_claim(world, repairs_task):
    from teams import services

    services.dispatch_task(actor=world.staff, task=repairs_task, team=world.team)
    task = Task.objects.get(pk=repairs_task.pk)
    assert perms.claim_refusals(world.leader, task) == []
    assert 'id="claim-button"' in page(world.leader, task)


def test_reasons_cost_the_same_queries_for_more_teams(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = make_task(world.yuling, skill_slugs=("repairs",))
    client = client_for(world.leader)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(task.get_absolute_url()).content.decode()
        return len(ctx.captured_queries), html.count("data-reason=")

    client.get(task.get_absolute_url())
    before, shown = count()
    for i in range(5):
        make_team(f"队{i}", community=world.yuling, leader=world.leader)
    after, more = count()
    assert (shown, more) == (1, 6)
    assert after == before
