"""The demo stays realistic: every task of an accepted demo proposal is held by a team, given
to one, or open to at least one team with its skills (none waits for a team that does not
exist), and every proposal still voting has a team for its category's skills."""

import pytest

from deliberation.forms import follow_up_choices, skills_missing
from deliberation.models import Proposal
from teams import permissions as perms

from .test_demo import load_all

pytestmark = pytest.mark.django_db


def test_demo_follow_up_tasks_have_a_team():
    load_all()
    accepted = Proposal.objects.filter(status="accepted").select_related("task__community")
    assert accepted.exists()
    for proposal in accepted:
        task = proposal.task
        assert task is not None, proposal.title
        assert task.team_id or perms.eligible_teams(task).exists(), proposal.title
    for proposal in Proposal.objects.filter(status="voting").select_related("council__community"):
        choices = follow_up_choices(proposal)
        assert any(not skills_missing(team, choices.default_skills) for team in choices.teams), (
            proposal.title
        )
