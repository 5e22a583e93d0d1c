"""The activities' admin pages.

Activities change only through activities.services: creating, changing (more places promote
waiting people), publishing, cancelling and closing are forms that call the services (audit
log and live events included). The inspect page lists the sign-ups and the attendance.
"""

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.widgets import Button
from wagtail.admin.widgets.button import MenuItem
from wagtail.coreutils import multigetattr

from core.admin_views import NewObjectFormView, ObjectFormView, ServiceFormMixin
from teams.models import ServiceRecord

from .. import services
from ..models import Activity, Attendance, Signup
from .forms import ActivityCreateForm, ActivityEditForm, ActivityStatusForm

STATUS_URL_NAME = "activities_activity:status"


def _fields(data):
    return {
        **{name: data[name] for name in services.ACTIVITY_FIELDS},
        "required_skills": list(data["required_skills"]),
    }


class ActivityCreateView(ServiceFormMixin, NewObjectFormView):
    model = Activity
    form_class = ActivityCreateForm
    header_icon = "date"
    page_title = _("New activity")
    submit_button_label = _("Create activity")

    def perform(self, form):
        data = form.cleaned_data
        activity = services.create_activity(
            actor=self.request.user,
            community=data["community"],
            team=data["team"],
            publish_now=data["publish_now"],
            **_fields(data),
        )
        return gettext("Activity “%(title)s” created.") % {"title": activity.title}


class ActivityEditView(ObjectFormView):
    model = Activity
    form_class = ActivityEditForm
    header_icon = "date"
    page_title = _("Change the activity")
    submit_button_label = _("Save")

    def perform(self, form):
        services.update_activity(
            actor=self.request.user, activity=self.object, **_fields(form.cleaned_data)
        )
        return gettext("The activity was saved.")

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Publish, cancel or close"),
                url=reverse(STATUS_URL_NAME, args=[self.object.pk]),
                icon_name="tasks",
                priority=5,
            )
        )
        return buttons


class ActivityStatusView(ObjectFormView):
    model = Activity
    form_class = ActivityStatusForm
    header_icon = "date"
    page_title = _("Publish, cancel or close the activity")
    submit_button_label = _("Apply")

    def perform(self, form):
        action = form.cleaned_data["action"]
        actor, activity = self.request.user, self.object
        if action == "publish":
            services.publish_activity(actor=actor, activity=activity)
            return gettext("The activity is published.")
        if action == "cancel":
            services.cancel_activity(
                actor=actor, activity=activity, reason=form.cleaned_data["reason"]
            )
            return gettext("The activity is cancelled; everyone signed up was told.")
        _activity, approved = services.close_activity(actor=actor, activity=activity)
        return gettext("The activity is closed; %(count)s hour records approved.") % {
            "count": approved
        }


class ActivityIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("community", "team").with_counts()

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    _("Publish, cancel or close"),
                    url=reverse(STATUS_URL_NAME, args=[instance.pk]),
                    icon_name="tasks",
                    priority=15,
                )
            )
        return buttons


class ActivityInspectView(generic.InspectView):
    """The activity, who signed up (the waiting list in order) and who came."""

    template_name = "activities/admin/activity_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        activity = self.object
        signups = list(
            Signup.objects.filter(activity=activity)
            .select_related("person", "recorded_by")
            .order_by("created_at", "pk")
        )
        order = {
            Signup.Status.CONFIRMED: 0,
            Signup.Status.WAITLISTED: 1,
            Signup.Status.CANCELLED: 2,
        }
        signups.sort(key=lambda s: (order.get(s.status, 3), s.queue_number or 0, s.created_at))
        position = 0
        for signup in signups:
            if signup.status == Signup.Status.WAITLISTED:
                position += 1
                signup.waiting_position = position
        attendances = list(
            Attendance.objects.filter(activity=activity)
            .select_related("person", "recorded_by", "record")
            .order_by("checked_in_at", "pk")
        )
        for attendance in attendances:
            attendance.hours_text = services.hours_text(attendance.hours)
        context.update(
            counts=services.counts(activity),
            signups=signups,
            attendances=attendances,
            attendance_index_url=reverse("activities_attendance:index")
            + f"?activity={activity.pk}",
            status_url=reverse(STATUS_URL_NAME, args=[activity.pk])
            if self.user_has_permission("change")
            else None,
            pending_status=ServiceRecord.Status.PENDING,
        )
        return context


class AttendanceIndexView(generic.IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("activity", "person", "recorded_by", "record")
        )

    def to_row_dict(self, item):
        """The exported row: values that may be missing (no check-out, no record) are blank."""
        return {
            field: EXPORT_VALUES[field](item)
            if field in EXPORT_VALUES
            else multigetattr(item, field)
            for field in self.list_export
        }


#: Export columns that are not plain attributes of an attendance.
EXPORT_VALUES = {
    "person_name": lambda a: a.person.get_display_name(),
    "recorded_by_name": lambda a: a.recorded_by.get_display_name() if a.recorded_by_id else "",
    "check_out_method_label": lambda a: a.get_check_out_method_display(),
    "hours_text": lambda a: services.hours_text(a.hours) or "",
    "record_status": lambda a: a.record.get_status_display() if a.record_id else "",
}
