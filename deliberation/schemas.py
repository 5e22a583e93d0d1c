"""API shapes of the residents' council (field names as in the design)."""

import datetime
import uuid
from typing import Literal

from ninja import Field, Schema

from core.inputs import CleanStr

CategorySlug = Literal[
    "sanitation", "greenery", "elderly-care", "children", "safety", "traffic", "facilities", "other"
]
StatusSlug = Literal[
    "draft", "submitted", "discussion", "voting", "accepted", "rejected", "withdrawn"
]
ChoiceSlug = Literal["support", "oppose", "abstain"]


class Ref(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    display_name: str


class TallyOut(Schema):
    support: int
    oppose: int
    abstain: int
    total: int


class VotingOut(Schema):
    opens_at: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None
    is_open: bool = False


class TaskSummary(Schema):
    id: int
    status: str
    team: Ref | None = None


class PhotoOut(Schema):
    id: int
    url: str = Field(
        ...,
        description="Access-checked; a rendition for phones, `?size=original` for the original.",
    )
    caption: str


class ProposalOut(Schema):
    id: int
    title: str
    body: str
    category: str
    category_label: str
    status: str
    status_label: str
    hidden: bool
    hidden_reason: str = Field("", description="Shown to the author and staff only.")
    return_reason: str = Field("", description="Shown to the author and staff only.")
    community: Ref
    author: PersonRef | None = None
    assisted: bool = Field(
        False, description="Filed by staff for the author at the service station."
    )
    location: str
    tally: TallyOut | None = Field(
        None, description="Null before the vote, and while the council hides the running tally."
    )
    voting: VotingOut
    outcome: str
    task: TaskSummary | None = None
    photos: list[PhotoOut]
    comments_count: int
    created_at: datetime.datetime
    published_at: datetime.datetime | None = None
    decided_at: datetime.datetime | None = None
    url: str


class ProposalPermissions(Schema):
    edit: bool
    submit: bool
    withdraw: bool
    publish: bool
    return_: bool = Field(..., alias="return")
    hide: bool
    restore: bool
    open_voting: bool
    vote: bool
    decide: bool
    comment: bool
    report: bool
    follow: bool


class ProposalDetailOut(ProposalOut):
    my_vote: ChoiceSlug | None = None
    following: bool = False
    eligible_voters: int | None = Field(
        None, description="How many may vote (staff, and everyone once decided)."
    )
    permissions: ProposalPermissions


class ProposalPage(Schema):
    items: list[ProposalOut]
    count: int


class ProposalIn(Schema):
    title: CleanStr = Field(..., max_length=120)
    body: CleanStr = Field(..., max_length=5000)
    category: CategorySlug = "other"
    location: CleanStr = Field("", max_length=200)
    submit: bool = Field(True, description="False keeps the proposal as a draft.")
    client_key: uuid.UUID | None = Field(
        None,
        description="A key the client makes per draft: sending the same key again returns the "
        "proposal it already made instead of a second one.",
    )
    on_behalf_of: int | None = Field(
        None,
        description="Staff only: file it for this verified resident (assisted participation).",
    )


class ProposalEditIn(Schema):
    title: CleanStr | None = Field(None, max_length=120)
    body: CleanStr | None = Field(None, max_length=5000)
    category: CategorySlug | None = None
    location: CleanStr | None = Field(None, max_length=200)


class ReasonIn(Schema):
    reason: CleanStr = Field("", max_length=500)


class RequiredReasonIn(Schema):
    reason: CleanStr = Field(..., max_length=500)


class CommentIn(Schema):
    body: CleanStr = Field(..., max_length=2000)
    parent: int | None = Field(
        None, description="Reply to this comment (a reply to a reply joins its top-level one)."
    )


class CommentOut(Schema):
    id: int
    parent: int | None = None
    author: PersonRef | None = None
    body: str
    hidden: bool
    hidden_reason: str = ""
    created_at: datetime.datetime


class CommentThreadOut(CommentOut):
    replies: list[CommentOut]


class CommentPage(Schema):
    items: list[CommentThreadOut]
    count: int


class VotingIn(Schema):
    closes_at: datetime.datetime | None = Field(
        None, description="Without it the vote closes after the council's default days."
    )


class VoteIn(Schema):
    choice: ChoiceSlug
    voter: int | None = Field(
        None, description="Staff only: record the vote of this resident (assisted)."
    )


class VoteOut(Schema):
    proposal: int
    choice: ChoiceSlug
    assisted: bool
    tally: TallyOut | None = None


class DecisionIn(Schema):
    outcome: CleanStr = Field("", max_length=1500)
    required_skills: list[CleanStr] | None = Field(
        None,
        max_length=20,
        description="Skill slugs the follow-up task needs; without it, the category's.",
    )
    team: int | None = Field(
        None,
        description="Give the follow-up task to this team (active, serving the community, with "
        "the skills); without it, every team with the skills may take it.",
    )


class ReportOut(Schema):
    reported: bool
    created: bool
    hidden: bool


class FollowOut(Schema):
    following: bool


class CouncilOut(Schema):
    id: int
    name: str
    community: Ref
    voters: Literal["residents", "representatives"]
    quorum_kind: Literal["votes", "share"]
    quorum_votes: int
    quorum_percent: int
    pass_percent: int
    voting_days: int
    hide_tally: bool
    eligible_voters: int


class AgendaItemOut(Schema):
    proposal: Ref
    decision: str


class MeetingOut(Schema):
    id: int
    title: str
    starts_at: datetime.datetime
    place: str
    status: str
    agenda: list[AgendaItemOut]
    attendance_count: int
    url: str


class MeetingDetailOut(MeetingOut):
    attendees: list[PersonRef]
    other_attendees: list[str]
    minutes: str


class MeetingPage(Schema):
    items: list[MeetingOut]
    count: int
