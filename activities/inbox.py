"""The activities' kind of the staff inbox (communities.inbox): activities that are over but
not closed, whose attendance hours wait for the closing to be approved."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.inbox import InboxItem, InboxKind, Scope, register

from .models import Activity


def over_not_closed(scope: Scope):
    return Activity.objects.filter(
        community_id__in=scope.ids,
        status=Activity.Status.PUBLISHED,
        ends_at__lte=timezone.now(),
    )


def close_items(scope: Scope, limit: int) -> list[InboxItem]:
    activities = over_not_closed(scope).select_related("team").order_by("ends_at", "pk")[:limit]
    return [
        InboxItem(
            kind="activity_to_close",
            id=activity.pk,
            title=activity.title,
            community=scope.communities[activity.community_id],
            since=activity.ends_at,
            reason=(
                _("Organised by %(team)s.") % {"team": activity.team.name}
                if activity.team_id
                else _("Close it to approve the attendance hours.")
            ),
            url=reverse("activities:manage", args=[activity.pk]),
        )
        for activity in activities
    ]


ACTIVITY_TO_CLOSE = InboxKind(
    slug="activity_to_close",
    label=gettext_lazy("Activities to close"),
    ordering=55,
    pending=over_not_closed,
    items=close_items,
)


def connect() -> None:
    register(ACTIVITY_TO_CLOSE)
