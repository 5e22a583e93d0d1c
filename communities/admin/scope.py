"""The community scope of the Wagtail admin, built on communities.permissions.

One rule for every Linli admin view: staff reach the objects of the communities they staff
(and those below), superusers everything, nobody else anything. It has two halves:

- `CommunityScopedPolicy`, the Wagtail permission policy of each scoped model, configured per
  model: which actions, and which instances (`instances_user_has_any_permission_for`, the scope
  itself). Wagtail asks it for the admin URL finder too, so rows of other communities on a
  "usage" page show as "(Private …)" without a title.
- `CommunityScopedViewSetMixin`, which every Linli viewset of such a model uses: through
  core.admin_scope, each view the viewset constructs (index, results, export, edit, inspect,
  history, usage, delete, chooser and any custom view) reaches only the instances the model's
  policy gives the user; an object id outside them is a 404 before the view loads the object.

Community staff need no Django model permissions: a verified staff membership is enough.
"""

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.permission_policies import BasePermissionPolicy
from wagtail.permissions import policy_registry

from core.admin_scope import PolicyScopedViewSetMixin

from .. import permissions
from ..models import Membership


class CommunityScopedPolicy(BasePermissionPolicy):
    """Staff may do `actions` to the objects of the communities they staff; nobody deletes from
    the admin unless `actions` says so.

    `community_lookup` leads from the model to its community ("council__community").
    """

    def __init__(self, model, *, community_lookup="community", actions=("view", "change")):
        super().__init__(model)
        self.community_lookup = community_lookup
        self.allowed = frozenset(actions)

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


class CommunityScopedViewSetMixin(PolicyScopedViewSetMixin):
    """For every Linli Wagtail viewset of a community-scoped model (core.admin_scope applies
    the scope to every view it constructs).

    `url_names`, when set, names the only views the viewset routes: Wagtail's ModelViewSet
    routes delete, copy, usage and the rest whether the model's rules allow them or not.
    """

    url_names = None

    def get_urlpatterns(self):
        patterns = super().get_urlpatterns()
        if self.url_names is None:
            return patterns
        return permissions.keep_urls(patterns, self.url_names)

    def get_permissions_to_register(self):
        # A community-scoped policy ignores Django's model permissions, and Wagtail's site
        # history shows the log entries of every community to whoever holds one: nothing to
        # grant to groups.
        if isinstance(policy_registry.get_by_type(self.model), CommunityScopedPolicy):
            return Permission.objects.none()
        return super().get_permissions_to_register()


def staffed_community_filter(**kwargs):
    """A listing filter by community, offering the communities the user staffs."""
    return django_filters.ModelChoiceFilter(
        label=_("Community"),
        queryset=lambda request: permissions.staffed_communities(request.user if request else None),
        **kwargs,
    )
