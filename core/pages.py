"""What the apps' page views share: where to go next, and how a service's refusal is shown."""

import math

from django.contrib import messages
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import RateLimited, ServiceError


def next_url(request, fallback: str) -> str:
    """The `next` parameter if it is a path of this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next")
    # A path of this site only: redirect() would take "abc" for a view name (NoReverseMatch).
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback


def rate_message(exc: RateLimited) -> str:
    wait = int(getattr(exc, "retry_after", 60) or 60)
    if wait >= 120:
        minutes = math.ceil(wait / 60)
        when = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    else:
        when = ngettext("%(n)d second", "%(n)d seconds", wait) % {"n": wait}
    return _("You are doing this too often. Please try again in %(when)s.") % {"when": when}


def apply_error(request, exc, form=None) -> None:
    """Show a service's refusal: field errors on the form where it has the field, else a
    message (a rate limit says how long to wait)."""
    if isinstance(exc, RateLimited):
        messages.error(request, rate_message(exc))
        return
    if isinstance(exc, ServiceError):
        messages.error(request, str(exc.detail))
        return
    if form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
        return
    messages.error(request, " ".join(str(m) for m in exc.messages))


def error_status(exc) -> int:
    return exc.status if isinstance(exc, ServiceError) else 400


def with_retry_after(response, exc):
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(int(exc.retry_after))
    return response
