"""Closing a vote before its announced end asks staff to confirm, on the page and in the
admin, and says how many eligible voters have not voted yet; a vote whose time is over is
decided without the box. The API keeps deciding as before."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from communities.services import sync_staff_access
from deliberation import permissions as perms
from deliberation.models import Vote
from deliberation.selectors import not_voted_count

from .conftest import client_for, make_proposal


def translated(message: str) -> str:
    """`message` as the page shows it (the site's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message)


def not_voted_text(proposal) -> str:
    count = not_voted_count(proposal)
    with translation.override(settings.LANGUAGE_CODE):
        return ngettext(
            "%(count)d eligible voter has not voted yet.",
            "%(count)d eligible voters have not voted yet.",
            count,
        ) % {"count": count}


pytestmark = pytest.mark.django_db


def decide_url(proposal):
    return reverse("deliberation:proposal_decide", args=[proposal.pk])


def voting_with_one_vote(world):
    proposal = make_proposal(world, status="voting")
    Vote.objects.create(proposal=proposal, voter=world.resident, choice="support")
    return proposal


def test_not_voted_count_is_eligible_voters_minus_those_who_voted(world):
    proposal = voting_with_one_vote(world)
    eligible = perms.eligible_voter_count(world.council)
    assert eligible > 1
    assert not_voted_count(proposal) == eligible - 1


def test_page_shows_the_box_and_the_count_while_the_vote_runs(world):
    proposal = voting_with_one_vote(world)
    html = client_for(world.staff).get(proposal.get_absolute_url()).content.decode()
    assert 'name="decision-confirm_early"' in html
    assert not_voted_text(proposal) in html


def test_page_refuses_an_early_close_without_the_box(world):
    proposal = voting_with_one_vote(world)
    response = client_for(world.staff).post(decide_url(proposal), {"decision-outcome": "提前结束"})
    assert response.status_code == 400
    html = response.content.decode()
    assert translated("Tick the box to close the vote early.") in html
    assert "提前结束" in html  # what was typed is kept
    proposal.refresh_from_db()
    assert proposal.status == "voting"

    response = client_for(world.staff).post(
        decide_url(proposal), {"decision-outcome": "提前结束", "decision-confirm_early": "on"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status in ("accepted", "rejected")


def test_no_box_once_the_vote_time_is_over(world):
    proposal = voting_with_one_vote(world)
    proposal.voting_closes_at = timezone.now() - timedelta(minutes=1)
    proposal.save(update_fields=["voting_closes_at"])
    staff = client_for(world.staff)
    assert (
        'name="decision-confirm_early"'
        not in staff.get(proposal.get_absolute_url()).content.decode()
    )
    assert staff.post(decide_url(proposal), {}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status in ("accepted", "rejected")


def test_a_resident_is_still_refused_by_the_service(world):
    proposal = voting_with_one_vote(world)
    client_for(world.resident).post(decide_url(proposal), {"decision-confirm_early": "on"})
    proposal.refresh_from_db()
    assert proposal.status == "voting"


def test_admin_asks_for_the_box_and_shows_the_count(world):
    sync_staff_access(world.staff)
    proposal = voting_with_one_vote(world)
    staff = client_for(world.staff)
    url = reverse("council_proposal:edit", args=[proposal.pk])
    html = staff.get(url).content.decode()
    assert 'name="confirm_early"' in html
    assert not_voted_text(proposal) in html

    response = staff.post(url, {"action": "decide", "outcome": ""})
    assert response.status_code == 200
    assert translated("Tick the box to close the vote early.") in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "voting"

    assert staff.post(url, {"action": "decide", "confirm_early": "on"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status in ("accepted", "rejected")


def test_admin_box_is_not_needed_for_other_actions(world):
    sync_staff_access(world.staff)
    proposal = voting_with_one_vote(world)
    url = reverse("council_proposal:edit", args=[proposal.pk])
    response = client_for(world.staff).post(
        url, {"action": "assisted_vote", "voter": world.resident2.pk, "choice": "oppose"}
    )
    assert response.status_code == 302
    assert proposal.votes.filter(voter=world.resident2).exists()
