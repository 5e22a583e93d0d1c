"""A database that cannot be reached gives 503 "try again", never a 500.

When PostgreSQL restarts, fails over or drops a connection, queries raise OperationalError or
InterfaceError. The transaction that was open is gone with the connection (PostgreSQL rolls it
back), so nothing was half written and the request may simply be sent again. The reply says so:

- /api/ and /_allauth/ (and requests that accept only JSON): 503 JSON
  {"detail": "...", "code": "service_unavailable"} with Retry-After;
- everything else: 503 HTML page (templates/503.html, rendered without touching the database).

Two hooks, because Django reports errors from two places: DatabaseUnavailableMiddleware
(process_exception) takes errors raised by views, `server_error` (handler500 in config/urls.py)
takes errors raised by other middleware (sessions, allauth) and passes everything else on to the
usual 500. Django closes the broken connection at the end of the request, and
CONN_HEALTH_CHECKS makes the next request open a new one.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
JSON_PREFIXES = ("/api/", "/_allauth/")


def is_database_unavailable(exc) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def wants_json(request) -> bool:
    if request.path.startswith(JSON_PREFIXES):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def service_unavailable(request) -> HttpResponse:
    detail = _("The service is briefly unavailable. Please try again in a moment.")
    if wants_json(request):
        response = JsonResponse({"detail": detail, "code": "service_unavailable"}, status=503)
    else:
        try:
            html = render_to_string("503.html", {"detail": detail})
        except Exception:  # the page must not fail in its turn
            logger.exception("could not render 503.html")
            response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
        else:
            response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database connection failure raised by a view into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        # Django logs the 503 itself; the cause fits on one line.
        logger.warning("Database unavailable (%s): %s %s", exception, request.method, request.path)
        return service_unavailable(request)


def server_error(request):
    """handler500: a 503 when the error was the database going away, else the usual 500
    (JSON {"detail", "code": "server_error"} for the API)."""
    if is_database_unavailable(sys.exc_info()[1]):
        return service_unavailable(request)
    if wants_json(request):
        return JsonResponse(
            {"detail": _("Something went wrong on our side."), "code": "server_error"},
            status=500,
        )
    return defaults.server_error(request)
