"""The permission policy of the live log."""

from django.contrib.auth import get_user_model
from wagtail.permission_policies.base import BasePermissionPolicy


class SuperuserReadOnlyPolicy(BasePermissionPolicy):
    """Superusers may look; nobody may add, change or delete (the log is append-only)."""

    def user_has_permission(self, user, action):
        return action == "view" and bool(
            getattr(user, "is_active", False) and getattr(user, "is_superuser", False)
        )

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return get_user_model().objects.none()
        return get_user_model().objects.filter(is_active=True, is_superuser=True)
