"""State changes of memberships. Pages, API, admin and commands call these; nothing else writes.

Each function runs in one transaction, asks communities.permissions, and writes a Wagtail audit
log entry. Live events are not published here: `live` sits above `communities` and owns the
`community` and `user` topics, so it is for `live` to announce membership changes.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from accounts.permissions import is_signed_in
from core.errors import Conflict, NotAllowed, ServiceError

from . import permissions
from .models import Community, Membership

STAFF_GROUP_NAME = "Community staff"

NOTE_MAX = Membership._meta.get_field("note").max_length
REASON_MAX = Membership._meta.get_field("decision_reason").max_length


def _log(membership, action, actor, **data):
    log(
        instance=membership,
        action=action,
        user=actor if getattr(actor, "is_authenticated", False) else None,
        data={
            "membership": membership.pk,
            "user": membership.user_id,
            "community": membership.community_id,
            "role": membership.role,
            "status": membership.status,
            **data,
        },
    )


def _clean_role(role):
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    return role


def _locked(membership) -> Membership:
    """Re-read the membership under a row lock, so that two decisions never interleave."""
    try:
        return (
            Membership.objects.select_for_update()
            .select_related("community", "user")
            .get(pk=membership.pk)
        )
    except Membership.DoesNotExist:
        raise Conflict(_("This membership no longer exists.")) from None


def _check_decider(actor, membership):
    if permissions.is_own_membership(actor, membership):
        raise NotAllowed(_("You cannot decide on your own membership."), code="own_work")
    if not permissions.can_decide_membership(actor, membership):
        raise NotAllowed(_("Only staff of this community can decide on its members."))


def sync_staff_access(user) -> bool:
    """Give the Wagtail admin to people who are verified staff somewhere; take it back otherwise.

    Returns whether the user is staff now. Idempotent; the demo loader uses it too.
    """
    is_staff_member = Membership.objects.filter(
        user=user, role=Membership.Role.STAFF, status=Membership.Status.VERIFIED
    ).exists()
    group, _created = Group.objects.get_or_create(name=STAFF_GROUP_NAME)
    access = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    if access is not None:
        group.permissions.add(access)
    if is_staff_member:
        user.groups.add(group)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    else:
        user.groups.remove(group)
        if user.is_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    return is_staff_member


def request_membership(*, user, community: Community, note: str = "") -> Membership:
    """A signed-in person asks to join a community (not a street or district).

    Asking again while pending or verified changes nothing; asking after a rejection puts the
    request back in the queue. Two concurrent first requests meet at the unique constraint.
    """
    if not is_signed_in(user):
        raise NotAllowed(_("Sign in first."), code="not_authenticated")
    if not permissions.can_request_membership(user, community):
        raise ServiceError(
            _("You can only join a community or village, not a street or district."),
            code="not_joinable",
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(max)d characters.") % {"max": NOTE_MAX}}
        )

    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(user=user, community=community).first()
        )
        if membership is None:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(
                        user=user, community=community, note=note
                    )
            except IntegrityError:
                # Another request of the same person won the race; treat it as theirs.
                membership = Membership.objects.select_for_update().get(
                    user=user, community=community
                )
            else:
                _log(membership, "linli.membership.request", user, note=note)
                return membership

        if membership.status == Membership.Status.REJECTED:
            updated = Membership.objects.filter(
                pk=membership.pk, status=Membership.Status.REJECTED
            ).update(
                status=Membership.Status.PENDING,
                role=Membership.Role.RESIDENT,
                note=note,
                decision_reason="",
                decided_by=None,
                decided_at=None,
                created_at=timezone.now(),
            )
            membership.refresh_from_db()
            if updated:
                _log(membership, "linli.membership.request", user, note=note, again=True)
        return membership


def verify_membership(*, actor, membership: Membership, role=None) -> Membership:
    """Staff accept a pending (or earlier rejected) request, optionally with a role."""
    if role is not None:
        _clean_role(role)
    with transaction.atomic():
        membership = _locked(membership)
        _check_decider(actor, membership)
        if membership.status == Membership.Status.VERIFIED:
            raise Conflict(_("This membership is already verified."), code="already_verified")
        membership.status = Membership.Status.VERIFIED
        membership.role = role or membership.role
        membership.decision_reason = ""
        membership.decided_by = actor
        membership.decided_at = timezone.now()
        membership.save(
            update_fields=["status", "role", "decision_reason", "decided_by", "decided_at"]
        )
        if membership.role == Membership.Role.STAFF:
            sync_staff_access(membership.user)
        _log(membership, "linli.membership.verify", actor)
    return membership


def reject_membership(*, actor, membership: Membership, reason: str) -> Membership:
    """Staff turn down a request, or end a verified membership; the reason is shown to them."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; the applicant will see it.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}}
        )
    with transaction.atomic():
        membership = _locked(membership)
        _check_decider(actor, membership)
        if membership.status == Membership.Status.REJECTED:
            raise Conflict(_("This membership is already rejected."), code="already_rejected")
        was_staff = membership.role == Membership.Role.STAFF and membership.is_verified
        membership.status = Membership.Status.REJECTED
        membership.decision_reason = reason
        membership.decided_by = actor
        membership.decided_at = timezone.now()
        membership.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        if was_staff:
            sync_staff_access(membership.user)
        _log(membership, "linli.membership.reject", actor, reason=reason)
    return membership


def set_role(*, actor, membership: Membership, role) -> Membership:
    """Staff change the role of a verified member (resident, representative, staff)."""
    _clean_role(role)
    with transaction.atomic():
        membership = _locked(membership)
        _check_decider(actor, membership)
        if membership.status != Membership.Status.VERIFIED:
            raise Conflict(
                _("Verify the membership before changing its role."), code="not_verified"
            )
        old_role = membership.role
        if old_role == role:
            return membership
        membership.role = role
        membership.save(update_fields=["role"])
        if Membership.Role.STAFF in (old_role, role):
            sync_staff_access(membership.user)
        _log(membership, "linli.membership.set_role", actor, old_role=old_role)
    return membership


def grant_membership(*, actor, user, community: Community, role) -> Membership:
    """Staff (or a superuser) make someone a verified member directly, e.g. street staff.

    Works at any level of the tree. An existing membership is verified with the new role.
    """
    _clean_role(role)
    if getattr(actor, "pk", None) == user.pk:
        raise NotAllowed(_("You cannot decide on your own membership."), code="own_work")
    if not permissions.can_grant_membership(actor, community, user):
        raise NotAllowed(_("Only staff of this community can add members to it."))
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user,
            community=community,
            defaults={
                "role": role,
                "status": Membership.Status.VERIFIED,
                "decided_by": actor,
                "decided_at": timezone.now(),
            },
        )
        if not created:
            if membership.is_verified and membership.role == role:
                return membership
            membership.role = role
            membership.status = Membership.Status.VERIFIED
            membership.decision_reason = ""
            membership.decided_by = actor
            membership.decided_at = timezone.now()
            membership.save(
                update_fields=["role", "status", "decision_reason", "decided_by", "decided_at"]
            )
        sync_staff_access(user)
        _log(membership, "linli.membership.grant", actor, created=created)
    return membership


def assisted_resident(*, actor, community: Community, on_behalf_of, refused: str):
    """The resident staff file a proposal or a need for (`on_behalf_of`), checked; None when
    the actor files for themselves (also when they name themselves). `refused` is the 403
    message for someone who is not staff of the community."""
    if on_behalf_of is None or on_behalf_of.pk == getattr(actor, "pk", None):
        return None
    if not permissions.may_file_for_residents(actor, community):
        raise NotAllowed(refused)
    if not permissions.may_file_for(actor, community, on_behalf_of):
        raise ValidationError(
            {"on_behalf_of": [_("Choose a verified resident of this community.")]}
        )
    return on_behalf_of
