"""A small world for the teams tests: one community with two teams, staff, residents."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from tests import factories
from tests.factories import (
    add_staff,
    make_task,  # noqa: F401 (imported from here)
    make_user,
    member,
)
from tests.factories import english_skills as skills  # noqa: F401 (imported from here)


def make_team(name, **fields):
    """A team whose skills are named in plain English, as skills() names them here."""
    return factories.make_team(name, english=True, **fields)


@pytest.fixture
def world(district, street, yuling, baiyun):
    other = baiyun
    w = SimpleNamespace(district=district, street=street, yuling=yuling, other=other)
    w.anonymous = AnonymousUser()
    w.resident = member(make_user("resident@example.com", display_name="居民甲"), yuling)
    w.pending = member(make_user("pending@example.com"), yuling, status="pending")
    w.outsider = member(make_user("outsider@example.com"), other)
    w.volunteer = member(make_user("volunteer@example.com", display_name="志愿者"), yuling)
    w.leader = member(make_user("leader@example.com", display_name="队长甲"), yuling)
    w.other_leader = member(make_user("leader2@example.com", display_name="队长乙"), yuling)
    add_staff(w, display_name="社工")

    w.team = make_team(
        "环境志愿服务队",
        community=yuling,
        skill_slugs=("sanitation", "greening"),
        leader=w.leader,
        members=[w.volunteer],
    )
    w.other_team = make_team(
        "邻里互助队",
        community=yuling,
        skill_slugs=("sanitation", "elderly-care"),
        leader=w.other_leader,
    )
    return w


ROLES = [
    "anonymous",
    "resident",
    "pending",
    "outsider",
    "volunteer",
    "leader",
    "other_leader",
    "staff",
    "superuser",
]


def client_for(user):
    client = Client()
    if user is not None and getattr(user, "is_authenticated", False):
        client.force_login(user)
    return client
