"""API shapes for teams, tasks, hours, needs and /me (field names as in the design)."""

import datetime
import uuid
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from core.inputs import CleanStr


class Ref(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    display_name: str


def ref(obj) -> dict | None:
    """A Ref of a team, community or task (anything with a name), or None."""
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def person_ref(user) -> dict | None:
    return {"id": user.pk, "display_name": user.get_display_name()} if user is not None else None


# --- tasks -------------------------------------------------------------------------------------


class TaskUpdateOut(Schema):
    id: int
    text: str
    photo: str | None = Field(
        None,
        description="Access-checked; a rendition for phones, `?size=original` for the original.",
    )
    status_change: str | None = None
    author: PersonRef | None = None
    created_at: datetime.datetime


class TaskOut(Schema):
    id: int
    title: str
    description: str
    location: str
    status: str
    priority: str
    origin: str
    sensitive: bool
    redacted: bool = Field(
        False, description="True when the viewer may not see a sensitive task's details."
    )
    community: Ref
    team: Ref | None = None
    dispatched_team: Ref | None = None
    required_skills: list[str]
    due_at: datetime.datetime | None = None
    created_at: datetime.datetime
    claimed_at: datetime.datetime | None = None
    done_at: datetime.datetime | None = None
    verified_at: datetime.datetime | None = None
    url: str


class TaskDetailOut(TaskOut):
    updates: list[TaskUpdateOut]


class PostedUpdateOut(TaskOut):
    update: TaskUpdateOut = Field(..., description="The update just posted.")


class TaskPage(Schema):
    items: list[TaskOut]
    count: int


class TaskIn(Schema):
    title: CleanStr = Field(..., max_length=200)
    description: CleanStr = Field("", max_length=5000)
    location: CleanStr = Field("", max_length=200)
    priority: Literal["normal", "urgent", "emergency"] = "normal"
    required_skills: list[CleanStr] = Field(default_factory=list, max_length=20)
    sensitive: bool = False
    due_at: datetime.datetime | None = None
    team: int | None = Field(
        None, description="Dispatch to this team; without it, every team with the skills may."
    )


class ClaimIn(Schema):
    team: int


class UpdateIn(Schema):
    text: CleanStr = Field("", max_length=2000)
    status: Literal["in_progress", "done"] | None = None


class TaskReasonIn(Schema):
    reason: CleanStr = Field("", max_length=300)


# --- hours -------------------------------------------------------------------------------------


class HoursIn(Schema):
    hours: Decimal = Field(..., gt=0, le=24, max_digits=4, decimal_places=2)
    date: datetime.date
    note: CleanStr = Field("", max_length=300)
    volunteer: int | None = Field(
        None, description="Leaders and staff may log hours for a member of the team."
    )


class ServiceRecordOut(Schema):
    id: int
    status: str
    hours: str
    date: datetime.date
    note: str
    source: str
    task: Ref | None = None
    title: str = Field(
        "", description="What the hours were served on (a task's or an activity's title)."
    )
    team: Ref | None = None
    volunteer: PersonRef
    reviewer: PersonRef | None = None
    reviewed_at: datetime.datetime | None = None
    decline_reason: str
    day_hours: str | None = Field(
        None, description="The volunteer's pending and approved hours on this date, in all."
    )


# --- teams -------------------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    description: str
    skills: list[str]
    communities: list[Ref]
    members_count: int
    open_tasks_count: int
    active: bool
    url: str


class TeamPage(Schema):
    items: list[TeamOut]
    count: int


class TeamDetailOut(TeamOut):
    leaders: list[PersonRef]
    approved_hours: str
    star_level: int
    open_tasks: list[TaskOut]


class TeamJoinIn(Schema):
    note: CleanStr = Field("", max_length=200)


class TeamMembershipOut(Schema):
    id: int
    team: Ref
    user: PersonRef
    role: str
    status: str


# --- needs -------------------------------------------------------------------------------------


class NeedIn(Schema):
    category: Literal["elderly-care", "child-care", "cleaning", "counselling", "repairs", "other"]
    description: CleanStr = Field(..., min_length=1, max_length=2000)
    private: bool = False
    client_key: uuid.UUID | None = Field(
        None,
        description="A key the client makes per draft: sending the same key again returns the "
        "request it already made instead of a second one.",
    )
    on_behalf_of: int | None = Field(
        None,
        description="Staff only: ask for help for this verified resident (assisted participation).",
    )


class NeedOut(Schema):
    id: int
    status: str
    category: str
    description: str
    private: bool
    community: Ref
    assisted: bool = Field(
        False, description="Filed by staff for the resident at the service station."
    )
    task: Ref | None = None
    decline_reason: str
    created_at: datetime.datetime


class AcceptNeedIn(Schema):
    title: CleanStr = Field("", max_length=200)
    priority: Literal["normal", "urgent", "emergency"] = "normal"
    required_skills: list[CleanStr] | None = None
    team: int | None = None
    due_at: datetime.datetime | None = None


# --- me ----------------------------------------------------------------------------------------


class MeMembershipOut(Schema):
    community: Ref
    role: str
    status: str


class MyTeamOut(Schema):
    id: int
    name: str
    role: str
    status: str


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    phone: str | None = None
    memberships: list[MeMembershipOut]
    teams: list[MyTeamOut]
    approved_hours: str
    star_level: int
    unread_notifications: int = Field(0, description="Notifications not read yet (at most 99)")
