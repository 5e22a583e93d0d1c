"""What teams tells `live`: how its events read from the log now, and when access shrinks.

Readers (live.topics.register_reader): an event keeps the task as it was published; read
later (a replay, the notifications page or API), one about a task the reader may not see in
detail now (marked sensitive since, or the reader has left its team) comes as the redacted
task of now, and one about a task that no longer exists, or about a request for help the
reader may no longer see, is left out.

Receivers: a team membership that ends (left, declined, removed in the admin, the team made
inactive) makes the person's sockets check their subscriptions at once
(live.services.access_changed); a task marked sensitive makes its topic's followers checked
at once (live.services.topic_changed). Model signals rather than calls in the services: team
memberships and a task's sensitivity also change in the Wagtail admin's edit views.
"""

from django.utils.translation import gettext_lazy

from accounts.permissions import is_signed_in
from live.services import access_changed, topic_changed
from live.texts import localized

from . import permissions as perms
from .models import Need, Task, Team, TeamMembership

CONFIDENTIAL_UPDATE = gettext_lazy("An update on a confidential task.")
# Topics on which teams.services publishes sensitive tasks redacted already.
REDACTED_TOPICS = ("community", "team")


def _data(event) -> dict:
    return event.data if isinstance(event.data, dict) else {}


def _id(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_task_events(user, events) -> list:
    """task.* events (data: teams.services.task_data, its "id" the task's) as `user` may see
    them now: three queries for any number of events."""
    task_ids = {_id(_data(event).get("id")) for event in events} - {None}
    tasks = Task.objects.select_related("community", "team").in_bulk(task_ids)
    may_see = perms.task_details_checker(user)
    redacted_text = None
    shown = []
    for event in events:
        data = _data(event)
        task = tasks.get(_id(data.get("id")))
        if task is None:
            shown.append(None)
        elif may_see(task) or (
            data.get("sensitive") is True and event.topic.partition(":")[0] in REDACTED_TOPICS
        ):
            shown.append(event.data)
        else:
            from .services import redacted_task_data

            if redacted_text is None:
                redacted_text = localized(CONFIDENTIAL_UPDATE)
            shown.append(redacted_task_data(task, redacted_text))
    return shown


def read_need_events(user, events) -> list:
    """need.* events (data: teams.services.need_data) for the requester and the community's
    staff now (can_see_need): two queries for any number of events."""
    if not is_signed_in(user):
        return [None] * len(events)
    need_ids = {_id(_data(event).get("id")) for event in events} - {None}
    needs = Need.objects.only("pk", "community_id", "requester_id").in_bulk(need_ids)
    community_ids = {need.community_id for need in needs.values() if need.requester_id != user.pk}
    staffed = set()
    if community_ids:
        staffed = set(
            perms.staffed_communities(user)
            .filter(pk__in=community_ids)
            .values_list("pk", flat=True)
        )
    shown = []
    for event in events:
        need = needs.get(_id(_data(event).get("id")))
        visible = need is not None and (
            need.requester_id == user.pk or need.community_id in staffed
        )
        shown.append(event.data if visible else None)
    return shown


def team_membership_saved(sender, instance, created, **kwargs):
    if not created and instance.status != TeamMembership.Status.ACTIVE:
        access_changed([instance.user_id])


def team_membership_deleted(sender, instance, **kwargs):
    access_changed([instance.user_id])


def team_saved(sender, instance, created, **kwargs):
    if not created and not instance.active:
        access_changed(
            TeamMembership.objects.filter(
                team=instance, status=TeamMembership.Status.ACTIVE
            ).values_list("user_id", flat=True)
        )


def task_saved(sender, instance, created, **kwargs):
    if not created and instance.sensitive:
        topic_changed(f"task:{instance.pk}")


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from live import topics

    topics.register_reader("task", read_task_events)
    topics.register_reader("need", read_need_events)
    post_save.connect(team_membership_saved, sender=TeamMembership, dispatch_uid=__name__ + ".tm")
    post_delete.connect(
        team_membership_deleted, sender=TeamMembership, dispatch_uid=__name__ + ".tm_del"
    )
    post_save.connect(team_saved, sender=Team, dispatch_uid=__name__ + ".team")
    post_save.connect(task_saved, sender=Task, dispatch_uid=__name__ + ".task")
