"""The admin's "Communities" menu (community tree, memberships) and the community chooser.

Non-superuser staff see only the communities and memberships of the communities they staff:
every view of every viewset here applies the community scope (communities.admin.scope).
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from core.admin_views import ServiceFormViewSetMixin

from ..models import Community, Membership
from .filters import CommunitySearchForm, MembershipFilterSet
from .scope import CommunityScopedViewSetMixin
from .views import (
    CommunityChooseResultsView,
    CommunityChooseView,
    MembershipDecisionView,
    MembershipGrantView,
    MembershipIndexView,
)


class CommunityChooserViewSet(CommunityScopedViewSetMixin, ChooserViewSet):
    model = Community
    icon = "group"
    choose_one_text = _("Choose a community")
    choose_another_text = _("Choose another community")
    edit_item_text = _("Edit this community")
    choose_view_class = CommunityChooseView
    choose_results_view_class = CommunityChooseResultsView
    filter_form_class = CommunitySearchForm
    per_page = 30
    # Only the community form uses it (below); other apps' forms keep their own widgets.
    register_widget = False

    def get_object_list(self):
        return Community.objects.select_related("parent")

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(filter_form_class=self.filter_form_class, **kwargs)


community_chooser_viewset = CommunityChooserViewSet("community_chooser")


class CommunityViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Community
    icon = "group"
    menu_label = _("Community tree")
    add_to_admin_menu = False
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    ordering = "path"
    copy_view_enabled = False
    inspect_view_enabled = True
    # Community.clean() checks the kind against the parent (the form runs full_clean).
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("parent", widget=community_chooser_viewset.widget_class),
        FieldPanel("description"),
        FieldPanel("task_stale_days"),
        FieldPanel("certificate_publicity_days"),
        FieldPanel("person_in_charge"),
        FieldPanel("contact_phone"),
    ]


class MembershipViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    model = Membership
    icon = "user"
    menu_label = _("Memberships")
    add_to_admin_menu = False
    index_view_class = MembershipIndexView
    add_view_class = MembershipGrantView
    edit_view_class = MembershipDecisionView
    copy_view_enabled = False
    list_display = ["user", "community", "role", "status", "created_at"]
    filterset_class = MembershipFilterSet
    search_fields = ["user__email", "user__display_name", "community__name"]
    ordering = ["-created_at"]
    # No delete, copy or usage views: memberships are rejected with a reason, never deleted.
    url_names = {"index", "index_results", "add", "edit", "history", "history_results"}


class CommunitiesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Communities")
    menu_icon = "group"
    menu_order = 250
    items = (CommunityViewSet("community"), MembershipViewSet("membership"))
