"""Wagtail admin for the community tree and memberships, and the audit log actions.

Memberships change only through communities.services: the admin "edit" view of a membership is
a decision page (verify, reject, change role) and "add" grants a verified membership.
Non-superuser staff see only the memberships of the communities they staff: every view of
every viewset here applies the scope of communities.policies.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.log_actions import LogFormatter

from core.errors import ServiceError

from . import permissions, services
from .forms import GrantForm, RejectForm, RoleForm, VerifyForm
from .models import Community, Membership
from .policies import CommunityScopedViewSetMixin

# --- audit log ---------------------------------------------------------------------------


@hooks.register("register_log_actions")
def register_membership_log_actions(actions):
    actions.register_action(
        "linli.membership.request", _("Request membership"), _("Membership requested")
    )
    actions.register_action(
        "linli.membership.verify", _("Verify membership"), _("Membership verified")
    )
    actions.register_action("linli.membership.grant", _("Add member"), _("Member added"))

    @actions.register_action("linli.membership.reject")
    class RejectFormatter(LogFormatter):
        label = _("Reject membership")

        def format_message(self, log_entry):
            reason = (log_entry.data or {}).get("reason")
            if reason:
                return gettext("Membership rejected: %(reason)s") % {"reason": reason}
            return gettext("Membership rejected")

    @actions.register_action("linli.membership.set_role")
    class RoleFormatter(LogFormatter):
        label = _("Change role")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            labels = dict(Membership.Role.choices)
            return gettext("Role changed from %(old)s to %(new)s") % {
                "old": labels.get(data.get("old_role"), data.get("old_role", "?")),
                "new": labels.get(data.get("role"), data.get("role", "?")),
            }


# --- community tree ----------------------------------------------------------------------


class CommunitySearchForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Search")}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(name__icontains=query)
        return objects


class CommunityChooseColumnsMixin:
    @property
    def columns(self):
        return [
            self.title_column,
            Column("kind", label=_("Kind"), accessor="get_kind_display"),
            Column(
                "parent",
                label=_("Parent"),
                accessor=lambda c: c.parent.name if c.parent_id else "—",
            ),
        ]


class CommunityChooseView(CommunityChooseColumnsMixin, chooser_views.ChooseView):
    pass


class CommunityChooseResultsView(CommunityChooseColumnsMixin, chooser_views.ChooseResultsView):
    pass


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
    ]


# --- memberships ---------------------------------------------------------------------------


class MembershipFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Membership.Status.choices)
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Membership.Role.choices)
    community = django_filters.ModelChoiceFilter(
        label=_("Community"),
        queryset=lambda request: permissions.staffed_communities(request.user if request else None),
    )

    class Meta:
        model = Membership
        fields = ["status", "role", "community"]


class MembershipIndexView(generic.IndexView):
    history_url_name = None

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user", "community", "community__parent")

    def get_list_more_buttons(self, instance):
        buttons = []
        if edit_url := self.get_edit_url(instance):
            label = (
                _("Verify or reject")
                if instance.status == Membership.Status.PENDING
                else _("Change role or status")
            )
            buttons.append(MenuItem(label, url=edit_url, icon_name="edit", priority=10))
        if self.history_url_name:
            buttons.append(
                MenuItem(
                    _("History"),
                    url=reverse(self.history_url_name, args=[instance.pk]),
                    icon_name="history",
                    priority=20,
                )
            )
        return buttons


class MembershipDecisionView(
    BaseObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    """The admin "edit" page of a membership: verify, reject or change the role."""

    model = Membership
    permission_required = "change"
    template_name = "communities/admin/membership_decide.html"
    index_url_name = None
    edit_url_name = None
    history_url_name = None
    header_icon = "user"
    page_title = _("Membership")

    def get_base_object_queryset(self):
        return Membership.objects.select_related("user", "community", "community__parent")

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(_("memberships"))},
            {"url": "", "label": str(self.object)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        membership = self.object
        # Nobody decides on their own membership: no buttons for it (the services refuse too).
        decides = permissions.can_decide_membership(self.request.user, membership)
        context.update(
            {
                "object": membership,
                "verify_form": kwargs.get("verify_form")
                or VerifyForm(initial={"role": membership.role}),
                "reject_form": kwargs.get("reject_form") or RejectForm(),
                "role_form": kwargs.get("role_form") or RoleForm(initial={"role": membership.role}),
                "can_verify": decides and membership.status != Membership.Status.VERIFIED,
                "can_reject": decides and membership.status != Membership.Status.REJECTED,
                "can_set_role": decides and membership.status == Membership.Status.VERIFIED,
                "history_url": reverse(self.history_url_name, args=[membership.pk])
                if self.history_url_name
                else None,
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        form_classes = {"verify": VerifyForm, "reject": RejectForm, "role": RoleForm}
        if action not in form_classes:
            messages.error(request, gettext("Unknown action."))
            return redirect(request.path)
        form = form_classes[action](request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Please correct the errors below."))
            return self.render_to_response(self.get_context_data(**{f"{action}_form": form}))
        try:
            if action == "verify":
                services.verify_membership(
                    actor=request.user, membership=self.object, role=form.cleaned_data["role"]
                )
                done = gettext("Membership verified.")
            elif action == "reject":
                services.reject_membership(
                    actor=request.user,
                    membership=self.object,
                    reason=form.cleaned_data["reason"],
                )
                done = gettext("Membership rejected.")
            else:
                services.set_role(
                    actor=request.user, membership=self.object, role=form.cleaned_data["role"]
                )
                done = gettext("Role changed.")
        except ServiceError as exc:
            messages.error(request, str(exc.detail))
            return redirect(request.path)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)
        messages.success(request, done)
        return redirect(self.index_url_name)


class MembershipGrantView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """The admin "add" page: make someone a verified member (e.g. staff of a street)."""

    model = Membership
    permission_required = "add"
    template_name = "communities/admin/membership_grant.html"
    index_url_name = None
    add_url_name = None
    header_icon = "user"
    page_title = _("Add a member")
    form_class = GrantForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(_("memberships"))},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_url"] = reverse(self.add_url_name)
        context["submit_button_label"] = _("Add member")
        return context

    def form_valid(self, form):
        try:
            membership = services.grant_membership(
                actor=self.request.user,
                user=form.cleaned_data["user"],
                community=form.cleaned_data["community"],
                role=form.cleaned_data["role"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc.detail))
            return self.form_invalid(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, gettext("%(membership)s added.") % {"membership": membership}
        )
        return redirect(self.index_url_name)


class MembershipViewSet(CommunityScopedViewSetMixin, ModelViewSet):
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

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    def get_edit_view_kwargs(self, **kwargs):
        return kwargs

    def get_urlpatterns(self):
        # No delete, copy or usage views: memberships are rejected with a reason, never deleted.
        keep = {"index", "index_results", "add", "edit", "history", "history_results"}
        return [pattern for pattern in super().get_urlpatterns() if pattern.name in keep]


class CommunitiesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Communities")
    menu_icon = "group"
    menu_order = 250
    items = (CommunityViewSet("community"), MembershipViewSet("membership"))


@hooks.register("register_admin_viewset")
def register_community_chooser():
    return community_chooser_viewset


@hooks.register("register_admin_viewset")
def register_communities_group():
    return CommunitiesViewSetGroup()
