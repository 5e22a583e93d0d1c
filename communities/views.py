"""Community pages: the tree, a community, joining, and the staff's membership requests.

Thin: read with a fixed number of queries, change state only through services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ServiceError
from core.pages import apply_error, next_url

from . import inbox, permissions, services
from .forms import JoinForm, RejectForm, VerifyForm
from .models import Community, Membership

VERIFIED = Membership.Status.VERIFIED
PENDING = Membership.Status.PENDING
RESIDENT_ROLES = (Membership.Role.RESIDENT, Membership.Role.REPRESENTATIVE)
# The most items of one kind the inbox page lists (the oldest; the count says how many more).
PAGE_ITEMS = 20


def tree_order(communities):
    """Depth-first order (children by id) of a flat list; sets `depth` on each node."""
    children = {}
    for community in communities:
        children.setdefault(community.parent_id, []).append(community)
    known = {c.pk for c in communities}
    roots = [c for c in communities if c.parent_id is None or c.parent_id not in known]
    ordered = []
    stack = [(c, 0) for c in sorted(roots, key=lambda c: c.pk, reverse=True)]
    while stack:
        community, depth = stack.pop()
        community.depth = depth
        ordered.append(community)
        kids = sorted(children.get(community.pk, []), key=lambda c: c.pk, reverse=True)
        stack.extend((kid, depth + 1) for kid in kids)
    return ordered


def _staffed_ids(user) -> set:
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return {"*"}
    return set(permissions.staffed_communities(user).values_list("pk", flat=True))


def community_list(request):
    communities = tree_order(
        list(
            Community.objects.annotate(
                verified_members=Count(
                    "memberships",
                    filter=Q(memberships__status=VERIFIED, memberships__role__in=RESIDENT_ROLES),
                )
            )
        )
    )
    staffed = _staffed_ids(request.user)
    for community in communities:
        community.user_is_staff = "*" in staffed or community.pk in staffed
    return render(request, "communities/community_list.html", {"communities": communities})


def community_detail(request, pk):
    community = get_object_or_404(Community.objects.select_related("parent"), pk=pk)
    ancestors = list(Community.objects.filter(pk__in=community.ancestor_ids[:-1]).order_by("path"))
    children = list(
        community.children.annotate(
            verified_members=Count(
                "memberships",
                filter=Q(memberships__status=VERIFIED, memberships__role__in=RESIDENT_ROLES),
            )
        ).order_by("pk")
    )
    counts = Membership.objects.filter(
        community__path__startswith=community.path, status=VERIFIED
    ).aggregate(
        residents=Count("pk", filter=Q(role__in=RESIDENT_ROLES)),
        representatives=Count("pk", filter=Q(role=Membership.Role.REPRESENTATIVE)),
        staff=Count("pk", filter=Q(role=Membership.Role.STAFF)),
    )
    membership = None
    if request.user.is_authenticated:
        membership = Membership.objects.filter(user=request.user, community=community).first()
    is_staff = permissions.is_staff_of(request.user, community)
    pending_count = 0
    if is_staff:
        pending_count = Membership.objects.filter(
            community__path__startswith=community.path, status=PENDING
        ).count()
    can_join = permissions.can_request_membership(request.user, community) and (
        membership is None or membership.status == Membership.Status.REJECTED
    )
    return render(
        request,
        "communities/community_detail.html",
        {
            "community": community,
            "ancestors": ancestors,
            "children": children,
            "counts": counts,
            "membership": membership,
            "join_form": JoinForm() if can_join else None,
            "is_staff": is_staff,
            "pending_count": pending_count,
        },
    )


@login_required
@require_POST
def community_join(request, pk):
    community = get_object_or_404(Community, pk=pk)
    form = JoinForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(community)
    try:
        membership = services.request_membership(
            user=request.user, community=community, note=form.cleaned_data["note"]
        )
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
    else:
        if membership.is_verified:
            messages.info(request, _("You are already a verified member of this community."))
        else:
            messages.success(
                request, _("Your request has been sent. The community staff will check it.")
            )
    return redirect(community)


@login_required
def managed_communities(request):
    communities = tree_order(
        list(
            permissions.staffed_communities(request.user).annotate(
                pending=Count("memberships", filter=Q(memberships__status=PENDING))
            )
        )
    )
    return render(request, "communities/managed_communities.html", {"communities": communities})


@login_required
def inbox_page(request):
    """待处理: what waits for a staff member, grouped by kind, the oldest first."""
    result = inbox.inbox(request.user, limit=PAGE_ITEMS)
    if result is None:
        raise PermissionDenied(_("Only community staff have an inbox."))
    groups = [
        {
            "kind": kind.slug,
            "label": kind.label,
            "count": result["counts"][kind.slug],
            "items": [item for item in result["items"] if item.kind == kind.slug],
        }
        for kind in inbox.kinds()
    ]
    for group in groups:
        group["more"] = group["count"] - len(group["items"])
    return render(
        request,
        "communities/inbox.html",
        {
            "groups": groups,
            "waiting": [group for group in groups if group["count"]],
            "total": sum(group["count"] for group in groups),
        },
    )


@login_required
def membership_requests(request, pk):
    community = get_object_or_404(Community.objects.select_related("parent"), pk=pk)
    if not permissions.is_staff_of(request.user, community):
        raise PermissionDenied(_("Only staff of this community can see its requests."))
    pending = list(
        Membership.objects.filter(community__path__startswith=community.path, status=PENDING)
        .select_related("user", "community")
        .order_by("created_at", "pk")
    )
    for membership in pending:
        auto_id = f"id_m{membership.pk}_%s"
        membership.verify_form = VerifyForm(initial={"role": membership.role}, auto_id=auto_id)
        membership.reject_form = RejectForm(auto_id=auto_id)
    return render(
        request,
        "communities/membership_requests.html",
        {"community": community, "pending": pending},
    )


def _decide(request, pk, form_class, action):
    membership = get_object_or_404(Membership.objects.select_related("community", "user"), pk=pk)
    fallback = reverse("communities:requests", args=[membership.community_id])
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(next_url(request, fallback))
    try:
        action(membership, form.cleaned_data)
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
        if not permissions.is_staff_of(request.user, membership.community):
            return redirect(membership.community)
    return redirect(next_url(request, fallback))


@login_required
@require_POST
def membership_verify(request, pk):
    def action(membership, data):
        services.verify_membership(actor=request.user, membership=membership, role=data["role"])
        messages.success(
            request,
            _("%(name)s is now a verified member of %(community)s.")
            % {"name": membership.user.get_display_name(), "community": membership.community},
        )

    return _decide(request, pk, VerifyForm, action)


@login_required
@require_POST
def membership_reject(request, pk):
    def action(membership, data):
        services.reject_membership(actor=request.user, membership=membership, reason=data["reason"])
        messages.success(
            request,
            _("The request of %(name)s was rejected.")
            % {"name": membership.user.get_display_name()},
        )

    return _decide(request, pk, RejectForm, action)
