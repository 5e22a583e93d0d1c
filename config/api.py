"""The public JSON API, /api/v1/ (Django Ninja). Each app contributes its router.

Browser sessions (with CSRF) and allauth headless app sessions (X-Session-Token)
both authenticate. Every error is JSON {"detail", "code"}.
"""

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import (
    PermissionDenied,
)
from django.core.exceptions import (
    ValidationError as DjangoValidationError,
)
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import (
    AuthenticationError,
    HttpError,
)
from ninja.errors import (
    ValidationError as NinjaValidationError,
)
from ninja.security import SessionAuth

from config.errors import RateLimited, ServiceError


class OptionalUser(XSessionTokenAuth):
    """Never refuses: resolves the app token or the browser session, else anonymous."""

    allow_anonymous_users = True
    allow_invalid_session_tokens = False

    def __call__(self, request):
        if self.get_session_token(request):
            return super().__call__(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            request.user = AnonymousUser()
        return request.user


signed_in = [XSessionTokenAuth(), SessionAuth()]
anyone = OptionalUser()

api = NinjaAPI(
    title="Linli API",
    version="1",
    description="Community deliberation and volunteer teams.",
    urls_namespace="api",
    auth=signed_in,
)


def error(request, status, detail, code, **extra):
    return api.create_response(
        request, {"detail": str(detail), "code": code, **extra}, status=status
    )


@api.exception_handler(ServiceError)
def on_service_error(request, exc: ServiceError):
    response = error(request, exc.status, exc.detail, exc.code, **exc.extra)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
        detail = next(iter(next(iter(errors.values()), [])), _("Invalid input."))
    else:
        errors = {}
        detail = " ".join(str(m) for m in exc.messages) or _("Invalid input.")
    return error(request, 400, detail, "invalid", errors=errors)


@api.exception_handler(NinjaValidationError)
def on_ninja_validation_error(request, exc: NinjaValidationError):
    errors = {}
    for item in exc.errors:
        loc = [
            str(part)
            for part in item.get("loc", [])
            if part not in ("body", "payload", "query", "path")
        ]
        errors.setdefault(".".join(loc) or "__all__", []).append(item.get("msg", ""))
    return error(request, 400, _("Invalid input."), "invalid", errors=errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return error(request, 401, _("Sign in first."), "not_authenticated")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return error(request, 403, str(exc) or _("You are not allowed to do this."), "forbidden")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, _("Not found."), "not_found")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    codes = {
        400: "invalid",
        401: "not_authenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        429: "rate_limited",
    }
    return error(request, exc.status_code, exc.message, codes.get(exc.status_code, "error"))


api.add_router("/", "communities.api.router")
api.add_router("/", "teams.api.router")
api.add_router("/", "deliberation.api.router")
