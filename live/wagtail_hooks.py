"""Wagtail admin: the live log, read-only, for superusers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from communities.permissions import keep_urls
from communities.policies import CommunityScopedViewSetMixin

from .models import Event


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


register_permission_policy(Event, SuperuserReadOnlyPolicy(Event))


class EventViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Event
    icon = "list-ul"
    menu_label = _("Live events")
    menu_order = 900
    add_to_admin_menu = False
    add_to_settings_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["id", "topic", "type", "actor", "created_at"]
    list_filter = {"topic": ["exact", "startswith"], "type": ["exact", "startswith"]}
    inspect_view_fields = ["id", "topic", "type", "data", "actor", "created_at"]
    list_per_page = 50
    form_fields = ["topic", "type", "data"]  # required by ModelViewSet; no form view is routed

    def get_urlpatterns(self):
        # The list and the inspect page only: no add, edit, delete or copy (the policy refuses
        # them too), no history or usage (nobody may change an event, nothing refers to one).
        return keep_urls(super().get_urlpatterns(), {"index", "index_results", "inspect"})

    def get_permissions_to_register(self):
        # Nothing to grant to groups: only superusers see the log.
        return Permission.objects.none()


@hooks.register("register_admin_viewset")
def register_event_viewset():
    return EventViewSet("live_events")
