"""A signed-in person's home: what waits for them (votes open to them, their proposals and
requests for help, their teams' tasks, what they follow), then the public page; visitors keep
the visitors' page; never cached for someone else; a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities import services as activities
from deliberation.models import Follow, Vote
from teams import services
from teams.models import Need, TaskFollow
from tests.factories import (
    CouncilFactory,
    ProposalFactory,
    TeamFactory,
    make_task,
    make_user,
    member,
)

pytestmark = pytest.mark.django_db

SECTIONS = [
    "home-votes",
    "home-proposals",
    "home-needs",
    "home-team-tasks",
    "home-activities",
    "home-followed",
]


def voting(council, title, **kw):
    now = timezone.now()
    kw.setdefault("author", make_user(f"author-{title}@example.com"))
    return ProposalFactory(
        council=council,
        title=title,
        status="voting",
        submitted_at=now,
        published_at=now,
        voting_opens_at=now - timedelta(hours=1),
        voting_closes_at=now + timedelta(days=3),
        **kw,
    )


@pytest.fixture
def w(yuling, baiyun):
    from types import SimpleNamespace

    w = SimpleNamespace(yuling=yuling, baiyun=baiyun, n=0)
    w.council = CouncilFactory(community=yuling)
    w.other_council = CouncilFactory(community=baiyun)
    w.me = member(make_user("me@example.com", display_name="王阿姨"), yuling)
    w.leader = member(make_user("leader@example.com"), yuling)
    w.team = TeamFactory(
        name="环境志愿服务队", communities=[yuling], leader=w.leader, members=[w.me]
    )
    w.staff = member(make_user("staff@example.com"), yuling, "staff")
    return w


def grow(w, n):
    """n more of every row the home reads, for the person and around them."""
    for i in range(w.n, w.n + n):
        voting(w.council, f"待投{i}")
        cast = voting(w.council, f"已投{i}")
        Vote.objects.create(proposal=cast, voter=w.me, choice="support")
        voting(w.other_council, f"别处{i}")  # not a member there: not open to them
        mine = ProposalFactory(council=w.council, author=w.me, title=f"我的{i}", status="submitted")
        Need.objects.create(
            community=w.yuling, requester=w.me, category="repairs", description=f"修{i}"
        )
        task = make_task(w.yuling, team=w.team, status="claimed", title=f"队里{i}")
        services.post_update(actor=w.leader, task=task, text=f"进展{i}")
        followed = make_task(w.yuling, title=f"关注{i}", sensitive=i % 2 == 0)
        TaskFollow.objects.create(user=w.me, task=followed)
        other = voting(w.council, f"关注议题{i}")
        Follow.objects.create(user=w.me, proposal=other)
        Follow.objects.create(user=w.me, proposal=mine)
        signed_up = activity(w, f"邻里节{i}", quota=1)
        activities.sign_up(actor=w.leader, activity=signed_up)
        activities.sign_up(actor=w.me, activity=signed_up)  # waiting: number 1
        activities.sign_up(actor=w.me, activity=activity(w, f"集市{i}"))
        activity(w, f"没报名{i}")
    w.n += n


def activity(w, title, quota=None):
    starts_at = timezone.now() + timedelta(days=2)
    return activities.create_activity(
        actor=w.staff,
        community=w.yuling,
        title=title,
        kind="event",
        place="社区广场",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        quota=quota,
    )


def section(html, id):
    """The HTML of one section of the page ("" when it is not there)."""
    start = html.find(f'id="{id}"')
    return "" if start < 0 else html[start : html.index("</section>", start)]


def home(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get("/")


def test_visitors_keep_the_visitors_page(w):
    grow(w, 1)
    html = home().content.decode()
    assert "communities/" in html
    assert not any(f'id="{section}"' in html for section in SECTIONS)
    assert 'id="personal-heading"' not in html


def test_signed_in_home_shows_what_waits_in_order(w):
    grow(w, 2)
    response = home(w.me)
    html = response.content.decode()
    positions = [html.index(f'id="{section}"') for section in SECTIONS]
    assert positions == sorted(positions)
    assert html.index('id="home-followed"') < html.index('id="figures-heading"')
    votes = section(html, "home-votes")
    assert "待投0" in votes and "已投0" not in votes and "别处0" not in votes
    assert "我的1" in html and "队里1" in html and "进展1" in html and "关注议题1" in html
    coming = section(html, "home-activities")
    assert "集市1" in coming and "邻里节1" in coming and "没报名1" not in coming
    followed = section(html, "home-followed")
    assert "关注1" in followed  # not sensitive
    assert "关注0" not in followed  # sensitive, and they are outside the case
    assert 'id="home-empty"' not in html


def test_representatives_only_council(w):
    w.council.voters = "representatives"
    w.council.save()
    voting(w.council, "代表投票")
    assert "代表投票" not in section(home(w.me).content.decode(), "home-votes")
    rep = member(make_user("rep@example.com"), w.yuling, "representative")
    assert "代表投票" in section(home(rep).content.decode(), "home-votes")


def test_friendly_empty_state(w):
    lonely = make_user("lonely@example.com")
    html = home(lonely).content.decode()
    assert 'id="home-empty"' in html
    assert not any(f'id="{section}"' in html for section in SECTIONS)
    assert "/teams/needs/new/" in html


def test_personal_home_is_never_shared(w):
    response = home(w.me)
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    assert "private" not in home().get("Cache-Control", "")


def test_constant_queries_as_rows_grow(w):
    def count():
        home(w.me)  # warm the per-process caches
        client = Client()
        client.force_login(w.me)
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured.captured_queries)

    grow(w, 2)
    few = count()
    grow(w, 8)
    assert count() == few
