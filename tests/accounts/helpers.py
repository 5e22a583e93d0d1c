import re
from urllib.parse import unquote

from django.core import mail

from accounts.sms import ConsoleSmsSender

PASSWORD = "quiet-lane-2026"


def last_sms_code(phone=None) -> str:
    """The code in the last SMS (to `phone`, if given) in the console sender's outbox."""
    messages = [m for p, m in ConsoleSmsSender.outbox if phone is None or p == phone]
    assert messages, f"no SMS sent to {phone or 'anyone'}: {ConsoleSmsSender.outbox!r}"
    match = re.search(r"\b(\d{6})\b", messages[-1])
    assert match, messages[-1]
    return match.group(1)


def last_mail_code(email) -> str:
    """The 6-digit code in the last e-mail to `email` (an address verification code)."""
    bodies = [m.body for m in mail.outbox if email in m.to]
    assert bodies, f"no e-mail to {email}: {[m.to for m in mail.outbox]!r}"
    match = re.search(r"^\s*(\d{6})\s*$", bodies[-1], re.MULTILINE)
    assert match, bodies[-1]
    return match.group(1)


def last_mail_key(email) -> str:
    """The key of the confirmation link in the last e-mail to `email` (unquoted: the API wants
    the key itself)."""
    bodies = [m.body for m in mail.outbox if email in m.to]
    assert bodies, f"no e-mail to {email}: {[m.to for m in mail.outbox]!r}"
    match = re.search(r"/accounts/confirm-email/([^/\s]+)/", bodies[-1])
    assert match, bodies[-1]
    return unquote(match.group(1))


def mails_to(email) -> list[str]:
    return [m.body for m in mail.outbox if email in m.to]


def signed_in_user_id(client):
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def login(client, login, password=PASSWORD):
    return client.post("/accounts/login/", {"login": login, "password": password})
