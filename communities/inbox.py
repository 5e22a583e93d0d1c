"""The staff inbox (待处理): what waits for a staff member in the communities they handle.

A registry, like live.topics: the apps above register their kinds of waiting work in their
AppConfig.ready (teams: requests for help, tasks, hours; deliberation: proposals, reports) and
this app its own (membership requests). Each kind answers for a scope, the communities a staff
member handles (`Scope`: their own and those below, communities.permissions):

- `pending(scope)`: a queryset of the waiting rows, for counting; every kind's count is read
  in one query (`counts`);
- `items(scope, limit)`: the oldest `limit` of them as `InboxItem`s, in a constant number of
  queries whatever the number of rows.

Nobody's own work waits for them (hours they logged, their own membership request): each kind
leaves it out with the "nobody approves their own work" rule of its app's permissions.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Func, IntegerField, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_signed_in

from .models import Community, Membership
from .permissions import staffed_communities


@dataclass(frozen=True)
class Scope:
    """Who asks and the communities they handle as staff, with each one's limit of days for
    an open task (Community.task_stale_days)."""

    user: object
    communities: dict[int, Community] = field(default_factory=dict)

    @property
    def ids(self) -> list[int]:
        return list(self.communities)


@dataclass(frozen=True)
class InboxItem:
    kind: str
    id: int
    title: str
    community: Community
    since: datetime.datetime
    reason: str
    url: str

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "community": {"id": self.community.pk, "name": self.community.name},
            "since": self.since.isoformat(),
            "reason": self.reason,
            "url": self.url,
        }


@dataclass(frozen=True)
class InboxKind:
    slug: str
    label: object  # gettext_lazy
    ordering: int
    pending: Callable[[Scope], object]  # -> QuerySet of the waiting rows
    items: Callable[[Scope, int], list[InboxItem]]


_kinds: dict[str, InboxKind] = {}

#: The most items of one kind a reader gets at once.
LIMIT_MAX = 100


def register(kind: InboxKind) -> None:
    _kinds[kind.slug] = kind


def unregister(slug: str) -> None:
    _kinds.pop(slug, None)


def kinds() -> list[InboxKind]:
    return sorted(_kinds.values(), key=lambda kind: (kind.ordering, kind.slug))


def get_kind(slug: str) -> InboxKind | None:
    return _kinds.get(slug)


def scope_for(user) -> Scope:
    """The communities `user` handles as staff (one query, plus one for their staff roles)."""
    if not is_signed_in(user):
        return Scope(user=user)
    communities = staffed_communities(user).only("pk", "name", "path", "task_stale_days")
    return Scope(user=user, communities={c.pk: c for c in communities})


def _count_of_rows():
    """COUNT(*) of a queryset's rows as the only column of its query: a plain function, not
    an aggregate, so Django adds no GROUP BY."""
    return Func(template="COUNT(*)", output_field=IntegerField())


def counts(scope: Scope, *, only=None) -> dict[str, int]:
    """{kind slug: how many wait} for every kind (or those in `only`), all in one query (none
    for an empty scope)."""
    chosen = only if only is not None else kinds()
    if not scope.communities or not chosen:
        return {kind.slug: 0 for kind in chosen}
    columns = {
        f"n_{index}": Subquery(
            kind.pending(scope).order_by().annotate(n=_count_of_rows()).values("n")[:1],
            output_field=IntegerField(),
        )
        for index, kind in enumerate(chosen)
    }
    row = Community.objects.filter(pk=scope.ids[0]).values(**columns).first() or {}
    return {kind.slug: row.get(f"n_{index}") or 0 for index, kind in enumerate(chosen)}


def inbox(user, *, kind: str | None = None, limit: int = 20) -> dict | None:
    """{"counts": {slug: n}, "items": [InboxItem, ...]} for a staff member: the counts of
    every kind (or of `kind`), and at most `limit` items of each, the oldest first. `limit=0`
    reads the counts alone. None for someone who is staff nowhere: the inbox is staff's."""
    scope = scope_for(user)
    if not scope.communities:
        return None
    chosen = kinds() if kind is None else [k for k in kinds() if k.slug == kind]
    limit = max(0, min(int(limit), LIMIT_MAX))
    result = {"counts": counts(scope, only=chosen), "items": []}
    if limit:
        for each in chosen:
            if result["counts"][each.slug]:
                result["items"].extend(each.items(scope, limit))
    return result


# --- membership requests (this app's kind) ------------------------------------------------------


def pending_memberships(scope: Scope):
    """Requests to join a community the staff member handles; never their own."""
    return Membership.objects.filter(
        community_id__in=scope.ids, status=Membership.Status.PENDING
    ).exclude(user_id=getattr(scope.user, "pk", None))


def membership_items(scope: Scope, limit: int) -> list[InboxItem]:
    rows = pending_memberships(scope).select_related("user").order_by("created_at", "pk")[:limit]
    return [
        InboxItem(
            kind="membership_request",
            id=membership.pk,
            title=membership.user.get_display_name(),
            community=scope.communities[membership.community_id],
            since=membership.created_at,
            reason=membership.note,
            url=reverse("communities:requests", args=[membership.community_id]),
        )
        for membership in rows
    ]


MEMBERSHIP_REQUEST = InboxKind(
    slug="membership_request",
    label=_("Requests to join"),
    ordering=70,
    pending=pending_memberships,
    items=membership_items,
)
