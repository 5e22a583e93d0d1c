"""The filters of the certificate listing."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from communities.admin.scope import staffed_community_filter

from ..models import Certificate

#: "Turned down" is a request revoked before it had a number.
TURNED_DOWN = "turned_down"


def status_choices():
    return [
        *[(value, label) for value, label in Certificate.Status.choices],
        (TURNED_DOWN, _("Request turned down")),
    ]


class CertificateFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=status_choices, method="filter_status"
    )
    community = staffed_community_filter()

    class Meta:
        model = Certificate
        fields = ["status", "community"]

    def filter_status(self, queryset, name, value):
        """ "Valid" is not stored: it is "on public notice" whose notice period is over."""
        now = timezone.now()
        S = Certificate.Status
        if value == S.PUBLICISING:
            return queryset.filter(status=S.PUBLICISING, publicity_until__gt=now)
        if value == S.VALID:
            return queryset.filter(status=S.PUBLICISING, publicity_until__lte=now)
        if value == S.REVOKED:
            return queryset.filter(status=S.REVOKED, number__isnull=False)
        if value == TURNED_DOWN:
            return queryset.filter(Q(number__isnull=True), status=S.REVOKED)
        return queryset.filter(status=value)
