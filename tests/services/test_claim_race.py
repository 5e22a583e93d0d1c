"""Twenty team leaders claim one task at the same moment: one wins, nineteen get 409.

Runs against PostgreSQL only (the conftest skips tests/services without DATABASE_URL and
REDIS_URL): SQLite serialises writers, so it cannot show the race.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils.translation import gettext

from core.errors import Conflict
from live.models import Event
from teams import services
from teams.models import Task
from tests.factories import SkillFactory, TeamFactory, community_tree, make_user, member

N = 20


@pytest.fixture
def contenders(transactional_db):
    _district, _street, yuling = community_tree()
    skill = SkillFactory(slug="sanitation", name="环境卫生")
    staff = member(make_user("staff@example.com"), yuling, role="staff")
    pairs = []
    for i in range(N):
        leader = make_user(f"leader{i}@example.com")
        team = TeamFactory(
            name=f"志愿队{i:02d}", skills=[skill], communities=[yuling], leader=leader
        )
        pairs.append((leader, team))
    task = services.create_task(
        actor=staff, community=yuling, title="清理楼道杂物", required_skills=["sanitation"]
    )
    return task, pairs


def _race(work):
    """Run work(i) in N threads released together; return the results in index order."""
    barrier = threading.Barrier(N, timeout=60)
    results = [None] * N

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # recorded and asserted on below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_service_claim_race(contenders):
    task, pairs = contenders

    def claim(i):
        leader, team = pairs[i]
        return services.claim_task(actor=leader, task=Task.objects.get(pk=task.pk), team=team)

    results = _race(claim)
    winners = [r for r in results if isinstance(r, Task)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(conflicts) == N - 1, results
    holder = winners[0].team
    task.refresh_from_db()
    assert (task.status, task.team) == ("claimed", holder)
    for conflict in conflicts:
        assert conflict.extra["holder"] == {"id": holder.pk, "name": holder.name}
        assert str(conflict.detail) == gettext("Already taken by %(team)s") % {"team": holder.name}
    assert Event.objects.filter(topic=f"task:{task.pk}", type="task.claimed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_api_claim_race(contenders):
    task, pairs = contenders
    clients = []
    for leader, _team in pairs:
        client = Client()
        client.force_login(leader)
        clients.append(client)

    def claim(i):
        response = clients[i].post(
            f"/api/v1/tasks/{task.pk}/claim",
            {"team": pairs[i][1].pk},
            content_type="application/json",
        )
        return response.status_code, response.json()

    results = _race(claim)
    assert all(isinstance(r, tuple) for r in results), results
    codes = sorted(code for code, _body in results)
    assert codes == [200] + [409] * (N - 1), results
    winner = next(body for code, body in results if code == 200)
    holder = winner["team"]
    for code, body in results:
        if code == 409:
            assert body["holder"] == holder
            assert body["code"] == "already_taken"
    task.refresh_from_db()
    assert task.team_id == holder["id"]
