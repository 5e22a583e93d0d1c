"""The search and filters of the community chooser and the membership listing."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.choosers import BaseFilterForm

from ..models import Membership
from .scope import staffed_community_filter


class CommunitySearchForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Search")}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(name__icontains=query)
        return objects


class MembershipFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Membership.Status.choices)
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Membership.Role.choices)
    community = staffed_community_filter()

    class Meta:
        model = Membership
        fields = ["status", "role", "community"]
