"""activities.services: places and the waiting list, who may sign up, check-in and check-out,
hours from attendance, closing, correcting hours and cancelling."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from activities import codes, services
from activities.models import Activity, Attendance, Signup, TrainingRecord
from core.errors import Conflict, NotAllowed
from live.models import Event
from teams.models import ServiceRecord

from .conftest import make_activity, residents, started

pytestmark = pytest.mark.django_db


def events(topic, type):
    return list(Event.objects.filter(topic=topic, type=type).order_by("id"))


def refused(exc_class, call, **kwargs):
    with pytest.raises(exc_class) as caught:
        call(**kwargs)
    return caught.value


def waiting(activity):
    """[(person, position)] of the waiting list, in its order."""
    rows = Signup.objects.filter(activity=activity, status="waitlisted").order_by("queue_number")
    return [(s.person, services.position(s)) for s in rows.select_related("person")]


# --- sign-up and the waiting list ----------------------------------------------------------------


def test_sign_up_is_idempotent(world):
    activity = make_activity(world, quota=2)
    (person,) = residents(world, 1)
    first, created = services.sign_up(actor=person, activity=activity)
    again, created_again = services.sign_up(actor=person, activity=activity)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.status == "confirmed"
    assert Signup.objects.filter(activity=activity).count() == 1
    assert (
        ModelLogEntry.objects.filter(
            action="linli.activity.signup", object_id=str(activity.pk)
        ).count()
        == 1
    )


def test_a_full_activity_puts_people_on_the_waiting_list_in_order(world):
    activity = make_activity(world, quota=2)
    people = residents(world, 6)
    results = [services.sign_up(actor=person, activity=activity)[0] for person in people]
    assert [s.status for s in results] == ["confirmed"] * 2 + ["waitlisted"] * 4
    assert [services.position(s) for s in results] == [None, None, 1, 2, 3, 4]
    assert waiting(activity) == [(p, i) for i, p in enumerate(people[2:], start=1)]
    places = events(f"activity:{activity.pk}", "activity.places")[-1]
    assert places.data["confirmed_count"] == 2
    assert places.data["waitlist_count"] == 4
    assert places.data["places_left"] == 0
    # Asking again while waiting keeps the place in the queue.
    assert services.sign_up(actor=people[3], activity=activity)[1] is False
    assert services.position(Signup.objects.get(activity=activity, person=people[3])) == 2


def test_a_cancellation_promotes_the_first_waiting_at_once_and_tells_them(world):
    activity = make_activity(world, quota=2)
    a, b, c, d = residents(world, 4)
    for person in (a, b, c, d):
        services.sign_up(actor=person, activity=activity)
    services.cancel_signup(actor=a, activity=activity)
    assert Signup.objects.get(activity=activity, person=a).status == "cancelled"
    assert Signup.objects.get(activity=activity, person=c).status == "confirmed"
    assert waiting(activity) == [(d, 1)]
    (promoted,) = events(f"user:{c.pk}", "activity.promoted")
    assert promoted.data["id"] == activity.pk
    assert not events(f"user:{d.pk}", "activity.promoted")
    assert ModelLogEntry.objects.filter(
        action="linli.activity.promote", object_id=str(activity.pk), data__person=c.pk
    ).exists()
    # Cancelling a waiting place promotes nobody; the one behind moves up.
    e = residents(world, 1, prefix="late")[0]
    services.sign_up(actor=e, activity=activity)
    assert waiting(activity) == [(d, 1), (e, 2)]
    services.cancel_signup(actor=d, activity=activity)
    assert waiting(activity) == [(e, 1)]
    assert Signup.objects.filter(activity=activity, status="confirmed").count() == 2
    # Cancelling twice changes nothing; someone who never signed up has nothing to cancel.
    assert services.cancel_signup(actor=d, activity=activity).status == "cancelled"
    outsider = residents(world, 1, prefix="never")[0]
    assert refused(Conflict, services.cancel_signup, actor=outsider, activity=activity).code == (
        "not_signed_up"
    )


def test_signing_up_again_after_cancelling_joins_the_end_of_the_queue(world):
    activity = make_activity(world, quota=1)
    a, b, c = residents(world, 3)
    for person in (a, b, c):
        services.sign_up(actor=person, activity=activity)
    services.cancel_signup(actor=b, activity=activity)
    signup, created = services.sign_up(actor=b, activity=activity)
    assert created and signup.status == "waitlisted"
    assert waiting(activity) == [(c, 1), (b, 2)]


def test_more_places_promote_the_waiting_fewer_take_no_place_away(world):
    activity = make_activity(world, quota=1)
    people = residents(world, 5)
    for person in people:
        services.sign_up(actor=person, activity=activity)
    services.update_activity(actor=world.staff, activity=activity, quota=3)
    statuses = [Signup.objects.get(activity=activity, person=p).status for p in people]
    assert statuses == ["confirmed"] * 3 + ["waitlisted"] * 2
    for person in people[1:3]:
        assert events(f"user:{person.pk}", "activity.promoted")
    for person in people[3:]:
        assert not events(f"user:{person.pk}", "activity.promoted")
    assert waiting(activity) == [(people[3], 1), (people[4], 2)]
    changed = events(f"activity:{activity.pk}", "activity.changed")[-1]
    assert changed.data["confirmed_count"] == 3

    services.update_activity(actor=world.staff, activity=activity, quota=1)
    assert Signup.objects.filter(activity=activity, status="confirmed").count() == 3
    # With no limit, everyone waiting gets a place.
    services.update_activity(actor=world.staff, activity=activity, quota=None)
    assert not Signup.objects.filter(activity=activity, status="waitlisted").exists()
    assert events(f"user:{people[4].pk}", "activity.promoted")


def test_only_organisers_and_staff_change_an_activity(world):
    activity = make_activity(world)
    for person in (world.resident, world.volunteer, world.other_leader, world.other_staff):
        refused(NotAllowed, services.update_activity, actor=person, activity=activity, quota=9)
    services.update_activity(actor=world.leader, activity=activity, quota=9)  # the team's leader
    services.update_activity(actor=world.street_staff, activity=activity, quota=10)
    assert Activity.objects.get(pk=activity.pk).quota == 10
    error = refused(
        ValidationError, services.update_activity, actor=world.staff, activity=activity, quota=0
    )
    assert "quota" in error.message_dict
    error = refused(
        ValidationError, services.update_activity, actor=world.staff, activity=activity, team=None
    )
    assert "team" in error.message_dict


# --- who may sign up ------------------------------------------------------------------------------


def refusal_code(person, activity):
    return refused(NotAllowed, services.sign_up, actor=person, activity=activity).code


def test_the_teams_volunteers_only(world):
    activity = make_activity(world, audience="team")
    assert refusal_code(world.resident, activity) == "team_only"
    assert refusal_code(world.other_leader, activity) == "team_only"
    assert services.sign_up(actor=world.volunteer, activity=activity)[0].status == "confirmed"
    assert services.sign_up(actor=world.leader, activity=activity)[0].status == "confirmed"


def test_any_volunteer(world):
    activity = make_activity(world, audience="volunteers")
    assert refusal_code(world.resident, activity) == "volunteers_only"
    assert refusal_code(world.outsider, activity) == "volunteers_only"
    services.sign_up(actor=world.volunteer, activity=activity)
    services.sign_up(actor=world.other_leader, activity=activity)
    assert activity.signups.count() == 2


def test_verified_residents_of_the_community(world):
    activity = make_activity(world, audience="residents")
    assert refusal_code(world.outsider, activity) == "residents_only"
    assert refusal_code(world.pending, activity) == "residents_only"
    assert refusal_code(world.other_staff, activity) == "residents_only"
    for person in (world.resident, world.staff, world.street_staff):
        services.sign_up(actor=person, activity=activity)
    assert activity.signups.count() == 3


def test_required_skills_need_a_team_with_all_of_them(world):
    activity = make_activity(
        world, audience="volunteers", required_skills=["sanitation", "elderly-care"]
    )
    error = refused(NotAllowed, services.sign_up, actor=world.volunteer, activity=activity)
    assert error.code == "skills"
    assert "Elderly care" in str(error.detail) or "elderly" in str(error.detail).lower()
    assert refusal_code(world.leader, activity) == "skills"
    assert services.sign_up(actor=world.other_leader, activity=activity)[0].status == "confirmed"


def test_not_signed_in_draft_started_and_cancelled_are_refused(world):
    activity = make_activity(world)
    assert refusal_code(world.anonymous, activity) == "forbidden"
    draft = make_activity(world, publish_now=False, title="草稿")
    assert refusal_code(world.resident, draft) == "not_open"
    assert refusal_code(world.resident, started(make_activity(world, title="已开始"))) == "started"
    services.cancel_activity(actor=world.staff, activity=activity, reason="暴雨")
    assert refusal_code(world.resident, activity) == "not_open"


def test_the_organiser_signs_someone_up_at_the_desk(world):
    activity = started(make_activity(world, audience="residents"))
    signup, created = services.sign_up(actor=world.staff, activity=activity, person=world.resident)
    assert created and signup.assisted and signup.recorded_by == world.staff
    # Still only the activity's audience, and only organisers and staff act for others.
    error = refused(
        NotAllowed, services.sign_up, actor=world.staff, activity=activity, person=world.outsider
    )
    assert error.code == "residents_only"
    refused(
        NotAllowed, services.sign_up, actor=world.volunteer, activity=activity, person=world.leader
    )


# --- check-in and check-out ----------------------------------------------------------------------


@pytest.fixture
def running(world):
    """A service activity of three hours that started 30 minutes ago, two places, three people
    signed up (the third waits)."""
    activity = make_activity(world, quota=2)
    people = residents(world, 3)
    for person in people:
        services.sign_up(actor=person, activity=activity)
    return started(activity), people


def scan(person, activity, purpose="in"):
    code, _until = codes.current(activity, purpose)
    call = services.check_in if purpose == "in" else services.check_out
    return call(actor=person, activity=activity, code=code)


def test_not_signed_up_or_waiting_cannot_check_in(world, running):
    activity, (a, b, c) = running
    assert refused(NotAllowed, scan, person=c, activity=activity).code == "waitlisted"
    assert refused(NotAllowed, scan, person=world.resident, activity=activity).code == (
        "not_signed_up"
    )
    error = refused(NotAllowed, services.check_in, actor=world.staff, activity=activity, person=c)
    assert error.code == "waitlisted"
    refused(NotAllowed, services.check_in, actor=a, activity=activity, person=b)  # not a manager
    assert not Attendance.objects.exists()


def test_check_in_is_idempotent(running):
    activity, (a, _b, _c) = running
    first, created = scan(a, activity)
    again, created_again = scan(a, activity)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.checked_in_at == first.checked_in_at
    assert Attendance.objects.filter(activity=activity).count() == 1
    assert len(events(f"attendance:{activity.pk}", "attendance.checked_in")) == 1
    assert (
        services.check_in(actor=a, activity=activity, ticket=codes.ticket(activity, "in", a.pk))[1]
        is False
    )


def test_a_cancelled_sign_up_cannot_check_in_and_a_checked_in_one_cannot_cancel(running):
    activity, (a, b, _c) = running
    services.cancel_signup(actor=b, activity=activity)
    assert refused(NotAllowed, scan, person=b, activity=activity).code == "not_signed_up"
    scan(a, activity)
    assert refused(Conflict, services.cancel_signup, actor=a, activity=activity).code == (
        "checked_in"
    )


def test_check_out_before_check_in_is_refused(running):
    activity, (a, _b, _c) = running
    assert refused(Conflict, scan, person=a, activity=activity, purpose="out").code == (
        "not_checked_in"
    )


def test_code_check_in_opens_an_hour_before_the_start(world):
    activity = make_activity(world, starts_in=datetime.timedelta(hours=2))
    (person,) = residents(world, 1)
    services.sign_up(actor=person, activity=activity)
    assert refused(Conflict, scan, person=person, activity=activity).code == "too_early"


# --- hours from attendance -----------------------------------------------------------------------


@pytest.fixture
def over(world):
    """A service activity of three hours that ended an hour ago; three people with places."""
    activity = make_activity(world, quota=None)
    people = residents(world, 3)
    for person in people:
        services.sign_up(actor=person, activity=activity)
    return started(activity, ago=datetime.timedelta(hours=4)), people


def sheet(actor, activity, person, came, left):
    return services.record_sheet(
        actor=actor,
        activity=activity,
        person=person,
        checked_in_at=activity.starts_at + came,
        checked_out_at=None if left is None else activity.starts_at + left,
    )


H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)


def test_served_hours_count_only_inside_the_window(over):
    activity, _people = over
    start, end = activity.starts_at, activity.ends_at
    assert services.served_hours(activity, start - 2 * H, end + 5 * H) == Decimal("3.00")
    assert services.served_hours(activity, start + 30 * M, start + 90 * M) == Decimal("1.00")
    assert services.served_hours(activity, start - 2 * H, start - H) == Decimal("0.00")
    assert services.served_hours(activity, end + H, end + 2 * H) == Decimal("0.00")
    assert services.served_hours(activity, start, start + 20 * M) == Decimal("0.33")


def test_early_arrival_and_late_leaving_count_nothing(world, over):
    activity, (a, b, c) = over
    attendance = sheet(world.staff, activity, a, -H, 3 * H + 50 * M)
    assert attendance.hours == Decimal("3.00")
    record = attendance.record
    assert (record.hours, record.status, record.source) == (
        Decimal("3.00"),
        "pending",
        "attendance",
    )
    assert (record.volunteer, record.community, record.team) == (a, world.yuling, world.team)
    assert record.title == activity.title and record.date == timezone.localdate(activity.starts_at)
    assert attendance.check_in_method == attendance.check_out_method == "sheet"
    assert attendance.recorded_by == world.staff

    partial = sheet(world.staff, activity, b, 30 * M, 2 * H)
    assert partial.hours == partial.record.hours == Decimal("1.50")


def test_leaving_before_the_start_gives_nothing_and_no_record(world, over):
    activity, (a, _b, _c) = over
    attendance = sheet(world.staff, activity, a, -2 * H, -H)
    assert attendance.hours == Decimal("0.00")
    assert attendance.record is None
    assert not ServiceRecord.objects.filter(volunteer=a).exists()


def test_training_gives_a_training_record_and_no_service_hours(world):
    activity = started(make_activity(world, kind="training", quota=None), ago=4 * H)
    (person,) = residents(world, 1)
    services.sign_up(actor=world.staff, activity=activity, person=person)
    attendance = sheet(world.staff, activity, person, 0 * M, 2 * H)
    assert attendance.record is None
    training = TrainingRecord.objects.get(person=person, activity=activity)
    assert (training.hours, training.attendance) == (Decimal("2.00"), attendance)
    assert not ServiceRecord.objects.filter(volunteer=person).exists()


def test_an_event_gives_neither(world):
    activity = started(make_activity(world, kind="event", quota=None), ago=4 * H)
    (person,) = residents(world, 1)
    services.sign_up(actor=world.staff, activity=activity, person=person)
    attendance = sheet(world.staff, activity, person, 0 * M, 2 * H)
    assert attendance.hours == Decimal("2.00") and attendance.record is None
    assert not ServiceRecord.objects.filter(volunteer=person).exists()
    assert not TrainingRecord.objects.filter(person=person).exists()


def test_check_out_is_idempotent_and_writes_one_record(world, over):
    activity, (a, _b, _c) = over
    sheet(world.staff, activity, a, 0 * M, H)
    again, created = services.check_out(actor=world.staff, activity=activity, person=a)
    assert created is False and again.hours == Decimal("1.00")
    assert ServiceRecord.objects.filter(volunteer=a).count() == 1


def test_sheet_times_must_be_on_the_day_and_not_in_the_future(world, over):
    activity, (a, _b, _c) = over
    error = refused(
        ValidationError,
        services.check_in,
        actor=world.staff,
        activity=activity,
        person=a,
        at=timezone.now() + H,
    )
    assert "at" in error.message_dict
    refused(
        ValidationError,
        services.check_in,
        actor=world.staff,
        activity=activity,
        person=a,
        at=activity.starts_at - datetime.timedelta(days=2),
    )
    refused(NotAllowed, services.check_in, actor=a, activity=activity, at=activity.starts_at)


# --- closing, correcting -------------------------------------------------------------------------


def test_close_approves_pending_hours_in_one_step_except_the_closers_own(world, over):
    activity, (a, b, c) = over
    services.sign_up(actor=world.street_staff, activity=activity, person=world.staff)
    for person in (a, b):
        sheet(world.staff, activity, person, 0 * M, 2 * H)
    sheet(world.street_staff, activity, world.staff, 0 * M, 2 * H)
    services.check_in(actor=world.staff, activity=activity, person=c)  # never checked out

    activity, approved = services.close_activity(actor=world.staff, activity=activity)
    assert approved == 2
    assert (activity.status, activity.finished_by) == ("finished", world.staff)
    for person in (a, b):
        record = ServiceRecord.objects.get(volunteer=person)
        assert (record.status, record.reviewer) == ("approved", world.staff)
        assert record.reviewed_at is not None
        (event,) = events(f"user:{person.pk}", "hours.approved")
        assert event.data["id"] == record.pk and event.data["hours"] == "2.00"
    own = ServiceRecord.objects.get(volunteer=world.staff)
    assert (own.status, own.reviewer) == ("pending", None)
    assert not ServiceRecord.objects.filter(volunteer=c).exists()
    assert events(f"activity:{activity.pk}", "activity.finished")
    assert refused(
        Conflict, services.close_activity, actor=world.staff, activity=activity
    ).code == ("wrong_state")
    # Nothing is taken once finished.
    refused(Conflict, services.check_in, actor=world.staff, activity=activity, person=c)


def test_close_needs_a_manager_and_a_started_activity(world):
    activity = make_activity(world)
    assert refused(
        Conflict, services.close_activity, actor=world.staff, activity=activity
    ).code == ("too_early")
    started(activity)
    refused(NotAllowed, services.close_activity, actor=world.volunteer, activity=activity)
    refused(NotAllowed, services.close_activity, actor=world.other_staff, activity=activity)
    services.close_activity(actor=world.leader, activity=activity)


def test_correct_hours_with_a_reason(world, over):
    activity, (a, b, _c) = over
    attendance = sheet(world.staff, activity, a, 0 * M, 3 * H)
    error = refused(
        ValidationError,
        services.correct_hours,
        actor=world.staff,
        attendance=attendance,
        hours=2,
        reason=" ",
    )
    assert "reason" in error.message_dict
    for bad in (-1, 25, "abc", "NaN", None):
        error = refused(
            ValidationError,
            services.correct_hours,
            actor=world.staff,
            attendance=attendance,
            hours=bad,
            reason="记错了",
        )
        assert "hours" in error.message_dict, bad
    refused(
        NotAllowed,
        services.correct_hours,
        actor=world.volunteer,
        attendance=attendance,
        hours=1,
        reason="x",
    )

    corrected = services.correct_hours(
        actor=world.staff, attendance=attendance, hours="2.5", reason="中途离开一小时"
    )
    record = ServiceRecord.objects.get(pk=attendance.record_id)
    assert corrected.hours == record.hours == Decimal("2.50")
    assert (record.status, record.note) == ("pending", "中途离开一小时")
    entry = ModelLogEntry.objects.get(action="linli.hours.correct", object_id=str(record.pk))
    assert entry.data["reason"] == "中途离开一小时" and entry.data["from"] == "3.00"
    assert events(f"attendance:{activity.pk}", "attendance.corrected")

    declined = sheet(world.staff, activity, b, 0 * M, H)
    services.correct_hours(actor=world.staff, attendance=declined, hours=0, reason="未实际参与")
    record = ServiceRecord.objects.get(pk=declined.record_id)
    assert (record.status, record.reviewer, record.decline_reason) == (
        "declined",
        world.staff,
        "未实际参与",
    )
    # A declined record stays declined when the activity closes; corrected ones are approved.
    _activity, approved = services.close_activity(actor=world.staff, activity=activity)
    assert approved == 1
    assert ServiceRecord.objects.get(pk=attendance.record_id).hours == Decimal("2.50")
    assert ServiceRecord.objects.get(pk=declined.record_id).status == "declined"
    refused(
        Conflict,
        services.correct_hours,
        actor=world.staff,
        attendance=Attendance.objects.get(pk=attendance.pk),
        hours=1,
        reason="太晚了",
    )


def test_nobody_corrects_their_own_hours(world, over):
    activity, _people = over
    services.sign_up(actor=world.street_staff, activity=activity, person=world.staff)
    own = sheet(world.street_staff, activity, world.staff, 0 * M, H)
    error = refused(
        NotAllowed, services.correct_hours, actor=world.staff, attendance=own, hours=3, reason="x"
    )
    assert error.code == "own_work"


# --- cancelling an activity ----------------------------------------------------------------------


def test_cancel_tells_everyone_signed_up(world):
    activity = make_activity(world, quota=1)
    a, b, c = residents(world, 3)
    for person in (a, b, c):
        services.sign_up(actor=person, activity=activity)
    services.cancel_signup(actor=c, activity=activity)  # gave up before: not told
    services.sign_up(actor=world.staff, activity=activity, person=world.staff)  # the actor
    error = refused(
        ValidationError, services.cancel_activity, actor=world.staff, activity=activity, reason=""
    )
    assert "reason" in error.message_dict
    refused(
        NotAllowed, services.cancel_activity, actor=world.volunteer, activity=activity, reason="x"
    )

    services.cancel_activity(actor=world.staff, activity=activity, reason="暴雨红色预警")
    activity.refresh_from_db()
    assert (activity.status, activity.cancel_reason) == ("cancelled", "暴雨红色预警")
    for person in (a, b):  # confirmed and waiting alike
        (event,) = events(f"user:{person.pk}", "activity.cancelled")
        assert event.data["id"] == activity.pk and event.data["reason"] == "暴雨红色预警"
    assert not events(f"user:{c.pk}", "activity.cancelled")
    assert not events(f"user:{world.staff.pk}", "activity.cancelled")
    assert events(f"activity:{activity.pk}", "activity.cancelled")
    assert (
        refused(
            Conflict, services.cancel_activity, actor=world.staff, activity=activity, reason="again"
        ).code
        == "wrong_state"
    )


def test_cancel_is_refused_once_people_have_checked_in(world, running):
    activity, (a, _b, _c) = running
    scan(a, activity)
    error = refused(
        Conflict, services.cancel_activity, actor=world.staff, activity=activity, reason="x"
    )
    assert error.code == "wrong_state"
    assert Activity.objects.get(pk=activity.pk).status == "published"
    assert not events(f"user:{a.pk}", "activity.cancelled")
