"""Who may do what with volunteer profiles and certificates. Pages, API and admin ask here."""

from accounts.permissions import is_signed_in
from communities.permissions import is_staff_of, staffed_communities
from teams.models import ServiceRecord

from .models import Certificate


def is_holder(user, certificate: Certificate) -> bool:
    return is_signed_in(user) and certificate.holder_id == user.pk


def may_issue(user, certificate: Certificate) -> bool:
    """Staff of the issuing community ("谁记录谁证明"), never for themselves."""
    return (
        is_signed_in(user)
        and not is_holder(user, certificate)
        and is_staff_of(user, certificate.community)
    )


def may_revoke(user, certificate: Certificate) -> bool:
    return may_issue(user, certificate)


def can_see_certificate(user, certificate: Certificate) -> bool:
    """The holder and the issuing community's staff (and those above it)."""
    return is_holder(user, certificate) or (
        is_signed_in(user) and is_staff_of(user, certificate.community)
    )


def may_read_id_number(user, person) -> bool:
    """The person themselves; staff of a community where the person served hours or asked
    for a certificate (every such read by staff is audited: services.reveal_id_number)."""
    if not is_signed_in(user):
        return False
    if user.pk == person.pk:
        return True
    communities = staffed_communities(user)
    return (
        ServiceRecord.objects.filter(volunteer=person, community__in=communities).exists()
        or Certificate.objects.filter(holder=person, community__in=communities).exists()
    )


def may_list_certificates(user, community) -> bool:
    """Staff list the certificates of the communities they staff (and those below)."""
    return is_signed_in(user) and is_staff_of(user, community)


def may_export(user, community) -> bool:
    """Staff export the approved hours of their communities for the national system."""
    return is_signed_in(user) and is_staff_of(user, community)


def certificates_for_staff(user):
    if not is_signed_in(user):
        return Certificate.objects.none()
    return Certificate.objects.filter(community__in=staffed_communities(user))
