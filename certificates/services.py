"""Every state change of volunteer profiles and certificates. Pages, API, admin and commands call
these; nothing else writes."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from core.errors import Conflict, NotAllowed
from core.reasons import required_reason
from live.services import publish
from live.texts import localized, text_fields
from teams import ledger
from teams.services.common import require_signed_in, staff_ids

from . import idnumbers, selectors
from . import permissions as perms
from .models import Certificate, CertificateLine, VolunteerProfile

NAME_MAX = VolunteerProfile._meta.get_field("real_name").max_length
VOLUNTEER_NUMBER_MAX = VolunteerProfile._meta.get_field("volunteer_number").max_length
#: A certificate covers at most this long a period.
PERIOD_MAX = datetime.timedelta(days=366 * 5)
_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# --- the real-name profile ----------------------------------------------------------------------


def save_profile(
    *, actor, real_name: str, id_type: str, id_number: str, volunteer_number: str = ""
) -> VolunteerProfile:
    """The person's own real-name profile; the document number is checked for its type and
    stored encrypted. An empty `id_number` keeps the number already stored."""
    require_signed_in(actor)
    errors = {}
    real_name = (real_name or "").strip()
    volunteer_number = (volunteer_number or "").strip().upper()
    if not real_name:
        errors["real_name"] = [_("Enter your name as on your identity document.")]
    elif len(real_name) > NAME_MAX:
        errors["real_name"] = [_("Keep the name under %(max)s characters.") % {"max": NAME_MAX}]
    existing = VolunteerProfile.objects.filter(user=actor).first()
    number = None
    keep = existing is not None and not (id_number or "").strip() and existing.id_type == id_type
    if not keep:
        try:
            number = idnumbers.validate(id_type, id_number)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if len(volunteer_number) > VOLUNTEER_NUMBER_MAX or (
        volunteer_number and not volunteer_number.replace("-", "").isalnum()
    ):
        errors["volunteer_number"] = [
            _("Enter the volunteer number as the national system shows it.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile = existing or VolunteerProfile(user=actor)
        profile.real_name = real_name
        profile.id_type = id_type
        profile.volunteer_number = volunteer_number
        if number is not None:
            profile.set_id_number(number)
        profile.save()
        log(
            instance=profile,
            action="linli.profile.save",
            user=actor,
            data={"id_type": id_type, "id_number": profile.id_number_masked},
        )
    return profile


def reveal_id_number(*, actor, profile: VolunteerProfile) -> str:
    """The full document number for the holder, or for staff who may read it (audited)."""
    require_signed_in(actor)
    if not perms.may_read_id_number(actor, profile.user):
        raise NotAllowed(_("Only the person and the staff who certify their hours can read this."))
    if actor.pk != profile.user_id:
        log(
            instance=profile,
            action="linli.profile.reveal",
            user=actor,
            data={"person": profile.user_id},
        )
    return profile.id_number()


def certificate_id_number(*, actor, certificate: Certificate) -> str:
    """The full document number printed on an issued certificate (its PDF), for the holder
    and the issuing community's staff; a read by anyone but the holder is audited like
    reveal_id_number (action linli.profile.reveal, on the certificate)."""
    require_signed_in(actor)
    if not perms.can_see_certificate(actor, certificate):
        raise NotAllowed(_("Only the holder and the issuing community's staff can read this."))
    if not perms.is_holder(actor, certificate):
        log(
            instance=certificate,
            action="linli.profile.reveal",
            user=actor,
            data={"person": certificate.holder_id, "certificate": certificate.number},
        )
    return certificate.holder_id_number()


# --- certificates -------------------------------------------------------------------------------


def certificate_data(certificate: Certificate, text=None, **extra) -> dict:
    data = {
        "id": certificate.pk,
        "number": certificate.number,
        "status": certificate.current_status,
        "community": {"id": certificate.community_id, "name": certificate.community.name},
        "period_start": certificate.period_start.isoformat(),
        "period_end": certificate.period_end.isoformat(),
        "hours": str(certificate.total_hours),
        "url": certificate.get_absolute_url(),
        **extra,
    }
    if text is not None:
        data.update(text_fields(text))
    return data


def _clean_period(period_start, period_end) -> tuple[datetime.date, datetime.date]:
    errors = {}
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            errors[name] = [_("Enter a date.")]
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    if period_end < period_start:
        errors["period_end"] = [_("The end of the period must not come before its start.")]
    elif period_end > today:
        errors["period_end"] = [_("The period cannot end in the future.")]
    elif period_end - period_start > PERIOD_MAX:
        errors["period_start"] = [_("A certificate covers at most five years.")]
    if errors:
        raise ValidationError(errors)
    return period_start, period_end


def request_certificate(
    *, actor, community, period_start, period_end, purpose: str = ""
) -> tuple[Certificate, bool]:
    """A volunteer asks `community` to certify their approved hours of a period. Needs the
    real-name profile and approved hours there in that period. Asking again while the request
    is open returns it (created False)."""
    require_signed_in(actor)
    period_start, period_end = _clean_period(period_start, period_end)
    purpose = (purpose or "").strip()
    if len(purpose) > 200:
        raise ValidationError({"purpose": [_("Keep this under 200 characters.")]})
    if not VolunteerProfile.objects.filter(user=actor).exists():
        raise Conflict(
            _(
                "Fill in your real-name details first: "
                "a certificate carries your name and document."
            ),
            code="profile_required",
        )
    hours = ledger.approved_hours(
        volunteer=actor, community=community, start=period_start, end=period_end
    )
    if hours <= 0:
        raise ValidationError(
            {"period_start": [_("You have no approved hours in this community in this period.")]}
        )
    open_request = Certificate.objects.filter(
        holder=actor,
        community=community,
        period_start=period_start,
        period_end=period_end,
        status=Certificate.Status.REQUESTED,
    ).first()
    if open_request is not None:
        return open_request, False
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                holder=actor,
                community=community,
                period_start=period_start,
                period_end=period_end,
                purpose=purpose,
                total_hours=hours,
            )
            log(
                instance=certificate,
                action="linli.certificate.request",
                user=actor,
                data={"hours": str(hours)},
            )
            text = localized(
                gettext_lazy(
                    "%(name)s asks for a volunteer service certificate (%(hours)s hours)."
                ),
                {"name": actor.get_display_name(), "hours": hours},
            )
            data = certificate_data(certificate, text)
            for user_id in sorted(set(staff_ids(community)) - {actor.pk}):
                publish(
                    topic=f"user:{user_id}", type="certificate.requested", data=data, actor=actor
                )
    except IntegrityError:
        return (
            Certificate.objects.get(
                holder=actor,
                community=community,
                period_start=period_start,
                period_end=period_end,
                status=Certificate.Status.REQUESTED,
            ),
            False,
        )
    return certificate, True


def _new_number(year: int) -> str:
    """LL2026-7K3M-9QXD: random, so that numbers cannot be guessed from one another."""
    body = "".join(secrets.choice(_NUMBER_ALPHABET) for _i in range(8))
    return f"LL{year}-{body[:4]}-{body[4:]}"


def issue_certificate(*, actor, certificate: Certificate, remarks: str = "") -> Certificate:
    """Staff of the issuing community issue it: the snapshot is fixed, a number given, and it
    goes on the publicity list for the community's notice days. Issuing again returns it as
    it is, with the same number."""
    require_signed_in(actor)
    if perms.is_holder(actor, certificate):
        raise NotAllowed(_("Nobody certifies their own hours."), code="own_work")
    if not perms.may_issue(actor, certificate):
        raise NotAllowed(_("Only staff of the community that recorded the hours can certify them."))
    remarks = (remarks or "").strip()
    if len(remarks) > 300:
        raise ValidationError({"remarks": [_("Keep the remarks under 300 characters.")]})
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .select_related("community", "holder")
            .get(pk=certificate.pk)
        )
        if certificate.status != Certificate.Status.REQUESTED:
            if certificate.number:
                return certificate
            raise Conflict(_("This request was turned down."), code="wrong_state")
        profile = VolunteerProfile.objects.filter(user=certificate.holder).first()
        if profile is None:
            raise Conflict(_("The volunteer has no real-name details."), code="profile_required")
        records = list(selectors.certifiable_records(certificate=certificate))
        if not records:
            raise Conflict(_("There are no approved hours to certify."), code="no_hours")
        CertificateLine.objects.bulk_create(
            selectors.lines_for(certificate=certificate, records=records)
        )
        now = timezone.now()
        community = certificate.community
        certificate.total_hours = sum((record.hours for record in records), start=0)
        certificate.holder_name = profile.real_name
        certificate.holder_id_type = profile.id_type
        certificate.holder_id_number_encrypted = profile.id_number_encrypted
        certificate.holder_id_number_masked = profile.id_number_masked
        certificate.holder_volunteer_number = profile.volunteer_number
        certificate.issuer_name = community.name
        certificate.person_in_charge = community.person_in_charge
        certificate.handler_name = actor.get_display_name()[:50]
        certificate.contact = community.contact_phone
        certificate.remarks = remarks
        certificate.issued_by = actor
        certificate.issued_at = now
        certificate.publicity_until = now + datetime.timedelta(
            days=community.certificate_publicity_days
        )
        certificate.status = Certificate.Status.PUBLICISING
        for _attempt in range(5):
            certificate.number = _new_number(timezone.localdate(now).year)
            try:
                with transaction.atomic():
                    certificate.save()
                break
            except IntegrityError:
                continue
        else:
            raise Conflict(_("Could not give the certificate a number; try again."))
        log(
            instance=certificate,
            action="linli.certificate.issue",
            user=actor,
            data={"number": certificate.number, "hours": str(certificate.total_hours)},
        )
        text = localized(
            gettext_lazy(
                "Your volunteer service certificate %(number)s was issued (%(hours)s hours); "
                "it is on public notice until %(until)s."
            ),
            {
                "number": certificate.number,
                "hours": certificate.total_hours,
                "until": certificate.publicity_until,
            },
        )
        publish(
            topic=f"user:{certificate.holder_id}",
            type="certificate.issued",
            data=certificate_data(certificate, text),
            actor=actor,
        )
    return certificate


def revoke_certificate(*, actor, certificate: Certificate, reason: str) -> Certificate:
    """Staff revoke an issued certificate (or turn a request down), saying why."""
    require_signed_in(actor)
    if not perms.may_revoke(actor, certificate):
        raise NotAllowed(_("Only staff of the issuing community can revoke a certificate."))
    reason = required_reason(reason, missing=_("Say why."))
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .select_related("community")
            .get(pk=certificate.pk)
        )
        if certificate.status == Certificate.Status.REVOKED:
            raise Conflict(_("This certificate is already revoked."), code="wrong_state")
        certificate.status = Certificate.Status.REVOKED
        certificate.revoked_by = actor
        certificate.revoked_at = timezone.now()
        certificate.revoke_reason = reason
        certificate.save(update_fields=["status", "revoked_by", "revoked_at", "revoke_reason"])
        log(
            instance=certificate,
            action="linli.certificate.revoke",
            user=actor,
            data={"number": certificate.number, "reason": reason},
        )
        text = localized(
            gettext_lazy("Your volunteer service certificate was revoked: %(reason)s"),
            {"reason": reason},
        )
        publish(
            topic=f"user:{certificate.holder_id}",
            type="certificate.revoked",
            data=certificate_data(certificate, text, reason=reason),
            actor=actor,
        )
    return certificate
