"""What every app's part of the JSON API shares (Django Ninja): authentication, the error body
and its documentation. config/api.py assembles the API from the apps' routers.

Browser sessions (with CSRF) and allauth headless app sessions (X-Session-Token)
both authenticate. Every error is JSON {"detail", "code"}.
"""

import json
from importlib import import_module

from allauth.headless.contrib.ninja.security import XSessionTokenAuth as AllauthTokenAuth
from allauth.headless.tokens.strategies.sessions import (
    SessionTokenStrategy as AllauthSessionTokenStrategy,
)
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import (
    PermissionDenied,
)
from django.core.exceptions import (
    ValidationError as DjangoValidationError,
)
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import (
    AuthenticationError,
    HttpError,
)
from ninja.errors import (
    ValidationError as NinjaValidationError,
)
from ninja.security import SessionAuth
from pydantic import ValidationError as PydanticError

from core.errors import RateLimited, ServiceError
from core.inputs import has_control_characters


class SessionTokenStrategy(AllauthSessionTokenStrategy):
    """allauth's app session tokens (the token is the session key), read in one query.

    allauth asks the session store whether the key exists and then loads it: two queries
    before the user's, on every API request and WebSocket `auth` of an app. Django's database
    session stores load a key in one query and forget a key that has no row or has expired
    (`session_key` becomes None); only then is `exists()` asked, so that the outcomes stay
    allauth's: no row -> None (an invalid token); a row that expired -> a session without
    data, whose user is None; otherwise the loaded session. Other session engines (a signed
    cookie makes a new key for one it cannot read) go allauth's way.
    settings.HEADLESS_TOKEN_STRATEGY names it.
    """

    def lookup_session(self, session_token: str):
        if has_control_characters(session_token):  # PostgreSQL refuses NUL in a query
            return None
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_token)
        if not isinstance(store, DatabaseSessionStore):
            return super().lookup_session(session_token)
        if store.session_key is None:  # not a valid key at all
            return None
        store.get(SESSION_KEY)  # loads the session
        if store.session_key is not None or store.exists(session_token):
            return store
        return None


class XSessionTokenAuth(AllauthTokenAuth):
    """allauth's app-session auth, described completely in the OpenAPI schema (an apiKey scheme
    needs `in` and `name`; without them the schema is invalid and clients cannot use it)."""

    openapi_in = "header"
    openapi_name = "X-Session-Token"


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

# Every operation may answer with these; the schema says so (one shared Error body), so that
# clients and schema-driven tests know them.
ERROR_RESPONSES = {
    "400": "Invalid input (field errors in `errors`)",
    "401": "Not signed in",
    "403": "Not allowed",
    "404": "Not found",
    "409": "Conflicts with the current state",
    "429": "Too many requests (see the Retry-After header)",
    "503": "Database unavailable, try again (see the Retry-After header)",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object"},
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}


def document_errors(schema: dict) -> dict:
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            security = operation.get("security", [])
            if any("OptionalUser" in s for s in security) and {} not in security:
                # `anyone`: signing in is optional; `{}` says so in OpenAPI terms. An invalid or
                # expired X-Session-Token still gets 401, so 401 stays documented.
                operation["security"] = [{}, *security]
            for status, description in ERROR_RESPONSES.items():
                operation["responses"].setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return schema


HTTP_ERROR_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limited",
}


class LinliAPI(NinjaAPI):
    """Ninja's API with Linli's error bodies for every exception a router may raise, and the
    errors documented in the OpenAPI schema."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_exception_handler(ServiceError, self.on_service_error)
        self.add_exception_handler(DjangoValidationError, self.on_django_validation_error)
        self.add_exception_handler(NinjaValidationError, self.on_ninja_validation_error)
        self.add_exception_handler(AuthenticationError, self.on_authentication_error)
        self.add_exception_handler(PermissionDenied, self.on_permission_denied)
        self.add_exception_handler(Http404, self.on_not_found)
        self.add_exception_handler(HttpError, self.on_http_error)

    def get_openapi_schema(self, *args, **kwargs):
        return document_errors(super().get_openapi_schema(*args, **kwargs))

    def error(self, request, status, detail, code, **extra):
        return self.create_response(
            request, {"detail": str(detail), "code": code, **extra}, status=status
        )

    def on_service_error(self, request, exc: ServiceError):
        response = self.error(request, exc.status, exc.detail, exc.code, **exc.extra)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    def on_django_validation_error(self, request, exc: DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = {
                field: [str(m) for e in errs for m in e.messages]
                for field, errs in exc.error_dict.items()
            }
            detail = next(iter(next(iter(errors.values()), [])), _("Invalid input."))
        else:
            errors = {}
            detail = " ".join(str(m) for m in exc.messages) or _("Invalid input.")
        return self.error(request, 400, detail, "invalid", errors=errors)

    def on_ninja_validation_error(self, request, exc: NinjaValidationError):
        errors = {}
        for item in exc.errors:
            # Ninja's loc: ("body", the view's parameter, field, ...) or ("query"/"path"/...,
            # name); the field keeps its name even when it is called "body" or "query".
            loc = [str(part) for part in item.get("loc", [])]
            source, rest = (loc[0], loc[1:]) if loc else ("", [])
            if source == "body":
                rest = rest[1:] or rest
            errors.setdefault(".".join(rest) or "__all__", []).append(item.get("msg", ""))
        return self.error(request, 400, _("Invalid input."), "invalid", errors=errors)

    def on_authentication_error(self, request, exc):
        return self.error(request, 401, _("Sign in first."), "not_authenticated")

    def on_permission_denied(self, request, exc):
        detail = str(exc) or _("You are not allowed to do this.")
        return self.error(request, 403, detail, "forbidden")

    def on_not_found(self, request, exc):
        return self.error(request, 404, _("Not found."), "not_found")

    def on_http_error(self, request, exc: HttpError):
        code = HTTP_ERROR_CODES.get(exc.status_code, "error")
        return self.error(request, exc.status_code, exc.message, code)


def optional_body(request, schema: type[Schema]):
    """An optional body: JSON, a form (multipart with files), or nothing at all."""
    content_type = request.content_type or ""
    if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        raw = {key: value for key, value in request.POST.items() if value != ""}
    elif not request.body.strip():
        raw = {}
    else:
        try:
            raw = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise DjangoValidationError(_("Send JSON or a form.")) from None
        if not isinstance(raw, dict):
            raise DjangoValidationError(_("Send a JSON object."))
    try:
        return schema(**raw)
    except PydanticError as exc:
        errors = {}
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "__all__"
            errors.setdefault(field, []).append(err["msg"])
        raise DjangoValidationError(errors) from None


def optional_body_openapi(schema: type[Schema]) -> dict:
    """OpenAPI for an endpoint whose JSON body may be left out."""
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.json_schema()}},
        }
    }
