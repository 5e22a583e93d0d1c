"""Votes under concurrency on PostgreSQL: many threads, the same people voting again and again.

One row per voter, the tally equals the rows, and a decision taken while votes pour in counts
exactly the rows that exist afterwards (no vote lands after the count).
"""

import contextlib
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from core.errors import Conflict
from deliberation import selectors, services
from deliberation.models import Proposal, Vote
from tests.factories import CouncilFactory, community_tree

from ..deliberation.conftest import make_proposal, make_user, member

pytestmark = pytest.mark.django_db(transaction=True)

VOTERS = 40
ROUNDS = 4
THREADS = 16


@pytest.fixture
def voting_world(settings):
    settings.DELIBERATION_RATE_LIMITS = {"vote": None}
    from types import SimpleNamespace

    _district, _street, yuling = community_tree()
    w = SimpleNamespace(yuling=yuling)
    w.council = CouncilFactory(community=yuling, quorum_votes=1)
    w.resident = member(make_user("author@example.com"), yuling)
    w.staff = member(make_user("staff@example.com"), yuling, role="staff")
    w.voters = [member(make_user(f"v{i}@example.com"), yuling) for i in range(VOTERS)]
    return w


def _run(jobs):
    start = threading.Barrier(min(THREADS, len(jobs)))

    def wrapped(job):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=10)
            return job()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return [f.result() for f in [pool.submit(wrapped, job) for job in jobs]]


def test_repeated_concurrent_votes_leave_one_row_per_voter(voting_world):
    assert connection.vendor == "postgresql"
    w = voting_world
    proposal = make_proposal(w, status="voting", author=w.resident)
    rng = random.Random(7)
    plan = [(voter, rng.choice(["support", "oppose", "abstain"])) for voter in w.voters] * ROUNDS
    rng.shuffle(plan)
    chosen: dict[int, set] = {}
    for voter, choice in plan:
        chosen.setdefault(voter.pk, set()).add(choice)

    def job(voter, choice):
        def run():
            fresh = Proposal.objects.select_related("council").get(pk=proposal.pk)
            services.cast_vote(actor=voter, proposal=fresh, choice=choice)
            return voter.pk

        return run

    _run([job(voter, choice) for voter, choice in plan])

    rows = list(Vote.objects.filter(proposal=proposal).values_list("voter_id", "choice"))
    assert len(rows) == VOTERS
    assert len({voter_id for voter_id, _ in rows}) == VOTERS
    for voter_id, choice in rows:
        assert choice in chosen[voter_id]
    tally = selectors.count_votes(proposal)
    assert tally.total == len(rows)
    assert tally.support == sum(1 for _, c in rows if c == "support")
    assert tally.oppose == sum(1 for _, c in rows if c == "oppose")

    services.decide_proposal(actor=w.staff, proposal=Proposal.objects.get(pk=proposal.pk))
    proposal.refresh_from_db()
    assert proposal.final_support + proposal.final_oppose + proposal.final_abstain == VOTERS


@pytest.mark.parametrize("attempt", range(3))
def test_a_decision_amid_votes_counts_exactly_the_rows(voting_world, attempt):
    w = voting_world
    proposal = make_proposal(w, status="voting", author=w.resident)
    outcomes = {"ok": 0, "closed": 0}
    lock = threading.Lock()

    def vote(voter):
        def run():
            fresh = Proposal.objects.select_related("council").get(pk=proposal.pk)
            try:
                services.cast_vote(actor=voter, proposal=fresh, choice="support")
                key = "ok"
            except Conflict:
                key = "closed"
            with lock:
                outcomes[key] += 1

        return run

    def decide():
        fresh = Proposal.objects.select_related("council__community").get(pk=proposal.pk)
        services.decide_proposal(actor=w.staff, proposal=fresh)

    # the decision lands somewhere in the middle of the stream of votes
    split = VOTERS // 3 + attempt * VOTERS // 6
    jobs = [vote(v) for v in w.voters[:split]]
    jobs.append(decide)
    jobs += [vote(v) for v in w.voters[split:]]
    _run(jobs)

    proposal.refresh_from_db()
    rows = Vote.objects.filter(proposal=proposal).count()
    assert proposal.status in ("accepted", "rejected")
    assert proposal.final_support == rows  # every row was counted, none came later
    assert outcomes["ok"] == rows
    assert outcomes["ok"] + outcomes["closed"] == VOTERS
