"""The rotating check-in code shown as a QR on the organiser's phone.

A code is an HMAC of the activity, its secret, the purpose (check in or out) and the current
30-second window; the one of the window before is still taken, so a code scanned as it changes
works, and anything older (a photo sent round yesterday, another activity's code, the check-in
code used to check out) is refused. Scanning gives a ticket, signed and good for a few minutes,
which carries the person through signing in without the code running out: it names the person
it was given to, and before they are signed in it stays in their browser's session, so a
ticket cannot be passed round either.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core import signing

WINDOW_SECONDS = 30
TICKET_SECONDS = 10 * 60
PURPOSES = ("in", "out")
_TICKET_SALT = "activities.check-in-ticket"


def _window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // WINDOW_SECONDS)


def _code(activity, purpose: str, window: int) -> str:
    message = f"{activity.pk}:{purpose}:{window}".encode()
    key = f"{settings.SECRET_KEY}:{activity.check_in_secret}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:12]


def current(activity, purpose: str, now: float | None = None) -> tuple[str, float]:
    """(the code of now, when it stops being the current one as a Unix time)."""
    window = _window(now)
    return _code(activity, purpose, window), (window + 1) * WINDOW_SECONDS


def is_valid(activity, purpose: str, code, now: float | None = None) -> bool:
    if purpose not in PURPOSES or not isinstance(code, str) or len(code) != 12:
        return False
    if not code.isascii():  # hmac.compare_digest raises TypeError on non-ASCII text
        return False
    window = _window(now)
    return any(hmac.compare_digest(code, _code(activity, purpose, w)) for w in (window, window - 1))


def ticket(activity, purpose: str, person_id: int | None) -> str:
    """A ticket for `person_id`; None only for one kept in the scanning browser's session
    while its owner signs in (views), never one handed out."""
    return signing.dumps(
        {"a": activity.pk, "p": purpose, "u": person_id}, salt=_TICKET_SALT, compress=True
    )


def ticket_is_valid(activity, purpose: str, value, person_id: int | None) -> bool:
    if not isinstance(value, str) or len(value) > 200:
        return False
    try:
        data = signing.loads(value, salt=_TICKET_SALT, max_age=TICKET_SECONDS)
    except signing.BadSignature:
        return False
    return (
        isinstance(data, dict)
        and data.get("a") == activity.pk
        and data.get("p") == purpose
        and data.get("u") == person_id
    )
