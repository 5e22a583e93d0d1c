"""Wagtail permission policy for memberships, built on communities.permissions.

Community staff need no Django model permissions: a verified staff membership lets them see
and decide on the memberships of their communities (and those below) in the Wagtail admin.
Nobody deletes a membership from the admin; it is rejected instead, with a reason.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies import BasePermissionPolicy

from . import permissions
from .models import Membership

ALLOWED_ACTIONS = {"add", "change", "view"}


class MembershipPermissionPolicy(BasePermissionPolicy):
    def user_has_permission(self, user, action):
        return action in ALLOWED_ACTIONS and permissions.staffs_any_community(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and permissions.can_decide_membership(
            user, instance
        )

    def instances_user_has_any_permission_for(self, user, actions):
        if not any(self.user_has_permission(user, action) for action in actions):
            return Membership.objects.none()
        if user.is_superuser:
            return Membership.objects.all()
        return Membership.objects.filter(community__in=permissions.staffed_communities(user))

    def users_with_any_permission(self, actions):
        User = get_user_model()
        if not set(actions) & ALLOWED_ACTIONS:
            return User.objects.none()
        return User.objects.filter(
            Q(is_superuser=True)
            | Q(
                memberships__role=Membership.Role.STAFF,
                memberships__status=Membership.Status.VERIFIED,
            ),
            is_active=True,
        ).distinct()


membership_permission_policy = MembershipPermissionPolicy(Membership)
