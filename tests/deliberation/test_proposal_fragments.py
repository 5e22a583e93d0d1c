"""deliberation:proposal_parts, the parts of the proposal page the live page draws again:
drawn for the reader as the page draws them, refused (404) as the page refuses, never cached,
valid CSRF tokens in their forms, and a fixed number of queries however many comments.

Uses the `world` fixture of tests/deliberation/conftest.py (玉岭社区 with its council).
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from deliberation import services
from deliberation.models import Comment

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db


def parts_url(proposal):
    return reverse("deliberation:proposal_parts", args=[proposal.pk])


def parts(client, proposal):
    response = client.get(parts_url(proposal), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.json()


def test_the_page_points_to_its_parts_and_holds_each_one(world):
    proposal = make_proposal(world, status="voting")
    html = client_for(world.resident2).get(proposal.get_absolute_url()).content.decode()
    assert f'data-parts-url="{parts_url(proposal)}"' in html
    for name in ("status", "controls", "vote", "discussion"):
        assert f'data-proposal-part="{name}"' in html
    assert "Reload" not in html and "proposal-stale" not in html


def test_a_reader_gets_the_vote_buttons_once_the_vote_is_open(world):
    proposal = make_proposal(world, status="discussion")
    reader = client_for(world.resident2)
    before = parts(reader, proposal)
    assert before["status"] == "discussion"
    assert "vote-button" not in before["parts"]["vote"]

    services.open_voting(actor=world.staff, proposal=proposal, closes_at=None)
    after = parts(reader, proposal)
    assert after["status"] == "voting"
    with translation.override("en"):
        assert after["status_label"] == "Voting"
    assert 'data-choice="support"' in after["parts"]["vote"]
    assert "data-closes-at=" in after["parts"]["vote"]
    # Staff run the vote: no buttons, the decision form in their controls instead.
    staff = parts(client_for(world.staff), proposal)
    assert "vote-button" not in staff["parts"]["vote"]
    assert 'data-action="open-voting"' not in staff["parts"]["controls"]


def test_the_status_sentence_follows_the_state(world):
    proposal = make_proposal(world, status="submitted")
    author = client_for(world.resident)
    assert "Waiting for community staff" in parts(author, proposal)["parts"]["status"]
    services.publish_proposal(actor=world.staff, proposal=proposal)
    now = parts(author, proposal)
    assert "Waiting for community staff" not in now["parts"]["status"]
    assert 'id="proposal-status"' in now["parts"]["status"]
    assert "comment-form" in now["parts"]["discussion"]


def test_forms_in_parts_carry_a_working_csrf_token(world):
    proposal = make_proposal(world, status="voting")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.resident2)
    vote = parts(client, proposal)["parts"]["vote"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', vote).group(1)
    response = client.post(
        reverse("deliberation:proposal_vote", args=[proposal.pk]),
        {"choice": "support", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_sign_in_links_return_to_the_page_not_to_the_parts(world):
    proposal = make_proposal(world, status="voting")
    vote = parts(Client(), proposal)["parts"]["vote"]
    assert f"?next={proposal.get_absolute_url()}" in vote.replace("%2F", "/")
    assert "/parts/" not in vote


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_unpublished_parts_are_only_for_author_and_staff(world, status):
    proposal = make_proposal(world, status=status)
    for user in (None, world.resident2, world.outsider):
        assert client_for(user).get(parts_url(proposal)).status_code == 404
    assert client_for(world.resident).get(parts_url(proposal)).status_code == 200
    if status == "submitted":
        assert client_for(world.staff).get(parts_url(proposal)).status_code == 200


def test_hidden_parts_are_refused_like_the_page(world):
    proposal = make_proposal(world, status="discussion", hidden=True)
    for user in (None, world.resident2):
        client = client_for(user)
        assert client.get(proposal.get_absolute_url()).status_code == 404
        assert client.get(parts_url(proposal)).status_code == 404
    assert client_for(world.resident).get(parts_url(proposal)).status_code == 200
    assert client_for(world.staff).get(parts_url(proposal)).status_code == 200


def test_only_get(world):
    proposal = make_proposal(world, status="discussion")
    assert client_for(world.resident).post(parts_url(proposal)).status_code == 405


def test_parts_cost_a_fixed_number_of_queries(world):
    proposal = make_proposal(world, status="voting")
    reader = client_for(world.resident2)

    def count():
        reader.get(parts_url(proposal))  # warm: session, caches
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(parts_url(proposal)).status_code == 200
        return len(queries)

    Comment.objects.create(proposal=proposal, author=world.resident3, body="第一条意见")
    few = count()
    for i in range(6):
        Comment.objects.create(proposal=proposal, author=world.resident3, body=f"意见 {i}")
    assert count() == few
