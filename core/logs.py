"""Log filters of the project's LOGGING (config/settings/base.py).

Loaded by logging.config while settings load: it must not import models.
"""

import logging


class ForbiddenOnOneLine(logging.Filter):
    """A 403 on one line: method, path, user id and code, without the traceback.

    Django's request logger passes the PermissionDenied along as exc_info, so every refused
    page wrote a whole traceback: a refusal is an expected answer, and the tracebacks buried
    the errors that need reading.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        exception = record.exc_info[1] if record.exc_info else None
        code = getattr(exception, "code", None) or "forbidden"
        user = getattr(request, "user", None)
        user_id = getattr(user, "pk", None) if user is not None else None
        record.msg = "Forbidden: %s %s user=%s code=%s"
        record.args = (
            getattr(request, "method", "-"),
            getattr(request, "path", "-"),
            user_id if user_id is not None else "-",
            code,
        )
        record.exc_info = None
        record.exc_text = None
        return True
