"""The filters of volunteering's listings."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from communities.admin.scope import staffed_community_filter

from ..models import Need, ServiceRecord, Task


class TaskFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Task.Status.choices)
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Task.Priority.choices)
    community = staffed_community_filter()
    sensitive = django_filters.BooleanFilter(label=_("Sensitive"))

    class Meta:
        model = Task
        fields = ["status", "priority", "community", "sensitive"]


class NeedFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Need.Status.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Need.Category.choices)
    assisted = django_filters.BooleanFilter(label=_("Filed for a resident"))

    class Meta:
        model = Need
        fields = ["status", "category", "assisted"]


class ServiceRecordFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ServiceRecord.Status.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=ServiceRecord.Source.choices)

    class Meta:
        model = ServiceRecord
        fields = ["status", "source", "team"]
