"""The task of an accepted proposal: its page links the proposal by its title and shows the
place once (the description is the proposal's text, not a copy of the place and a bare URL)."""

import pytest

from deliberation import services
from deliberation.models import Vote

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db

PLACE = "玉岭社区东门垃圾分类点"


def accepted_with_task(world, **fields):
    proposal = make_proposal(world, status="voting", location=PLACE, **fields)
    for voter in (world.resident, world.resident2, world.resident3):
        Vote.objects.create(proposal=proposal, voter=voter, choice="support")
    proposal = services.decide_proposal(actor=world.staff, proposal=proposal)
    assert proposal.status == "accepted" and proposal.task is not None
    return proposal


def test_task_description_is_the_proposal_text(world):
    proposal = accepted_with_task(world)
    task = proposal.task
    assert task.description == proposal.body
    assert task.location == PLACE


def test_task_page_links_the_proposal_by_title_and_shows_the_place_once(world):
    proposal = accepted_with_task(world)
    html = client_for(world.resident).get(proposal.task.get_absolute_url()).content.decode()
    link = f'<a href="{proposal.get_absolute_url()}" id="task-proposal">{proposal.title}</a>'
    assert link in html
    # the bare path appears only inside the link
    assert html.count(proposal.get_absolute_url()) == 1
    assert html.count(PLACE) == 1


def test_no_link_to_a_hidden_proposal(world):
    proposal = accepted_with_task(world)
    proposal.hidden = True
    proposal.save(update_fields=["hidden"])
    html = client_for(world.resident).get(proposal.task.get_absolute_url()).content.decode()
    assert 'id="task-proposal"' not in html
