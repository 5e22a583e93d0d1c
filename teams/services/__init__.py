"""Every state change of teams, tasks, hours and needs.

Each service takes keyword arguments, runs in one transaction, checks the actor's permission
(403 NotAllowed), settles races in the database (conditional UPDATEs: 409 Conflict for the
loser), writes a Wagtail audit entry ("linli.*") and publishes live events.

One module an aggregate: `tasks` (the task lifecycle and its events), `hours` (service hours),
`memberships` (joining a team), `needs` (residents asking for help, accepted as tasks), on top
of `common` (what they share). Callers use this package: `from teams import services`.
"""

from .. import permissions as perms
from .follows import follow_task, unfollow_task
from .hours import approve_hours, decline_hours, hours_text, log_hours
from .memberships import approve_team_membership, decline_team_membership, request_team_membership
from .needs import accept_need, decline_need, file_need, need_data
from .tasks import (
    cancel_task,
    claim_task,
    create_task,
    dispatch_task,
    post_update,
    redacted_task_data,
    release_task,
    reopen_task,
    task_data,
    task_public_data,
    update_data,
    verify_task,
)

__all__ = [
    "accept_need",
    "approve_hours",
    "approve_team_membership",
    "cancel_task",
    "claim_task",
    "create_task",
    "decline_hours",
    "decline_need",
    "decline_team_membership",
    "dispatch_task",
    "file_need",
    "follow_task",
    "hours_text",
    "log_hours",
    "need_data",
    "perms",
    "post_update",
    "redacted_task_data",
    "release_task",
    "reopen_task",
    "request_team_membership",
    "task_data",
    "task_public_data",
    "unfollow_task",
    "update_data",
    "verify_task",
]
