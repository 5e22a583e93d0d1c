"""Several staff decide the same proposal at once on PostgreSQL: exactly one task."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from core.errors import Conflict
from deliberation import services
from deliberation.models import Proposal
from teams.models import Task
from tests.factories import CouncilFactory, community_tree

from ..deliberation.conftest import make_proposal, make_user, member, skills

pytestmark = pytest.mark.django_db(transaction=True)

DECIDERS = 8


def test_concurrent_decisions_create_exactly_one_task():
    assert connection.vendor == "postgresql"
    from types import SimpleNamespace

    from deliberation.models import Vote

    _district, _street, yuling = community_tree()
    skills("sanitation")
    w = SimpleNamespace(yuling=yuling)
    w.council = CouncilFactory(community=yuling, quorum_votes=2)
    author = member(make_user("author@example.com"), yuling)
    staff = [
        member(make_user(f"staff{i}@example.com"), yuling, role="staff") for i in range(DECIDERS)
    ]
    proposal = make_proposal(w, status="voting", author=author)
    for i in range(3):
        voter = member(make_user(f"v{i}@example.com"), yuling)
        Vote.objects.create(proposal=proposal, voter=voter, choice="support")

    barrier = threading.Barrier(DECIDERS)

    def decide(actor):
        try:
            fresh = Proposal.objects.select_related("council__community").get(pk=proposal.pk)
            barrier.wait(timeout=10)
            try:
                services.decide_proposal(actor=actor, proposal=fresh)
                return "ok"
            except Conflict:
                return "conflict"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=DECIDERS) as pool:
        results = list(pool.map(decide, staff))

    assert results.count("ok") == 1
    assert results.count("conflict") == DECIDERS - 1
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert Task.objects.count() == 1
    assert proposal.task == Task.objects.get()
