"""The teams world plus approved hours for the volunteer, served on a task of 玉岭社区."""

import datetime

import pytest
from django.utils import timezone

from certificates import idnumbers, services
from teams import services as team_services
from tests.teams.conftest import ROLES, make_task, world


def resident_id(prefix="42108719650312002"):
    """A resident identity number with the right check digit (born 1965-03-12)."""
    return prefix + idnumbers.check_digit(prefix)


def approved_hours(w, *, hours=(3, 2), days_ago=(10, 5)):
    """Approved records for w.volunteer on a claimed task of w.yuling; returns them."""
    task = make_task(w.yuling, team=w.team, status="in_progress", title="清理3栋楼道")
    type(task).objects.filter(pk=task.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=max(days_ago) + 1)
    )
    task.refresh_from_db()
    records = []
    for h, ago in zip(hours, days_ago, strict=True):
        record = team_services.log_hours(
            actor=w.volunteer,
            task=task,
            hours=h,
            date=timezone.localdate() - datetime.timedelta(days=ago),
        )
        records.append(team_services.approve_hours(actor=w.leader, record=record))
    return records


def profile_for(user, name="张秀兰"):
    return services.save_profile(
        actor=user,
        real_name=name,
        id_type="resident_id",
        id_number=resident_id(),
        volunteer_number="42010012345678",
    )


@pytest.fixture
def served(world):
    """The world with two approved records (5 hours) and a real-name profile for the volunteer."""
    world.records = approved_hours(world)
    world.profile = profile_for(world.volunteer)
    return world


__all__ = ["ROLES", "approved_hours", "profile_for", "resident_id", "world"]
