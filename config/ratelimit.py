"""Rate limits on every write: a shared fixed-window counter and a middleware that applies it.

`hit(key=..., limit=(count, seconds))` counts one use of `key` in the cache (Redis when REDIS_URL
is set, so all daphne processes share the count) and raises config.errors.RateLimited with
retry_after once the window is used up. Apps with finer limits (deliberation's
DELIBERATION_RATE_LIMITS, allauth's ACCOUNT_RATE_LIMITS) keep them; WriteRateLimitMiddleware adds
a general ceiling on every POST/PUT/PATCH/DELETE of the site and the API, so a write endpoint
without a limit of its own cannot be hammered:

- signed-in people (browser session): per user;
- app clients (X-Session-Token, authenticated later by Ninja): per token;
- anonymous requests: per client address.

Replies: /api/ gets JSON {"detail", "code": "rate_limited"} and the browser gets templates/429.html,
both with status 429 and a Retry-After header. Wagtail's admin and allauth (own limits) are left
out. settings.WRITE_RATE_LIMITS overrides {"user": (n, seconds), "anonymous": (n, seconds)};
None switches one off.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from config.errors import RateLimited

DEFAULT_WRITE_RATE_LIMITS = {
    "user": (120, 60),
    "anonymous": (60, 60),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT_PREFIXES = ("/admin/", "/accounts/", "/_allauth/", "/static/", "/media/")


def hit(*, key: str, limit) -> None:
    """Count one use of `key`; RateLimited (429, retry_after) beyond `limit` = (count, seconds)."""
    if not limit:
        return
    count, period = limit
    now = int(time.time())
    window = now // period
    cache_key = f"rate:{key}:{period}:{window}"
    counter = getattr(cache, "count", None)  # config.cache.FailSafeRedisCache: one round trip
    if counter is not None:
        used = counter(cache_key, timeout=period + 5)
        if used is None:  # Redis unavailable: let the request through
            return
    else:
        cache.add(cache_key, 0, timeout=period + 5)
        try:
            used = cache.incr(cache_key)
        except ValueError:  # expired (or the cache lost it) between add and incr
            cache.set(cache_key, 1, timeout=period + 5)
            used = 1
    if used > count:
        raise RateLimited(retry_after=max(1, (window + 1) * period - now))


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
    hit(key=f"write:{key}", limit=write_limits().get(kind))


def too_many(request, exc: RateLimited):
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": str(exc.detail), "code": exc.code}, status=exc.status)
    else:
        response = HttpResponse(render_to_string("429.html", request=request), status=exc.status)
    response["Retry-After"] = str(exc.retry_after)
    return response


class WriteRateLimitMiddleware:
    """Sync only: config.handlers.SyncChainASGIHandler runs the whole chain in one thread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            check_write(request)
        except RateLimited as exc:
            return too_many(request, exc)
        return self.get_response(request)
