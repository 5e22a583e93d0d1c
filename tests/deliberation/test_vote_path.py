"""The vote's request path: who may not vote writes nothing, the audit entry goes through
Wagtail's log(), and the queries of a vote stay few."""

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from wagtail.models import ModelLogEntry

from core.errors import NotAllowed
from deliberation import selectors, services
from deliberation.models import Vote
from live.models import Event

from .conftest import make_proposal, make_user

pytestmark = pytest.mark.django_db


def app_token(user) -> str:
    """An allauth headless app session token (the token is the session key)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def vote_through_the_api(user, proposal, choice="support"):
    return Client().put(
        f"/api/v1/proposals/{proposal.pk}/vote",
        json.dumps({"choice": choice}),
        content_type="application/json",
        HTTP_X_SESSION_TOKEN=app_token(user),
    )


@pytest.mark.parametrize("who", ["pending", "outsider", "staff", "inactive"])
def test_people_who_may_not_vote_write_nothing(world, who):
    proposal = make_proposal(world, status="voting")
    if who == "inactive":
        person = world.resident2
        person.is_active = False
        person.save(update_fields=["is_active"])
    else:
        person = getattr(world, who)
    with pytest.raises(NotAllowed):
        services.cast_vote(actor=person, proposal=proposal, choice="support")
    assert not Vote.objects.filter(proposal=proposal).exists()
    assert not ModelLogEntry.objects.filter(action="linli.vote.cast").exists()
    assert not Event.objects.filter(type="proposal.tally").exists()


def test_an_ineligible_vote_is_refused_before_the_closed_window(world):
    proposal = make_proposal(world, status="discussion")
    with pytest.raises(NotAllowed):
        services.cast_vote(actor=world.outsider, proposal=proposal, choice="support")


def test_a_vote_is_audited_through_wagtail_log(world):
    proposal = make_proposal(world, status="voting")
    response = vote_through_the_api(world.resident, proposal, "oppose")
    assert response.status_code == 200, response.content
    assert response.json()["tally"] == {"support": 0, "oppose": 1, "abstain": 0, "total": 1}
    vote = Vote.objects.get(proposal=proposal, voter=world.resident)
    entry = ModelLogEntry.objects.get(action="linli.vote.cast")
    assert entry.user == world.resident
    assert entry.object_id == str(vote.pk)
    assert entry.label == str(vote)
    assert entry.data == {"proposal": proposal.pk, "voter": world.resident.pk, "choice": "oppose"}


def test_an_outsider_gets_403_through_the_api(world):
    proposal = make_proposal(world, status="voting")
    response = vote_through_the_api(world.outsider, proposal)
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_the_queries_of_a_vote(world, django_assert_max_num_queries):
    """A changed vote with an app session token: the session, the user, the proposal with its
    council, the eligibility, the upsert (with the window check) and, in the transaction,
    Wagtail's log entry (log() validates its two foreign keys with a query each), the count
    and the tally event; with the transaction's savepoint and its release."""
    proposal = make_proposal(world, status="voting")
    assert vote_through_the_api(world.resident, proposal).status_code == 200
    token = app_token(world.resident)
    client = Client()
    with django_assert_max_num_queries(12 if connection.vendor == "postgresql" else 13):
        response = client.put(
            f"/api/v1/proposals/{proposal.pk}/vote",
            json.dumps({"choice": "abstain"}),
            content_type="application/json",
            HTTP_X_SESSION_TOKEN=token,
        )
    assert response.status_code == 200


def test_a_new_user_with_a_token_can_vote_once_a_verified_member(world):
    from .conftest import member

    newcomer = make_user("newcomer@example.com")
    proposal = make_proposal(world, status="voting")
    assert vote_through_the_api(newcomer, proposal).status_code == 403
    member(newcomer, world.yuling)
    assert vote_through_the_api(newcomer, proposal).status_code == 200


def test_the_proposal_for_voting_is_the_proposal(world):
    proposal = make_proposal(world, status="voting")
    loaded = selectors.proposal_for_voting(proposal.pk)
    for name in selectors.VOTING_FIELDS:
        field = type(proposal)._meta.get_field(name)
        assert getattr(loaded, field.attname) == getattr(proposal, field.attname), name
    assert loaded.council.pk == world.council.pk
    assert loaded.council.hide_tally == world.council.hide_tally
    assert loaded.council.rules == world.council.rules
    assert loaded.body == proposal.body  # a deferred field loads on demand
    assert selectors.proposal_for_voting(proposal.pk + 1000) is None
