"""Deciding a proposal: staff set the follow-up task's skills and may give it to one team,
on the page, over the API and in the admin; a team that could not take it is refused and
nothing typed is lost."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.models import ModelLogEntry

from deliberation import services
from deliberation.models import Vote
from live.models import Event
from teams.models import Task
from tests.factories import make_team, make_user, member

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db


def voted(world, *, choice="support", **fields):
    proposal = make_proposal(world, status="voting", **fields)
    for voter in (world.resident, world.resident2, world.resident3):
        Vote.objects.create(proposal=proposal, voter=voter, choice=choice)
    return proposal


def decide_url(proposal):
    return f"/council/proposals/{proposal.pk}/decide/"


def english(client):
    """The client, asking for the pages in English (the site's default is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page_data(**extra):
    return {"decision-outcome": "", "decision-confirm_early": "on", **extra}


def repairs_team(world, **kw):
    leader2 = member(make_user("fixer@example.com", display_name="维修队长"), world.yuling)
    return make_team(
        "玉岭社区维修队", community=world.yuling, skill_slugs=("repairs",), leader=leader2, **kw
    )


# --- service -----------------------------------------------------------------------------------


def test_without_choices_the_category_gives_the_skills_as_before(world):
    proposal = services.decide_proposal(actor=world.staff, proposal=voted(world))
    assert proposal.task.skill_slugs() == ["sanitation"]
    assert proposal.task.dispatched_team_id is None


def test_staff_set_the_skills(world):
    proposal = voted(world, category="facilities")
    proposal = services.decide_proposal(
        actor=world.staff, proposal=proposal, required_skills=["greening", "sanitation"]
    )
    assert proposal.task.skill_slugs() == ["greening", "sanitation"]


def test_dispatch_to_a_team_in_the_same_transaction(world):
    proposal = services.decide_proposal(
        actor=world.staff, proposal=voted(world), required_skills=["sanitation"], team=world.team
    )
    task = Task.objects.get(pk=proposal.task_id)
    assert task.dispatched_team_id == world.team.pk
    assert task.status == "open" and task.team_id is None
    # the dispatch service's audit entry and its news to the team and its leader
    assert ModelLogEntry.objects.filter(action="linli.task.dispatch", object_id=str(task.pk))
    topics = set(Event.objects.filter(type="task.dispatched").values_list("topic", flat=True))
    assert {f"task:{task.pk}", f"team:{world.team.pk}", f"user:{world.leader.pk}"} <= topics


@pytest.mark.parametrize(
    "change, field",
    [
        ({"required_skills": ["no-such-skill"]}, "required_skills"),
        ({"required_skills": ["repairs"], "team": "team"}, "team"),  # lacks the skill
        ({"team": "inactive"}, "team"),
        ({"team": "elsewhere"}, "team"),
    ],
)
def test_bad_choices_are_field_errors_and_nothing_changes(world, change, field):
    from django.core.exceptions import ValidationError

    inactive = make_team("停用队", community=world.yuling)
    inactive.active = False
    inactive.save()
    elsewhere = make_team("白云队", community=world.other)
    teams = {"team": world.team, "inactive": inactive, "elsewhere": elsewhere}
    if "team" in change:
        change = {**change, "team": teams[change["team"]]}
    proposal = voted(world)
    with pytest.raises(ValidationError) as raised:
        services.decide_proposal(actor=world.staff, proposal=proposal, **change)
    assert field in raised.value.message_dict
    proposal.refresh_from_db()
    assert proposal.status == "voting" and proposal.task_id is None
    assert not Task.objects.exists()


def test_a_rejected_proposal_leaves_skills_and_team_unused(world):
    proposal = services.decide_proposal(
        actor=world.staff,
        proposal=voted(world, choice="oppose"),
        required_skills=["sanitation"],
        team=world.team,
    )
    assert proposal.status == "rejected" and proposal.task_id is None
    assert not Task.objects.exists()


# --- page --------------------------------------------------------------------------------------


def test_the_form_shows_skills_from_the_category_and_the_teams(world):
    repairs_team(world)
    proposal = voted(world, category="facilities")
    html = client_for(world.staff).get(proposal.get_absolute_url()).content.decode()
    assert 'name="decision-required_skills" value="repairs"' in html
    start = html.index('value="repairs"')
    assert "checked" in html[start : html.index(">", start)]
    assert 'name="decision-team"' in html
    assert "玉岭社区维修队" in html and "玉岭社区环境志愿服务队" in html
    # someone can take it: the warning is hidden
    assert 'id="decision-no-team" hidden' in html
    assert "js/deliberation-decision.js" in html


def test_the_form_warns_when_no_team_has_the_skills(world):
    proposal = voted(world, category="facilities")
    client = english(client_for(world.staff))
    with translation.override("en"):
        html = client.get(proposal.get_absolute_url()).content.decode()
    assert '<html lang="en"' in html
    assert 'id="decision-no-team">' in html
    assert "No team serving this community has all these skills" in html
    assert "Lacks: Repairs" in html or "Lacks: 维修服务" in html


def test_residents_see_no_decision_fields(world):
    proposal = voted(world)
    html = client_for(world.resident).get(proposal.get_absolute_url()).content.decode()
    assert "decision-required_skills" not in html
    assert "deliberation-decision.js" not in html


def test_page_decision_with_skills_and_team(world):
    team = repairs_team(world)
    proposal = voted(world, category="facilities")
    response = client_for(world.staff).post(
        decide_url(proposal),
        page_data(
            **{
                "decision-follow_up": "True",
                "decision-required_skills": ["repairs"],
                "decision-team": str(team.pk),
            }
        ),
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert proposal.task.skill_slugs() == ["repairs"]
    assert proposal.task.dispatched_team_id == team.pk


def test_page_unticking_every_skill_means_no_skill(world):
    proposal = voted(world)
    client_for(world.staff).post(decide_url(proposal), page_data(**{"decision-follow_up": "True"}))
    proposal.refresh_from_db()
    assert proposal.task.skill_slugs() == []


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"decision-required_skills": ["no-such-skill"]}, "required_skills"),
        ({"decision-required_skills": ["repairs"], "decision-team": "TEAM"}, "team"),
        ({"decision-team": "99999999999999999999"}, "team"),
        ({"decision-team": "abc"}, "team"),
    ],
)
def test_page_errors_keep_the_input(world, extra, field):
    proposal = voted(world)
    extra = {k: (str(world.team.pk) if v == "TEAM" else v) for k, v in extra.items()}
    response = client_for(world.staff).post(
        decide_url(proposal),
        page_data(**{"decision-outcome": "下周清运", "decision-follow_up": "True", **extra}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "下周清运" in html
    assert f'id="id_decision-{field}_error"' in html
    proposal.refresh_from_db()
    assert proposal.status == "voting"


def test_page_says_when_no_team_can_take_the_new_task(world):
    proposal = voted(world, category="facilities")
    client = english(client_for(world.staff))
    with translation.override("en"):
        response = client.post(decide_url(proposal), page_data(), follow=True)
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "no team can take it yet" in html


# --- API ---------------------------------------------------------------------------------------


def api_decide(world, proposal, body):
    return client_for(world.staff).post(
        f"/api/v1/proposals/{proposal.pk}/decision", body, "application/json"
    )


def test_api_decision_with_skills_and_team(world):
    team = repairs_team(world)
    proposal = voted(world, category="facilities")
    response = api_decide(world, proposal, {"required_skills": ["repairs"], "team": team.pk})
    assert response.status_code == 200, response.content
    task = Task.objects.get(pk=response.json()["task"]["id"])
    assert task.skill_slugs() == ["repairs"] and task.dispatched_team_id == team.pk


@pytest.mark.parametrize(
    "body, field",
    [
        ({"required_skills": ["no-such-skill"]}, "required_skills"),
        ({"team": 99999999999999999999}, "team"),
        ({"team": 0}, "team"),
        ({"required_skills": ["repairs"], "team": "TEAM"}, "team"),
    ],
)
def test_api_bad_choices_are_400_with_field_errors(world, body, field):
    proposal = voted(world)
    body = {k: (world.team.pk if v == "TEAM" else v) for k, v in body.items()}
    response = api_decide(world, proposal, body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "invalid" and data["detail"]
    assert field in data["errors"]
    proposal.refresh_from_db()
    assert proposal.status == "voting"


def test_api_team_error_says_which_skills_the_team_lacks(world):
    proposal = voted(world)
    with translation.override("en"):
        response = client_for(world.staff).post(
            f"/api/v1/proposals/{proposal.pk}/decision",
            {"required_skills": ["repairs"], "team": world.team.pk},
            "application/json",
            headers={"accept-language": "en"},
        )
    assert response.status_code == 400
    assert response.json()["errors"]["team"] == [
        "The team “玉岭社区环境志愿服务队” lacks the skills: 维修服务."
    ]


# --- admin -------------------------------------------------------------------------------------


@pytest.fixture
def admin_staff(world):
    from communities.services import sync_staff_access

    sync_staff_access(world.staff)
    return client_for(world.staff)


def test_admin_decision_offers_and_uses_skills_and_team(world, admin_staff):
    from django.urls import reverse

    team = repairs_team(world)
    proposal = voted(world, category="facilities")
    url = reverse("council_proposal:edit", args=[proposal.pk])
    staff = admin_staff
    html = staff.get(url).content.decode()
    assert 'name="required_skills"' in html and 'name="team"' in html
    assert 'name="follow_up"' in html
    response = staff.post(
        url,
        {
            "action": "decide",
            "confirm_early": "on",
            "follow_up": "True",
            "required_skills": ["repairs"],
            "team": str(team.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    proposal.refresh_from_db()
    assert proposal.task.skill_slugs() == ["repairs"]
    assert proposal.task.dispatched_team_id == team.pk


def test_admin_refuses_a_team_without_the_skills(world, admin_staff):
    from django.urls import reverse

    proposal = voted(world, category="facilities")
    url = reverse("council_proposal:edit", args=[proposal.pk])
    response = admin_staff.post(
        url,
        {
            "action": "decide",
            "confirm_early": "on",
            "follow_up": "True",
            "required_skills": ["repairs"],
            "team": str(world.team.pk),
        },
    )
    assert response.status_code == 200
    assert "维修服务" in response.content.decode() or "Repairs" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "voting"


def test_the_decision_form_costs_a_constant_number_of_queries(world):
    proposal = voted(world)
    staff = client_for(world.staff)
    staff.get(proposal.get_absolute_url())

    def count():
        with CaptureQueriesContext(connection) as ctx:
            staff.get(proposal.get_absolute_url())
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        make_team(f"新队{i}", community=world.yuling, skill_slugs=("sanitation", "repairs"))
    assert count() == before
