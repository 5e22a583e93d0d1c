"""The admin's "Council" menu: proposals, the moderation queue, meetings and council rules.

Staff see only the councils of the communities they staff; superusers see everything. The
policies (deliberation.admin.policies) say which objects, and every view of every viewset
applies them (communities.admin.scope).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from communities.admin.columns import yes_no
from communities.admin.scope import CommunityScopedViewSetMixin
from communities.permissions import staffs_any_community
from core.admin_views import ServiceFormViewSetMixin

from ..models import Council, Meeting, Proposal
from .filters import ProposalFilterSet
from .views import (
    CommentModerationView,
    CouncilCreateView,
    CouncilIndexView,
    CouncilRulesView,
    MeetingIndexView,
    MeetingRecordView,
    MeetingScheduleView,
    ModerationIndexView,
    ProposalActionView,
    ProposalIndexView,
    ProposalModerationView,
)


class ProposalViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    model = Proposal
    icon = "doc-full"
    menu_label = _("Proposals")
    add_to_admin_menu = False
    index_view_class = ProposalIndexView
    edit_view_class = ProposalActionView
    copy_view_enabled = False
    list_display = [
        "title",
        "council",
        "status",
        "category",
        yes_no(Proposal, "hidden"),
        "author",
        yes_no(Proposal, "assisted"),
        "created_at",
    ]
    filterset_class = ProposalFilterSet
    search_fields = ["title", "body", "location"]
    ordering = ["-created_at"]
    url_names = {"index", "index_results", "edit", "history", "history_results"}


class ModerationMenuItem(MenuItem):
    def is_shown(self, request):
        return staffs_any_community(request.user)


class ModerationViewSet(CommunityScopedViewSetMixin, ViewSet):
    icon = "warning"
    menu_label = _("Moderation queue")
    menu_item_class = ModerationMenuItem

    def get_urlpatterns(self):
        def view(view_class):
            return self.construct_view(view_class, url_namespace=self.url_namespace)

        return [
            path("", view(ModerationIndexView), name="index"),
            path("proposal/<int:pk>/", view(ProposalModerationView), name="proposal"),
            path("comment/<int:pk>/", view(CommentModerationView), name="comment"),
        ]


class MeetingViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    model = Meeting
    icon = "date"
    menu_label = _("Meetings")
    add_to_admin_menu = False
    index_view_class = MeetingIndexView
    add_view_class = MeetingScheduleView
    edit_view_class = MeetingRecordView
    copy_view_enabled = False
    list_display = ["__str__", "council", "starts_at", "place", "status", "attendance_count"]
    list_filter = ["status"]
    search_fields = ["title", "place", "minutes"]
    ordering = ["-starts_at"]
    url_names = {"index", "index_results", "add", "edit", "history", "history_results"}


class CouncilViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    model = Council
    icon = "cogs"
    menu_label = _("Council rules")
    add_to_admin_menu = False
    index_view_class = CouncilIndexView
    add_view_class = CouncilCreateView
    edit_view_class = CouncilRulesView
    copy_view_enabled = False
    list_display = [
        "__str__",
        "community",
        "voters",
        "quorum_kind",
        "quorum_votes",
        "pass_percent",
        "voting_days",
        yes_no(Council, "hide_tally"),
    ]
    ordering = ["community__path"]
    url_names = {"index", "index_results", "add", "edit", "history", "history_results"}


class CouncilViewSetGroup(ViewSetGroup):
    menu_label = _("Council")
    menu_icon = "group"
    menu_order = 260
    items = (
        ProposalViewSet("council_proposal"),
        ModerationViewSet("council_moderation"),
        MeetingViewSet("council_meeting"),
        CouncilViewSet("council_rules"),
    )
