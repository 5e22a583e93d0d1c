from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def can_follow_activity(user, activity_id: int) -> bool:
    from .models import Activity
    from .permissions import can_follow_activity

    activity = Activity.objects.select_related("community").filter(pk=activity_id).first()
    return activity is not None and can_follow_activity(user, activity)


def can_follow_attendance(user, activity_id: int) -> bool:
    from .models import Activity
    from .permissions import can_follow_attendance

    activity = Activity.objects.select_related("community").filter(pk=activity_id).first()
    return activity is not None and can_follow_attendance(user, activity)


EVENT_LABELS = {
    "activity.published": _("New activity"),
    "activity.changed": _("Activity changed"),
    "activity.places": _("Places changed"),
    "activity.cancelled": _("Activity cancelled"),
    "activity.finished": _("Activity finished"),
    "activity.promoted": _("You have a place"),
    "activity.reminder": _("Activity reminder"),
    "activity.attendance": _("Attendance changed"),
    "attendance.checked_in": _("Checked in"),
    "attendance.checked_out": _("Checked out"),
    "attendance.corrected": _("Hours corrected"),
}


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from live import topics

        from . import inbox

        topics.register("activity", can_follow_activity)
        topics.register("attendance", can_follow_attendance)
        for type, label in EVENT_LABELS.items():
            topics.register_event_label(type, label)
        inbox.connect()
