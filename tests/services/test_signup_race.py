"""Twenty residents sign up at the same moment for ten places: exactly ten get a place and ten
wait, numbered 1 to 10 in the order they got the activity's row lock. Cancellations and new
sign-ups at the same moment never give more places than the quota.

Runs against PostgreSQL only (the conftest skips tests/services without DATABASE_URL and
REDIS_URL): SQLite serialises writers, so it cannot show the race.
"""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from activities import services
from activities.models import Activity, Signup
from live.models import Event
from tests.factories import community_tree, make_user, member

N = 20
QUOTA = 10


def _race(work, n=N):
    """Run work(i) in n threads released together; return the results in index order."""
    barrier = threading.Barrier(n, timeout=60)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # recorded and asserted on below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def fair(transactional_db):
    _district, _street, yuling = community_tree()
    staff = member(make_user("staff@example.com"), yuling, role="staff")
    people = [
        member(make_user(f"resident{i}@example.com", display_name=f"居民{i:02d}"), yuling)
        for i in range(2 * N)
    ]
    starts_at = timezone.now() + datetime.timedelta(days=2)
    activity = services.create_activity(
        actor=staff,
        community=yuling,
        title="公益集市",
        kind="event",
        place="玉岭社区广场",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=3),
        quota=QUOTA,
    )
    return activity, people


def _check_queue(activity):
    """Places never exceed the quota; waiting numbers are distinct and their positions run
    1..n in the order the sign-ups were made."""
    rows = list(Signup.objects.filter(activity=activity).exclude(status="cancelled"))
    confirmed = [s for s in rows if s.status == "confirmed"]
    waiting = sorted((s for s in rows if s.status == "waitlisted"), key=lambda s: s.queue_number)
    assert len(confirmed) <= activity.quota
    numbers = [s.queue_number for s in waiting]
    assert len(set(numbers)) == len(numbers)
    assert [services.position(s) for s in waiting] == list(range(1, len(waiting) + 1))
    return confirmed, waiting


@pytest.mark.django_db(transaction=True)
def test_twenty_sign_up_at_once_for_ten_places(fair):
    activity, people = fair
    contenders = people[:N]

    def sign_up(i):
        return services.sign_up(actor=contenders[i], activity=Activity.objects.get(pk=activity.pk))

    results = _race(sign_up)
    assert all(isinstance(r, tuple) for r in results), results
    assert all(created for _signup, created in results)
    statuses = sorted(signup.status for signup, _created in results)
    assert statuses == ["confirmed"] * QUOTA + ["waitlisted"] * (N - QUOTA)

    confirmed, waiting = _check_queue(activity)
    assert len(confirmed) == QUOTA
    assert [s.queue_number for s in waiting] == list(range(1, N - QUOTA + 1))
    # In order: the places went to those who got the lock first, and the queue follows the
    # order of the sign-ups.
    assert max(s.created_at for s in confirmed) <= min(s.created_at for s in waiting)
    assert [s.pk for s in waiting] == [s.pk for s in sorted(waiting, key=lambda s: s.created_at)]
    # One sign-up each; the last places event tells the truth.
    assert Signup.objects.filter(activity=activity).count() == N
    last = (
        Event.objects.filter(topic=f"activity:{activity.pk}", type="activity.places")
        .order_by("-id")
        .first()
    )
    assert (last.data["confirmed_count"], last.data["waitlist_count"]) == (QUOTA, N - QUOTA)

    # Asking again at the same moment changes nothing.
    again = _race(sign_up)
    assert [created for _signup, created in again] == [False] * N
    assert Signup.objects.filter(activity=activity).count() == N


@pytest.mark.django_db(transaction=True)
def test_cancellations_and_sign_ups_at_once_keep_places_within_the_quota(fair):
    activity, people = fair
    first = people[:15]  # 10 places, 5 waiting
    for person in first:
        services.sign_up(actor=person, activity=activity)
    leaving = first[:5] + first[12:]  # 5 with a place, 3 waiting
    arriving = people[N : N + 12]

    def work(i):
        fresh = Activity.objects.get(pk=activity.pk)
        if i < len(leaving):
            return services.cancel_signup(actor=leaving[i], activity=fresh)
        return services.sign_up(actor=arriving[i - len(leaving)], activity=fresh)

    results = _race(work, n=len(leaving) + len(arriving))
    assert not [r for r in results if isinstance(r, Exception)], results

    confirmed, waiting = _check_queue(activity)
    # 15 - 8 + 12 = 19 people still want a place: the 10 places are all taken, 9 wait.
    assert len(confirmed) == QUOTA
    assert len(waiting) == 9
    # The two who waited and stayed got places before any newcomer.
    kept = {first[10].pk, first[11].pk}
    assert kept <= {s.person_id for s in confirmed}
    promoted = set(Event.objects.filter(type="activity.promoted").values_list("topic", flat=True))
    assert {f"user:{pk}" for pk in kept} <= promoted
    # Everyone who got a place after waiting was told.
    assert {f"user:{s.person_id}" for s in confirmed if s.queue_number is not None} <= promoted
