"""The audit log actions of volunteering (all of them one fixed message)."""

from django.utils.translation import gettext_lazy as _

LOG_ACTIONS = [
    ("linli.task.create", _("Create task"), _("Task created")),
    ("linli.task.claim", _("Claim task"), _("Task claimed")),
    ("linli.task.release", _("Release task"), _("Task released")),
    ("linli.task.dispatch", _("Give task to a team"), _("Task given to a team")),
    ("linli.task.update", _("Post task update"), _("Task update posted")),
    ("linli.task.verify", _("Verify task"), _("Task verified")),
    ("linli.task.reopen", _("Reopen task"), _("Task reopened")),
    ("linli.task.cancel", _("Cancel task"), _("Task cancelled")),
    ("linli.task.follow", _("Follow task"), _("Task followed")),
    ("linli.task.unfollow", _("Stop following task"), _("Task no longer followed")),
    ("linli.hours.log", _("Log hours"), _("Hours logged")),
    ("linli.hours.approve", _("Approve hours"), _("Hours approved")),
    ("linli.hours.decline", _("Decline hours"), _("Hours declined")),
    ("linli.hours.correct", _("Correct hours"), _("Hours corrected")),
    ("linli.team.request", _("Ask to join a team"), _("Asked to join the team")),
    ("linli.team.approve", _("Approve team member"), _("Team member approved")),
    ("linli.team.decline", _("Decline team member"), _("Team member declined")),
    ("linli.need.file", _("File a need"), _("Need filed")),
    (
        "linli.need.assisted",
        _("File a need for a resident"),
        _("Need filed by staff for a resident at the service station"),
    ),
    ("linli.need.accept", _("Accept need"), _("Need accepted")),
    ("linli.need.decline", _("Decline need"), _("Need declined")),
]
