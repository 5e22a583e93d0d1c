"""What the apps' Wagtail admin views, viewsets and log entries share."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.log_actions import LogFormatter

from core.errors import ServiceError


def apply_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: on its field when the form has it."""
    for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        form.add_error(field if field in form.fields else None, errors)


class ServiceFormMixin:
    """A form whose valid submission calls a service; errors come back on the form.

    Each view defines `perform(form)`: it calls the service and returns the success message
    (or None for `success_message`)."""

    success_message = _("Done.")

    def get_success_url(self):
        return reverse(self.index_url_name)

    def form_valid(self, form):
        try:
            message = self.perform(form)
        except ServiceError as exc:
            form.add_error(None, str(exc.detail))
            return self.form_invalid(form)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, message or self.success_message)
        return redirect(self.get_success_url())


class ObjectPageMixin(BaseObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin):
    """A page about one object, routed as its viewset's "edit" view."""

    permission_required = "change"
    index_url_name = None
    edit_url_name = None
    history_url_name = None

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {"url": "", "label": str(self.object)},
        ]


class ObjectFormMixin:
    """The form of a page about `self.object`: it takes the object and the user (`obj`,
    `user`) and posts back to the page."""

    submit_button_label = _("Save")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "obj": self.object, "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.request.path,
            submit_button_label=self.submit_button_label,
            object=self.object,
        )
        return context


class ObjectFormView(ServiceFormMixin, ObjectFormMixin, ObjectPageMixin, FormView):
    """A form about one object whose valid submission calls a service."""

    template_name = "wagtailadmin/generic/form.html"


class NewObjectFormView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """A form that makes a new object, routed as its viewset's "add" view; the form takes the
    user (`user`)."""

    permission_required = "add"
    template_name = "wagtailadmin/generic/form.html"
    index_url_name = None
    add_url_name = None
    edit_url_name = None
    submit_button_label = _("Save")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse(self.add_url_name), submit_button_label=self.submit_button_label
        )
        return context


class ServiceFormViewSetMixin:
    """For a ModelViewSet whose add and edit views are the forms above: they take none of the
    arguments of Wagtail's model form views."""

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    def get_edit_view_kwargs(self, **kwargs):
        return kwargs


class ReasonFormatter(LogFormatter):
    """'<message>: <reason>' when the entry carries a reason, else '<message>'."""

    message = ""

    def format_message(self, log_entry):
        reason = (log_entry.data or {}).get("reason")
        if reason:
            return gettext("%(message)s: %(reason)s") % {
                "message": str(self.message),
                "reason": reason,
            }
        return str(self.message)


def reason_formatter(label, message):
    """A ReasonFormatter class for one log action."""
    return type("ReasonFormatter", (ReasonFormatter,), {"label": label, "message": message})
