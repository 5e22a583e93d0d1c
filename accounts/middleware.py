"""Turns allauth's RateLimited exception into a 429 reply instead of a server error.

Some allauth flows raise RateLimited from deep inside a view, e.g. a second sign-up with the same
phone number before the per-number SMS limit (ACCOUNT_RATE_LIMITS "verify_phone") has reset
(a password login goes on without the SMS then: accounts/stages.py). allauth's own views do
not catch it there. The reply is the one allauth gives for its other limits: the headless
API's JSON error ({"status": 429}) under /_allauth/, the 429.html page (allauth's documented
template, which says to wait a minute and leads back to the form) everywhere else.
"""

from http import HTTPStatus

from allauth.core.exceptions import RateLimited
from django.http import JsonResponse
from django.shortcuts import render

HEADLESS_PREFIX = "/_allauth/"


def too_many_requests(request):
    status = HTTPStatus.TOO_MANY_REQUESTS
    if request.path.startswith(HEADLESS_PREFIX):
        return JsonResponse({"status": int(status)}, status=status)
    return render(request, "429.html", status=status)


class RateLimitedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        return too_many_requests(request)
