"""The reminder the day before: a notification to everyone with a place, an SMS to verified
phones (settings.SMS_SENDER: the console sender in tests, whose outbox we read), once each."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.sms import ConsoleSmsSender
from activities import services
from activities.models import Signup
from live.models import Event

from .conftest import make_activity, residents

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


def reminders(person):
    return list(Event.objects.filter(topic=f"user:{person.pk}", type="activity.reminder"))


def with_phone(person, phone, verified=True):
    person.phone = phone
    person.phone_verified = verified
    person.save(update_fields=["phone", "phone_verified"])
    return person


@pytest.fixture
def tomorrow(world):
    """An activity starting in 20 hours with two places: a (verified phone) and b (unverified
    phone) have them, c waits, d gave up."""
    activity = make_activity(world, quota=2, starts_in=20 * H, title="邻里节")
    a, b, c, d = residents(world, 4)
    with_phone(a, "+8613800000001")
    with_phone(b, "+8613800000002", verified=False)
    with_phone(c, "+8613800000003")
    with_phone(d, "+8613800000004")
    for person in (a, b, c, d):
        services.sign_up(actor=person, activity=activity)
    services.cancel_signup(actor=d, activity=activity)
    assert Signup.objects.get(activity=activity, person=c).status == "waitlisted"
    return activity, (a, b, c, d)


def send(django_capture_on_commit_callbacks, now=None):
    with django_capture_on_commit_callbacks(execute=True):
        return services.send_reminders(now=now)


def test_reminders_go_once_to_each_person_with_a_place(
    world, tomorrow, django_capture_on_commit_callbacks
):
    activity, (a, b, c, d) = tomorrow
    assert send(django_capture_on_commit_callbacks) == 2
    for person in (a, b):
        (event,) = reminders(person)
        assert event.data["id"] == activity.pk and event.data["place"] == activity.place
    assert not reminders(c) and not reminders(d)
    # The SMS goes only to the verified phone.
    assert [phone for phone, _message in ConsoleSmsSender.outbox] == ["+8613800000001"]
    (_phone, message) = ConsoleSmsSender.outbox[0]
    assert "邻里节" in message and activity.place in message
    assert Signup.objects.filter(activity=activity, reminded_at__isnull=False).count() == 2

    # Never twice, whenever it runs again.
    assert send(django_capture_on_commit_callbacks) == 0
    assert send(django_capture_on_commit_callbacks, now=timezone.now() + 2 * H) == 0
    for person in (a, b):
        assert len(reminders(person)) == 1
    assert len(ConsoleSmsSender.outbox) == 1


def test_no_reminder_while_waiting_or_after_cancelling(world, django_capture_on_commit_callbacks):
    activity = make_activity(world, quota=1, starts_in=10 * H)
    a, b, c = residents(world, 3)
    for person in (a, b, c):
        with_phone(person, f"+861380000010{person.pk % 10}")
        services.sign_up(actor=person, activity=activity)
    services.cancel_signup(actor=a, activity=activity)  # b gets the place, c still waits
    assert send(django_capture_on_commit_callbacks) == 1
    assert [len(reminders(p)) for p in (a, b, c)] == [0, 1, 0]
    assert [phone for phone, _ in ConsoleSmsSender.outbox] == [b.phone]


def test_no_reminder_for_activities_more_than_a_day_away(world, django_capture_on_commit_callbacks):
    activity = make_activity(world, starts_in=25 * H)
    (person,) = residents(world, 1)
    with_phone(person, "+8613800000009")
    services.sign_up(actor=person, activity=activity)
    assert send(django_capture_on_commit_callbacks) == 0
    assert not reminders(person) and not ConsoleSmsSender.outbox
    # The next day's run, two hours later, reminds.
    assert send(django_capture_on_commit_callbacks, now=timezone.now() + 2 * H) == 1
    assert len(reminders(person)) == 1


def test_no_reminder_for_started_or_cancelled_activities(world, django_capture_on_commit_callbacks):
    soon = make_activity(world, starts_in=5 * H, title="应急科普")
    called_off = make_activity(world, starts_in=5 * H, title="集体生日会")
    (person,) = residents(world, 1)
    for activity in (soon, called_off):
        services.sign_up(actor=person, activity=activity)
    services.cancel_activity(actor=world.staff, activity=called_off, reason="场地维修")
    # Six hours later the first one has started: too late for a reminder.
    assert send(django_capture_on_commit_callbacks, now=timezone.now() + 6 * H) == 0
    assert not reminders(person)


def test_the_sms_is_not_sent_when_the_place_is_gone_by_then(
    world, django_capture_on_commit_callbacks
):
    """The SMS task checks again when it runs: a person who cancelled meanwhile gets none."""
    from activities.tasks import send_reminder_sms

    activity = make_activity(world, starts_in=5 * H)
    (person,) = residents(world, 1)
    with_phone(person, "+8613800000011")
    services.sign_up(actor=person, activity=activity)
    services.cancel_signup(actor=person, activity=activity)
    assert send_reminder_sms.call(person_id=person.pk, activity_id=activity.pk) is False
    assert not ConsoleSmsSender.outbox


def test_the_management_command(world, tomorrow, django_capture_on_commit_callbacks):
    _activity, (a, _b, _c, _d) = tomorrow
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_activity_reminders", stdout=out)
    assert out.getvalue().strip() == "2 reminder(s) sent"
    assert len(reminders(a)) == 1
    out = io.StringIO()
    call_command("send_activity_reminders", stdout=out)
    assert out.getvalue().strip() == "0 reminder(s) sent"
