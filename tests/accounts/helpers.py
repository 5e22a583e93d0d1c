import re

from accounts.sms import ConsoleSmsSender

PASSWORD = "quiet-lane-2026"


def last_sms_code(phone=None) -> str:
    """The code in the last SMS (to `phone`, if given) in the console sender's outbox."""
    messages = [m for p, m in ConsoleSmsSender.outbox if phone is None or p == phone]
    assert messages, f"no SMS sent to {phone or 'anyone'}: {ConsoleSmsSender.outbox!r}"
    match = re.search(r"\b(\d{6})\b", messages[-1])
    assert match, messages[-1]
    return match.group(1)


def signed_in_user_id(client):
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def login(client, login, password=PASSWORD):
    return client.post("/accounts/login/", {"login": login, "password": password})
