"""The filters of the activities' listings."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import WagtailFilterSet

from communities.admin.scope import staffed_community_filter
from core.admin_scope import admin_scope

from ..models import Activity, Attendance


def _activities_in_scope(request):
    user = request.user if request else None
    if user is None:
        return Activity.objects.none()
    return admin_scope(Activity, user).order_by("-starts_at", "-pk")


class ActivityFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Activity.Status.choices)
    kind = django_filters.ChoiceFilter(
        label=pgettext_lazy("activity", "Kind"), choices=Activity.Kind.choices
    )
    community = staffed_community_filter()

    class Meta:
        model = Activity
        fields = ["status", "kind", "community"]


class AttendanceFilterSet(WagtailFilterSet):
    activity = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("admin filter", "Activity"), queryset=_activities_in_scope
    )
    check_in_method = django_filters.ChoiceFilter(
        label=_("Checked in by"), choices=Attendance.Method.choices
    )

    class Meta:
        model = Attendance
        fields = ["activity", "check_in_method"]
