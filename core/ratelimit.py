"""Rate limits on every write, counted by django-ratelimit (django_ratelimit.core.get_usage).

`hit(key=..., limit=(count, seconds))` counts one use of `key` in django-ratelimit's cache (the
default cache: Redis when REDIS_URL is set, so every server process shares the count) and raises
core.errors.RateLimited with retry_after once the window is used up. Apps with finer limits
(deliberation's DELIBERATION_RATE_LIMITS, allauth's ACCOUNT_RATE_LIMITS) keep them;
WriteRateLimitMiddleware adds a general ceiling on every POST/PUT/PATCH/DELETE of the site and
the API, so a write endpoint without a limit of its own cannot be hammered:

- signed-in people (browser session): per user;
- app clients (X-Session-Token, authenticated later by Ninja): per token;
- anonymous requests: per client address.

Replies: /api/ gets JSON {"detail", "code": "rate_limited"} and the browser gets templates/429.html
saying how long to wait, both with status 429 and a Retry-After header. Wagtail's admin and
allauth (own limits) are left out. settings.WRITE_RATE_LIMITS overrides
{"user": (n, seconds), "anonymous": (n, seconds)}; None switches one off.

While the cache is unreachable django-ratelimit cannot count; RATELIMIT_FAIL_OPEN (settings) lets
the requests through rather than refusing every write.
"""

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage

from core.errors import RateLimited
from core.pages import rate_message, with_retry_after

DEFAULT_WRITE_RATE_LIMITS = {
    "user": (120, 60),
    "anonymous": (60, 60),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT_PREFIXES = ("/admin/", "/accounts/", "/_allauth/", "/static/", "/media/")
GROUP = "linli"


def hit(*, key: str, limit, request: HttpRequest | None = None) -> None:
    """Count one use of `key`; RateLimited (429, retry_after) beyond `limit` = (count, seconds).

    `request` is handed to django-ratelimit as its API asks; callers without one (services)
    leave it out: the count depends on `key` alone."""
    if not limit:
        return
    count, seconds = limit
    usage = get_usage(
        request if request is not None else HttpRequest(),
        group=GROUP,
        key=lambda _group, _request: key,
        rate=f"{count}/{seconds}s",
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimited(retry_after=max(1, usage["time_left"]))


def write_limits() -> dict:
    return {**DEFAULT_WRITE_RATE_LIMITS, **getattr(settings, "WRITE_RATE_LIMITS", {})}


def client_key(request) -> tuple[str, str]:
    """(bucket kind, key) of the caller: the user, the app session token, or the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return "user", f"user:{user.pk}"
    token = request.headers.get("X-Session-Token")
    if token:
        return "user", "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "anonymous", "addr:" + request.META.get("REMOTE_ADDR", "")


def check_write(request) -> None:
    if request.method not in WRITE_METHODS or request.path.startswith(EXEMPT_PREFIXES):
        return
    kind, key = client_key(request)
    hit(key=f"write:{key}", limit=write_limits().get(kind), request=request)


def too_many(request, exc: RateLimited):
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": str(exc.detail), "code": exc.code}, status=exc.status)
    else:
        page = render_to_string("429.html", {"wait_message": rate_message(exc)}, request=request)
        response = HttpResponse(page, status=exc.status)
    return with_retry_after(response, exc)


class WriteRateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            check_write(request)
        except RateLimited as exc:
            return too_many(request, exc)
        return self.get_response(request)
