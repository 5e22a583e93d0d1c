"""The permission policy of memberships (communities/apps.py registers it)."""

from .. import permissions
from ..models import Membership
from .scope import CommunityScopedPolicy


class MembershipPermissionPolicy(CommunityScopedPolicy):
    """Staff see and decide on the memberships of their communities; memberships are
    rejected with a reason, never deleted.

    A subclass, not a configured CommunityScopedPolicy: nobody decides on their own membership
    (permissions.can_decide_membership), which the community alone does not say.
    """

    def __init__(self, model):
        super().__init__(model, actions=("add", "change", "view"))

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and permissions.can_decide_membership(
            user, instance
        )


membership_permission_policy = MembershipPermissionPolicy(Membership)
