"""What the services of tasks, hours, memberships and needs share: the team as events name it,
the sign-in check, who is told (a team's leaders, a community's staff) and the task as it is
read for its events and the API's reply."""

from django.utils.translation import gettext as _

from accounts.permissions import is_signed_in
from communities.models import Community, Membership
from core.errors import NotAllowed

from .. import permissions as perms
from ..models import Task, TeamMembership


def team_ref(team) -> dict | None:
    return {"id": team.pk, "name": team.name} if team is not None else None


def require_signed_in(actor) -> None:
    if not is_signed_in(actor):
        raise NotAllowed(_("Sign in first."))


def leader_ids(team_id) -> list[int]:
    return list(
        TeamMembership.objects.filter(
            team_id=team_id, role=TeamMembership.Role.LEADER, status=TeamMembership.Status.ACTIVE
        ).values_list("user_id", flat=True)
    )


def staff_ids(community: Community) -> list[int]:
    return list(
        Membership.objects.filter(
            community_id__in=community.ancestor_ids,
            role=Membership.Role.STAFF,
            status=Membership.Status.VERIFIED,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


def reload_task(task: Task, *, member=None) -> Task:
    """The task afresh, with what its events and the API's reply show (its skills' slugs in
    the same query) and, given `member`, whether that person belongs to the holding team
    (perms.with_holding_membership): read before the transaction rather than inside it, and
    not again for the reply."""
    tasks = Task.objects.select_related("community", "team", "dispatched_team").with_skill_slugs()
    if member is not None:
        tasks = perms.with_holding_membership(tasks, member)
    return tasks.get(pk=task.pk)
