"""One volunteer's hours of one day, logged at the same moment from many places: the day never
holds more than 24.

Twelve requests of 3 hours each for the same person and date, from the volunteer, the team's
leader and staff, on two tasks, released together: eight succeed (24 hours), four are refused
with 400. Without the lock on the volunteer's user row, each request sums the day before the
others commit and all twelve pass (36 hours).

Runs against PostgreSQL only (the conftest skips tests/services without DATABASE_URL and
REDIS_URL): SQLite serialises writers, so it cannot show the race.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from communities.models import Community, Membership
from teams import services
from teams.models import ServiceRecord, Skill, Task, Team, TeamMembership

N = 12


@pytest.fixture
def day(transactional_db):
    yuling = Community.objects.create(name="玉岭社区", kind="community")
    skill, _ = Skill.objects.get_or_create(slug="sanitation", defaults={"name": "环境卫生"})
    staff = User.objects.create_user(email="staff@example.com", password="pw-123456")
    Membership.objects.create(user=staff, community=yuling, role="staff", status="verified")
    volunteer = User.objects.create_user(email="volunteer@example.com", password="pw-123456")
    leader = User.objects.create_user(email="leader@example.com", password="pw-123456")
    team = Team.objects.create(name="环境志愿服务队")
    team.skills.add(skill)
    team.communities.add(yuling)
    TeamMembership.objects.create(team=team, user=leader, role="leader", status="active")
    TeamMembership.objects.create(team=team, user=volunteer, role="member", status="active")
    tasks = []
    for title in ("清理楼道杂物", "修剪绿化带"):
        task = services.create_task(
            actor=staff, community=yuling, title=title, required_skills=["sanitation"]
        )
        tasks.append(services.claim_task(actor=leader, task=task, team=team))
    Task.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    return volunteer, [volunteer, leader, staff], tasks


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
def test_a_day_never_holds_more_than_24_hours(day):
    volunteer, actors, tasks = day
    date = timezone.localdate() - datetime.timedelta(days=1)

    def log(i):
        return services.log_hours(
            actor=actors[i % len(actors)],
            task=Task.objects.get(pk=tasks[i % 2].pk),
            hours=3,
            date=date,
            volunteer=volunteer,
        )

    results = _race(log)
    logged = [r for r in results if isinstance(r, ServiceRecord)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(logged), len(refused)) == (8, 4), results
    assert all("hours" in r.message_dict for r in refused)
    total = ServiceRecord.objects.filter(volunteer=volunteer, date=date).aggregate(t=Sum("hours"))
    assert total["t"] == Decimal("24")
