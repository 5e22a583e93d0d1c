"""API shapes for real-name profiles and certificates (field names as in the design)."""

import datetime

from ninja import Field, Schema

from core.inputs import CleanStr
from teams.schemas import PersonRef, Ref

from .idnumbers import IdType

# --- the real-name profile ----------------------------------------------------------------------


class ProfileIn(Schema):
    real_name: CleanStr = Field(..., max_length=200)
    id_type: CleanStr = Field(
        IdType.RESIDENT_ID.value,
        max_length=20,
        description="`resident_id`, `passport`, `hk_macao` or `taiwan`.",
    )
    id_number: CleanStr = Field(
        "",
        max_length=60,
        description="Checked for its type (a resident ID's check digit). Leave it out or empty "
        "to keep the number already stored (with the same type).",
    )
    volunteer_number: CleanStr = Field(
        "", max_length=60, description="The national volunteer service system's number."
    )


class ProfileOut(Schema):
    real_name: str
    id_type: str
    id_type_label: str
    id_number: str = Field(..., description="Masked: the first and last few characters only.")
    volunteer_number: str
    updated_at: datetime.datetime


# --- certificates -------------------------------------------------------------------------------


class CertificateIn(Schema):
    period_start: datetime.date
    period_end: datetime.date
    community: int = Field(..., description="The community that recorded the hours.")
    purpose: CleanStr = Field("", max_length=200, description="What it is for (optional).")


class RemarksIn(Schema):
    remarks: CleanStr = Field("", max_length=300)


class RevokeIn(Schema):
    reason: CleanStr = Field(..., max_length=300)


class CertificateLineOut(Schema):
    date: datetime.date
    title: str = Field(..., description="The task or activity (a confidential task only as such).")
    team: str = Field("", description="The team's name, empty for none.")
    hours: str


class IssuerOut(Schema):
    name: str
    person_in_charge: str
    handler: str
    contact: str


class CertificateOut(Schema):
    id: int
    number: str | None = Field(None, description="Given when issued.")
    status: str = Field(..., description="`requested`, `publicising`, `valid` or `revoked`.")
    status_label: str
    holder: PersonRef
    community: Ref
    period_start: datetime.date
    period_end: datetime.date
    purpose: str
    hours: str = Field(..., description="The total (when requested: the approved hours then).")
    requested_at: datetime.datetime
    issued_at: datetime.datetime | None = None
    publicity_until: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None
    revoke_reason: str = ""
    verify_url: str | None = Field(None, description="The public verification page.")
    url: str


class CertificateDetailOut(CertificateOut):
    holder_name: str = Field("", description="The real name, as issued.")
    id_type: str = ""
    id_number: str = Field("", description="Masked.")
    volunteer_number: str = ""
    issuer: IssuerOut | None = None
    remarks: str = ""
    lines: list[CertificateLineOut] = Field(
        default_factory=list, description="Fixed when issued; empty while requested."
    )
    pdf_url: str | None = None


class CertificatePage(Schema):
    items: list[CertificateOut]
    count: int


class VerificationOut(Schema):
    """What anyone may learn from a certificate number, and nothing else."""

    number: str
    status: str = Field(..., description="`publicising`, `valid` or `revoked`.")
    holder: str = Field(..., description="The holder's name, masked.")
    issuer: str
    period_start: datetime.date
    period_end: datetime.date
    hours: str
