"""The ledger of service hours. Every total of approved hours the site shows — a volunteer's
hours and star level (我的时长, their profile, the API), a team's, the home page's figures, a
community's monthly figures and a certificate's lines and total — is read through
`approved_records`, so that they always agree."""

import datetime
from decimal import Decimal

from django.db.models import Sum

from .models import ServiceRecord, hours_total, star_level


def approved_records(
    *,
    volunteer=None,
    team=None,
    community=None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
):
    """Approved service records: of `volunteer`, served for `team`, in `community` or below it
    (the community whose task or activity they were served on), dated from `start` to `end`
    (both included)."""
    records = ServiceRecord.objects.filter(status=ServiceRecord.Status.APPROVED)
    if volunteer is not None:
        records = records.filter(volunteer=volunteer)
    if team is not None:
        records = records.filter(team=team)
    if community is not None:
        records = records.filter(community__path__startswith=community.path)
    if start is not None:
        records = records.filter(date__gte=start)
    if end is not None:
        records = records.filter(date__lte=end)
    return records


def approved_hours(**filters) -> Decimal:
    """The total of approved_records(**filters), two decimal places, one query."""
    return hours_total(approved_records(**filters).aggregate(total=Sum("hours"))["total"])


def standing(volunteer) -> tuple[Decimal, int]:
    """(approved hours, star level) of a volunteer, one query."""
    hours = approved_hours(volunteer=volunteer)
    return hours, star_level(hours)


def approved_hours_by_volunteer(user_ids) -> dict[int, Decimal]:
    """{user_id: approved hours} for many volunteers in one aggregate query."""
    rows = (
        approved_records()
        .filter(volunteer_id__in=list(user_ids))
        .values("volunteer_id")
        .annotate(total=Sum("hours"))
    )
    return {row["volunteer_id"]: hours_total(row["total"]) for row in rows}
