"""A small world for the teams tests: one community with two teams, staff, residents."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from accounts.models import User
from communities.models import Community, Membership
from teams.models import Skill, Task, Team, TeamMembership


def skills(*slugs):
    """The skills, named in plain English ("Elderly care") whatever the migration called them,
    so that tests do not depend on translations or on data migrations."""
    assert set(slugs) <= {slug for slug, _label in Skill.SLUGS}, slugs
    return [
        Skill.objects.update_or_create(
            slug=slug, defaults={"name": slug.replace("-", " ").capitalize()}
        )[0]
        for slug in slugs
    ]


def make_user(email, **extra):
    return User.objects.create_user(email=email, password="pw-123456", **extra)


def member(user, community, role="resident", status="verified"):
    Membership.objects.update_or_create(
        user=user, community=community, defaults={"role": role, "status": status}
    )
    return user


def make_team(name, *, community, skill_slugs=("sanitation",), leader=None, members=()):
    team = Team.objects.create(name=name)
    team.skills.set(skills(*skill_slugs))
    team.communities.set([community])
    if leader is not None:
        TeamMembership.objects.create(team=team, user=leader, role="leader", status="active")
    for user in members:
        TeamMembership.objects.create(team=team, user=user, role="member", status="active")
    return team


def make_task(
    community, *, team=None, status="open", sensitive=False, skill_slugs=("sanitation",), **kw
):
    task = Task.objects.create(
        community=community,
        title=kw.pop("title", "清理楼道杂物"),
        description=kw.pop("description", "3栋楼道堆放的纸箱需要清走。"),
        location=kw.pop("location", "玉岭社区3栋"),
        status=status,
        team=team,
        sensitive=sensitive,
        **kw,
    )
    task.required_skills.set(skills(*skill_slugs))
    return task


@pytest.fixture
def world(db):
    district = Community.objects.create(name="松滋市", kind="district")
    street = Community.objects.create(name="新江口街道", kind="street", parent=district)
    yuling = Community.objects.create(name="玉岭社区", kind="community", parent=street)
    other = Community.objects.create(name="白云社区", kind="community", parent=street)

    w = SimpleNamespace(district=district, street=street, yuling=yuling, other=other)
    w.anonymous = AnonymousUser()
    w.resident = member(make_user("resident@example.com", display_name="居民甲"), yuling)
    w.pending = member(make_user("pending@example.com"), yuling, status="pending")
    w.outsider = member(make_user("outsider@example.com"), other)
    w.volunteer = member(make_user("volunteer@example.com", display_name="志愿者"), yuling)
    w.leader = member(make_user("leader@example.com", display_name="队长甲"), yuling)
    w.other_leader = member(make_user("leader2@example.com", display_name="队长乙"), yuling)
    w.staff = member(make_user("staff@example.com", display_name="社工"), yuling, role="staff")
    w.street_staff = member(make_user("streetstaff@example.com"), street, role="staff")
    w.other_staff = member(make_user("otherstaff@example.com"), other, role="staff")
    w.superuser = User.objects.create_superuser(email="root@example.com", password="pw-123456")

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
