"""A small world for the activities tests: the teams world plus an activity organised by
the environment team, starting in two days, with three places."""

import datetime

import pytest
from django.utils import timezone

from activities import services
from activities.models import Activity
from tests.factories import make_user, member
from tests.teams.conftest import ROLES, world


def make_activity(
    w,
    *,
    actor=None,
    kind="service",
    quota=3,
    starts_in=datetime.timedelta(days=2),
    hours=3,
    audience="residents",
    team="team",
    **fields,
):
    starts_at = timezone.now() + starts_in
    fields.setdefault("title", "公益集市")
    fields.setdefault("place", "玉岭社区广场")
    return services.create_activity(
        actor=actor or w.staff,
        community=w.yuling,
        team=getattr(w, team) if team else None,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=hours),
        quota=quota,
        audience=audience,
        **fields,
    )


def started(activity, *, ago=datetime.timedelta(minutes=30)):
    """Move the activity so that it started `ago` (and keeps its length)."""
    length = activity.ends_at - activity.starts_at
    activity.starts_at = timezone.now() - ago
    activity.ends_at = activity.starts_at + length
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=activity.starts_at, ends_at=activity.ends_at
    )
    return activity


def residents(w, n, prefix="r"):
    return [
        member(make_user(f"{prefix}{i}@example.com", display_name=f"居民{prefix}{i}"), w.yuling)
        for i in range(n)
    ]


@pytest.fixture
def activity(world):
    return make_activity(world)


__all__ = ["ROLES", "make_activity", "residents", "started", "world"]
