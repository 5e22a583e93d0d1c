"""Figures for community staff (the Wagtail dashboard panel).

The arithmetic is pure functions over plain rows (tested against hand-counted fixtures);
`community_figures` feeds them with four queries per community, whatever the number of rows.
"""

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from accounts.permissions import is_signed_in
from communities.models import Community, Membership
from deliberation.models import Category, Proposal
from teams import ledger
from teams.models import Task

MONTHS = 12
MAX_COMMUNITIES = 6

# --- pure functions ----------------------------------------------------------------------------


def count_by(values: Iterable[str], keys: Iterable[str]) -> list[tuple[str, int]]:
    """[(key, how many values equal it)] in the order of `keys`, zeros included."""
    counts = Counter(values)
    return [(key, counts.get(key, 0)) for key in keys]


def median_days(pairs: Iterable[tuple[datetime | None, datetime | None]]) -> float | None:
    """Median of (end - start) in days over the complete pairs; None when there is none.

    A pair with a missing end, or an end before its start (a task claimed again after the
    decision was recorded late), is left out.
    """
    days = [
        (end - start).total_seconds() / 86400
        for start, end in pairs
        if start is not None and end is not None and end >= start
    ]
    return statistics.median(days) if days else None


def month_starts(end: date, months: int = MONTHS) -> list[date]:
    """The first days of the `months` months up to and including end's month, oldest first."""
    year, month = end.year, end.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def hours_per_month(
    rows: Iterable[tuple[date, Decimal]], *, end: date, months: int = MONTHS
) -> list[tuple[date, Decimal]]:
    """[(first day of month, hours)] for the last `months` months up to end's month; rows are
    (any day of the month, hours) and outside rows are ignored."""
    totals = {start: Decimal(0) for start in month_starts(end, months)}
    for day, hours in rows:
        key = date(day.year, day.month, 1)
        if key in totals:
            totals[key] += Decimal(hours or 0)
    return list(totals.items())


# --- from the database -------------------------------------------------------------------------


@dataclass
class CommunityFigures:
    community: Community
    by_status: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    decision_to_claim_days: float | None
    claim_to_done_days: float | None
    hours_by_month: list[tuple[date, Decimal]]

    @property
    def proposals(self) -> int:
        return sum(count for _, count in self.by_status)


# Drafts are private to their author and not counted.
COUNTED_STATUSES = [s for s in Proposal.Status.values if s != Proposal.Status.DRAFT]


def community_figures(community: Community, *, today: date) -> CommunityFigures:
    """Figures of a community and every community below it."""
    proposals = Proposal.objects.filter(
        council__community__path__startswith=community.path, status__in=COUNTED_STATUSES
    )
    rows = list(proposals.values_list("status", "category"))
    decisions = proposals.filter(status=Proposal.Status.ACCEPTED, task__isnull=False).values_list(
        "decided_at", "task__claimed_at"
    )
    claims = Task.objects.filter(
        community__path__startswith=community.path,
        claimed_at__isnull=False,
        done_at__isnull=False,
    ).values_list("claimed_at", "done_at")
    first_month = month_starts(today)[0]
    hours = (
        ledger.approved_records(community=community, start=first_month)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(total=Sum("hours"))
        .order_by("month")
        .values_list("month", "total")
    )
    return CommunityFigures(
        community=community,
        by_status=count_by((status for status, _ in rows), COUNTED_STATUSES),
        by_category=count_by((category for _, category in rows), Category.values),
        decision_to_claim_days=median_days(decisions),
        claim_to_done_days=median_days(claims),
        hours_by_month=hours_per_month(hours, end=today),
    )


def dashboard_communities(user) -> list[Community]:
    """The communities the user is staff of (each with everything below it); for a superuser
    without staff memberships, the top of the tree."""
    if not is_signed_in(user):
        return []
    staffed = list(
        Community.objects.filter(
            memberships__user=user,
            memberships__role=Membership.Role.STAFF,
            memberships__status=Membership.Status.VERIFIED,
        ).order_by("path")[:MAX_COMMUNITIES]
    )
    if not staffed and user.is_superuser:
        staffed = list(Community.objects.filter(parent__isnull=True)[:MAX_COMMUNITIES])
    return staffed
