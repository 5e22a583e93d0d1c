"""Keeps password-reset keys out of the log.

The reset link carries its key in the path (allauth's /accounts/password/reset/key/<key>/),
and request paths reach the log: Django's "Not Found: <path>" and "Internal Server Error:
<path>", our "Database unavailable" warning. The key stays valid after such an error, so whoever
reads the log could set the password. LOGGING attaches this filter to the console handler, which
every logger writes through.

Loaded by logging.config while settings load: it must not import models.
"""

import logging
import re

RESET_KEY = re.compile(r"(/password/reset/key/)[^/\s]+")


class RedactResetKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: logging reports it when emitting
            return True
        redacted = RESET_KEY.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
