"""The admin views of the community chooser and of memberships.

Memberships change only through communities.services: the admin "edit" view of a membership is
a decision page (verify, reject, change role) and "add" grants a verified membership.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import chooser as chooser_views

from core.admin_views import NewObjectFormView, ObjectPageMixin
from core.errors import ServiceError

from .. import permissions, services
from ..forms import GrantForm, RejectForm, RoleForm, VerifyForm
from ..models import Membership


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


class MembershipDecisionView(ObjectPageMixin, TemplateView):
    """The admin "edit" page of a membership: verify, reject or change the role."""

    model = Membership
    template_name = "communities/admin/membership_decide.html"
    header_icon = "user"
    page_title = _("Membership")

    def get_base_object_queryset(self):
        return Membership.objects.select_related("user", "community", "community__parent")

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


class MembershipGrantView(NewObjectFormView):
    """The admin "add" page: make someone a verified member (e.g. staff of a street)."""

    model = Membership
    template_name = "communities/admin/membership_grant.html"
    header_icon = "user"
    page_title = _("Add a member")
    form_class = GrantForm
    submit_button_label = _("Add member")

    def form_valid(self, form):
        # Not ServiceFormMixin: a ValidationError of the service is about the whole form here.
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
