"""Votes: upsert, window edges, assisted votes, live tally, decisions from the rows."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core.errors import Conflict, NotAllowed
from deliberation import selectors, services
from deliberation.models import Council, Proposal, Vote
from live.models import Event
from teams.models import Task

from .conftest import client_for, make_proposal, make_user, member

pytestmark = pytest.mark.django_db


def test_a_second_vote_changes_the_first(world):
    proposal = make_proposal(world, status="voting")
    services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    services.cast_vote(actor=world.resident, proposal=proposal, choice="oppose")
    services.cast_vote(actor=world.resident, proposal=proposal, choice="oppose")
    votes = list(Vote.objects.filter(proposal=proposal))
    assert len(votes) == 1
    assert votes[0].choice == "oppose"
    assert votes[0].updated_at >= votes[0].created_at
    assert selectors.count_votes(proposal).as_dict() == {
        "support": 0,
        "oppose": 1,
        "abstain": 0,
        "total": 1,
    }


def test_invalid_choice(world):
    from django.core.exceptions import ValidationError

    proposal = make_proposal(world, status="voting")
    with pytest.raises(ValidationError):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="maybe")


def test_vote_after_the_close_is_a_conflict(world):
    proposal = make_proposal(world, status="voting")
    Proposal.objects.filter(pk=proposal.pk).update(
        voting_closes_at=timezone.now() - timedelta(microseconds=1)
    )
    with pytest.raises(Conflict) as exc:
        services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    assert exc.value.code == "voting_closed"
    assert not Vote.objects.exists()


def test_vote_at_the_closing_instant_is_refused(world, monkeypatch):
    proposal = make_proposal(world, status="voting")
    closes = proposal.voting_closes_at
    monkeypatch.setattr(timezone, "now", lambda: closes)
    with pytest.raises(Conflict):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    monkeypatch.setattr(timezone, "now", lambda: closes - timedelta(microseconds=1))
    services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    assert Vote.objects.count() == 1


def test_vote_before_the_window_opens_is_refused(world):
    proposal = make_proposal(world, status="voting")
    Proposal.objects.filter(pk=proposal.pk).update(
        voting_opens_at=timezone.now() + timedelta(hours=1),
        voting_closes_at=timezone.now() + timedelta(days=1),
    )
    with pytest.raises(Conflict):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="support")


@pytest.mark.parametrize("status", ["discussion", "accepted", "rejected", "withdrawn"])
def test_vote_outside_voting_is_a_conflict(world, status):
    proposal = make_proposal(world, status=status)
    with pytest.raises(Conflict):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="support")


def test_vote_after_close_through_the_api_is_409(world):
    proposal = make_proposal(world, status="voting")
    Proposal.objects.filter(pk=proposal.pk).update(voting_closes_at=timezone.now())
    response = client_for(world.resident).put(
        f"/api/v1/proposals/{proposal.pk}/vote", {"choice": "support"}, "application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "voting_closed"


def test_representatives_only_council(world):
    Council.objects.filter(pk=world.council.pk).update(voters="representatives")
    world.council.refresh_from_db()
    proposal = make_proposal(world, status="voting")
    proposal.council = world.council
    with pytest.raises(NotAllowed):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    services.cast_vote(actor=world.rep, proposal=proposal, choice="support")
    from deliberation.permissions import eligible_voter_count

    assert eligible_voter_count(world.council) == 1


def test_assisted_vote_is_marked_and_audited(world):
    proposal = make_proposal(world, status="voting")
    vote = services.cast_vote(
        actor=world.staff, proposal=proposal, choice="support", voter=world.resident2
    )
    assert vote.assisted and vote.recorded_by == world.staff and vote.voter == world.resident2
    entry = ModelLogEntry.objects.get(action="linli.vote.assisted")
    assert entry.user == world.staff
    assert entry.data["voter"] == world.resident2.pk
    # the resident later votes on their own phone: the row changes, no longer assisted
    services.cast_vote(actor=world.resident2, proposal=proposal, choice="oppose")
    vote = Vote.objects.get(proposal=proposal, voter=world.resident2)
    assert (vote.choice, vote.assisted, vote.recorded_by) == ("oppose", False, None)


def test_assisted_vote_refused_for_non_staff_and_non_voters(world):
    proposal = make_proposal(world, status="voting")
    with pytest.raises(NotAllowed):
        services.cast_vote(
            actor=world.resident, proposal=proposal, choice="support", voter=world.resident2
        )
    with pytest.raises(NotAllowed):  # not a voter of this council
        services.cast_vote(
            actor=world.staff, proposal=proposal, choice="support", voter=world.outsider
        )
    with pytest.raises(NotAllowed):  # staff of another community
        services.cast_vote(
            actor=world.other_staff, proposal=proposal, choice="support", voter=world.resident2
        )


def test_assisted_vote_through_the_api(world):
    proposal = make_proposal(world, status="voting")
    response = client_for(world.staff).put(
        f"/api/v1/proposals/{proposal.pk}/vote",
        {"choice": "abstain", "voter": world.resident3.pk},
        "application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assisted"] is True
    assert Vote.objects.get(voter=world.resident3).assisted


def test_tally_events_carry_counts_only(world, django_capture_on_commit_callbacks):
    proposal = make_proposal(world, status="voting")
    with django_capture_on_commit_callbacks(execute=True):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    with django_capture_on_commit_callbacks(execute=True):
        services.cast_vote(actor=world.resident2, proposal=proposal, choice="oppose")
    events = list(Event.objects.filter(topic=f"proposal:{proposal.pk}", type="proposal.tally"))
    assert [e.data for e in events] == [
        {"support": 1, "oppose": 0, "abstain": 0, "total": 1},
        {"support": 1, "oppose": 1, "abstain": 0, "total": 2},
    ]
    assert all(e.actor is None for e in events)  # who voted is not published


def test_no_tally_events_while_the_council_hides_the_tally(
    world, django_capture_on_commit_callbacks
):
    Council.objects.filter(pk=world.council.pk).update(hide_tally=True)
    world.council.refresh_from_db()
    proposal = make_proposal(world, status="voting")
    with django_capture_on_commit_callbacks(execute=True):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    assert not Event.objects.filter(type="proposal.tally").exists()

    # the API hides the running tally from residents, not from staff
    url = f"/api/v1/proposals/{proposal.pk}"
    assert client_for(world.resident2).get(url).json()["tally"] is None
    assert client_for(None).get(url).json()["tally"] is None
    assert client_for(world.staff).get(url).json()["tally"]["support"] == 1
    listed = client_for(None).get(f"/api/v1/communities/{world.yuling.pk}/proposals").json()
    assert listed["items"][0]["tally"] is None
    vote = client_for(world.resident).put(f"{url}/vote", {"choice": "oppose"}, "application/json")
    assert vote.json()["tally"] is None

    # once decided the count is shown to everyone
    services.decide_proposal(actor=world.staff, proposal=proposal)
    assert client_for(None).get(url).json()["tally"] == {
        "support": 0,
        "oppose": 1,
        "abstain": 0,
        "total": 1,
    }


def _vote_all(proposal, pairs):
    for user, choice in pairs:
        services.cast_vote(actor=user, proposal=proposal, choice=choice)


def test_decision_accepts_with_quorum_and_majority(world):
    proposal = make_proposal(world, status="voting")
    _vote_all(
        proposal,
        [(world.resident, "support"), (world.resident2, "support"), (world.resident3, "oppose")],
    )
    services.decide_proposal(actor=world.staff, proposal=proposal, outcome="由环境队跟进")
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert (proposal.final_support, proposal.final_oppose, proposal.final_abstain) == (2, 1, 0)
    # resident, resident2, resident3, rep, leader are residents; staff and pending are not
    assert proposal.final_eligible == 5
    assert proposal.decided_by == world.staff
    assert proposal.voting_closes_at <= timezone.now()
    assert "由环境队跟进" in proposal.outcome
    assert proposal.task is not None
    assert proposal.task.origin == "proposal"


def test_a_tie_is_rejected_and_creates_no_task(world):
    proposal = make_proposal(world, status="voting")
    _vote_all(
        proposal,
        [
            (world.resident, "support"),
            (world.resident2, "oppose"),
            (world.resident3, "abstain"),
        ],
    )
    services.decide_proposal(actor=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == "rejected"
    assert proposal.task is None
    assert Task.objects.count() == 0
    assert proposal.outcome  # the summary says why


def test_without_quorum_rejected_even_if_all_support(world):
    proposal = make_proposal(world, status="voting")
    _vote_all(proposal, [(world.resident, "support"), (world.resident2, "support")])
    services.decide_proposal(actor=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == "rejected"


def test_zero_votes_rejected(world):
    proposal = make_proposal(world, status="voting")
    services.decide_proposal(actor=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == "rejected"
    assert (proposal.final_support, proposal.final_oppose, proposal.final_abstain) == (0, 0, 0)


def test_decision_counts_rows_not_earlier_counts(world):
    """Rows written behind the service's back (e.g. by an import) count as well."""
    proposal = make_proposal(world, status="voting")
    extra = [member(make_user(f"r{i}@example.com"), world.yuling) for i in range(3)]
    Vote.objects.bulk_create(
        [Vote(proposal=proposal, voter=user, choice="support") for user in extra]
    )
    services.decide_proposal(actor=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert proposal.final_support == 3


@pytest.mark.parametrize(
    ("category", "skill"),
    [
        ("sanitation", ["sanitation"]),
        ("greenery", ["greening"]),
        ("elderly-care", ["elderly-care"]),
        ("children", ["child-care"]),
        ("safety", ["fire-safety"]),
        ("traffic", ["traffic"]),
        ("facilities", ["repairs"]),
        ("other", []),
    ],
)
def test_accepted_category_maps_to_task_skills(world, category, skill):
    proposal = make_proposal(world, status="voting", category=category)
    _vote_all(
        proposal,
        [(world.resident, "support"), (world.resident2, "support"), (world.rep, "support")],
    )
    services.decide_proposal(actor=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert sorted(proposal.task.required_skills.values_list("slug", flat=True)) == skill


def test_failed_task_creation_rolls_the_decision_back(world, monkeypatch):
    from teams import services as team_services

    proposal = make_proposal(world, status="voting")
    _vote_all(
        proposal,
        [(world.resident, "support"), (world.resident2, "support"), (world.rep, "support")],
    )

    def broken(**kwargs):
        raise RuntimeError("teams is down")

    monkeypatch.setattr(team_services, "create_task", broken)
    with pytest.raises(RuntimeError):
        services.decide_proposal(actor=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == "voting"
    assert proposal.decided_at is None
    assert not Event.objects.filter(type="proposal.decided").exists()


def test_decided_event_and_community_event(world):
    proposal = make_proposal(world, status="voting")
    _vote_all(
        proposal,
        [(world.resident, "support"), (world.resident2, "support"), (world.rep, "support")],
    )
    services.decide_proposal(actor=world.staff, proposal=proposal)
    event = Event.objects.get(topic=f"proposal:{proposal.pk}", type="proposal.decided")
    assert event.data["status"] == "accepted"
    assert event.data["task"]["id"] == proposal.task_id
    assert event.data["tally"]["total"] == 3
    assert Event.objects.filter(
        topic=f"community:{world.yuling.pk}", type="proposal.decided"
    ).exists()


def test_own_votes_are_audited_in_the_same_transaction(world):
    proposal = make_proposal(world, status="voting")
    services.cast_vote(actor=world.resident, proposal=proposal, choice="support")
    services.cast_vote(actor=world.resident, proposal=proposal, choice="oppose")
    vote = Vote.objects.get(proposal=proposal, voter=world.resident)
    entries = list(ModelLogEntry.objects.filter(action="linli.vote.cast").order_by("pk"))
    assert [e.data["choice"] for e in entries] == ["support", "oppose"]
    assert {(e.user_id, e.object_id) for e in entries} == {(world.resident.pk, str(vote.pk))}
    assert entries[0].data["proposal"] == proposal.pk
    # a refused vote leaves no entry
    Proposal.objects.filter(pk=proposal.pk).update(status="discussion")
    with pytest.raises(Conflict):
        services.cast_vote(actor=world.resident, proposal=proposal, choice="abstain")
    assert ModelLogEntry.objects.filter(action="linli.vote.cast").count() == 2


# --- an assisted vote never overwrites the resident's own (issue #22) ---------------------------


def test_an_assisted_vote_never_replaces_the_residents_own_vote(world):
    proposal = make_proposal(world, status="voting")
    services.cast_vote(actor=world.resident2, proposal=proposal, choice="oppose")
    with pytest.raises(Conflict) as info:
        services.cast_vote(
            actor=world.staff, proposal=proposal, choice="support", voter=world.resident2
        )
    assert info.value.code == "own_vote"
    vote = Vote.objects.get(proposal=proposal, voter=world.resident2)
    assert (vote.choice, vote.assisted, vote.recorded_by) == ("oppose", False, None)
    assert not ModelLogEntry.objects.filter(action="linli.vote.assisted").exists()
    assert not Event.objects.filter(type="proposal.vote_recorded").exists()
    # Through the API: 409 with the reason, the row unchanged.
    response = client_for(world.staff).put(
        f"/api/v1/proposals/{proposal.pk}/vote",
        {"choice": "support", "voter": world.resident2.pk},
        "application/json",
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "own_vote"
    assert Vote.objects.get(proposal=proposal, voter=world.resident2).choice == "oppose"


def test_an_assisted_vote_may_replace_an_assisted_one_and_the_resident_is_told(world):
    proposal = make_proposal(world, status="voting")
    services.cast_vote(
        actor=world.staff, proposal=proposal, choice="support", voter=world.resident3
    )
    services.cast_vote(
        actor=world.street_staff, proposal=proposal, choice="abstain", voter=world.resident3
    )
    vote = Vote.objects.get(proposal=proposal, voter=world.resident3)
    assert (vote.choice, vote.assisted, vote.recorded_by) == ("abstain", True, world.street_staff)
    notices = list(
        Event.objects.filter(
            topic=f"user:{world.resident3.pk}", type="proposal.vote_recorded"
        ).order_by("id")
    )
    assert [n.data["choice"] for n in notices] == ["support", "abstain"]
    assert notices[0].data["recorded_by"]["id"] == world.staff.pk
    assert proposal.title in notices[0].data["text"]
    assert notices[0].data["url"] == proposal.get_absolute_url()
    # Their own vote, cast later, replaces the assisted one (and tells nobody).
    services.cast_vote(actor=world.resident3, proposal=proposal, choice="oppose")
    assert Vote.objects.get(proposal=proposal, voter=world.resident3).assisted is False
    assert Event.objects.filter(type="proposal.vote_recorded").count() == 2
