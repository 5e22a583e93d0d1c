from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def can_follow_task(user, task_id: int) -> bool:
    from .models import Task
    from .permissions import can_follow_task

    task = Task.objects.filter(pk=task_id).first()
    return task is not None and can_follow_task(user, task)


def can_follow_team(user, team_id: int) -> bool:
    from .models import Team
    from .permissions import can_follow_team

    return can_follow_team(user, Team.objects.filter(pk=team_id).first())


EVENT_LABELS = {
    "task.created": _("New task"),
    "task.dispatched": _("Task sent to a team"),
    "task.alert": _("Emergency alert"),
    "task.claimed": _("Task taken on"),
    "task.released": _("Task given back"),
    "task.updated": _("Task update"),
    "task.progress": _("News of a task you follow"),
    "task.status": _("Task status changed"),
    "task.verified": _("Task verified"),
    "task.reopened": _("Task reopened"),
    "task.cancelled": _("Task cancelled"),
    "hours.logged": _("Hours logged"),
    "hours.approved": _("Hours approved"),
    "hours.declined": _("Hours declined"),
    "need.filed": _("Request for help"),
    "need.accepted": _("Request for help accepted"),
    "need.declined": _("Request for help declined"),
    "team.member_requested": _("Request to join a team"),
    "team.member_joined": _("New team member"),
    "team.member_declined": _("Team request declined"),
}


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = _("Volunteer teams")

    def ready(self):
        from live import topics

        from . import inbox, live_access

        topics.register("task", can_follow_task)
        topics.register("team", can_follow_team)
        for type, label in EVENT_LABELS.items():
            topics.register_event_label(type, label)
        live_access.connect()
        inbox.connect()
