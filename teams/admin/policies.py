"""The permission policies of volunteering's models (teams/wagtail_hooks.py registers them).

Staff see the tasks, needs and records of the communities they staff, and the teams that serve
those communities. Tasks and service records are never deleted (cancel or decline them).
"""

from communities.admin.scope import CommunityScopedPolicy

from .. import permissions as perms
from ..models import Need, ServiceRecord, Task, Team


class NoSelfDecisionPolicy(CommunityScopedPolicy):
    """Deciding is the edit ("change") view, and nobody decides on what they asked for or
    claimed themselves (`is_own`: perms.is_own_need, perms.is_own_hours_work): a subclass
    because the community of the object does not say it."""

    def __init__(self, model, *, is_own, **kwargs):
        super().__init__(model, **kwargs)
        self.is_own = is_own

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change" and self.is_own(user, instance):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


class TeamPolicy(CommunityScopedPolicy):
    """Teams serve several communities: staff of any of them (and the team's leaders) manage
    the team (perms.can_manage_team), which one community lookup does not say."""

    def __init__(self, model):
        super().__init__(model, community_lookup="communities", actions=("view", "add", "change"))

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and perms.can_manage_team(user, instance)


POLICIES = [
    CommunityScopedPolicy(Task, actions=("view", "add", "change")),
    NoSelfDecisionPolicy(Need, is_own=perms.is_own_need),
    NoSelfDecisionPolicy(
        ServiceRecord, community_lookup="community", is_own=perms.is_own_hours_work
    ),
    TeamPolicy(Team),
]
