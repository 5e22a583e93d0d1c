"""The Activities admin: pages render for staff in scope and nobody else, every change goes
through activities.services, the inspect page shows sign-ups and attendance, and the attendance
list exports as CSV and XLSX, filtered by activity."""

import datetime
import io
import zipfile

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from activities import services
from activities.models import Activity, Signup
from communities.services import sync_staff_access
from live.models import Event
from teams.models import ServiceRecord
from tests.teams.conftest import client_for

from .conftest import make_activity, residents, started


@pytest.fixture
def admin_world(world):
    for person in (world.staff, world.street_staff, world.other_staff):
        sync_staff_access(person)
        person.refresh_from_db()
    world.activity = make_activity(world, quota=1, title="邻里节")
    return world


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


PAGES = [
    ("activities_activity:index", False),
    ("activities_activity:add", False),
    ("activities_activity:edit", True),
    ("activities_activity:inspect", True),
    ("activities_activity:status", True),
    ("activities_activity:history", True),
    ("activities_attendance:index", False),
]


@pytest.mark.parametrize(("name", "takes_object"), PAGES)
def test_pages_render_for_staff_in_scope_only(admin_world, name, takes_object):
    w = admin_world
    args = [w.activity.pk] if takes_object else []
    url = reverse(name, args=args)
    for user in (w.superuser, w.staff, w.street_staff):
        assert client_for(user).get(url).status_code == 200, (name, user)
    other = client_for(w.other_staff).get(url)
    if takes_object:
        assert other.status_code == 404
    else:
        assert other.status_code == 200
        assert "邻里节" not in other.content.decode()
    assert client_for(w.resident).get(url).status_code in (302, 403)
    assert client_for(w.leader).get(url).status_code in (302, 403)


def test_no_delete_copy_or_attendance_edit_urls(admin_world):
    for name in (
        "activities_activity:delete",
        "activities_activity:copy",
        "activities_attendance:edit",
        "activities_attendance:delete",
        "activities_attendance:add",
    ):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1]) if not name.endswith(":add") else reverse(name)


def test_the_menu_says_activities(admin_world):
    response = english(client_for(admin_world.staff)).get("/admin/")
    body = response.content.decode()
    assert "Activities" in body and "Attendance" in body
    assert reverse("activities_activity:index") in body


def _form(activity_starts, **extra):
    start = activity_starts.astimezone(timezone.get_current_timezone())
    data = {
        "title": "二十四节气·冬至包饺子",
        "kind": "event",
        "description": "一起包饺子。",
        "place": "玉岭社区活动室",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
        "quota": "20",
        "audience": "residents",
    }
    data.update(extra)
    return data


def test_create_goes_through_the_service(admin_world):
    w = admin_world
    client = client_for(w.staff)
    starts = timezone.now() + datetime.timedelta(days=3)
    response = client.post(
        reverse("activities_activity:add"), _form(starts, community=w.yuling.pk, publish_now="on")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get(title="二十四节气·冬至包饺子")
    assert (activity.organiser, activity.status, activity.quota) == (w.staff, "published", 20)
    assert ModelLogEntry.objects.filter(action="linli.activity.create", object_id=str(activity.pk))
    assert Event.objects.filter(
        topic=f"community:{w.yuling.pk}", type="activity.published", data__id=activity.pk
    ).exists()


def test_create_refusals_come_back_on_the_form(admin_world):
    w = admin_world
    client = english(client_for(w.staff))
    starts = timezone.now() + datetime.timedelta(days=3)
    # Open to one team's volunteers without a team: the service's field error.
    data = _form(starts, community=w.yuling.pk, audience="team")
    response = client.post(reverse("activities_activity:add"), data)
    assert response.status_code == 200
    assert "Choose the organising team" in response.content.decode()
    # Another community than the ones the staff member runs is not even offered.
    data = _form(starts, community=w.other.pk)
    response = client.post(reverse("activities_activity:add"), data)
    assert response.status_code == 200
    assert not Activity.objects.filter(community=w.other).exists()
    # An end before the start.
    data = _form(starts)
    data.update(community=w.yuling.pk, ends_at=data["starts_at"])
    response = client.post(reverse("activities_activity:add"), data)
    assert response.status_code == 200
    assert "The end must come after the start." in response.content.decode()
    assert Activity.objects.count() == 1


def test_more_places_in_the_edit_form_promote_the_waiting(admin_world):
    w = admin_world
    a, b, c = residents(w, 3)
    for person in (a, b, c):
        services.sign_up(actor=person, activity=w.activity)
    assert Signup.objects.filter(activity=w.activity, status="waitlisted").count() == 2
    data = _form(w.activity.starts_at, title="邻里节", kind="service", quota="2")
    response = client_for(w.staff).post(
        reverse("activities_activity:edit", args=[w.activity.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    w.activity.refresh_from_db()
    assert (w.activity.quota, w.activity.kind) == (2, "service")
    assert Signup.objects.get(activity=w.activity, person=b).status == "confirmed"
    assert Signup.objects.get(activity=w.activity, person=c).status == "waitlisted"
    assert Event.objects.filter(topic=f"user:{b.pk}", type="activity.promoted").exists()
    assert not Event.objects.filter(topic=f"user:{c.pk}", type="activity.promoted").exists()
    assert ModelLogEntry.objects.filter(action="linli.activity.edit", object_id=str(w.activity.pk))


def test_cancel_needs_a_reason_and_tells_everyone(admin_world):
    w = admin_world
    a, b = residents(w, 2)
    services.sign_up(actor=a, activity=w.activity)
    services.sign_up(actor=b, activity=w.activity)
    url = reverse("activities_activity:status", args=[w.activity.pk])
    client = english(client_for(w.staff))
    response = client.post(url, {"action": "cancel", "reason": ""})
    assert response.status_code == 200
    assert "Say why the activity is cancelled." in response.content.decode()
    assert Activity.objects.get(pk=w.activity.pk).status == "published"
    response = client.post(url, {"action": "cancel", "reason": "暴雨预警"})
    assert response.status_code == 302
    assert Activity.objects.get(pk=w.activity.pk).status == "cancelled"
    for person in (a, b):
        assert Event.objects.filter(topic=f"user:{person.pk}", type="activity.cancelled").exists()
    # Nothing left to do on a cancelled activity.
    response = client.post(url, {"action": "close"})
    assert response.status_code == 200
    assert Activity.objects.get(pk=w.activity.pk).status == "cancelled"


def test_publish_a_draft_and_close_approves_the_hours(admin_world):
    w = admin_world
    draft = make_activity(w, title="应急科普演练", publish_now=False)
    url = reverse("activities_activity:status", args=[draft.pk])
    assert client_for(w.staff).post(url, {"action": "publish"}).status_code == 302
    assert Activity.objects.get(pk=draft.pk).status == "published"
    (volunteer,) = residents(w, 1)
    services.sign_up(actor=volunteer, activity=draft)
    started(draft, ago=datetime.timedelta(hours=1))
    services.record_sheet(
        actor=w.staff,
        activity=draft,
        person=volunteer,
        checked_in_at=draft.starts_at,
        checked_out_at=draft.starts_at + datetime.timedelta(minutes=45),
    )
    response = client_for(w.street_staff).post(url, {"action": "close"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.finished_by) == ("finished", w.street_staff)
    record = ServiceRecord.objects.get(volunteer=volunteer)
    assert (record.status, record.reviewer) == ("approved", w.street_staff)


def test_inspect_shows_sign_ups_waiting_list_and_attendance(
    admin_world, django_assert_max_num_queries
):
    w = admin_world
    people = residents(w, 4)
    for person in people:
        services.sign_up(actor=person, activity=w.activity)
    started(w.activity)
    services.check_in(actor=w.staff, activity=w.activity, person=people[0])
    client = english(client_for(w.staff))
    url = reverse("activities_activity:inspect", args=[w.activity.pk])
    client.get(url)
    with django_assert_max_num_queries(40):
        response = client.get(url)
    body = response.content.decode()
    for person in people:
        assert person.get_display_name() in body
    assert "No. 1 on the waiting list" in body and "No. 3 on the waiting list" in body
    assert "Checked by the organiser" in body
    assert "1 confirmed, 3 waiting" in body
    assert w.activity.check_in_secret not in body
    assert "0 places left" in body


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_attendance_exports_csv_and_xlsx_filtered_by_activity(admin_world):
    w = admin_world
    fair = make_activity(w, title="公益集市", quota=None, hours=2)
    other = make_activity(w, title="集体生日会", quota=None, kind="event")
    volunteer, neighbour = residents(w, 2)
    for activity in (fair, other):
        for person in (volunteer, neighbour):
            services.sign_up(actor=person, activity=activity)
        started(activity, ago=datetime.timedelta(hours=1))
        services.record_sheet(
            actor=w.staff,
            activity=activity,
            person=volunteer,
            checked_in_at=activity.starts_at,
            checked_out_at=activity.starts_at + datetime.timedelta(hours=1),
        )
        services.check_in(actor=w.staff, activity=activity, person=neighbour)
    client = english(client_for(w.staff))
    url = reverse("activities_attendance:index")

    response = client.get(url, {"activity": fair.pk, "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = _body(response).decode().strip().splitlines()
    assert lines[0].startswith("Activity,Person,Checked in at,Checked out at,Checked in by")
    assert "Hours status" in lines[0]
    assert len(lines) == 3  # the heading and the two people of the fair only
    assert all(line.startswith("公益集市,") for line in lines[1:])
    (out,) = [line for line in lines[1:] if volunteer.get_display_name() in line]
    assert "1.00" in out and "Pending" in out and "From the paper sign-in sheet" in out
    assert "集体生日会" not in _body(response).decode()

    response = client.get(url, {"activity": fair.pk, "export": "xlsx"})
    assert response.status_code == 200
    data = _body(response)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheets = "".join(book.read(name).decode() for name in book.namelist())
    assert "公益集市" in sheets and "集体生日会" not in sheets

    # Staff of another community export nothing of these.
    response = client_for(w.other_staff).get(url, {"export": "csv"})
    assert len(_body(response).decode().strip().splitlines()) == 1


def test_listings_cost_the_same_however_many_rows(admin_world):
    w = admin_world
    client = client_for(w.staff)

    def cost(url):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    def add_rows(n, prefix):
        for i in range(n):
            activity = make_activity(w, title=f"活动{prefix}{i}", quota=None)
            person = residents(w, 1, prefix=f"{prefix}{i}")[0]
            services.sign_up(actor=person, activity=activity)
            started(activity)
            services.check_in(actor=w.staff, activity=activity, person=person)

    urls = [reverse("activities_activity:index"), reverse("activities_attendance:index")]
    add_rows(1, "a")
    before = [cost(url) for url in urls]
    add_rows(6, "b")
    after = [cost(url) for url in urls]
    assert after == before, (before, after)
