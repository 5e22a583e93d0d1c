"""The live log in the admin's settings menu: read-only, for superusers."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet

from communities.admin.scope import CommunityScopedViewSetMixin

from ..models import Event


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
    # The list and the inspect page only: no add, edit, delete or copy (the policy refuses them
    # too), no history or usage (nobody may change an event, nothing refers to one).
    url_names = {"index", "index_results", "inspect"}

    def get_permissions_to_register(self):
        # Nothing to grant to groups: only superusers see the log.
        return Permission.objects.none()
