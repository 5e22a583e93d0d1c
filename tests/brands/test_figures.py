"""Figures for staff: pure functions and the database figures against hand-counted fixtures,
the SVG charts and the dashboard panel."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from brands.charts import bar_chart, column_chart
from brands.figures import (
    community_figures,
    count_by,
    dashboard_communities,
    hours_per_month,
    median_days,
    month_starts,
)
from communities.models import Membership
from deliberation.models import Proposal
from teams.models import ServiceRecord, Task
from tests.factories import CommunityFactory, CouncilFactory, TeamFactory

from .conftest import verified

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(480))
TODAY = date(2025, 6, 15)


# --- pure functions ----------------------------------------------------------------------------


def test_count_by_keeps_the_order_of_the_keys_and_zeros():
    assert count_by(["a", "b", "a", "x"], ["b", "a", "c"]) == [("b", 1), ("a", 2), ("c", 0)]
    assert count_by([], ["a"]) == [("a", 0)]


def test_median_days():
    day = timedelta(days=1)
    assert median_days([]) is None
    assert median_days([(T0, None), (None, T0)]) is None
    assert median_days([(T0, T0 + 2 * day)]) == 2
    assert median_days([(T0, T0 + 2 * day), (T0, T0 + 4 * day)]) == 3  # even: the mean of two
    assert median_days([(T0, T0 + 3 * day), (T0, T0 + day), (T0, T0 + 2 * day)]) == 2
    assert median_days([(T0, T0 + 12 * timedelta(hours=1))]) == 0.5
    # An end before its start (data entered late) is left out, not counted as negative.
    assert median_days([(T0, T0 - day), (T0, T0 + day)]) == 1


def test_month_starts_cross_the_year():
    months = month_starts(date(2025, 2, 10), months=4)
    assert months == [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]
    assert len(month_starts(TODAY)) == 12


def test_hours_per_month_sums_and_fills_gaps():
    rows = [
        (date(2025, 6, 1), Decimal("2.5")),
        (date(2025, 6, 30), Decimal("1.5")),
        (date(2025, 4, 30), Decimal("3")),
        (date(2025, 3, 1), None),
        (date(2024, 12, 31), Decimal("9")),  # before the window
    ]
    assert hours_per_month(rows, end=TODAY, months=3) == [
        (date(2025, 4, 1), Decimal("3")),
        (date(2025, 5, 1), Decimal("0")),
        (date(2025, 6, 1), Decimal("4.0")),
    ]


def test_charts_are_inline_svg_with_escaped_labels():
    svg = bar_chart([("<b>垃圾</b>", 3), ("绿化", 0)], title="按类别")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "&lt;b&gt;垃圾&lt;/b&gt;" in svg and "<b>" not in svg
    assert "<title>按类别</title>" in svg and "&lt;b&gt;垃圾&lt;/b&gt;: 3; 绿化: 0" in svg
    assert 'width="200.0"' in svg  # the largest bar takes the whole width
    assert 'width="0.0"' in svg
    svg = column_chart([("05", 0), ("06", 4.5)], title="时长")
    assert svg.count("<rect") == 2 and ">4.5<" in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing loaded


# --- from the database: hand-counted fixtures ---------------------------------------------------


@pytest.fixture
def world(community, make_user):
    """玉岭社区 (community) and its sibling 城东社区 under the same street, see the counts below."""
    street = community.parent
    sibling = CommunityFactory(name="城东社区", parent=street)
    staff = make_user()
    volunteer = make_user()
    team = TeamFactory(name="环境队")
    day = timedelta(days=1)

    def task(where, *, claimed=None, done=None, status="open"):
        t = Task.objects.create(
            community=where, title="任务", status=status, team=team if claimed else None
        )
        Task.objects.filter(pk=t.pk).update(claimed_at=claimed, done_at=done)
        return Task.objects.get(pk=t.pk)

    council = CouncilFactory(community=community)
    other_council = CouncilFactory(community=sibling)

    def proposal(council, status, category, *, decided=None, task=None):
        return Proposal.objects.create(
            council=council,
            title="提案",
            body="内容",
            status=status,
            category=category,
            decided_at=decided,
            task=task,
            published_at=None if status == "draft" else T0 - 10 * day,
        )

    # 玉岭社区: 5 counted proposals (the draft is not counted).
    t1 = task(community, claimed=T0 + 2 * day, done=T0 + 5 * day, status="done")
    t2 = task(community, claimed=T0 + 4 * day, done=T0 + 6 * day, status="verified")
    t3 = task(community)
    proposal(council, "accepted", "sanitation", decided=T0, task=t1)  # claim after 2 days
    proposal(council, "accepted", "greenery", decided=T0, task=t2)  # claim after 4 days
    proposal(council, "accepted", "sanitation", decided=T0, task=t3)  # not claimed yet
    proposal(council, "rejected", "traffic", decided=T0)
    proposal(council, "voting", "sanitation")
    proposal(council, "draft", "other")
    # A staff task without a proposal: claimed to done in 1 day.
    task(community, claimed=T0, done=T0 + day, status="done")
    # 城东社区: one proposal in discussion.
    proposal(other_council, "discussion", "elderly-care")

    def hours(where, when, amount, status="approved"):
        ServiceRecord.objects.create(
            volunteer=volunteer,
            task=task(where, claimed=T0, status="claimed"),
            team=team,
            date=when,
            hours=Decimal(amount),
            source="self",
            status=status,
            reviewer=None if status == "pending" else staff,
        )

    hours(community, date(2025, 6, 1), "2.5")
    hours(community, date(2025, 6, 10), "1.5")
    hours(community, date(2025, 4, 30), "3")
    hours(community, date(2024, 7, 1), "1")  # first month of the 12
    hours(community, date(2024, 6, 30), "5")  # outside the 12 months
    hours(community, date(2025, 6, 2), "4", status="pending")
    hours(community, date(2025, 6, 3), "4", status="declined")
    hours(sibling, date(2025, 6, 5), "2")
    return {"community": community, "street": street, "sibling": sibling}


def test_community_figures_match_the_hand_count(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        figures = community_figures(world["community"], today=TODAY)
    assert dict(figures.by_status) == {
        "submitted": 0,
        "discussion": 0,
        "voting": 1,
        "accepted": 3,
        "rejected": 1,
        "withdrawn": 0,
    }
    assert figures.proposals == 5
    by_category = dict(figures.by_category)
    assert by_category["sanitation"] == 3
    assert by_category["greenery"] == 1
    assert by_category["traffic"] == 1
    assert sum(by_category.values()) == 5
    assert figures.decision_to_claim_days == 3  # median of 2 and 4 days
    # Claim to done: 3, 2 and 1 days (the hours' tasks are claimed but not done).
    assert figures.claim_to_done_days == 2
    hours = dict(figures.hours_by_month)
    assert len(hours) == 12
    assert hours[date(2025, 6, 1)] == Decimal("4")
    assert hours[date(2025, 5, 1)] == 0
    assert hours[date(2025, 4, 1)] == Decimal("3")
    assert hours[date(2024, 7, 1)] == Decimal("1")
    assert sum(hours.values()) == Decimal("8")


def test_street_figures_include_the_communities_below(world):
    figures = community_figures(world["street"], today=TODAY)
    assert figures.proposals == 6
    assert dict(figures.by_status)["discussion"] == 1
    assert dict(figures.by_category)["elderly-care"] == 1
    assert dict(figures.hours_by_month)[date(2025, 6, 1)] == Decimal("6")
    sibling = community_figures(world["sibling"], today=TODAY)
    assert sibling.proposals == 1
    assert sibling.decision_to_claim_days is None and sibling.claim_to_done_days is None


def test_dashboard_communities(world, make_user, django_user_model):
    staff = make_user()
    verified(staff, world["community"], role=Membership.Role.STAFF)
    resident = make_user()
    verified(resident, world["community"])
    assert dashboard_communities(staff) == [world["community"]]
    assert dashboard_communities(resident) == []
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    assert dashboard_communities(admin) == [world["community"].parent.parent]


def test_dashboard_panel_for_staff_only(client, world, make_user):
    staff = make_user()
    staff.groups.add(Group.objects.get(name="Editors"))  # admin access
    verified(staff, world["community"], role=Membership.Role.STAFF)
    client.force_login(staff)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert f"community-figures-{world['community'].pk}" in html
    assert html.count('class="linli-chart"') == 3
    assert "玉岭社区" in html

    editor = make_user()
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "linli-chart" not in html
