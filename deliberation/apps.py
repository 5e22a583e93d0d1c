from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "proposal.assisted": _("Proposal filed for you"),
    "proposal.published": _("Proposal published"),
    "proposal.returned": _("Proposal returned to its author"),
    "proposal.withdrawn": _("Proposal withdrawn"),
    "proposal.hidden": _("Proposal hidden"),
    "proposal.restored": _("Proposal shown again"),
    "proposal.voting_opened": _("Voting opened"),
    "proposal.tally": _("Votes counted"),
    "proposal.decided": _("Decision recorded"),
    "proposal.accepted": _("Proposal accepted"),
    "proposal.rejected": _("Proposal not accepted"),
    "proposal.comment_added": _("New comment"),
    "proposal.comment_hidden": _("Comment hidden"),
    "proposal.comment_restored": _("Comment shown again"),
    "proposal.task": _("Follow-up task changed"),
    "proposal.task_claimed": _("Follow-up task taken on"),
    "proposal.task_done": _("Follow-up task done"),
    "proposal.task_verified": _("Follow-up task verified"),
    "proposal.vote_recorded": _("Vote recorded for you"),
    "meeting.scheduled": _("Council meeting scheduled"),
}


def on_task_status_changed(sender, task, actor=None, **kwargs):
    """Receiver of `teams.signals.task_status_changed` (sent inside the teams transaction)."""
    from .services import on_task_changed

    on_task_changed(task=task, actor=actor)


def proposal_watchers(sender, task, **kwargs):
    """Receiver of `teams.signals.task_watchers`: those who follow the task's proposal."""
    from .selectors import task_watcher_ids

    # Only a task made from a proposal has one: no query for the others.
    return task_watcher_ids(task_id=task.pk) if task.origin == "proposal" else []


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Residents' council")

    def ready(self):
        from live import topics
        from teams.signals import task_status_changed, task_watchers

        from . import inbox, live_access
        from .permissions import can_follow_proposal_topic

        topics.register("proposal", can_follow_proposal_topic)
        for type_, label in EVENT_LABELS.items():
            topics.register_event_label(type_, label)
        live_access.connect()
        inbox.connect()
        task_status_changed.connect(
            on_task_status_changed, dispatch_uid="deliberation.task_status_changed"
        )
        task_watchers.connect(proposal_watchers, dispatch_uid="deliberation.task_watchers")
