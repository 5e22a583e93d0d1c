"""One ledger: 我的时长, /api/v1/me (hours and star level), the home page's figures and an issued
certificate all give teams.ledger.approved_hours, with approved, pending and declined hours
from tasks and from activity attendance in the books."""

import datetime
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone

from activities import services as activity_services
from brands import selectors as brand_selectors
from certificates import services
from teams import ledger
from teams import services as team_services
from teams.models import ServiceRecord, star_level
from tests.activities.conftest import make_activity, started
from tests.factories import make_task, make_user, member
from tests.teams.conftest import client_for

from .conftest import approved_hours, profile_for

H = datetime.timedelta(hours=1)


def attended(w, person, *, ago, hours, close):
    """`person` served `hours` at a service activity of the environment team that started
    `ago` (times from the paper sheet); closing the activity approves the hours."""
    activity = make_activity(w, quota=None, title="公益集市")
    activity_services.sign_up(actor=person, activity=activity)
    activity = started(activity, ago=ago)
    activity_services.record_sheet(
        actor=w.staff,
        activity=activity,
        person=person,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.starts_at + hours * H,
    )
    if close:
        activity_services.close_activity(actor=w.staff, activity=activity)
    return activity


def test_every_total_is_the_ledgers(world, settings):
    settings.STAR_LEVEL_THRESHOLDS = [5, 10, 20, 40, 80]
    w = world
    v = w.volunteer
    today = timezone.localdate()
    # Task hours: 3 + 2 approved; 4 pending; 1 declined.
    records = approved_hours(w)
    task = records[0].task
    team_services.log_hours(actor=v, task=task, hours=4, date=today - datetime.timedelta(days=2))
    declined = team_services.log_hours(
        actor=v, task=task, hours=1, date=today - datetime.timedelta(days=3)
    )
    team_services.decline_hours(actor=w.leader, record=declined, reason="重复登记")
    # Attendance hours: 2 approved (the activity closed), 1.5 pending (still open).
    attended(w, v, ago=4 * H, hours=2, close=True)
    attended(w, v, ago=9 * H, hours=1.5, close=False)
    # Someone else's approved hours in the neighbouring community: on the home page only.
    other = member(make_user("other@example.com"), w.other)
    other_task = make_task(w.other, team=w.other_team, status="in_progress")
    ServiceRecord.objects.create(
        volunteer=other,
        task=other_task,
        date=today,
        hours=6,
        source="staff",
        status="approved",
        reviewer=w.staff,
    )

    statuses = sorted(ServiceRecord.objects.filter(volunteer=v).values_list("status", "hours"))
    assert [s for s, _h in statuses].count("pending") == 2
    assert [s for s, _h in statuses].count("declined") == 1
    mine = ledger.approved_hours(volunteer=v)
    assert mine == Decimal("7.00")  # 3 + 2 + 2: nothing pending or declined
    stars = star_level(mine)
    assert stars == 1  # 7 + 4 + 1.5 pending would be 2 stars, with the declined hour more

    # 我的时长
    page = client_for(v).get("/teams/my/hours/")
    assert page.status_code == 200
    assert page.context["approved_hours"] == mine
    assert page.context["stars"] == stars

    # /api/v1/me
    me = client_for(v).get("/api/v1/me").json()
    assert Decimal(me["approved_hours"]) == mine
    assert me["star_level"] == stars

    # The home page's figures: every approved hour of the site.
    everyone = ledger.approved_hours()
    assert everyone == mine + 6
    assert Decimal(brand_selectors.compute_site_figures()["approved_hours"]) == everyone
    cache.clear()
    assert Decimal(brand_selectors.site_figures()["approved_hours"]) == everyone

    # An issued certificate of 玉岭社区 for the period.
    profile_for(v)
    start = today - datetime.timedelta(days=60)
    certificate, _created = services.request_certificate(
        actor=v, community=w.yuling, period_start=start, period_end=today
    )
    certificate = services.issue_certificate(actor=w.staff, certificate=certificate)
    in_scope = ledger.approved_hours(volunteer=v, community=w.yuling, start=start, end=today)
    assert certificate.total_hours == in_scope == mine
    assert sum(line.hours for line in certificate.lines.all()) == in_scope
    assert certificate.lines.count() == 3
