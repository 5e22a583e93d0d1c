"""The staff inbox (待处理, issue #25): GET /api/v1/inbox, the page, the header count and the
`inbox.new` notifications.

Each kind counts and lists what waits for the staff of the community (and of the street above
it), never what waits in another community, never one's own work; residents get 403, anonymous
callers 401; the page and `limit=0` keep a constant number of queries.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities import inbox
from communities.context_processors import inbox_count
from communities.models import Membership
from communities.services import request_membership
from deliberation import services as council
from deliberation.models import Proposal
from live.models import Event
from live.topics import as_seen_now
from teams import services as teams
from teams.models import ServiceRecord, Task
from tests.factories import (
    CouncilFactory,
    ProposalFactory,
    TeamMembershipFactory,
    add_staff,
    community_tree,
    english_skills,
    make_task,
    make_team,
    make_user,
    member,
)

pytestmark = pytest.mark.django_db

KINDS = [
    "proposal_review",
    "need_triage",
    "task_unclaimable",
    "task_stale",
    "task_to_verify",
    "activity_to_close",
    "hours_review",
    "certificate_request",
    "membership_request",
    "report",
]


@pytest.fixture
def world(district, street, yuling, baiyun):
    w = SimpleNamespace(district=district, street=street, yuling=yuling, other=baiyun)
    w.resident = member(make_user("resident@example.com", display_name="居民甲"), yuling)
    w.neighbour = member(make_user("neighbour@example.com", display_name="居民乙"), yuling)
    w.volunteer = member(make_user("volunteer@example.com", display_name="志愿者"), yuling)
    w.leader = member(make_user("leader@example.com", display_name="队长甲"), yuling)
    add_staff(w, display_name="社工")
    w.team = make_team(
        "环境志愿服务队",
        community=yuling,
        skill_slugs=("sanitation", "greening"),
        leader=w.leader,
        members=[w.volunteer],
        english=True,
    )
    w.council = CouncilFactory(community=yuling, name="玉岭社区居民议事会")
    return w


def client_for(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def get_inbox(user, language="zh-hans", **params):
    return client_for(user, language).get("/api/v1/inbox", params)


def counts(user) -> dict:
    response = get_inbox(user, limit=0)
    assert response.status_code == 200, response.content
    return response.json()["counts"]


def fill(w):
    """One of every kind in 玉岭社区, each made the way people make it."""
    english_skills("legal-aid")
    w.proposal = council.create_proposal(
        actor=w.resident, community=w.yuling, title="东门路灯不亮", body="晚上看不见路。"
    )
    w.need = teams.file_need(
        actor=w.resident, community=w.yuling, category="repairs", description="楼道灯坏了"
    )
    w.unclaimable = teams.create_task(
        actor=w.staff,
        community=w.yuling,
        title="帮老人写遗嘱",
        required_skills=["legal-aid", "sanitation"],
    )
    w.stale = make_task(w.yuling, title="清理楼道杂物")
    Task.objects.filter(pk=w.stale.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=10)
    )
    w.done = make_task(w.yuling, title="修剪绿化带", team=w.team, status="in_progress")
    Task.objects.filter(pk=w.done.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    teams.post_update(actor=w.volunteer, task=w.done, text="修好了", status="done")
    w.record = teams.log_hours(actor=w.volunteer, task=w.done, hours="2", date=timezone.localdate())
    w.joiner = make_user("joiner@example.com", display_name="新居民")
    w.membership = request_membership(user=w.joiner, community=w.yuling, note="3栋2单元")
    published = ProposalFactory(
        council=w.council,
        author=w.resident,
        title="广场舞太吵",
        status="discussion",
        published_at=timezone.now(),
    )
    w.report, _created = council.report_content(actor=w.neighbour, target=published, reason="吵")
    w.certificate = certificate_request(w)
    w.activity = activity_over(w)
    return w


def activity_over(w):
    """A residents' event that ended an hour ago and nobody closed."""
    from activities.models import Activity
    from tests.activities.conftest import make_activity

    activity = make_activity(w, kind="event", title="邻里节")
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=3),
        ends_at=timezone.now() - datetime.timedelta(hours=1),
    )
    return activity


def certificate_request(w):
    """The leader's approved hours on another task, a real-name profile and a request."""
    from certificates import services as certificates
    from tests.certificates.conftest import resident_id

    task = make_task(w.yuling, title="清扫中心广场", team=w.team, status="in_progress")
    day = timezone.localdate()
    # Approved as they stand (no hours_review told): the ledger reads approved records only.
    ServiceRecord.objects.create(
        volunteer=w.leader,
        task=task,
        team=w.team,
        date=day,
        hours=2,
        source="self",
        status="approved",
        reviewer=w.staff,
    )
    certificates.save_profile(
        actor=w.leader, real_name="周建华", id_type="resident_id", id_number=resident_id()
    )
    certificate, _created = certificates.request_certificate(
        actor=w.leader, community=w.yuling, period_start=day, period_end=day
    )
    return certificate


# --- counts and items --------------------------------------------------------------------------


def test_every_kind_counts_and_lists_for_the_staff_of_the_community_and_above(world):
    fill(world)
    assert counts(world.staff) == dict.fromkeys(KINDS, 1)
    assert counts(world.street_staff) == dict.fromkeys(KINDS, 1)
    assert counts(world.superuser) == dict.fromkeys(KINDS, 1)

    body = get_inbox(world.staff, "en").json()
    items = {item["kind"]: item for item in body["items"]}
    assert sorted(items) == sorted(KINDS)
    for item in body["items"]:
        assert set(item) == {"kind", "id", "title", "community", "since", "reason", "url"}
        assert item["community"] == {"id": world.yuling.pk, "name": "玉岭社区"}
        assert item["url"].startswith("/")
    assert items["proposal_review"]["id"] == world.proposal.pk
    assert items["proposal_review"]["url"] == world.proposal.get_absolute_url()
    assert items["need_triage"]["url"] == reverse("teams:dispatch")
    assert "Repairs" in items["need_triage"]["title"]
    assert items["task_unclaimable"]["title"] == "帮老人写遗嘱"
    assert items["task_unclaimable"]["reason"] == "No team has the skills: Legal aid"
    assert items["task_stale"]["id"] == world.stale.pk
    assert "10 days" in items["task_stale"]["reason"]
    assert items["task_to_verify"]["url"] == world.done.get_absolute_url()
    assert items["hours_review"]["url"] == reverse("teams:team_hours", args=[world.team.pk])
    assert items["membership_request"]["title"] == "新居民"
    assert items["membership_request"]["reason"] == "3栋2单元"
    assert items["membership_request"]["url"] == reverse(
        "communities:requests", args=[world.yuling.pk]
    )
    assert items["report"]["id"] == world.report.pk and items["report"]["reason"] == "吵"
    assert items["report"]["url"] == reverse(
        "council_moderation:proposal", args=[world.report.proposal_id]
    )


def test_staff_of_another_community_see_nothing_of_this_one(world):
    fill(world)
    assert counts(world.other_staff) == dict.fromkeys(KINDS, 0)
    assert get_inbox(world.other_staff).json()["items"] == []


def test_residents_get_403_and_anonymous_callers_401(world):
    response = get_inbox(world.resident)
    assert response.status_code == 403
    assert set(response.json()) >= {"detail", "code"}
    response = get_inbox(None)
    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "code"}


def test_limit_zero_gives_the_counts_alone_in_a_few_queries(world):
    fill(world)
    client = client_for(world.staff)
    client.get("/api/v1/inbox", {"limit": 0})
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/inbox", {"limit": 0})
    body = response.json()
    assert body["items"] == [] and sum(body["counts"].values()) == len(KINDS)
    # session and user, staff roles, communities, every count in one
    assert len(captured.captured_queries) <= 5


def test_kind_filter_and_bad_input(world):
    fill(world)
    body = get_inbox(world.staff, kind="hours_review").json()
    assert body["counts"] == {"hours_review": 1}
    assert [item["kind"] for item in body["items"]] == ["hours_review"]
    for params in ({"kind": "nonsense"}, {"limit": -1}, {"limit": 1000}, {"limit": "x"}):
        response = get_inbox(world.staff, **params)
        assert response.status_code in (400, 422), params
        assert "detail" in response.json()


def test_the_oldest_come_first_and_limit_bounds_each_kind(world):
    for title in ("第一", "第二", "第三"):
        council.create_proposal(actor=world.resident, community=world.yuling, title=title, body="b")
    body = get_inbox(world.staff, limit=2, kind="proposal_review").json()
    assert body["counts"] == {"proposal_review": 3}
    assert [item["title"] for item in body["items"]] == ["第一", "第二"]


# --- nobody's own work -------------------------------------------------------------------------


def test_nobody_finds_their_own_work_to_approve(world):
    staff_member = world.staff
    # Hours the staff member logged for a volunteer, a request for help they filed for a
    # resident, a proposal they filed for one: other staff decide on those.
    task = make_task(world.yuling, team=world.team, status="in_progress")
    teams.log_hours(
        actor=staff_member,
        task=task,
        hours="1",
        date=timezone.localdate(),
        volunteer=world.volunteer,
    )
    teams.file_need(
        actor=staff_member,
        community=world.yuling,
        category="other",
        description="代居民求助",
        on_behalf_of=world.resident,
    )
    council.create_proposal(
        actor=staff_member,
        community=world.yuling,
        title="代居民提议",
        body="b",
        on_behalf_of=world.resident,
    )
    # The street's staff member asks to join 玉岭社区 as well.
    request_membership(user=world.street_staff, community=world.yuling)
    mine = counts(staff_member)
    street = counts(world.street_staff)
    assert (mine["hours_review"], mine["need_triage"], mine["proposal_review"]) == (0, 0, 0)
    assert mine["membership_request"] == 1
    assert (street["hours_review"], street["need_triage"], street["proposal_review"]) == (1, 1, 1)
    assert street["membership_request"] == 0


def test_done_work_of_ones_own_team_is_not_to_verify(world):
    task = make_task(world.yuling, team=world.team, status="in_progress")
    teams.post_update(actor=world.volunteer, task=task, status="done")
    # The staff member is also a volunteer of the team that did it.
    TeamMembershipFactory(team=world.team, user=world.staff)
    assert counts(world.staff)["task_to_verify"] == 0
    assert counts(world.street_staff)["task_to_verify"] == 1


# --- tasks no team can take, and tasks open too long -------------------------------------------


def test_unclaimable_follows_the_teams_skills_and_communities(world):
    takeable = make_task(world.yuling, skill_slugs=("sanitation", "greening"))
    split = make_task(world.yuling, skill_slugs=("sanitation", "elderly-care"))
    make_team("邻里互助队", community=world.yuling, skill_slugs=("elderly-care",), english=True)
    _district, _street, far_away = community_tree("沙市区", "解放路街道", "十方庵社区")
    elsewhere = make_task(far_away, skill_slugs=("sanitation",))
    sensitive = make_task(world.yuling, sensitive=True)
    street_wide = make_task(world.yuling, skill_slugs=("repairs",))
    make_team("街道维修队", community=world.street, skill_slugs=("repairs",), english=True)
    items = get_inbox(world.superuser, "en", kind="task_unclaimable").json()["items"]
    reasons = {item["id"]: item["reason"] for item in items}
    assert takeable.pk not in reasons and street_wide.pk not in reasons
    assert reasons[split.pk] == "No single team has all the skills: Elderly care, Sanitation"
    assert reasons[elsewhere.pk] == "No active team serves this community."
    assert reasons[sensitive.pk] == "Confidential: it goes only to the team you give it to."
    # The teams rule for one task says the same.
    from teams.permissions import eligible_teams

    for task in (takeable, split, elsewhere, sensitive, street_wide):
        assert eligible_teams(task).exists() == (task.pk not in reasons)


def test_a_community_sets_how_long_an_open_task_may_wait(world):
    task = make_task(world.yuling)
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    assert counts(world.staff)["task_stale"] == 1
    world.yuling.task_stale_days = 30
    world.yuling.save()
    world.yuling.refresh_from_db()
    assert world.yuling.task_stale_days == 30
    assert counts(world.staff)["task_stale"] == 0


# --- privacy -----------------------------------------------------------------------------------


def test_a_sensitive_task_is_named_to_staff_and_its_event_stays_generic(world):
    task = teams.create_task(
        actor=world.street_staff,
        community=world.yuling,
        title="独居老人家暴求助",
        sensitive=True,
    )
    items = get_inbox(world.staff, kind="task_unclaimable").json()["items"]
    assert [item["title"] for item in items] == ["独居老人家暴求助"]
    event = Event.objects.get(topic=f"user:{world.staff.pk}", type="inbox.new")
    assert event.data["kind"] == "task_unclaimable" and event.data["id"] == task.pk
    assert "独居老人" not in str(event.data)


def test_a_request_for_help_is_told_to_staff_once(world):
    """teams.file_need already tells staff (need.filed); no second notice for the same need."""
    teams.file_need(
        actor=world.resident,
        community=world.yuling,
        category="counselling",
        description="家里的事不方便说",
        private=True,
    )
    told = Event.objects.filter(topic=f"user:{world.staff.pk}").values_list("type", flat=True)
    assert list(told) == ["need.filed"]
    assert get_inbox(world.staff, kind="need_triage").json()["counts"]["need_triage"] == 1


# --- live: inbox.new ---------------------------------------------------------------------------


def inbox_events(user):
    return list(Event.objects.filter(topic=f"user:{user.pk}", type="inbox.new").order_by("id"))


def test_staff_who_handle_the_community_are_told_and_nobody_else(world):
    fill(world)
    for person in (world.staff, world.street_staff):
        kinds = sorted(event.data["kind"] for event in inbox_events(person))
        # Requests for help and certificate requests are told by their services themselves
        # (need.filed, certificate.requested).
        # An activity that is over and a task open too long: nothing happens at that moment.
        expected = sorted(
            set(KINDS) - {"task_stale", "need_triage", "certificate_request", "activity_to_close"}
        )
        if person == world.staff:  # it created the task no team can take itself
            expected.remove("task_unclaimable")
        assert kinds == expected, person
    for person in (world.other_staff, world.resident, world.volunteer, world.superuser):
        assert inbox_events(person) == [], person


def test_the_event_reads_in_every_language_and_links_the_page(world):
    proposal = council.create_proposal(
        actor=world.resident, community=world.yuling, title="东门路灯不亮", body="b"
    )
    (event,) = inbox_events(world.staff)
    assert event.data["url"] == proposal.get_absolute_url()
    assert event.data["community"] == {"id": world.yuling.pk, "name": "玉岭社区"}
    assert set(event.data["texts"]) >= {"zh-hans", "en"}
    assert event.data["texts"]["en"] == "A proposal waits for your review: 东门路灯不亮"
    assert event.data["text"] == event.data["texts"]["zh-hans"]


def test_a_draft_tells_nobody_until_it_is_submitted(world):
    draft = council.create_proposal(
        actor=world.resident, community=world.yuling, title="草稿", body="b", submit=False
    )
    assert inbox_events(world.staff) == []
    council.submit_proposal(actor=world.resident, proposal=draft)
    assert [event.data["id"] for event in inbox_events(world.staff)] == [draft.pk]


def test_a_replay_shows_the_event_only_while_they_are_staff(world):
    council.create_proposal(actor=world.resident, community=world.yuling, title="路灯", body="b")
    events = inbox_events(world.staff)
    assert [event.type for event in as_seen_now(world.staff, events)] == ["inbox.new"]
    Membership.objects.filter(user=world.staff, community=world.yuling).update(role="resident")
    assert as_seen_now(world.staff, inbox_events(world.staff)) == []


# --- the page, the header count, the staff's links ---------------------------------------------


def grow(w, n: int) -> None:
    for i in range(n):
        council.create_proposal(
            actor=w.resident, community=w.yuling, title=f"提议{w.n}-{i}", body="b"
        )
        make_task(
            w.yuling, title=f"任务{w.n}-{i}", skill_slugs=("legal-aid",), sensitive=i % 2 == 0
        )
        done = make_task(w.yuling, team=w.team, status="in_progress")
        teams.post_update(actor=w.volunteer, task=done, status="done")
        teams.log_hours(actor=w.volunteer, task=done, hours="1", date=timezone.localdate())
        request_membership(user=make_user(f"joiner{w.n}-{i}@example.com"), community=w.yuling)
    w.n += 1


def page_queries(client) -> int:
    url = reverse("communities:inbox")
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_page_keeps_its_queries_as_rows_grow(world):
    fill(world)
    world.n = 0
    client = client_for(world.staff)
    grow(world, 1)
    few = page_queries(client)
    grow(world, 4)
    assert page_queries(client) == few


def test_the_page_groups_by_kind_and_links_where_to_act(world):
    fill(world)
    html = client_for(world.staff, "en").get(reverse("communities:inbox")).content.decode()
    for kind in KINDS:
        assert f'id="inbox-{kind}"' in html
    assert f'data-inbox-total="{len(KINDS)}"' in html
    assert f'href="{world.proposal.get_absolute_url()}"' in html
    assert "Handle it" in html


def test_the_page_says_so_when_nothing_waits_and_refuses_residents(world):
    response = client_for(world.staff, "en").get(reverse("communities:inbox"))
    assert 'id="inbox-empty"' in response.content.decode()
    assert client_for(world.resident).get(reverse("communities:inbox")).status_code == 403
    response = Client().get(reverse("communities:inbox"))
    assert response.status_code == 302


def test_the_managed_page_links_the_inbox_and_the_dispatch_page(world):
    html = client_for(world.staff).get(reverse("communities:managed")).content.decode()
    assert f'href="{reverse("communities:inbox")}"' in html
    assert f'href="{reverse("teams:dispatch")}"' in html


def test_the_header_count_is_for_staff_alone(world, rf):
    fill(world)
    request = rf.get("/")
    request.user = world.resident
    world.resident.is_staff = True  # the admin flag alone makes nobody community staff
    assert inbox_count(request)["inbox_count"] is None
    request.user = world.other_staff
    world.other_staff.is_staff = True
    assert inbox_count(request)["inbox_count"] == 0
    request.user = world.staff
    world.staff.is_staff = True
    assert inbox_count(request)["inbox_count"] == len(KINDS)
    world.staff.is_staff = False
    assert inbox_count(request)["inbox_count"] is None


def test_a_withdrawn_or_published_proposal_leaves_the_inbox(world):
    proposal = council.create_proposal(
        actor=world.resident, community=world.yuling, title="路灯", body="b"
    )
    assert counts(world.staff)["proposal_review"] == 1
    council.publish_proposal(actor=world.staff, proposal=proposal)
    assert Proposal.objects.get(pk=proposal.pk).status == "discussion"
    assert counts(world.staff)["proposal_review"] == 0


def test_kinds_are_registered_in_order():
    assert [kind.slug for kind in inbox.kinds()] == KINDS


def test_the_wagtail_admin_menu_links_the_inbox_for_staff(world):
    from wagtail.admin.menu import admin_menu

    request = RequestFactory().get("/admin/")
    for user, shown in ((world.staff, True), (world.resident, False)):
        request.user = user
        items = list(admin_menu.menu_items_for_request(request))
        urls = [item.url for item in items]
        assert (reverse("communities:inbox") in urls) == shown, user
