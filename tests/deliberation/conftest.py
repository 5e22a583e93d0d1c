"""A small world for the council tests: 玉岭社区 with its council, residents, staff, two teams."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from deliberation.models import Follow
from tests.factories import (
    SKILL_NAMES,
    CouncilFactory,
    ProposalFactory,
    add_staff,
    make_team,
    make_user,
    member,
    skills,
)


def make_proposal(world, *, status="discussion", author=None, hidden=False, **fields):
    """A proposal put straight into `status` (services are tested elsewhere)."""
    now = timezone.now()
    author = author or world.resident
    fields.setdefault("category", "sanitation")
    fields.setdefault("location", "东门垃圾分类点")
    published = status not in ("draft", "submitted")
    proposal = ProposalFactory(
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
        **fields,
    )
    Follow.objects.get_or_create(user=author, proposal=proposal)
    return proposal


@pytest.fixture
def world(district, street, yuling, baiyun):
    other = baiyun
    w = SimpleNamespace(district=district, street=street, yuling=yuling, other=other)
    w.council = CouncilFactory(
        community=yuling,
        name="玉岭社区居民议事会",
        voters="residents",
        quorum_kind="votes",
        quorum_votes=3,
        pass_percent=50,
        voting_days=7,
    )
    w.other_council = CouncilFactory(community=other, name="白云社区议事会")
    w.anonymous = AnonymousUser()
    w.resident = member(make_user("resident@example.com", display_name="居民甲"), yuling)
    w.resident2 = member(make_user("resident2@example.com", display_name="居民乙"), yuling)
    w.resident3 = member(make_user("resident3@example.com", display_name="居民丙"), yuling)
    w.rep = member(make_user("rep@example.com", display_name="代表"), yuling, role="representative")
    w.pending = member(make_user("pending@example.com"), yuling, status="pending")
    w.outsider = member(make_user("outsider@example.com"), other)
    w.leader = member(make_user("leader@example.com", display_name="队长甲"), yuling)
    add_staff(w, display_name="社工")
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
