"""Every state change of the residents' council, one module per aggregate.

Each function takes keyword arguments, runs inside `transaction.atomic`, checks the actor's
permission (`deliberation.permissions`: role -> 403 NotAllowed, then state -> 409 Conflict),
writes a Wagtail audit entry and publishes live events (written in the same transaction,
pushed after commit).

Races are settled by the database:
- a vote is one upsert under the unique constraint, holding a `FOR KEY SHARE` lock on the
  proposal row while it is written (`voting`);
- every status change locks the proposal row (`SELECT ... FOR UPDATE OF proposal`) and
  re-checks the status, so that two staff deciding at once create exactly one task.

Callers use the package (`from deliberation import services`); the modules import each other
one way, `common` at the bottom.
"""

from .common import check_rate, clean_text, proposal_topic
from .councils import ensure_council, update_council
from .decisions import (
    create_follow_up_task,
    decide_proposal,
    on_task_changed,
    outcome_text,
    task_summary,
)
from .discussion import add_comment
from .follows import follow_proposal, notify_followers, unfollow_proposal, without_emails
from .meetings import (
    cancel_meeting,
    record_attendance,
    record_decision,
    record_minutes,
    schedule_meeting,
    set_agenda,
)
from .moderation import (
    hide_comment,
    hide_proposal,
    report_content,
    restore_comment,
    restore_proposal,
)
from .proposals import (
    add_photos,
    create_proposal,
    edit_proposal,
    publish_proposal,
    remove_photo,
    return_proposal,
    submit_proposal,
    withdraw_proposal,
)
from .voting import cast_vote, open_voting

__all__ = [
    "add_comment",
    "add_photos",
    "cancel_meeting",
    "cast_vote",
    "check_rate",
    "clean_text",
    "create_follow_up_task",
    "create_proposal",
    "decide_proposal",
    "edit_proposal",
    "ensure_council",
    "follow_proposal",
    "hide_comment",
    "hide_proposal",
    "notify_followers",
    "on_task_changed",
    "open_voting",
    "outcome_text",
    "proposal_topic",
    "publish_proposal",
    "record_attendance",
    "record_decision",
    "record_minutes",
    "remove_photo",
    "report_content",
    "restore_comment",
    "restore_proposal",
    "return_proposal",
    "schedule_meeting",
    "set_agenda",
    "submit_proposal",
    "task_summary",
    "unfollow_proposal",
    "update_council",
    "withdraw_proposal",
    "without_emails",
]
