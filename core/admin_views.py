"""What the apps' Wagtail admin views share."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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
