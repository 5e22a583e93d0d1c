"""The community scope of the Wagtail admin, built on communities.permissions.

One rule for every Linli admin view: staff reach the objects of the communities they staff
(and those below), superusers everything, nobody else anything. It has two halves:

- `CommunityScopedPolicy`, the Wagtail permission policy of each scoped model: which actions,
  and which instances (`instances_user_has_any_permission_for`, the scope itself). Wagtail asks
  it for the admin URL finder too, so rows of other communities on a "usage" page show as
  "(Private …)" without a title.
- `CommunityScopedViewSetMixin`, which every Linli viewset of such a model uses: through
  core.admin_scope, each view the viewset constructs (index, results, export, edit, inspect,
  history, usage, delete, chooser and any custom view) reaches only the instances the model's
  policy gives the user; an object id outside them is a 404 before the view loads the object.

Community staff need no Django model permissions: a verified staff membership is enough.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from wagtail.permission_policies import BasePermissionPolicy
from wagtail.permissions import policy_registry

from core.admin_scope import PolicyScopedViewSetMixin

from . import permissions
from .models import Membership


class CommunityScopedPolicy(BasePermissionPolicy):
    """Staff act on the objects of the communities they staff; nobody deletes from the admin.

    `community_lookup` leads from the model to its community ("council__community").
    """

    allowed = frozenset({"view", "change"})
    community_lookup = "community"

    def community_of(self, instance):
        for name in self.community_lookup.split("__"):
            instance = getattr(instance, name)
        return instance

    def user_has_permission(self, user, action):
        return action in self.allowed and permissions.staffs_any_community(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and permissions.is_staff_of(
            user, self.community_of(instance)
        )

    def instances_user_has_any_permission_for(self, user, actions):
        if not any(self.user_has_permission(user, action) for action in actions):
            return self.model.objects.none()
        return permissions.scoped_to_staffed(self.model.objects.all(), user, self.community_lookup)

    def users_with_any_permission(self, actions):
        if not set(actions) & self.allowed:
            return get_user_model().objects.none()
        return (
            get_user_model()
            .objects.filter(
                Q(is_superuser=True)
                | Q(
                    memberships__role=Membership.Role.STAFF,
                    memberships__status=Membership.Status.VERIFIED,
                ),
                is_active=True,
            )
            .distinct()
        )


class MembershipPermissionPolicy(CommunityScopedPolicy):
    """Staff see and decide on the memberships of their communities; memberships are
    rejected with a reason, never deleted."""

    allowed = frozenset({"add", "change", "view"})

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and permissions.can_decide_membership(
            user, instance
        )


membership_permission_policy = MembershipPermissionPolicy(Membership)


class CommunityScopedViewSetMixin(PolicyScopedViewSetMixin):
    """For every Linli Wagtail viewset of a community-scoped model (core.admin_scope applies
    the scope to every view it constructs)."""

    def get_permissions_to_register(self):
        # A community-scoped policy ignores Django's model permissions, and Wagtail's site
        # history shows the log entries of every community to whoever holds one: nothing to
        # grant to groups.
        if isinstance(policy_registry.get_by_type(self.model), CommunityScopedPolicy):
            return Permission.objects.none()
        return super().get_permissions_to_register()
