"""The rotating check-in code and the ticket a scan gives: what is accepted and what refused.

Times are passed to activities.codes (`now`) rather than frozen: the code of a moment is a pure
function of the activity, the purpose and the 30-second window of that moment.
"""

import time

import pytest
from django.core import signing

from activities import codes, services
from core.errors import NotAllowed

from .conftest import make_activity, residents, started

WINDOW = codes.WINDOW_SECONDS
#: A moment at the very start of a window, so that "+ 29 s" stays inside it.
T0 = 1_800_000_000 - 1_800_000_000 % WINDOW


def test_the_code_of_now_is_valid_and_changes_every_window(activity):
    code, until = codes.current(activity, "in", now=T0 + 5)
    assert until == T0 + WINDOW
    assert len(code) == 12
    assert codes.is_valid(activity, "in", code, now=T0 + 5)
    assert codes.current(activity, "in", now=T0 + WINDOW - 1)[0] == code  # the same window
    assert codes.current(activity, "in", now=T0 + WINDOW)[0] != code  # the next one


def test_the_code_of_the_window_before_is_still_taken(activity):
    code, _until = codes.current(activity, "in", now=T0 + 25)
    assert codes.is_valid(activity, "in", code, now=T0 + WINDOW + 1)
    assert codes.is_valid(activity, "in", code, now=T0 + 2 * WINDOW - 1)


def test_a_code_two_windows_old_is_refused(activity):
    code, _until = codes.current(activity, "in", now=T0)
    assert not codes.is_valid(activity, "in", code, now=T0 + 2 * WINDOW)
    assert not codes.is_valid(activity, "in", code, now=T0 + 100 * WINDOW)


def test_a_code_from_the_future_is_refused(activity):
    code, _until = codes.current(activity, "in", now=T0 + WINDOW)
    assert not codes.is_valid(activity, "in", code, now=T0)


def test_another_activitys_code_is_refused(world, activity):
    other = make_activity(world, title="集体生日会")
    code, _until = codes.current(other, "in", now=T0)
    assert not codes.is_valid(activity, "in", code, now=T0)
    assert codes.is_valid(other, "in", code, now=T0)


def test_the_check_in_code_does_not_check_out(activity):
    code_in, _ = codes.current(activity, "in", now=T0)
    code_out, _ = codes.current(activity, "out", now=T0)
    assert code_in != code_out
    assert not codes.is_valid(activity, "out", code_in, now=T0)
    assert not codes.is_valid(activity, "in", code_out, now=T0)


def test_a_new_secret_makes_every_old_code_invalid(activity):
    code, _until = codes.current(activity, "in", now=T0)
    activity.check_in_secret = "another-secret"
    assert not codes.is_valid(activity, "in", code, now=T0)


@pytest.mark.parametrize(
    "value", [None, "", 123, "abc", "0" * 11, "0" * 13, ["x"], {"code": "x"}, "é" * 12]
)
def test_what_is_not_a_code_is_refused(activity, value):
    assert not codes.is_valid(activity, "in", value, now=T0)


def test_an_unknown_purpose_is_refused(activity):
    code, _until = codes.current(activity, "in", now=T0)
    assert not codes.is_valid(activity, "sideways", code, now=T0)


# --- tickets ---------------------------------------------------------------------------------


def test_a_ticket_is_good_for_its_activity_purpose_and_person_only(world, activity):
    other = make_activity(world, title="集体生日会")
    ticket = codes.ticket(activity, "in", world.resident.pk)
    assert codes.ticket_is_valid(activity, "in", ticket, world.resident.pk)
    assert not codes.ticket_is_valid(activity, "out", ticket, world.resident.pk)
    assert not codes.ticket_is_valid(other, "in", ticket, world.resident.pk)
    assert not codes.ticket_is_valid(activity, "in", ticket, world.volunteer.pk)
    assert not codes.ticket_is_valid(activity, "in", ticket, None)


@pytest.mark.parametrize("value", [None, "", "x" * 201, 42, "not.a.ticket", "é:票:1", "é" * 40])
def test_what_is_not_a_ticket_is_refused(activity, value):
    assert not codes.ticket_is_valid(activity, "in", value, 1)


def test_a_tampered_ticket_is_refused(activity):
    ticket = codes.ticket(activity, "in", 1)
    assert not codes.ticket_is_valid(
        activity, "in", ticket[:-2] + ("AA" if ticket[-2:] != "AA" else "BB"), 1
    )


class SignedLongAgo(signing.TimestampSigner):
    """Django's signer, dating its signature `age` seconds back (an expired ticket)."""

    age = codes.TICKET_SECONDS + 5

    def timestamp(self):
        return signing.b62_encode(int(time.time() - self.age))


def _ticket_signed(activity, purpose, age, person_id=1):
    signer = SignedLongAgo(salt="activities.check-in-ticket")  # the salt codes.ticket signs with
    signer.age = age
    return signer.sign_object({"a": activity.pk, "p": purpose, "u": person_id}, compress=True)


def test_a_ticket_expires(activity):
    fresh = _ticket_signed(activity, "in", age=codes.TICKET_SECONDS - 60)
    assert codes.ticket_is_valid(activity, "in", fresh, 1)  # the forged signer signs like codes
    expired = _ticket_signed(activity, "in", age=codes.TICKET_SECONDS + 5)
    assert not codes.ticket_is_valid(activity, "in", expired, 1)


# --- through the check-in service ------------------------------------------------------------


@pytest.fixture
def open_activity(world):
    activity = make_activity(world, quota=None)
    (person,) = residents(world, 1)
    services.sign_up(actor=person, activity=activity)
    started(activity)
    return activity, person


def _refusal(**kwargs):
    with pytest.raises(NotAllowed) as caught:
        services.check_in(**kwargs)
    return caught.value.code


def test_check_in_takes_the_code_of_now_and_of_the_window_before(open_activity):
    activity, person = open_activity
    code, _until = codes.current(activity, "in", now=time.time() - WINDOW)
    attendance, created = services.check_in(actor=person, activity=activity, code=code)
    assert created and attendance.check_in_method == "code"


def test_check_in_refuses_old_foreign_and_check_out_codes_with_a_reason(world, open_activity):
    activity, person = open_activity
    other = make_activity(world, title="集体生日会")
    old, _ = codes.current(activity, "in", now=time.time() - 3 * WINDOW)
    assert _refusal(actor=person, activity=activity, code=old) == "invalid_code"
    foreign, _ = codes.current(other, "in")
    assert _refusal(actor=person, activity=activity, code=foreign) == "invalid_code"
    out, _ = codes.current(activity, "out")
    assert _refusal(actor=person, activity=activity, code=out) == "wrong_code"
    assert _refusal(
        actor=person, activity=activity, ticket=codes.ticket(other, "in", person.pk)
    ) == ("invalid_code")
    # Somebody else's ticket (passed round) is refused too.
    passed_round = codes.ticket(activity, "in", world.resident.pk)
    assert _refusal(actor=person, activity=activity, ticket=passed_round) == "invalid_code"
    expired = _ticket_signed(activity, "in", age=codes.TICKET_SECONDS + 5, person_id=person.pk)
    assert _refusal(actor=person, activity=activity, ticket=expired) == "invalid_code"
    assert not activity.attendances.exists()
    # And the ticket of now works.
    _attendance, created = services.check_in(
        actor=person, activity=activity, ticket=codes.ticket(activity, "in", person.pk)
    )
    assert created


def test_check_out_refuses_the_check_in_code(open_activity):
    activity, person = open_activity
    code_in, _ = codes.current(activity, "in")
    services.check_in(actor=person, activity=activity, code=code_in)
    with pytest.raises(NotAllowed) as caught:
        services.check_out(actor=person, activity=activity, code=code_in)
    assert caught.value.code == "wrong_code"
    code_out, _ = codes.current(activity, "out")
    attendance, created = services.check_out(actor=person, activity=activity, code=code_out)
    assert created and attendance.check_out_method == "code"
