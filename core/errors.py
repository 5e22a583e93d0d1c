"""Errors raised by every app's services; pages, API and consumer turn them into replies."""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status = 400
    code = "invalid"
    default_detail = _("The request could not be carried out.")

    def __init__(self, detail=None, *, code=None, extra=None):
        self.detail = detail if detail is not None else self.default_detail
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(str(self.detail))


class NotAllowed(ServiceError):
    status = 403
    code = "forbidden"
    default_detail = _("You are not allowed to do this.")


class Conflict(ServiceError):
    status = 409
    code = "conflict"
    default_detail = _("This conflicts with the current state.")


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"
    default_detail = _("Too many requests. Please wait a moment and try again.")

    def __init__(self, detail=None, *, retry_after: int = 60, **kwargs):
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after
