"""Following a task: its progress updates reach the follower's `user:<id>` topic
(teams.services.tasks.post_update)."""

from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from core.errors import NotAllowed

from .. import permissions as perms
from ..models import Task, TaskFollow
from .common import require_signed_in


def follow_task(*, actor, task: Task) -> TaskFollow:
    """Follow a task one may see in full; following again changes nothing."""
    require_signed_in(actor)
    if not perms.can_follow_task(actor, task):
        raise NotAllowed(_("You cannot follow this task."))
    with transaction.atomic():
        follow, created = TaskFollow.objects.get_or_create(user=actor, task=task)
        if created:
            log(instance=task, action="linli.task.follow", user=actor)
    return follow


def unfollow_task(*, actor, task: Task) -> None:
    require_signed_in(actor)
    with transaction.atomic():
        deleted, _n = TaskFollow.objects.filter(user=actor, task=task).delete()
        if deleted:
            log(instance=task, action="linli.task.unfollow", user=actor)
