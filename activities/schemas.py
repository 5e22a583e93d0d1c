"""API shapes for activities, sign-ups and attendance (field names as in the design)."""

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import AfterValidator, StrictInt
from pydantic_core import PydanticCustomError

from core.inputs import CleanStr
from teams.schemas import PersonRef, Ref

#: Years an activity can happen in; a date far outside them is a mistake, and one near the ends
#: of the calendar (year 1, year 9999) cannot even be turned into UTC to be stored.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(value: datetime.datetime) -> datetime.datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError(
            "date_range", str(gettext_lazy("Enter a date between 2000 and 2100."))
        )
    return value


When = Annotated[datetime.datetime, AfterValidator(_check_year)]
"""A date and time from outside: ISO 8601, between FIRST_YEAR and LAST_YEAR."""

Kind = Literal["service", "event", "training"]
Audience = Literal["team", "volunteers", "residents"]
Purpose = Literal["in", "out"]


# --- activities --------------------------------------------------------------------------------


class MySignupOut(Schema):
    status: str = Field(..., description="`confirmed` or `waitlisted`.")
    position: int | None = Field(
        None, description="Place on the waiting list (1 = next to get a place); null if confirmed."
    )


class RefusalOut(Schema):
    code: str
    detail: str


class ActivityOut(Schema):
    id: int
    title: str
    description: str
    kind: str = Field(..., description="`service` (credits hours), `event` or `training`.")
    status: str = Field(..., description="`draft`, `published`, `cancelled` or `finished`.")
    community: Ref
    team: Ref | None = None
    organiser: PersonRef
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    quota: int | None = Field(None, description="Places; null for no limit.")
    audience: str = Field(..., description="Who may sign up: `team`, `volunteers`, `residents`.")
    required_skills: list[str]
    confirmed_count: int
    waitlist_count: int
    places_left: int | None = Field(None, description="Null when there is no limit.")
    my_signup: MySignupOut | None = Field(
        None, description="The requester's sign-up that is not cancelled, or null."
    )
    url: str


class ActivityDetailOut(ActivityOut):
    cancel_reason: str = ""
    can_manage: bool = Field(
        False, description="The requester organises it or is staff of its community."
    )
    signup_refusal: RefusalOut | None = Field(
        None,
        description="Why the requester may not sign up now (`sign_in`, `not_open`, `started`, "
        "`team_only`, `volunteers_only`, `residents_only`, `skills`); null when they may or "
        "already did.",
    )


class ClosedActivityOut(ActivityDetailOut):
    approved_count: int = Field(..., description="Attendance hour records approved on closing.")


class ActivityPage(Schema):
    items: list[ActivityOut]
    count: int


class ActivityIn(Schema):
    title: CleanStr = Field(..., max_length=200)
    description: CleanStr = Field("", max_length=5000)
    kind: Kind
    place: CleanStr = Field(..., max_length=200)
    starts_at: When
    ends_at: When
    quota: StrictInt | None = Field(None, description="Places (at least 1); null for no limit.")
    team: StrictInt | None = Field(
        None, description="The organising team (a leader: a team you lead that serves it)."
    )
    required_skills: list[CleanStr] = Field(default_factory=list, max_length=20)
    audience: Audience = "residents"


class ActivityEditIn(Schema):
    title: CleanStr | None = Field(None, max_length=200)
    description: CleanStr | None = Field(None, max_length=5000)
    kind: Kind | None = None
    place: CleanStr | None = Field(None, max_length=200)
    starts_at: When | None = None
    ends_at: When | None = None
    quota: StrictInt | None = Field(None, description="Places (at least 1); null for no limit.")
    audience: Audience | None = None
    required_skills: list[CleanStr] | None = Field(None, max_length=20)


class CancelIn(Schema):
    reason: CleanStr = Field(..., max_length=300)


# --- sign-up -----------------------------------------------------------------------------------


class SignupIn(Schema):
    person: StrictInt | None = Field(
        None, description="Organiser or staff: sign this person up for them (assisted)."
    )


class SignupOut(Schema):
    status: str = Field(..., description="`confirmed`, `waitlisted` or `cancelled`.")
    position: int | None = Field(None, description="Place on the waiting list, else null.")
    person: PersonRef
    assisted: bool = Field(False, description="Signed up by the organiser or staff.")
    confirmed_count: int
    waitlist_count: int
    places_left: int | None = None


# --- check-in and attendance ---------------------------------------------------------------------


class CheckInCodeOut(Schema):
    purpose: Purpose
    code: str
    expires_at: datetime.datetime = Field(
        ..., description="When the next code replaces it (the code before stays valid 30 s more)."
    )
    url: str = Field(..., description="The page a phone camera opens when it scans the QR code.")


class CheckInIn(Schema):
    code: CleanStr | None = Field(
        None, max_length=100, description="The code shown now (the person themselves)."
    )
    person: StrictInt | None = Field(
        None, description="Organiser or staff: check this person in or out for them."
    )
    at: When | None = Field(
        None, description="Organiser or staff: the time from the paper sheet (default now)."
    )


class RecordRef(Schema):
    id: int
    status: str = Field(..., description="`pending`, `approved` or `declined`.")
    hours: str | None = None


class AttendanceOut(Schema):
    person: PersonRef
    checked_in_at: datetime.datetime
    checked_out_at: datetime.datetime | None = None
    method: str = Field(..., description="How the person was checked in: `code`, `staff`, `sheet`.")
    check_out_method: str | None = None
    recorded_by: PersonRef | None = None
    hours: str | None = Field(None, description="Hours inside the activity's window.")
    record: RecordRef | None = Field(
        None, description="The service record (volunteer service only)."
    )


class AttendanceRowOut(Schema):
    person: PersonRef
    status: str | None = Field(
        None, description="Sign-up status; null for someone who attended without a sign-up."
    )
    position: int | None = None
    assisted: bool = False
    attendance: AttendanceOut | None = None


class ActivityRef(Schema):
    id: int
    title: str
    status: str


class AttendanceListOut(Schema):
    activity: ActivityRef
    confirmed_count: int
    waitlist_count: int
    arrived_count: int
    left_count: int
    items: list[AttendanceRowOut]


class CorrectIn(Schema):
    hours: Decimal = Field(..., description="From 0 to 24; 0 declines the hours.")
    reason: CleanStr = Field(..., max_length=300)
