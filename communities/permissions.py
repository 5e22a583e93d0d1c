"""Who may do what in a community. Pages, API, consumer and admin all ask here."""

from django.db.models import Q

from accounts.permissions import is_signed_in

from .models import Community, Membership


def _verified(user):
    if not is_signed_in(user):
        return Membership.objects.none()
    return Membership.objects.filter(user=user, status=Membership.Status.VERIFIED)


def is_verified_member(user, community: Community) -> bool:
    """A verified resident, representative or staff member of exactly this community."""
    return _verified(user).filter(community=community).exists()


def is_representative(user, community: Community) -> bool:
    return _verified(user).filter(community=community, role=Membership.Role.REPRESENTATIVE).exists()


def is_staff_of(user, community: Community) -> bool:
    """Staff of this community or of a community above it; superusers everywhere."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return (
        _verified(user)
        .filter(role=Membership.Role.STAFF, community_id__in=community.ancestor_ids)
        .exists()
    )


def staffed_communities(user):
    """Every community where the user acts as staff (their own and those below)."""
    if not is_signed_in(user):
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    paths = list(
        _verified(user).filter(role=Membership.Role.STAFF).values_list("community__path", flat=True)
    )
    if not paths:
        return Community.objects.none()
    query = Q()
    for path in paths:
        query |= Q(path__startswith=path)
    return Community.objects.filter(query)


_STAFFS_ANY = "_linli_staffs_any_community"


def staffs_any_community(user) -> bool:
    """Staff somewhere (superusers too): who gets the staff parts of the Wagtail admin.

    Remembered on the user object: the admin asks for every menu item and policy check of a
    request.
    """
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, _STAFFS_ANY):
        setattr(user, _STAFFS_ANY, staffed_communities(user).exists())
    return getattr(user, _STAFFS_ANY)


def can_request_membership(user, community: Community) -> bool:
    return is_signed_in(user) and community.kind == Community.Kind.COMMUNITY


def is_own_membership(user, membership: Membership) -> bool:
    return is_signed_in(user) and membership.user_id == user.pk


def can_decide_membership(user, membership: Membership) -> bool:
    """Staff of its community verify, reject or change the role of a membership; nobody
    (superusers neither) decides on their own."""
    return not is_own_membership(user, membership) and is_staff_of(user, membership.community)


def can_grant_membership(user, community: Community, person) -> bool:
    """Staff of the community make someone else a verified member of it, never themselves."""
    return (
        is_signed_in(user)
        and getattr(person, "pk", None) != user.pk
        and is_staff_of(user, community)
    )


# --- admin helpers (the Wagtail viewsets of teams and deliberation share them) -----------------


def scoped_to_staffed(queryset, user, lookup: str):
    """Rows whose community (`lookup`, e.g. "council__community") the user staffs; all rows
    for superusers. Admin lists and object lookups use it."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return queryset
    return queryset.filter(**{f"{lookup}__in": staffed_communities(user)}).distinct()


def keep_urls(patterns, keep):
    """The URL patterns of a Wagtail viewset whose names are in `keep` (drops the others)."""
    return [pattern for pattern in patterns if pattern.name in keep]


# --- assisted participation --------------------------------------------------------------------


def may_file_for_residents(user, community: Community) -> bool:
    """Staff of the community (or above it) file proposals and needs for residents who came
    to the service station."""
    return is_staff_of(user, community)


def may_file_for(user, community: Community, resident) -> bool:
    """... for this resident: a verified member of the community, never the staff member."""
    return (
        resident is not None
        and getattr(resident, "pk", None) != getattr(user, "pk", None)
        and may_file_for_residents(user, community)
        and is_verified_member(resident, community)
    )


def assisted_residents(community: Community):
    """Who staff may file for in this community: its active verified members."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__community=community,
            memberships__status=Membership.Status.VERIFIED,
        )
        .distinct()
    )
