"""Page cost: the home, council, proposal and team-board pages stay at or under 15 queries, and
their query count does not grow with the number of proposals, comments, votes and tasks.

bench/pages.py measures the same pages with 10,000 proposals and 1,000 tasks; this keeps the
property in the suite.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from communities.models import Membership
from deliberation.models import Comment, Follow, Proposal, Vote
from teams.models import Skill, Task
from tests.factories import CouncilFactory, ProposalFactory, TeamFactory, make_user, member

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15
# Signed in, the header also counts the unread notifications (live.context_processors).
HEADER_QUERIES = 1
# A signed-in person's home also reads what waits for them, one query a list
# (brands.selectors.personal_home: votes, proposals, requests for help, tasks, activities,
# follows).
PERSONAL_HOME_QUERIES = 8
PROPOSAL_STATUSES = ["discussion", "voting", "accepted", "rejected", "submitted", "withdrawn"]
TASK_STATUSES = ["open", "claimed", "in_progress", "done", "verified", "cancelled"]


def count_queries(client, url) -> int:
    assert client.get(url).status_code == 200  # warm the per-process caches
    cache.clear()  # cached figures and site root paths: count them too (the worst case)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(yuling):
    from types import SimpleNamespace

    w = SimpleNamespace(community=yuling, n=0)
    w.council = CouncilFactory(community=yuling, name="玉岭社区居民议事会")
    w.resident = make_user("resident@example.com")
    w.leader = make_user("leader@example.com")
    w.staff = make_user("staff@example.com")
    for user, role in [(w.resident, "resident"), (w.leader, "resident"), (w.staff, "staff")]:
        member(user, yuling, role)
    w.skills = [
        Skill.objects.update_or_create(slug=slug, defaults={"name": slug})[0]
        for slug in ("sanitation", "greening")
    ]
    w.team = TeamFactory(
        name="环境志愿服务队", skills=w.skills, communities=[yuling], leader=w.leader
    )
    now = timezone.now()
    w.proposal = ProposalFactory(
        council=w.council,
        author=w.resident,
        title="东门垃圾分类点无人清运",
        body="三天没人收了。",
        category="sanitation",
        status="voting",
        submitted_at=now,
        published_at=now,
        voting_opens_at=now - timedelta(hours=1),
        voting_closes_at=now + timedelta(days=7),
    )
    return w


def grow(w, n: int) -> None:
    """n more proposals (every status, with comments and follows), n more comments and votes
    on the measured proposal, n more tasks (every status, some sensitive) around the team."""
    now = timezone.now()
    start = w.n
    w.n += n
    voters = User.objects.bulk_create(
        [User(email=f"voter{i}@example.com") for i in range(start, start + n)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, community=w.community, status="verified") for u in voters]
    )
    for i in range(start, start + n):
        status = PROPOSAL_STATUSES[i % len(PROPOSAL_STATUSES)]
        voting = status in ("voting", "accepted", "rejected")
        p = Proposal.objects.create(
            council=w.council,
            author=voters[i - start],
            title=f"议题{i}",
            body="内容。",
            status=status,
            submitted_at=now,
            published_at=None if status == "submitted" else now,
            hidden=i % 11 == 5,
            voting_opens_at=now - timedelta(hours=1) if voting else None,
            voting_closes_at=now + timedelta(days=1) if voting else None,
            final_support=1 if status in ("accepted", "rejected") else None,
        )
        Follow.objects.create(user=voters[i - start], proposal=p)
        Comment.objects.create(proposal=p, author=voters[i - start], body="同意。")
        top = Comment.objects.create(proposal=w.proposal, author=voters[i - start], body="同意")
        Comment.objects.create(
            proposal=w.proposal, author=w.resident, parent=top, body="谢谢", hidden=i % 7 == 3
        )
        Vote.objects.create(proposal=w.proposal, voter=voters[i - start], choice="support")
        status = TASK_STATUSES[i % len(TASK_STATUSES)]
        held = status in Task.HELD
        task = Task.objects.create(
            community=w.community,
            title=f"任务{i}",
            status=status,
            sensitive=i % 3 == 0,
            team=w.team if held else None,
            dispatched_team=w.team if status == "open" and i % 4 == 0 else None,
            priority=["normal", "urgent", "emergency"][i % 3],
        )
        task.required_skills.set(w.skills[: i % 3])


def pages(w):
    return [
        ("/", None),
        ("/", w.resident),
        (f"/council/{w.community.pk}/", None),
        (f"/council/{w.community.pk}/", w.resident),
        (f"/council/{w.community.pk}/", w.staff),
        (f"/council/proposals/{w.proposal.pk}/", None),
        (f"/council/proposals/{w.proposal.pk}/", w.resident),
        (f"/teams/{w.team.pk}/board/", w.leader),
    ]


def measure(w) -> dict:
    return {
        (url, getattr(user, "email", "anonymous")): count_queries(
            signed_in(user) if user else Client(), url
        )
        for url, user in pages(w)
    }


def limit(page) -> int:
    url, who = page
    if who == "anonymous":
        return MAX_QUERIES
    return MAX_QUERIES + HEADER_QUERIES + (PERSONAL_HOME_QUERIES if url == "/" else 0)


def test_pages_stay_within_15_queries_and_do_not_grow(world):
    grow(world, 5)
    small = measure(world)
    grow(world, 45)
    big = measure(world)
    over = {page: n for page, n in big.items() if n > limit(page)}
    assert not over, f"more than {MAX_QUERIES} queries (and the signed-in extras): {over}"
    grown = {page: (small[page], n) for page, n in big.items() if n > small[page]}
    assert not grown, f"query count grows with rows (5 -> 50): {grown}"
