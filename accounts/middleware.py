"""Turns allauth's RateLimited exception into a 429 reply instead of a server error.

Some allauth flows raise RateLimited from deep inside a view, e.g. a login that has to text a
phone verification code again before the per-number SMS limit (ACCOUNT_RATE_LIMITS
"verify_phone") has reset. allauth's own views do not catch it there.
"""

from allauth.core.exceptions import RateLimited


class RateLimitedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        # allauth's responder: JSON for headless clients, the 429.html page for browsers.
        from allauth.core.internal.ratelimit import respond_429

        return respond_429(request)
