"""The certificates' kind of the staff inbox (communities.inbox): requests for a volunteer
service certificate waiting for the staff of the community that recorded the hours.

Nobody's own request waits for them (certificates.permissions.may_issue refuses it); the item
names the volunteer by their name on the platform, never their real name or document.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.inbox import InboxItem, InboxKind, Scope, register

from .models import Certificate


def pending_requests(scope: Scope):
    return Certificate.objects.filter(
        community_id__in=scope.ids, status=Certificate.Status.REQUESTED
    ).exclude(holder_id=getattr(scope.user, "pk", None))


def request_items(scope: Scope, limit: int) -> list[InboxItem]:
    requests = (
        pending_requests(scope).select_related("holder").order_by("requested_at", "pk")[:limit]
    )
    items = []
    for certificate in requests:
        reason = _("%(start)s to %(end)s") % {
            "start": certificate.period_start.isoformat(),
            "end": certificate.period_end.isoformat(),
        }
        if certificate.purpose:
            reason = _("%(period)s, for: %(purpose)s") % {
                "period": reason,
                "purpose": certificate.purpose,
            }
        items.append(
            InboxItem(
                kind="certificate_request",
                id=certificate.pk,
                title=_("%(name)s asks for a certificate: %(hours)s hours")
                % {
                    "name": certificate.holder.get_display_name(),
                    "hours": f"{certificate.total_hours.normalize():f}",
                },
                community=scope.communities[certificate.community_id],
                since=certificate.requested_at,
                reason=reason,
                url=certificate.get_absolute_url(),
            )
        )
    return items


CERTIFICATE_REQUEST = InboxKind(
    slug="certificate_request",
    label=gettext_lazy("Certificates to issue"),
    ordering=65,
    pending=pending_requests,
    items=request_items,
)


def connect() -> None:
    register(CERTIFICATE_REQUEST)
