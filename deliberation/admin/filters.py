"""The filters of the proposal listing."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from communities.admin.scope import staffed_community_filter

from ..models import Category, Proposal


class ProposalFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Proposal.Status.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    community = staffed_community_filter(field_name="council__community")
    hidden = django_filters.BooleanFilter(label=_("Hidden"))
    assisted = django_filters.BooleanFilter(label=_("Filed for a resident"))

    class Meta:
        model = Proposal
        fields = ["status", "category", "community", "hidden", "assisted"]
