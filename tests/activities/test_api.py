"""The activities' JSON API: every endpoint, its status codes, refusals with their `code`,
field errors, drafts hidden as 404, and a list whose cost does not grow with its rows."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from activities import codes, services
from activities.models import Activity, Attendance, Signup
from live.models import Event
from teams.models import ServiceRecord, Skill, TeamMembership
from tests.factories import make_user, member
from tests.teams.conftest import client_for

from .conftest import make_activity, residents, started

P = "/api/v1"
HUGE = 2**70

ACTIVITY_FIELDS = {
    "id",
    "title",
    "kind",
    "status",
    "community",
    "team",
    "place",
    "starts_at",
    "ends_at",
    "quota",
    "confirmed_count",
    "waitlist_count",
    "my_signup",
    "url",
    "places_left",
    "required_skills",
    "audience",
    "description",
    "organiser",
}
ATTENDANCE_FIELDS = {"person", "checked_in_at", "checked_out_at", "method", "hours", "record"}


@pytest.fixture(autouse=True)
def no_write_limits(settings):
    settings.WRITE_RATE_LIMITS = {"user": None, "anonymous": None}


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, json.dumps(body), content_type="application/json")


def in_days(days, hours=0):
    return (timezone.now() + datetime.timedelta(days=days, hours=hours)).isoformat()


def new_activity_body(**fields):
    body = {
        "title": "邻里节",
        "kind": "event",
        "place": "玉岭社区广场",
        "starts_at": in_days(3),
        "ends_at": in_days(3, 2),
        "quota": 20,
        "description": "二十四节气·冬至包饺子",
    }
    body.update(fields)
    return body


# --- list and detail -----------------------------------------------------------------------------


def test_list_shows_published_activities_with_counts_and_filters(world):
    upcoming = make_activity(world, quota=2)
    draft = make_activity(world, title="草稿活动", publish_now=False)
    staff_run = make_activity(world, title="应急科普", team=None, kind="training")
    past = make_activity(world, title="公益集市")
    started(past, ago=datetime.timedelta(days=5))
    a, b, c = residents(world, 3)
    for person in (a, b, c):
        services.sign_up(actor=person, activity=upcoming)

    response = client_for(None).get(f"{P}/activities")
    assert response.status_code == 200
    body = response.json()
    ids = [item["id"] for item in body["items"]]
    assert draft.pk not in ids
    assert set(ids) == {upcoming.pk, staff_run.pk, past.pk} and body["count"] == 3
    item = next(i for i in body["items"] if i["id"] == upcoming.pk)
    assert set(item) >= ACTIVITY_FIELDS
    assert item["confirmed_count"] == 2 and item["waitlist_count"] == 1
    assert item["places_left"] == 0 and item["my_signup"] is None
    assert item["community"] == {"id": world.yuling.pk, "name": world.yuling.name}
    assert item["team"] == {"id": world.team.pk, "name": world.team.name}
    assert item["url"] == upcoming.get_absolute_url()

    upcoming_ids = [
        i["id"] for i in client_for(None).get(f"{P}/activities?upcoming=true").json()["items"]
    ]
    assert past.pk not in upcoming_ids and upcoming.pk in upcoming_ids
    team_ids = [
        i["id"]
        for i in client_for(None).get(f"{P}/activities?team={world.team.pk}").json()["items"]
    ]
    assert staff_run.pk not in team_ids and upcoming.pk in team_ids
    # The street lists the activities of the communities below it; another community none.
    street = client_for(None).get(f"{P}/activities?community={world.street.pk}").json()
    assert street["count"] == 3
    other = client_for(None).get(f"{P}/activities?community={world.other.pk}").json()
    assert other == {"items": [], "count": 0}
    for query in (f"community={HUGE}", f"team={HUGE}", "community=999999"):
        response = client_for(None).get(f"{P}/activities?{query}")
        assert response.status_code == 200 and response.json()["count"] == 0
    assert client_for(None).get(f"{P}/activities?limit=0").status_code == 400
    assert client_for(None).get(f"{P}/activities?community=x").status_code == 400


def test_list_marks_my_signup_with_waitlist_position(world):
    activity = make_activity(world, quota=1)
    a, b, c = residents(world, 3)
    for person in (a, b, c):
        services.sign_up(actor=person, activity=activity)
    for person, expected in (
        (a, {"status": "confirmed", "position": None}),
        (b, {"status": "waitlisted", "position": 1}),
        (c, {"status": "waitlisted", "position": 2}),
        (world.resident, None),
    ):
        items = client_for(person).get(f"{P}/activities").json()["items"]
        assert items[0]["my_signup"] == expected, person
    services.cancel_signup(actor=b, activity=activity)
    items = client_for(c).get(f"{P}/activities").json()["items"]
    assert items[0]["my_signup"] == {"status": "waitlisted", "position": 1}


@pytest.mark.parametrize("role", ["anonymous", "resident", "staff"])
def test_list_queries_are_constant(world, role, django_assert_max_num_queries):
    client = client_for(getattr(world, role))

    def more(n):
        people = residents(world, n, prefix=f"q{Activity.objects.count()}-")
        for i in range(n):
            activity = make_activity(world, title=f"活动{i}")
            services.sign_up(actor=people[i], activity=activity)
            if role == "resident":
                services.sign_up(actor=world.resident, activity=activity)
            activity.required_skills.set(Skill.objects.filter(slug="sanitation"))

    more(2)
    client.get(f"{P}/activities")
    with django_assert_max_num_queries(12) as small:
        response = client.get(f"{P}/activities?limit=100")
    assert response.json()["count"] == 2
    more(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{P}/activities?limit=100")
    body = response.json()
    assert body["count"] == 14
    assert all(item["required_skills"] == ["sanitation"] for item in body["items"])
    if role == "resident":
        assert all(item["my_signup"]["status"] == "confirmed" for item in body["items"])


def test_detail_has_counts_my_signup_and_refusal(world):
    activity = make_activity(world, quota=1, required_skills=["sanitation"], audience="volunteers")
    response = client_for(None).get(f"{P}/activities/{activity.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= ACTIVITY_FIELDS
    assert body["required_skills"] == ["sanitation"]
    assert body["audience"] == "volunteers"
    assert body["organiser"] == {"id": world.staff.pk, "display_name": "社工"}
    assert body["places_left"] == 1 and body["my_signup"] is None
    assert body["signup_refusal"]["code"] == "sign_in" and body["can_manage"] is False

    body = client_for(world.resident).get(f"{P}/activities/{activity.pk}").json()
    assert body["signup_refusal"]["code"] == "volunteers_only"

    services.sign_up(actor=world.volunteer, activity=activity)
    body = client_for(world.volunteer).get(f"{P}/activities/{activity.pk}").json()
    assert body["my_signup"] == {"status": "confirmed", "position": None}
    assert body["signup_refusal"] is None
    assert body["confirmed_count"] == 1 and body["places_left"] == 0

    body = client_for(world.leader).get(f"{P}/activities/{activity.pk}").json()
    assert body["can_manage"] is True


def test_drafts_are_404_to_those_who_may_not_see_them(world):
    draft = make_activity(world, publish_now=False, actor=world.leader)
    for user in (None, world.resident, world.volunteer, world.other_leader, world.other_staff):
        client = client_for(user)
        assert client.get(f"{P}/activities/{draft.pk}").status_code == 404
        if user is not None:
            response = post(client, f"{P}/activities/{draft.pk}/signup")
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
    for user in (world.leader, world.staff, world.street_staff, world.superuser):
        response = client_for(user).get(f"{P}/activities/{draft.pk}")
        assert response.status_code == 200, user
        assert response.json()["status"] == "draft"


def test_unknown_and_huge_ids_are_404(world):
    client = client_for(world.staff)
    for pk in (999999, HUGE, 0):
        assert client.get(f"{P}/activities/{pk}").status_code == 404
        assert post(client, f"{P}/activities/{pk}/signup").status_code == 404
        assert client.get(f"{P}/activities/{pk}/attendance").status_code == 404
        assert (
            post(client, f"{P}/communities/{pk}/activities", new_activity_body()).status_code == 404
        )
    assert client.get(f"{P}/activities/abc").status_code in (400, 404)


# --- creating, editing, cancelling ----------------------------------------------------------------


def test_staff_create_a_published_activity(world):
    client = client_for(world.staff)
    body = new_activity_body(required_skills=["elderly-care"], audience="residents")
    response = post(client, f"{P}/communities/{world.yuling.pk}/activities", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "published" and data["team"] is None
    assert data["required_skills"] == ["elderly-care"]
    assert data["quota"] == 20 and data["places_left"] == 20
    assert data["kind"] == "event" and data["description"] == "二十四节气·冬至包饺子"
    activity = Activity.objects.get(pk=data["id"])
    assert activity.organiser == world.staff
    assert Event.objects.filter(
        topic=f"community:{world.yuling.pk}", type="activity.published"
    ).exists()


def test_a_leader_creates_for_their_team_only(world):
    client = client_for(world.leader)
    path = f"{P}/communities/{world.yuling.pk}/activities"
    response = post(client, path, new_activity_body(team=world.team.pk, audience="team"))
    assert response.status_code == 201, response.content
    assert response.json()["team"]["id"] == world.team.pk
    assert response.json()["audience"] == "team"
    # Without a team (staff's own) or for another team: a field error on team or a refusal.
    response = post(client, path, new_activity_body())
    assert response.status_code == 403
    response = post(client, path, new_activity_body(team=world.other_team.pk))
    assert response.status_code == 400 and "team" in response.json()["errors"]
    response = post(client, path, new_activity_body(team=HUGE))
    assert response.status_code == 400 and "team" in response.json()["errors"]


@pytest.mark.parametrize("role", ["resident", "volunteer", "outsider", "pending"])
def test_others_may_not_create(world, role):
    response = post(
        client_for(getattr(world, role)),
        f"{P}/communities/{world.yuling.pk}/activities",
        new_activity_body(),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_anonymous_writes_are_401(world, activity):
    client = client_for(None)
    for path in (
        f"{P}/communities/{world.yuling.pk}/activities",
        f"{P}/activities/{activity.pk}/signup",
        f"{P}/activities/{activity.pk}/check-in",
        f"{P}/activities/{activity.pk}/check-out",
        f"{P}/activities/{activity.pk}/close",
        f"{P}/activities/{activity.pk}/cancel",
    ):
        response = post(client, path, {})
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"
    assert client.delete(f"{P}/activities/{activity.pk}/signup").status_code == 401
    assert patch(client, f"{P}/activities/{activity.pk}", {"title": "x"}).status_code == 401


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"quota": 0}, "quota"),
        ({"quota": -3}, "quota"),
        ({"quota": 10**9}, "quota"),
        ({"quota": "many"}, "quota"),
        ({"quota": True}, "quota"),
        ({"quota": 2.5}, "quota"),
        ({"ends_at": in_days(2)}, "ends_at"),  # before the start
        ({"starts_at": in_days(-3), "ends_at": in_days(-3, 2)}, "ends_at"),  # already over
        ({"ends_at": in_days(5)}, "ends_at"),  # longer than a day
        ({"starts_at": "tomorrow"}, "starts_at"),
        # The ends of the calendar cannot be stored (UTC would overflow): a field error.
        (
            {"starts_at": "9999-12-31T20:00:00-14:00", "ends_at": "9999-12-31T21:00:00-14:00"},
            "ends_at",
        ),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, "starts_at"),
        ({"required_skills": ["juggling"]}, "required_skills"),
        ({"kind": "party"}, "kind"),
        ({"audience": "everyone"}, "audience"),
        ({"audience": "team"}, "audience"),  # no team named
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"place": ""}, "place"),
        ({"title": "bad\x00title"}, "title"),
        ({"team": "one"}, "team"),
    ],
)
def test_create_field_errors(world, fields, field):
    response = post(
        client_for(world.staff),
        f"{P}/communities/{world.yuling.pk}/activities",
        new_activity_body(**fields),
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    assert not Activity.objects.exists()


def test_organiser_edits_and_more_places_promote(world):
    activity = make_activity(world, quota=1, actor=world.leader)
    a, b = residents(world, 2)
    services.sign_up(actor=a, activity=activity)
    services.sign_up(actor=b, activity=activity)
    path = f"{P}/activities/{activity.pk}"
    response = patch(
        client_for(world.leader), path, {"quota": 2, "place": "活动室", "required_skills": []}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["place"] == "活动室" and body["quota"] == 2
    assert body["confirmed_count"] == 2 and body["waitlist_count"] == 0
    assert Signup.objects.get(person=b).status == "confirmed"
    response = patch(client_for(world.leader), path, {"quota": None})
    assert response.status_code == 200 and response.json()["places_left"] is None
    response = patch(client_for(world.leader), path, {"quota": 0})
    assert response.status_code == 400 and "quota" in response.json()["errors"]
    response = patch(client_for(world.leader), path, {"required_skills": ["nope"]})
    assert response.status_code == 400 and "required_skills" in response.json()["errors"]
    response = patch(client_for(world.resident), path, {"title": "改个名"})
    assert response.status_code == 403
    assert Activity.objects.get(pk=activity.pk).title == "公益集市"


def test_cancel_tells_people_and_is_409_again(world):
    activity = make_activity(world)
    services.sign_up(actor=world.resident, activity=activity)
    path = f"{P}/activities/{activity.pk}/cancel"
    assert post(client_for(world.resident), path, {"reason": "下雨"}).status_code == 403
    response = post(client_for(world.staff), path, {})
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = post(client_for(world.staff), path, {"reason": "暴雨预警，改期"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "暴雨预警，改期"
    assert Event.objects.filter(
        topic=f"user:{world.resident.pk}", type="activity.cancelled"
    ).exists()
    response = post(client_for(world.staff), path, {"reason": "再取消"})
    assert response.status_code == 409 and response.json()["code"] == "wrong_state"
    response = post(client_for(world.volunteer), f"{P}/activities/{activity.pk}/signup")
    assert response.status_code == 403 and response.json()["code"] == "not_open"


# --- sign-up -----------------------------------------------------------------------------------


def test_sign_up_201_then_200_the_same_and_waitlist_positions(world):
    activity = make_activity(world, quota=1)
    a, b, c = residents(world, 3)
    path = f"{P}/activities/{activity.pk}/signup"
    response = post(client_for(a), path)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "confirmed" and response.json()["position"] is None
    assert response.json()["person"]["id"] == a.pk and response.json()["places_left"] == 0
    again = post(client_for(a), path)
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["position"]) == ("confirmed", None)
    response = post(client_for(b), path)
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["position"]) == ("waitlisted", 1)
    response = post(client_for(c), path)
    assert (response.json()["status"], response.json()["position"]) == ("waitlisted", 2)
    again = post(client_for(c), path)
    assert again.status_code == 200 and again.json()["position"] == 2
    assert again.json()["waitlist_count"] == 2
    assert Signup.objects.filter(activity=activity).count() == 3


def test_cancel_signup_promotes_the_first_waiting(world):
    activity = make_activity(world, quota=1)
    a, b, c = residents(world, 3)
    for person in (a, b, c):
        services.sign_up(actor=person, activity=activity)
    path = f"{P}/activities/{activity.pk}/signup"
    response = client_for(a).delete(path)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["confirmed_count"] == 1 and response.json()["waitlist_count"] == 1
    assert Signup.objects.get(person=b).status == "confirmed"
    assert Event.objects.filter(topic=f"user:{b.pk}", type="activity.promoted").exists()
    body = client_for(c).get(f"{P}/activities/{activity.pk}").json()
    assert body["my_signup"] == {"status": "waitlisted", "position": 1}
    # Nothing to cancel: 409 with its code.
    response = client_for(world.resident).delete(path)
    assert response.status_code == 409 and response.json()["code"] == "not_signed_up"


def test_sign_up_refusals_carry_their_code(world):
    team_only = make_activity(world, audience="team")
    skilled = make_activity(world, audience="volunteers", required_skills=["elderly-care"])
    residents_only = make_activity(world)
    soon = make_activity(world)
    started(soon)
    cases = [
        (world.resident, team_only, "team_only"),
        (world.resident, skilled, "volunteers_only"),
        (world.volunteer, skilled, "skills"),
        (world.outsider, residents_only, "residents_only"),
        (world.pending, residents_only, "residents_only"),
        (world.resident, soon, "started"),
    ]
    for person, activity, code in cases:
        response = post(client_for(person), f"{P}/activities/{activity.pk}/signup")
        assert response.status_code == 403, (code, response.content)
        assert response.json()["code"] == code
        assert response.json()["detail"]
    response = post(client_for(world.volunteer), f"{P}/activities/{team_only.pk}/signup")
    assert response.status_code == 201


def test_assisted_sign_up_and_cancel_with_person(world):
    activity = make_activity(world, quota=5)
    elder = member(make_user("elder@example.com", display_name="王奶奶"), world.yuling)
    path = f"{P}/activities/{activity.pk}/signup"
    response = post(client_for(world.leader), path, {"person": elder.pk})
    assert response.status_code == 201, response.content
    assert response.json()["assisted"] is True
    assert response.json()["person"] == {"id": elder.pk, "display_name": "王奶奶"}
    signup = Signup.objects.get(person=elder)
    assert signup.recorded_by == world.leader
    again = post(client_for(world.staff), path, {"person": elder.pk})
    assert again.status_code == 200
    # Not for someone else unless organiser or staff; bad ids are field errors.
    response = post(client_for(world.resident), path, {"person": elder.pk})
    assert response.status_code == 403
    for value, status in (("abc", 400), (HUGE, 400), (999999, 400), (1.5, 400), (True, 400)):
        response = post(client_for(world.staff), path, {"person": value})
        assert response.status_code == status, (value, response.content)
        assert "person" in response.json()["errors"]
    # Oneself by id is just signing up.
    response = post(client_for(world.resident), path, {"person": world.resident.pk})
    assert response.status_code == 201 and response.json()["assisted"] is False
    # Cancelling for someone: ?person=.
    assert client_for(world.resident).delete(f"{path}?person={elder.pk}").status_code == 403
    response = client_for(world.leader).delete(f"{path}?person={elder.pk}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert client_for(world.leader).delete(f"{path}?person=abc").status_code == 400
    assert client_for(world.leader).delete(f"{path}?person={HUGE}").status_code == 400


# --- check-in code, check-in, check-out, attendance -------------------------------------------


def test_check_in_code_for_organisers_only(world, activity):
    path = f"{P}/activities/{activity.pk}/check-in-code"
    assert client_for(None).get(path).status_code == 401
    for user in (world.resident, world.volunteer, world.other_leader):
        response = client_for(user).get(path)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = client_for(world.leader).get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    code, until = codes.current(activity, "in")
    assert body["code"] in (code, codes.current(activity, "in", until)[0])
    assert codes.is_valid(activity, "in", body["code"])
    assert body["url"] == (
        f"http://testserver/activities/{activity.pk}/check-in/?code={body['code']}"
    )
    assert datetime.datetime.fromisoformat(body["expires_at"]) > timezone.now()
    out = client_for(world.staff).get(f"{path}?purpose=out").json()
    assert out["url"].startswith(f"http://testserver/activities/{activity.pk}/check-out/?code=")
    assert codes.is_valid(activity, "out", out["code"])
    assert client_for(world.staff).get(f"{path}?purpose=sideways").status_code == 400


def test_check_in_and_out_with_the_code_gives_pending_hours(world):
    activity = make_activity(world, quota=3, hours=3)
    services.sign_up(actor=world.volunteer, activity=activity)
    started(activity, ago=datetime.timedelta(hours=1))
    client = client_for(world.volunteer)
    code = client_for(world.leader).get(f"{P}/activities/{activity.pk}/check-in-code").json()
    response = post(client, f"{P}/activities/{activity.pk}/check-in", {"code": code["code"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= ATTENDANCE_FIELDS
    assert body["method"] == "code" and body["person"]["id"] == world.volunteer.pk
    assert body["checked_out_at"] is None and body["record"] is None
    again = post(client, f"{P}/activities/{activity.pk}/check-in", {"code": code["code"]})
    assert again.status_code == 200 and again.json()["checked_in_at"] == body["checked_in_at"]
    # An hour ago by the organiser's clock: the sheet time stands in for arriving on time.
    Attendance.objects.filter(person=world.volunteer).update(checked_in_at=activity.starts_at)
    out = (
        client_for(world.leader)
        .get(f"{P}/activities/{activity.pk}/check-in-code?purpose=out")
        .json()
    )
    # The check-in code does not check out.
    response = post(client, f"{P}/activities/{activity.pk}/check-out", {"code": code["code"]})
    assert response.status_code == 403 and response.json()["code"] == "wrong_code"
    response = post(client, f"{P}/activities/{activity.pk}/check-out", {"code": out["code"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert Decimal(body["hours"]) >= Decimal("0.99")
    assert body["record"]["status"] == "pending"
    assert body["record"]["hours"] == body["hours"]
    record = ServiceRecord.objects.get(pk=body["record"]["id"])
    assert record.volunteer == world.volunteer and record.source == "attendance"
    again = post(client, f"{P}/activities/{activity.pk}/check-out", {"code": out["code"]})
    assert again.status_code == 200 and again.json()["record"]["id"] == record.pk


def test_check_in_refusals(world):
    activity = make_activity(world, quota=1)
    other = make_activity(world, title="另一个活动")
    a, b = residents(world, 2)
    services.sign_up(actor=a, activity=activity)
    services.sign_up(actor=b, activity=activity)  # waitlisted
    started(activity)
    started(other)
    path = f"{P}/activities/{activity.pk}/check-in"
    own, _until = codes.current(activity, "in")
    foreign, _until = codes.current(other, "in")
    old = codes.current(activity, "in", now=0)[0]
    for person, body, status, code in (
        (a, {"code": foreign}, 403, "invalid_code"),
        (a, {"code": old}, 403, "invalid_code"),
        (a, {"code": "x" * 12}, 403, "invalid_code"),
        (a, {"code": "码" * 12}, 403, "invalid_code"),
        (a, {}, 400, "invalid"),
        (b, {"code": own}, 403, "waitlisted"),
        (world.resident, {"code": own}, 403, "not_signed_up"),
        (a, {"code": own, "at": activity.starts_at.isoformat()}, 403, "forbidden"),
        (a, {"code": own, "person": b.pk}, 403, "forbidden"),
        (a, {"code": own, "person": "b"}, 400, "invalid"),
    ):
        response = post(client_for(person), path, body)
        assert response.status_code == status, (body, response.content)
        assert response.json()["code"] == code, (body, response.json())
    assert not Attendance.objects.exists()
    # Before the activity opens for check-in, and once it is over.
    later = make_activity(world, starts_in=datetime.timedelta(days=1))
    services.sign_up(actor=a, activity=later)
    response = post(
        client_for(a),
        f"{P}/activities/{later.pk}/check-in",
        {"code": codes.current(later, "in")[0]},
    )
    assert response.status_code == 409 and response.json()["code"] == "too_early"
    # Checking out before checking in.
    response = post(
        client_for(a),
        f"{P}/activities/{activity.pk}/check-out",
        {"code": codes.current(activity, "out")[0]},
    )
    assert response.status_code == 409 and response.json()["code"] == "not_checked_in"


def test_organiser_checks_people_in_and_out_with_sheet_times(world):
    activity = make_activity(world, hours=2)
    elder = member(make_user("elder@example.com", display_name="王奶奶"), world.yuling)
    services.sign_up(actor=world.leader, activity=activity, person=elder)
    started(activity, ago=datetime.timedelta(hours=3))  # over an hour ago
    client = client_for(world.leader)
    at_in = (activity.starts_at - datetime.timedelta(minutes=20)).isoformat()
    response = post(
        client, f"{P}/activities/{activity.pk}/check-in", {"person": elder.pk, "at": at_in}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["method"] == "sheet" and body["recorded_by"]["id"] == world.leader.pk
    at_out = (activity.starts_at + datetime.timedelta(minutes=90)).isoformat()
    response = post(
        client, f"{P}/activities/{activity.pk}/check-out", {"person": elder.pk, "at": at_out}
    )
    assert response.status_code == 200, response.content
    assert response.json()["hours"] == "1.50"  # early arrival counts nothing
    assert response.json()["record"]["status"] == "pending"
    # A time in the future or far from the day is a field error.
    for at in (in_days(1), in_days(-10), "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59"):
        response = post(
            client, f"{P}/activities/{activity.pk}/check-in", {"person": world.leader.pk, "at": at}
        )
        assert response.status_code in (400, 403), response.content
    response = post(
        client, f"{P}/activities/{activity.pk}/check-in", {"person": elder.pk, "at": "noon"}
    )
    assert response.status_code == 400 and "at" in response.json()["errors"]


def test_attendance_list_is_for_organisers_and_staff(world):
    activity = make_activity(world, quota=1)
    a, b = residents(world, 2)
    services.sign_up(actor=a, activity=activity)
    services.sign_up(actor=b, activity=activity)
    started(activity)
    services.check_in(actor=world.leader, activity=activity, person=a)
    path = f"{P}/activities/{activity.pk}/attendance"
    assert client_for(None).get(path).status_code == 401
    for user in (world.resident, a, world.volunteer, world.other_leader, world.other_staff):
        response = client_for(user).get(path)
        assert response.status_code == 403, user
        assert response.json()["code"] == "forbidden"
    for user in (world.leader, world.staff, world.superuser):
        response = client_for(user).get(path)
        assert response.status_code == 200, user
    body = response.json()
    assert body["confirmed_count"] == 1 and body["waitlist_count"] == 1
    assert body["arrived_count"] == 1 and body["left_count"] == 0
    first, second = body["items"]
    assert first["person"]["id"] == a.pk and first["status"] == "confirmed"
    assert first["attendance"]["method"] == "staff"
    assert set(first["attendance"]) >= ATTENDANCE_FIELDS
    assert second["person"]["id"] == b.pk
    assert (second["status"], second["position"], second["attendance"]) == (
        "waitlisted",
        1,
        None,
    )


def test_attendance_list_queries_are_constant(world, django_assert_max_num_queries):
    activity = make_activity(world, quota=None)
    client = client_for(world.staff)
    path = f"{P}/activities/{activity.pk}/attendance"

    def more(n, prefix):
        people = residents(world, n, prefix=prefix)
        for person in people:  # at the desk: walk-ins after the start too
            services.sign_up(actor=world.staff, activity=activity, person=person)
        return people

    early = more(2, "s")
    started(activity)
    services.check_in(actor=world.staff, activity=activity, person=early[0])
    client.get(path)
    with django_assert_max_num_queries(12) as small:
        client.get(path)
    late = more(10, "t")
    for person in late:
        services.check_in(actor=world.staff, activity=activity, person=person)
        services.check_out(actor=world.staff, activity=activity, person=person)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(path)
    assert len(response.json()["items"]) == 12


def test_correct_hours_and_close_approve(world):
    activity = make_activity(world, hours=3)
    a, b = residents(world, 2)
    for person in (a, b):
        services.sign_up(actor=person, activity=activity)
    started(activity, ago=datetime.timedelta(hours=2))
    for person in (a, b):
        services.check_in(
            actor=world.leader, activity=activity, person=person, at=activity.starts_at
        )
        services.check_out(actor=world.leader, activity=activity, person=person)
    path = f"{P}/activities/{activity.pk}/attendance/{a.pk}/correct"
    response = post(client_for(a), path, {"hours": "3", "reason": "我多干了"})
    assert response.status_code == 403
    for body, field in (
        ({"hours": "25", "reason": "多记"}, "hours"),
        ({"hours": "-1", "reason": "多记"}, "hours"),
        ({"hours": "abc", "reason": "多记"}, "hours"),
        ({"hours": "1.5", "reason": "  "}, "reason"),
        ({"hours": "1.5"}, "reason"),
    ):
        response = post(client_for(world.leader), path, body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], body
    response = post(client_for(world.leader), path, {"hours": "1.5", "reason": "中途离开一小时"})
    assert response.status_code == 200, response.content
    assert response.json()["hours"] == "1.50"
    assert response.json()["record"] == {
        "id": response.json()["record"]["id"],
        "status": "pending",
        "hours": "1.50",
    }
    for missing in (world.resident.pk, 999999, HUGE):
        response = post(
            client_for(world.leader),
            f"{P}/activities/{activity.pk}/attendance/{missing}/correct",
            {"hours": "1", "reason": "x"},
        )
        assert response.status_code == 404
    close = f"{P}/activities/{activity.pk}/close"
    assert post(client_for(a), close).status_code == 403
    response = post(client_for(world.leader), close)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "finished" and response.json()["approved_count"] == 2
    records = ServiceRecord.objects.filter(attendance__activity=activity)
    assert {r.status for r in records} == {"approved"}
    assert records.get(volunteer=a).hours == Decimal("1.50")
    # Finished: closing again, correcting, checking in and signing up are conflicts.
    assert post(client_for(world.leader), close).json()["code"] == "wrong_state"
    response = post(client_for(world.leader), path, {"hours": "2", "reason": "再改"})
    assert response.status_code == 409
    response = post(
        client_for(world.leader), f"{P}/activities/{activity.pk}/check-in", {"person": a.pk}
    )
    assert response.status_code == 409 and response.json()["code"] == "wrong_state"
    response = client_for(world.leader).get(f"{P}/activities/{activity.pk}/check-in-code")
    assert response.status_code == 409


def test_close_before_the_start_is_409(world, activity):
    response = post(client_for(world.staff), f"{P}/activities/{activity.pk}/close")
    assert response.status_code == 409 and response.json()["code"] == "too_early"


def test_a_member_who_left_the_team_is_refused_a_team_activity(world):
    activity = make_activity(world, audience="team")
    TeamMembership.objects.filter(user=world.volunteer).update(status="left")
    response = post(client_for(world.volunteer), f"{P}/activities/{activity.pk}/signup")
    assert response.status_code == 403 and response.json()["code"] == "team_only"


def test_openapi_lists_the_activity_routes(world):
    paths = client_for(None).get(f"{P}/openapi.json").json()["paths"]
    for path in (
        "/api/v1/activities",
        "/api/v1/activities/{activity_id}",
        "/api/v1/communities/{community_id}/activities",
        "/api/v1/activities/{activity_id}/signup",
        "/api/v1/activities/{activity_id}/check-in-code",
        "/api/v1/activities/{activity_id}/check-in",
        "/api/v1/activities/{activity_id}/check-out",
        "/api/v1/activities/{activity_id}/attendance",
        "/api/v1/activities/{activity_id}/close",
        "/api/v1/activities/{activity_id}/cancel",
        "/api/v1/activities/{activity_id}/attendance/{person_id}/correct",
    ):
        assert path in paths, path
    signup = paths["/api/v1/activities/{activity_id}/signup"]
    assert {"200", "201"} <= set(signup["post"]["responses"])
    assert "delete" in signup
