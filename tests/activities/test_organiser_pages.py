"""The organiser's pages: create and edit, the attendance page with its QR code, acting for
people without a phone, the paper sheet, hours, close and cancel."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from activities import codes, services
from activities.models import Activity, Attendance, Signup
from live.models import Event
from teams.models import ServiceRecord
from tests.factories import make_user, member
from tests.teams.conftest import client_for

from .conftest import make_activity, residents, started

pytestmark = pytest.mark.django_db


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def manage_url(activity):
    return reverse("activities:manage", args=[activity.pk])


def local(value):
    value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d"), value.strftime("%H:%M")


# --- who may open the pages ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["resident", "other_leader", "volunteer", "outsider"])
def test_others_are_refused(world, activity, role):
    client = client_for(getattr(world, role))
    for url in (
        manage_url(activity),
        reverse("activities:edit", args=[activity.pk]),
        reverse("activities:attendance_rows", args=[activity.pk]),
        reverse("activities:export", args=[activity.pk]) + "?format=csv",
        reverse("activities:code", args=[activity.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("activities:manage_cancel", args=[activity.pk]), {"reason": "rain"}
    )
    assert response.status_code == 403
    assert Activity.objects.get(pk=activity.pk).status == "published"


def test_anonymous_is_sent_to_sign_in(world, activity):
    client = client_for(None)
    response = client.get(manage_url(activity))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("activities:code", args=[activity.pk])).status_code == 403
    assert (
        client.get(reverse("activities:create") + f"?community={world.yuling.pk}").status_code
        == 302
    )


@pytest.mark.parametrize("role", ["leader", "staff", "superuser"])
def test_organisers_see_the_page(world, role):
    activity = make_activity(world, actor=world.leader)  # the leader organises it
    response = client_for(getattr(world, role)).get(manage_url(activity))
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )


def test_unknown_and_huge_ids_are_404(world):
    client = client_for(world.staff)
    for pk in (999999, 2**63, 10**30):
        assert client.get(f"/activities/{pk}/attendance/").status_code == 404
        assert client.get(f"/activities/{pk}/code/").status_code == 404
        assert client.post(f"/activities/{pk}/attendance/assist/", {}).status_code == 404


# --- the QR code ---------------------------------------------------------------------------------


def test_page_shows_the_qr_and_the_code_endpoint_gives_a_valid_code(world, activity):
    client = english(client_for(world.leader))
    response = client.get(manage_url(activity))
    html = response.content.decode()
    assert 'id="qr-box"' in html and "<svg" in html and "<path" in html
    assert f'data-live-topic="attendance:{activity.pk}"' in html

    response = client.get(reverse("activities:code", args=[activity.pk]), {"purpose": "in"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert set(data) >= {"code", "expires_at", "url", "svg"}
    assert codes.is_valid(activity, "in", data["code"])
    assert not codes.is_valid(activity, "out", data["code"])
    assert (
        data["url"] == f"http://testserver/activities/{activity.pk}/check-in/?code={data['code']}"
    )
    assert data["svg"].startswith("<svg") and "</svg>" in data["svg"]
    assert datetime.datetime.fromisoformat(data["expires_at"]) > timezone.now()

    out = client.get(reverse("activities:code", args=[activity.pk]), {"purpose": "out"}).json()
    assert codes.is_valid(activity, "out", out["code"]) and "/check-out/?code=" in out["url"]
    bad = client.get(reverse("activities:code", args=[activity.pk]), {"purpose": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_check_out_toggle_draws_the_check_out_code(world, activity):
    response = english(client_for(world.staff)).get(manage_url(activity), {"purpose": "out"})
    assert response.context["qr"]["url"].split("code=")[1] == codes.current(activity, "out")[0]
    assert "Check-out code</h2>" in response.content.decode()


def test_no_code_for_a_draft(world):
    draft = make_activity(world, publish_now=False)
    client = client_for(world.staff)
    assert client.get(reverse("activities:code", args=[draft.pk])).status_code == 409
    assert 'id="qr-box"' not in client.get(manage_url(draft)).content.decode()


# --- acting for people ---------------------------------------------------------------------------


def test_assisted_check_in_and_out(world, activity):
    (person,) = residents(world, 1)
    services.sign_up(actor=person, activity=activity)
    started(activity)
    client = client_for(world.leader)
    url = reverse("activities:assist", args=[activity.pk])
    response = client.post(url, {"person": person.pk, "purpose": "in"})
    assert response.status_code == 302
    attendance = Attendance.objects.get(activity=activity, person=person)
    assert attendance.check_in_method == "staff" and attendance.recorded_by == world.leader
    assert Event.objects.filter(topic=f"attendance:{activity.pk}", type="attendance.checked_in")
    Attendance.objects.filter(pk=attendance.pk).update(checked_in_at=activity.starts_at)
    client.post(url, {"person": person.pk, "purpose": "out"})
    attendance.refresh_from_db()
    assert attendance.checked_out_at is not None and attendance.check_out_method == "staff"
    assert attendance.record.status == "pending" and attendance.record.source == "attendance"


@pytest.mark.parametrize(
    "data",
    [
        {"person": "abc", "purpose": "in"},
        {"person": str(2**63), "purpose": "in"},
        {"person": "-1", "purpose": "in"},
        {"person": "999999", "purpose": "in"},
        {"purpose": "in"},
        {"person": "1", "purpose": "sideways"},
    ],
)
def test_bad_assist_input_is_a_form_error(world, activity, data):
    started(activity)
    response = client_for(world.staff).post(reverse("activities:assist", args=[activity.pk]), data)
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_assist_for_someone_not_on_the_list_is_refused(world, activity):
    started(activity)
    response = client_for(world.staff).post(
        reverse("activities:assist", args=[activity.pk]),
        {"person": world.resident.pk, "purpose": "in"},
    )
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_paper_sheet_times(world, activity):
    (person,) = residents(world, 1)
    services.sign_up(actor=person, activity=activity)
    started(activity, ago=datetime.timedelta(hours=2))
    day, start = local(activity.starts_at + datetime.timedelta(minutes=10))
    _day, end = local(activity.starts_at + datetime.timedelta(minutes=70))
    response = client_for(world.staff).post(
        reverse("activities:manage_sheet", args=[activity.pk]),
        {"person": person.pk, "date": day, "in_time": start, "out_time": end},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    attendance = Attendance.objects.get(activity=activity, person=person)
    assert attendance.check_in_method == "sheet" and attendance.check_out_method == "sheet"
    assert attendance.recorded_by == world.staff
    assert attendance.hours == Decimal("1.00")


@pytest.mark.parametrize(
    "times",
    [
        {"in_time": "25:99"},
        {"in_time": "10:00", "out_time": "09:00"},
        {"in_time": ""},
        {"date": "0001-01-01", "in_time": "10:00"},
        {"date": "not a day", "in_time": "10:00"},
    ],
)
def test_bad_sheet_times_are_form_errors(world, activity, times):
    (person,) = residents(world, 1)
    services.sign_up(actor=person, activity=activity)
    started(activity)
    data = {"person": person.pk, "date": local(activity.starts_at)[0], **times}
    response = english(client_for(world.staff)).post(
        reverse("activities:manage_sheet", args=[activity.pk]), data
    )
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not Attendance.objects.exists()


def test_sheet_time_in_the_future_is_shown_on_the_field(world, activity):
    (person,) = residents(world, 1)
    services.sign_up(actor=person, activity=activity)
    started(activity, ago=datetime.timedelta(minutes=5))
    day, later = local(timezone.now() + datetime.timedelta(hours=2))
    response = english(client_for(world.staff)).post(
        reverse("activities:manage_sheet", args=[activity.pk]),
        {"person": person.pk, "date": day, "in_time": later},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_sheet{person.pk}_in_time_error"' in html
    assert "cannot be in the future" in html


def _checked_out(world, activity, person, minutes=60):
    services.sign_up(actor=person, activity=activity)
    started(activity, ago=datetime.timedelta(hours=2))
    services.record_sheet(
        actor=world.staff,
        activity=activity,
        person=person,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.starts_at + datetime.timedelta(minutes=minutes),
    )
    return Attendance.objects.select_related("record").get(activity=activity, person=person)


def test_correct_hours(world, activity):
    (person,) = residents(world, 1)
    _checked_out(world, activity, person)
    response = client_for(world.leader).post(
        reverse("activities:manage_hours", args=[activity.pk]),
        {"person": person.pk, "hours": "1.5", "reason": "帮忙收拾到最后"},
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get(volunteer=person)
    assert record.hours == Decimal("1.50") and record.status == "pending"
    assert Event.objects.filter(topic=f"attendance:{activity.pk}", type="attendance.corrected")


@pytest.mark.parametrize(
    "data",
    [{"hours": "30", "reason": "x"}, {"hours": "NaN", "reason": "x"}, {"hours": "1", "reason": ""}],
)
def test_bad_hours_are_form_errors(world, activity, data):
    (person,) = residents(world, 1)
    _checked_out(world, activity, person)
    response = client_for(world.leader).post(
        reverse("activities:manage_hours", args=[activity.pk]), {"person": person.pk, **data}
    )
    assert response.status_code == 400
    assert ServiceRecord.objects.get(volunteer=person).hours == Decimal("1.00")


def test_sign_up_a_resident_by_phone_or_name(world, activity):
    person = member(
        make_user("wang@example.com", display_name="王奶奶", phone="+8613800001234"), world.yuling
    )
    client = client_for(world.leader)
    response = client.get(manage_url(activity), {"q": "1380000 1234"})
    found = response.context["found"]
    assert [item["person"] for item in found] == [person]
    assert "…1234" in response.content.decode()
    assert [
        i["person"] for i in client.get(manage_url(activity), {"q": "王奶"}).context["found"]
    ] == [person]
    response = client.post(
        reverse("activities:manage_signup", args=[activity.pk]), {"person": person.pk}
    )
    assert response.status_code == 302
    signup = Signup.objects.get(activity=activity, person=person)
    assert signup.status == "confirmed" and signup.assisted and signup.recorded_by == world.leader


@pytest.mark.parametrize("value", ["", "x", str(2**64), "999999"])
def test_sign_up_someone_unknown_is_refused(world, activity, value):
    response = client_for(world.staff).post(
        reverse("activities:manage_signup", args=[activity.pk]), {"person": value}
    )
    assert response.status_code == 400
    assert not Signup.objects.exists()


def test_outsider_cannot_be_signed_up_by_the_organiser(world, activity):
    response = client_for(world.staff).post(
        reverse("activities:manage_signup", args=[activity.pk]), {"person": world.outsider.pk}
    )
    assert response.status_code == 400
    assert not Signup.objects.exists()


# --- close and cancel ----------------------------------------------------------------------------


def test_close_confirms_then_approves(world, activity):
    a, b = residents(world, 2)
    services.sign_up(actor=b, activity=activity)
    _checked_out(world, activity, a)
    services.check_in(actor=world.staff, activity=activity, person=b)
    client = english(client_for(world.leader))
    url = reverse("activities:manage_close", args=[activity.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert [x.person for x in page.context["still_in"]] == [b]
    assert "居民r1" in page.content.decode()
    assert Activity.objects.get(pk=activity.pk).status == "published"  # GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert Activity.objects.get(pk=activity.pk).status == "finished"
    assert ServiceRecord.objects.get(volunteer=a).status == "approved"
    assert not ServiceRecord.objects.filter(volunteer=b).exists()


def test_cancel_needs_a_reason_and_notifies(world, activity):
    people = residents(world, 2)
    for person in people:
        services.sign_up(actor=person, activity=activity)
    client = english(client_for(world.staff))
    url = reverse("activities:manage_cancel", args=[activity.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and 'id="id_reason_error"' in response.content.decode()
    assert Activity.objects.get(pk=activity.pk).status == "published"
    response = client.post(url, {"reason": "暴雨预警"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == "cancelled" and activity.cancel_reason == "暴雨预警"
    told = set(
        Event.objects.filter(type="activity.cancelled", topic__startswith="user:").values_list(
            "topic", flat=True
        )
    )
    assert told == {f"user:{p.pk}" for p in people}


# --- create and edit ----------------------------------------------------------------------------


def _form_data(**changes):
    day = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    data = {
        "title": "邻里节",
        "kind": "event",
        "place": "玉岭社区广场",
        "date": day,
        "start_time": "09:00",
        "end_time": "11:30",
        "quota": "20",
        "audience": "residents",
        "description": "欢迎大家",
        "action": "publish",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_staff_create_and_publish(world):
    client = client_for(world.staff)
    url = reverse("activities:create") + f"?community={world.yuling.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, _form_data(required_skills=["sanitation"]))
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert response["Location"] == manage_url(activity)
    assert activity.status == "published" and activity.team is None and activity.quota == 20
    assert timezone.localtime(activity.starts_at).strftime("%H:%M") == "09:00"
    assert activity.ends_at - activity.starts_at == datetime.timedelta(hours=2, minutes=30)
    assert [s.slug for s in activity.required_skills.all()] == ["sanitation"]


def test_leader_creates_a_draft_for_the_team(world):
    client = client_for(world.leader)
    url = reverse("activities:create") + f"?community={world.yuling.pk}"
    response = client.post(url, _form_data(action="draft", team=world.team.pk, audience="team"))
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.status == "draft" and activity.team == world.team
    assert activity.organiser == world.leader


def test_leader_cannot_choose_another_team(world):
    client = client_for(world.leader)
    url = reverse("activities:create") + f"?community={world.yuling.pk}"
    response = client.post(url, _form_data(team=world.other_team.pk))
    assert response.status_code == 400
    assert not Activity.objects.exists()


@pytest.mark.parametrize("role", ["resident", "volunteer", "anonymous"])
def test_others_cannot_create(world, role):
    client = client_for(getattr(world, role))
    response = client.get(reverse("activities:create") + f"?community={world.yuling.pk}")
    assert response.status_code in (302, 403)
    if role != "anonymous":
        assert response.status_code == 403
        assert client.get(reverse("activities:create")).status_code == 403


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"end_time": "08:00"}, "end_time"),
        ({"start_time": "9 点"}, "start_time"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"title": ""}, "title"),
        ({"quota": "0"}, "quota"),
        ({"quota": str(10**20)}, "quota"),
        ({"kind": "party"}, "kind"),
        ({"audience": "team"}, "audience"),  # no organising team chosen
        ({"end_date": "2030-01-01"}, "end_time"),  # longer than 24 hours
        ({"date": "2001-05-01"}, "end_time"),  # already over
        ({"required_skills": ["no-such-skill"]}, "required_skills"),
    ],
)
def test_bad_input_is_shown_on_the_field_and_kept(world, changes, field):
    client = english(client_for(world.staff))
    url = reverse("activities:create") + f"?community={world.yuling.pk}"
    response = client.post(url, _form_data(**changes))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    html = response.content.decode()
    assert 'value="玉岭社区广场"' in html  # nothing typed is lost
    assert not Activity.objects.exists()


@pytest.mark.parametrize("value", ["abc", str(2**64), "999999"])
def test_bad_community_is_404(world, value):
    response = client_for(world.staff).get(reverse("activities:create") + f"?community={value}")
    assert response.status_code == 404


def test_edit_a_draft_then_publish(world):
    draft = make_activity(world, publish_now=False, quota=2)
    client = client_for(world.staff)
    url = reverse("activities:edit", args=[draft.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["place"] == "玉岭社区广场"
    day, start = local(draft.starts_at)
    end_day, end = local(draft.ends_at)
    data = _form_data(
        date=day,
        start_time=start,
        end_time=end,
        end_date=end_day,
        title="公益集市（改）",
        quota="5",
        kind="service",
    )
    data.pop("team", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    draft.refresh_from_db()
    assert draft.title == "公益集市（改）" and draft.quota == 5 and draft.status == "published"


def test_community_chooser(world):
    client = client_for(world.leader)
    response = client.get(reverse("activities:create") + f"?team={world.team.pk}")
    assert response.status_code == 302
    assert f"community={world.yuling.pk}" in response["Location"]


def test_links_from_the_team_page_and_the_inbox(world):
    leader_page = client_for(world.leader).get(reverse("teams:team_detail", args=[world.team.pk]))
    assert 'id="link-organise-activity"' in leader_page.content.decode()
    member_page = client_for(world.volunteer).get(
        reverse("teams:team_detail", args=[world.team.pk])
    )
    assert 'id="link-organise-activity"' not in member_page.content.decode()
    inbox = client_for(world.staff).get(reverse("communities:inbox"))
    assert 'id="link-organise-activity"' in inbox.content.decode()


# --- the list and its live fragment ----------------------------------------------------------


def test_rows_fragment_and_counts(world, activity):
    a, b, c, d = residents(world, 4)
    for person in (a, b, c, d):
        services.sign_up(actor=person, activity=activity)  # quota 3: d waits
    started(activity)
    services.check_in(actor=world.staff, activity=activity, person=a)
    response = client_for(world.leader).get(
        reverse("activities:attendance_rows", args=[activity.pk])
    )
    assert response.status_code == 200
    assert response.context["counts"] == {
        "confirmed": 3,
        "waiting": 1,
        "arrived": 1,
        "left": 0,
        "places_left": 0,
    }
    html = response.content.decode()
    assert 'id="manage-counts"' in html and f'id="person-{d.pk}"' in html
    assert "<html" not in html


def test_manage_page_queries_do_not_grow_with_attendees(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.leader)

    def count(activity, url_name="activities:manage"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url_name, args=[activity.pk]))
            assert response.status_code == 200
        return len(queries)

    def filled(people, prefix):
        activity = make_activity(world, quota=None, title=prefix)
        people = residents(world, people, prefix=prefix)
        for person in people:
            services.sign_up(actor=person, activity=activity)
        started(activity, ago=datetime.timedelta(hours=1))
        for i, person in enumerate(people):
            if i % 3 == 2:
                continue
            services.check_in(
                actor=world.staff, activity=activity, person=person, at=activity.starts_at
            )
            if i % 3 == 1:
                services.check_out(actor=world.staff, activity=activity, person=person)
        return activity

    small, large = filled(2, "a"), filled(12, "b")
    count(small)  # warm the session and the caches
    assert Attendance.objects.filter(activity=large, record__isnull=False).count() == 4
    assert count(large) == count(small)
    assert count(large, "activities:attendance_rows") == count(small, "activities:attendance_rows")
    with django_assert_max_num_queries(count(small)):
        client.get(reverse("activities:export", args=[large.pk]) + "?format=xlsx")


def test_empty_post_shows_the_required_fields(world):
    client = english(client_for(world.staff))
    response = client.post(reverse("activities:create") + f"?community={world.yuling.pk}", {})
    assert response.status_code == 400
    assert {"title", "place", "date", "start_time", "end_time"} <= set(
        response.context["form"].errors
    )


def test_publish_a_draft_from_the_attendance_page(world):
    draft = make_activity(world, publish_now=False)
    url = reverse("activities:manage_publish", args=[draft.pk])
    assert client_for(world.resident).post(url).status_code == 403
    assert client_for(world.leader).post(url).status_code == 302
    assert Activity.objects.get(pk=draft.pk).status == "published"
