"""/api/v1/ for real-name volunteer profiles and volunteer service certificates. Thin:
`certificates.services` does the work, `certificates.selectors` reads, `permissions` decides.

A certificate answers 404 to whoever may not see it (permissions.can_see_certificate: its
holder and the issuing community's staff), exactly like an id that does not exist; the public
verification by number tells anyone its status, the masked name, issuer, period and hours.
"""

from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from communities.models import Community
from core import ids
from core.api import anyone, optional_body, optional_body_openapi
from core.errors import Conflict, NotAllowed
from teams.schemas import person_ref, ref

from . import pdf, selectors, services
from . import permissions as perms
from .models import Certificate, VolunteerProfile
from .schemas import (
    CertificateDetailOut,
    CertificateIn,
    CertificateOut,
    CertificatePage,
    ProfileIn,
    ProfileOut,
    RemarksIn,
    RevokeIn,
    VerificationOut,
)

router = Router(tags=["certificates"])


# --- the real-name profile ----------------------------------------------------------------------


def profile_out(profile: VolunteerProfile) -> dict:
    return {
        "real_name": profile.real_name,
        "id_type": profile.id_type,
        "id_type_label": profile.get_id_type_display(),
        "id_number": profile.id_number_masked,
        "volunteer_number": profile.volunteer_number,
        "updated_at": profile.updated_at,
    }


@router.get(
    "/me/volunteer-profile",
    response=ProfileOut,
    url_name="volunteer_profile",
    summary="My real-name details (document number masked)",
    description="404 (`not_found`) until they are filled in.",
)
def get_profile(request):
    profile = VolunteerProfile.objects.filter(user=request.user).first()
    if profile is None:
        raise HttpError(404, _("You have not filled in your real-name details yet."))
    return profile_out(profile)


@router.put(
    "/me/volunteer-profile",
    response={200: ProfileOut, 201: ProfileOut},
    summary="Fill in or change my real-name details",
    description="201 when they are filled in for the first time, 200 for a change; 400 with "
    "field errors for a document number that does not fit its type.",
)
def put_profile(request, payload: ProfileIn):
    existed = VolunteerProfile.objects.filter(user=request.user).exists()
    profile = services.save_profile(
        actor=request.user,
        real_name=payload.real_name,
        id_type=payload.id_type,
        id_number=payload.id_number,
        volunteer_number=payload.volunteer_number,
    )
    return Status(200 if existed else 201, profile_out(profile))


# --- certificates -------------------------------------------------------------------------------


def certificate_out(request, certificate: Certificate) -> dict:
    """A certificate read with its community and holder."""
    verify_path = certificate.verify_path()
    return {
        "id": certificate.pk,
        "number": certificate.number,
        "status": certificate.current_status,
        "status_label": certificate.get_current_status_display(),
        "holder": person_ref(certificate.holder),
        "community": ref(certificate.community),
        "period_start": certificate.period_start,
        "period_end": certificate.period_end,
        "purpose": certificate.purpose,
        "hours": str(certificate.total_hours),
        "requested_at": certificate.requested_at,
        "issued_at": certificate.issued_at,
        "publicity_until": certificate.publicity_until,
        "revoked_at": certificate.revoked_at,
        "revoke_reason": certificate.revoke_reason,
        "verify_url": request.build_absolute_uri(verify_path) if verify_path else None,
        "url": certificate.get_absolute_url(),
    }


def certificate_detail_out(request, certificate: Certificate) -> dict:
    data = certificate_out(request, certificate)
    issued = bool(certificate.number)
    data.update(
        holder_name=certificate.holder_name,
        id_type=certificate.holder_id_type,
        id_number=certificate.holder_id_number_masked,
        volunteer_number=certificate.holder_volunteer_number,
        issuer={
            "name": certificate.issuer_name,
            "person_in_charge": certificate.person_in_charge,
            "handler": certificate.handler_name,
            "contact": certificate.contact,
        }
        if issued
        else None,
        remarks=certificate.remarks,
        lines=[
            {
                "date": line.date,
                "title": line.title,
                "team": line.team_name,
                "hours": str(line.hours),
            }
            for line in certificate.lines.order_by("date", "pk")
        ],
        pdf_url=_pdf_url(certificate) if issued else None,
    )
    return data


def _pdf_url(certificate: Certificate) -> str:
    return reverse("api:certificate_pdf", args=[certificate.pk])


def _visible(request, pk: int) -> Certificate:
    """The certificate if the requester may see it (its holder, the issuing community's
    staff), else a 404."""
    certificate = ids.get_or_404(
        Certificate.objects.select_related("community", "holder", "issued_by", "revoked_by"), pk
    )
    if not perms.can_see_certificate(request.user, certificate):
        raise Http404
    return certificate


def _detail_reply(request, certificate: Certificate, status: int = 200):
    return Status(
        status, certificate_detail_out(request, selectors.certificate_detail(pk=certificate.pk))
    )


@router.get(
    "/certificates/verify/{number}",
    response=VerificationOut,
    auth=anyone,
    url_name="certificate_verify",
    summary="Anyone: is this certificate number real, and its status",
    description="Only the status, the masked name, issuer, period and hours; 404 (`not_found`) "
    "for a number that was never issued.",
)
def verify(request, number: str):
    answer = selectors.verification(number=number)
    if answer is None:
        raise HttpError(404, _("There is no certificate with this number."))
    return {
        "number": answer["number"],
        "status": answer["status"],
        "holder": answer["holder"],
        "issuer": answer["issuer"],
        "period_start": answer["period_start"],
        "period_end": answer["period_end"],
        "hours": str(answer["hours"]),
    }


class CertificateFilters(Schema):
    community: int | None = None
    status: Literal["requested", "publicising", "valid", "revoked"] | None = None
    limit: int = 20
    offset: int = 0


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    if limit < 1 or limit > 100:
        raise ValidationError({"limit": _("Ask for 1 to 100 items.")})
    if offset < 0 or offset > ids.MAX_ID:
        raise ValidationError({"offset": _("The offset cannot be negative.")})
    return limit, offset


def _with_status(certificates, status: str):
    """Filtered by the status as it is now: "valid" is stored as publicising whose notice
    period has passed (Certificate.current_status)."""
    now = timezone.now()
    if status == Certificate.Status.VALID:
        return certificates.filter(status=Certificate.Status.PUBLICISING, publicity_until__lte=now)
    if status == Certificate.Status.PUBLICISING:
        return certificates.publicising(now=now)
    return certificates.filter(status=status)


@router.get(
    "/certificates",
    response=CertificatePage,
    summary="My certificates; staff: `?community=` for a community they staff",
)
def list_certificates(request, filters: Query[CertificateFilters]):
    limit, offset = _page_bounds(filters.limit, filters.offset)
    if filters.community is not None:
        community = Community.objects.filter(pk=ids.clamp(filters.community)).first()
        if community is None:
            return {"items": [], "count": 0}
        if not perms.may_list_certificates(request.user, community):
            raise NotAllowed(_("Only the community's staff can list its certificates."))
        certificates = Certificate.objects.filter(community__path__startswith=community.path)
    else:
        certificates = Certificate.objects.filter(holder=request.user)
    if filters.status is not None:
        certificates = _with_status(certificates, filters.status)
    certificates = certificates.select_related("community", "holder").order_by(
        "-requested_at", "-pk"
    )
    count = certificates.count()
    items = [certificate_out(request, c) for c in certificates[offset : offset + limit]]
    return {"items": items, "count": count}


@router.post(
    "/certificates",
    response={200: CertificateOut, 201: CertificateOut},
    summary="Ask a community for a certificate of my approved hours in a period",
    description="201 for a new request; asking again while it is open gives it back (200). "
    "409 `profile_required` until the real-name details are filled in.",
)
def request_certificate(request, payload: CertificateIn):
    community = Community.objects.filter(pk=ids.clamp(payload.community)).first()
    if community is None:
        raise ValidationError({"community": [_("Unknown community.")]})
    certificate, created = services.request_certificate(
        actor=request.user,
        community=community,
        period_start=payload.period_start,
        period_end=payload.period_end,
        purpose=payload.purpose,
    )
    certificate = Certificate.objects.select_related("community", "holder").get(pk=certificate.pk)
    return Status(201 if created else 200, certificate_out(request, certificate))


@router.get(
    "/certificates/{certificate_id}",
    response=CertificateDetailOut,
    url_name="certificate",
    summary="A certificate with its lines (holder, staff)",
)
def get_certificate(request, certificate_id: int):
    return certificate_detail_out(request, _visible(request, certificate_id))


@router.post(
    "/certificates/{certificate_id}/issue",
    response=CertificateDetailOut,
    summary="Staff of the issuing community: issue it (number, public notice)",
    description="Issuing again gives the same number. Nobody issues their own (403 `own_work`).",
    openapi_extra=optional_body_openapi(RemarksIn),
)
def issue_certificate(request, certificate_id: int):
    payload = optional_body(request, RemarksIn)
    certificate = _visible(request, certificate_id)
    certificate = services.issue_certificate(
        actor=request.user, certificate=certificate, remarks=payload.remarks
    )
    return _detail_reply(request, certificate)


@router.post(
    "/certificates/{certificate_id}/revoke",
    response=CertificateDetailOut,
    summary="Staff of the issuing community: revoke it (or turn a request down), with a reason",
)
def revoke_certificate(request, certificate_id: int, payload: RevokeIn):
    certificate = _visible(request, certificate_id)
    certificate = services.revoke_certificate(
        actor=request.user, certificate=certificate, reason=payload.reason
    )
    return _detail_reply(request, certificate)


@router.get(
    "/certificates/{certificate_id}/pdf",
    url_name="certificate_pdf",
    summary="The certificate as a PDF (holder, staff)",
    description="With the full document number and a QR code of the verification page; a "
    "staff member's download is audited. 409 `not_issued` while it is only requested.",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def certificate_pdf(request, certificate_id: int):
    certificate = _visible(request, certificate_id)
    if not certificate.number:
        raise Conflict(_("The certificate has not been issued yet."), code="not_issued")
    return pdf.download(request, certificate)


__all__ = ["certificate_detail_out", "certificate_out", "profile_out", "router"]
