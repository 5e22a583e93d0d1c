"""A small world for the council tests: 玉岭社区 with its council, residents, staff, two teams."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from accounts.models import User
from communities.models import Community, Membership
from deliberation.models import Council, Proposal
from teams.models import Skill, Team, TeamMembership

SKILL_NAMES = dict(Skill.SLUGS)


def skills(*slugs):
    return [
        Skill.objects.get_or_create(slug=slug, defaults={"name": str(SKILL_NAMES[slug])})[0]
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


def make_proposal(world, *, status="discussion", author=None, hidden=False, **fields):
    """A proposal put straight into `status` (services are tested elsewhere)."""
    now = timezone.now()
    author = author or world.resident
    values = {
        "title": "垃圾分类点无人清运",
        "body": "东门垃圾分类点的垃圾三天没人收了。",
        "category": "sanitation",
        "location": "东门垃圾分类点",
    }
    values.update(fields)
    published = status not in ("draft", "submitted")
    proposal = Proposal.objects.create(
        council=world.council,
        author=author,
        status=status,
        hidden=hidden,
        hidden_reason="测试隐藏" if hidden else "",
        submitted_at=None if status == "draft" else now,
        published_at=now if published else None,
        voting_opens_at=now - timezone.timedelta(hours=1)
        if status in ("voting", "accepted", "rejected")
        else None,
        voting_closes_at=now + timezone.timedelta(days=7)
        if status in ("voting", "accepted", "rejected")
        else None,
        **values,
    )
    from deliberation.models import Follow

    Follow.objects.get_or_create(user=author, proposal=proposal)
    return proposal


@pytest.fixture
def world(db):
    district = Community.objects.create(name="松滋市", kind="district")
    street = Community.objects.create(name="新江口街道", kind="street", parent=district)
    yuling = Community.objects.create(name="玉岭社区", kind="community", parent=street)
    other = Community.objects.create(name="白云社区", kind="community", parent=street)

    w = SimpleNamespace(district=district, street=street, yuling=yuling, other=other)
    w.council = Council.objects.create(
        community=yuling,
        name="玉岭社区居民议事会",
        voters="residents",
        quorum_kind="votes",
        quorum_votes=3,
        pass_percent=50,
        voting_days=7,
    )
    w.other_council = Council.objects.create(community=other, name="白云社区议事会")
    w.anonymous = AnonymousUser()
    w.resident = member(make_user("resident@example.com", display_name="居民甲"), yuling)
    w.resident2 = member(make_user("resident2@example.com", display_name="居民乙"), yuling)
    w.resident3 = member(make_user("resident3@example.com", display_name="居民丙"), yuling)
    w.rep = member(make_user("rep@example.com", display_name="代表"), yuling, role="representative")
    w.pending = member(make_user("pending@example.com"), yuling, status="pending")
    w.outsider = member(make_user("outsider@example.com"), other)
    w.leader = member(make_user("leader@example.com", display_name="队长甲"), yuling)
    w.staff = member(make_user("staff@example.com", display_name="社工"), yuling, role="staff")
    w.street_staff = member(make_user("streetstaff@example.com"), street, role="staff")
    w.other_staff = member(make_user("otherstaff@example.com"), other, role="staff")
    w.superuser = User.objects.create_superuser(email="root@example.com", password="pw-123456")
    skills(*SKILL_NAMES)
    w.team = make_team(
        "玉岭社区环境志愿服务队",
        community=yuling,
        skill_slugs=("sanitation", "greening"),
        leader=w.leader,
    )
    return w


def client_for(user):
    client = Client()
    if user is not None and getattr(user, "is_authenticated", False):
        client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return client_for
