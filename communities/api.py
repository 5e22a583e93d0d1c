"""Communities and memberships over /api/v1/. Thin: reads here, changes through services."""

from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from core import ids
from core.api import anyone
from core.errors import NotAllowed
from core.inputs import CleanStr

from . import inbox, services
from .models import Community, Membership

router = Router(tags=["communities"])

RESIDENT_ROLES = (Membership.Role.RESIDENT, Membership.Role.REPRESENTATIVE)
RoleName = Literal["resident", "representative", "staff"]


class CommunityRef(Schema):
    id: int
    name: str


class CommunityOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    path: str
    url: str


class MembershipMine(Schema):
    id: int
    role: str
    status: str
    note: str
    reason: str


class CommunityDetailOut(CommunityOut):
    description: str
    ancestors: list[CommunityRef]
    children: list[CommunityRef]
    verified_residents: int
    representatives: int
    staff: int
    membership: MembershipMine | None


class UserRef(Schema):
    id: int
    display_name: str


class MembershipOut(Schema):
    id: int
    community: CommunityRef
    user: UserRef
    role: str
    status: str
    note: str
    reason: str
    requested_at: str
    decided_at: str | None


class JoinIn(Schema):
    note: CleanStr = ""


class VerifyIn(Schema):
    role: RoleName | None = None


class RejectIn(Schema):
    reason: CleanStr


def _community(community: Community) -> dict:
    return {
        "id": community.pk,
        "name": community.name,
        "kind": community.kind,
        "parent_id": community.parent_id,
        "path": community.path,
        "url": community.get_absolute_url(),
    }


def _mine(membership: Membership | None) -> dict | None:
    if membership is None:
        return None
    return {
        "id": membership.pk,
        "role": membership.role,
        "status": membership.status,
        "note": membership.note,
        "reason": membership.decision_reason,
    }


def _membership(membership: Membership) -> dict:
    return {
        "id": membership.pk,
        "community": {"id": membership.community_id, "name": membership.community.name},
        "user": {"id": membership.user_id, "display_name": membership.user.get_display_name()},
        "role": membership.role,
        "status": membership.status,
        "note": membership.note,
        "reason": membership.decision_reason,
        "requested_at": membership.created_at.isoformat(),
        "decided_at": membership.decided_at.isoformat() if membership.decided_at else None,
    }


@router.get("/communities", response=list[CommunityOut], auth=anyone)
def list_communities(request, kind: Literal["district", "street", "community"] | None = None):
    """Every community of the tree, in tree order (by path)."""
    communities = Community.objects.order_by("path")
    if kind:
        communities = communities.filter(kind=kind)
    return [_community(c) for c in communities]


@router.get("/communities/{community_id}", response=CommunityDetailOut, auth=anyone)
def get_community(request, community_id: int):
    community = ids.get_or_404(Community.objects.all(), community_id)
    relatives = {
        c.pk: c
        for c in Community.objects.filter(
            Q(pk__in=community.ancestor_ids[:-1]) | Q(parent=community)
        ).order_by("path")
    }
    counts = Membership.objects.filter(
        community__path__startswith=community.path, status=Membership.Status.VERIFIED
    ).aggregate(
        residents=Count("pk", filter=Q(role__in=RESIDENT_ROLES)),
        representatives=Count("pk", filter=Q(role=Membership.Role.REPRESENTATIVE)),
        staff=Count("pk", filter=Q(role=Membership.Role.STAFF)),
    )
    mine = None
    if request.user.is_authenticated:
        mine = Membership.objects.filter(user=request.user, community=community).first()
    return {
        **_community(community),
        "description": community.description,
        "ancestors": [
            {"id": pk, "name": relatives[pk].name}
            for pk in community.ancestor_ids[:-1]
            if pk in relatives
        ],
        "children": [
            {"id": c.pk, "name": c.name} for c in relatives.values() if c.parent_id == community.pk
        ],
        "verified_residents": counts["residents"],
        "representatives": counts["representatives"],
        "staff": counts["staff"],
        "membership": _mine(mine),
    }


@router.post("/communities/{community_id}/membership", response=MembershipOut)
def request_membership(request, community_id: int, payload: JoinIn | None = None):
    """Ask to join a community (kind `community`). Asking again is harmless."""
    community = ids.get_or_404(Community.objects.all(), community_id)
    membership = services.request_membership(
        user=request.user, community=community, note=payload.note if payload else ""
    )
    return _membership(membership)


def _decidable(request, membership_id):
    return ids.get_or_404(Membership.objects.select_related("community", "user"), membership_id)


@router.post("/memberships/{membership_id}/verify", response=MembershipOut)
def verify_membership(request, membership_id: int, payload: VerifyIn | None = None):
    """Staff of the community (or above) verify a request, optionally giving a role."""
    membership = services.verify_membership(
        actor=request.user,
        membership=_decidable(request, membership_id),
        role=payload.role if payload else None,
    )
    return _membership(membership)


@router.post("/memberships/{membership_id}/reject", response=MembershipOut)
def reject_membership(request, membership_id: int, payload: RejectIn):
    """Staff reject a request (or end a membership) with a reason the person will see."""
    membership = services.reject_membership(
        actor=request.user,
        membership=_decidable(request, membership_id),
        reason=payload.reason,
    )
    return _membership(membership)


class InboxItemOut(Schema):
    kind: str
    id: int
    title: str
    community: CommunityRef
    since: str
    reason: str
    url: str


class InboxOut(Schema):
    counts: dict[str, int]
    items: list[InboxItemOut]


class InboxFilters(Schema):
    kind: str | None = None
    limit: int = Field(20, ge=0, le=inbox.LIMIT_MAX)


@router.get("/inbox", response=InboxOut)
def get_inbox(request, filters: Query[InboxFilters]):
    """What waits for a staff member in the communities they handle: the count of each kind
    and the oldest `limit` items of each (`limit=0`: the counts alone). `kind` picks one."""
    if filters.kind is not None and inbox.get_kind(filters.kind) is None:
        raise ValidationError({"kind": _("Unknown kind.")})
    result = inbox.inbox(request.user, kind=filters.kind, limit=filters.limit)
    if result is None:
        raise NotAllowed(_("Only community staff have an inbox."))
    return {"counts": result["counts"], "items": [item.as_dict() for item in result["items"]]}
