"""The admin's "Activities" menu: activities (with their sign-ups and attendance on the
inspect page) and the attendance list, exported as CSV and XLSX.

Every view of every viewset applies the policies of activities.admin.policies
(communities.admin.scope): staff reach the activities of the communities they staff and those
below. Nothing is deleted: no delete views; activities are cancelled or closed.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from communities.admin.scope import CommunityScopedViewSetMixin
from core.admin_views import ServiceFormViewSetMixin

from ..models import Activity, Attendance
from .filters import ActivityFilterSet, AttendanceFilterSet
from .views import (
    ActivityCreateView,
    ActivityEditView,
    ActivityIndexView,
    ActivityInspectView,
    ActivityStatusView,
    AttendanceIndexView,
)


class ActivityViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    model = Activity
    icon = "date"
    menu_label = pgettext_lazy("admin menu", "Activities")
    add_to_admin_menu = False
    index_view_class = ActivityIndexView
    add_view_class = ActivityCreateView
    edit_view_class = ActivityEditView
    inspect_view_class = ActivityInspectView
    inspect_view_enabled = True
    # Named, not all: the check-in secret stays off the page.
    inspect_view_fields = [
        "title",
        "community",
        "team",
        "organiser",
        "kind",
        "status",
        "place",
        "starts_at",
        "ends_at",
        "quota",
        "audience",
        "required_skills",
        "description",
        "cancel_reason",
        "created_at",
        "published_at",
        "finished_at",
        "finished_by",
    ]
    copy_view_enabled = False
    list_display = [
        "title",
        "community",
        "team",
        "kind",
        "starts_at",
        "status",
        "quota",
        Column("confirmed_count", label=_("Confirmed"), sort_key="confirmed_count"),
        Column("waitlist_count", label=_("Waiting"), sort_key="waitlist_count"),
    ]
    filterset_class = ActivityFilterSet
    search_fields = ["title", "place", "description"]
    ordering = ["-starts_at"]

    url_names = {
        "index",
        "index_results",
        "add",
        "edit",
        "inspect",
        "status",
        "history",
        "history_results",
    }

    @property
    def status_view(self):
        return self.construct_view(ActivityStatusView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("status/<int:pk>/", self.status_view, name="status"),
        ]


class AttendanceViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    """Read only: no model form (ServiceFormViewSetMixin), no add, edit or delete views."""

    model = Attendance
    icon = "list-ul"
    menu_label = _("Attendance")
    add_to_admin_menu = False
    index_view_class = AttendanceIndexView
    copy_view_enabled = False
    list_display = [
        "person",
        "activity",
        "checked_in_at",
        "checked_out_at",
        "check_in_method",
        "recorded_by",
        "hours",
    ]
    list_export = [
        "activity",
        "person_name",
        "checked_in_at",
        "checked_out_at",
        "get_check_in_method_display",
        "check_out_method_label",
        "recorded_by_name",
        "hours_text",
        "record_status",
    ]
    export_headings = {
        "activity": pgettext_lazy("admin filter", "Activity"),
        "person_name": _("Person"),
        "checked_in_at": _("Checked in at"),
        "checked_out_at": _("Checked out at"),
        "get_check_in_method_display": _("Checked in by"),
        "check_out_method_label": _("Checked out by"),
        "recorded_by_name": _("Recorded by"),
        "hours_text": _("Hours"),
        "record_status": _("Hours status"),
    }
    export_filename = "attendance"
    filterset_class = AttendanceFilterSet
    search_fields = ["person__display_name", "person__email", "activity__title"]
    ordering = ["-checked_in_at"]

    # A read-only list (with its export): attendance changes through the organiser's pages.
    url_names = {"index", "index_results"}


class ActivitiesViewSetGroup(ModelViewSetGroup):
    menu_label = pgettext_lazy("admin menu", "Activities")
    menu_icon = "date"
    menu_order = 265
    items = (
        ActivityViewSet("activities_activity"),
        AttendanceViewSet("activities_attendance"),
    )
