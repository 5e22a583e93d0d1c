"""The same offline draft sent by several tabs at once on PostgreSQL: one proposal, one need.

Every sender misses the look-up (they all start before any row exists); the unique constraint
on (person, client_key) lets one insert through and the others get the winner's record
(core/drafts.py FiledOnce)."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from deliberation import services as deliberation_services
from deliberation.models import Proposal
from teams import services as teams_services
from teams.models import Need
from tests.factories import CouncilFactory, community_tree

from ..deliberation.conftest import make_user, member

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 6


def _race(send):
    barrier = threading.Barrier(SENDERS)

    def one(_):
        try:
            barrier.wait(timeout=10)
            return send().pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        return list(pool.map(one, range(SENDERS)))


def test_concurrent_sends_of_one_draft_file_it_once(monkeypatch):
    assert connection.vendor == "postgresql"

    _district, _street, yuling = community_tree()
    CouncilFactory(community=yuling, name="玉岭社区居民议事会")
    resident = member(make_user("resident@example.com"), yuling)

    # Nobody sees another's row before inserting: the database alone decides.
    monkeypatch.setattr(deliberation_services.proposals, "already_filed", lambda *a, **k: None)
    monkeypatch.setattr(teams_services.needs, "already_filed", lambda *a, **k: None)

    key = uuid.uuid4()
    ids = _race(
        lambda: deliberation_services.create_proposal(
            actor=resident,
            community=yuling,
            title="楼道灯坏了",
            body="三栋二单元。",
            client_key=key,
        )
    )
    assert len(set(ids)) == 1
    assert Proposal.objects.filter(client_key=key).count() == 1

    key = uuid.uuid4()
    ids = _race(
        lambda: teams_services.file_need(
            actor=resident,
            community=yuling,
            category="repairs",
            description="水管漏水。",
            client_key=key,
        )
    )
    assert len(set(ids)) == 1
    assert Need.objects.filter(client_key=key).count() == 1
