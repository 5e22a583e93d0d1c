"""Secrets stay out of logs (issue #22, point 10).

Whatever a person types or receives to get in (login codes by e-mail and SMS, address
verification codes, password-reset keys, app session tokens) appears in no log record of any
logger, through the pages, the app API and the WebSocket alike, whether the attempt succeeds or
fails. Production refuses the senders that log by design (tests/accounts/test_settings.py): the
SMS outbox here logs nothing, so any record holding a code comes from somewhere else.
"""

import json
import logging
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from accounts.sms import ConsoleSmsSender
from tests.live.helpers import app_session_token, ask, live_socket

PASSWORD = "quiet-lane-2026"
PHONE = "+8613800138000"
CLIENTS = ["page", "app"]


class OutboxSmsSender:
    """ConsoleSmsSender's outbox without its log line."""

    def send(self, *, phone: str, message: str) -> None:
        ConsoleSmsSender.outbox.append((phone, message))


class EveryRecord(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def text(self) -> str:
        """Every record whole: message, arguments, traceback and extra attributes."""
        formatter = logging.Formatter()
        parts = []
        for record in self.records:
            parts.append(record.getMessage())
            if record.exc_info:
                parts.append(formatter.formatException(record.exc_info))
            parts.extend(repr(value) for value in vars(record).values())
        return "\n".join(parts)


@pytest.fixture
def logs(settings):
    """Records of every logger at every level, including loggers that do not propagate."""
    settings.SMS_SENDER = f"{__name__}.OutboxSmsSender"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "no-secrets-in-logs",
        }
    }
    cache.clear()  # allauth's rate-limit counters of earlier tests
    handler = EveryRecord()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    ConsoleSmsSender.outbox.clear()
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def assert_not_logged(logs, *secrets):
    text = logs.text()
    for secret in secrets:
        assert secret and secret not in text, f"{secret!r} is in the log"


@pytest.fixture
def resident(db):
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(
        email="resident@example.com", password=PASSWORD, phone=PHONE, phone_verified=True
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def post(kind, client, page, api, data, token=None):
    if kind == "page":
        return client.post(page, data)
    headers = {"X-Session-Token": token} if token else {}
    return client.post(
        f"/_allauth/app/v1{api}", data, content_type="application/json", headers=headers
    )


def token_of(kind, response):
    return response.json()["meta"].get("session_token") if kind == "app" else None


def last_mail():
    assert mail.outbox, "no e-mail sent"
    return mail.outbox[-1].body


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CLIENTS)
def test_login_by_email_code(kind, logs, resident):
    client = Client()
    response = post(
        kind, client, "/accounts/login/code/", "/auth/code/request", {"email": resident.email}
    )
    code = re.search(r"\b([A-Z]{4}-[A-Z]{4})\b", last_mail()).group(1)
    token = token_of(kind, response)
    wrong = "QQQQ-QQQQ" if code != "QQQQ-QQQQ" else "ZZZZ-ZZZZ"
    post(
        kind, client, "/accounts/login/code/confirm/", "/auth/code/confirm", {"code": wrong}, token
    )
    response = post(
        kind, client, "/accounts/login/code/confirm/", "/auth/code/confirm", {"code": code}, token
    )
    assert response.status_code in (200, 302)
    assert_not_logged(logs, code, token or code)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CLIENTS)
def test_login_by_sms_code(kind, logs, resident):
    client = Client()
    response = post(kind, client, "/accounts/login/code/", "/auth/code/request", {"phone": PHONE})
    ((phone, message),) = ConsoleSmsSender.outbox
    code = re.search(r"\b(\d{6})\b", message).group(1)
    token = token_of(kind, response)
    post(kind, client, "/accounts/login/code/confirm/", "/auth/code/confirm", {"code": code}, token)
    assert_not_logged(logs, code, f"{phone}: {message}")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CLIENTS)
def test_signup_verification_code(kind, logs):
    client = Client()
    data = {"phone": "13900139000", "email": "new@example.com", "display_name": "邻居"}
    if kind == "page":
        data.update(password1=PASSWORD, password2=PASSWORD)
    else:
        data["password"] = PASSWORD
    response = post(kind, client, "/accounts/signup/", "/auth/signup", data)
    ((phone, message),) = ConsoleSmsSender.outbox
    code = re.search(r"\b(\d{6})\b", message).group(1)
    token = token_of(kind, response)
    response = post(
        kind, client, "/accounts/phone/verify/", "/auth/phone/verify", {"code": code}, token
    )
    token = token_of(kind, response) or token
    key = unquote(re.search(r"/accounts/confirm-email/([^/\s]+)/", last_mail()).group(1))
    post(kind, client, f"/accounts/confirm-email/{key}/", "/auth/email/verify", {"key": key}, token)
    assert User.objects.email_owner("new@example.com") is not None
    assert_not_logged(logs, code, key, PASSWORD, f"{phone}: {message}")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CLIENTS)
def test_password_reset(kind, logs, resident):
    client = Client()
    post(
        kind,
        client,
        "/accounts/password/reset/",
        "/auth/password/request",
        {"email": resident.email},
    )
    link = re.search(r"https?://\S+/password/reset/key/(\S+?)/", last_mail())
    key = link.group(1)
    new_password = "green-roof-garden-9"
    if kind == "page":
        # a stale link first, then the right one
        client.get(f"/accounts/password/reset/key/{key[:-3]}xyz/")
        response = client.get(f"/accounts/password/reset/key/{key}/")
        client.post(response["Location"], {"password1": new_password, "password2": new_password})
    else:
        post(kind, client, "", "/auth/password/reset", {"key": key + "x", "password": new_password})
        post(kind, client, "", "/auth/password/reset", {"key": key, "password": new_password})
    resident.refresh_from_db()
    assert resident.check_password(new_password)
    assert_not_logged(logs, key, key.split("-", 1)[1], new_password)


@pytest.mark.django_db(transaction=True)
async def test_websocket_auth_never_logs_the_session_token(logs):
    from tests.live.helpers import PASSWORD as LIVE_PASSWORD

    await database_sync_to_async(User.objects.create_user)(
        email="alice@example.com", password=LIVE_PASSWORD
    )
    token = await database_sync_to_async(app_session_token)("alice@example.com")
    async with live_socket() as ws:
        assert (await ask(ws, {"action": "auth", "session_token": token}))["type"] == (
            "authenticated"
        )
        bad = token[::-1]
        assert (await ask(ws, {"action": "auth", "session_token": bad}))["type"] == "error"
        # a message that is not JSON, holding a token, is refused without being echoed
        await ws.send_to(text_data='{"action": "auth", "session_token": "' + token)
        assert json.loads(await ws.receive_from(timeout=5))["type"] == "error"
    assert_not_logged(logs, token, bad)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CLIENTS)
def test_a_failing_request_logs_its_error_without_its_body(kind, logs, resident, monkeypatch):
    from accounts.adapter import AccountAdapter

    def broken(self, *args, **kwargs):
        raise RuntimeError("the session store is down")

    monkeypatch.setattr(AccountAdapter, "login", broken)
    client = Client(raise_request_exception=False)
    response = post(
        kind,
        client,
        "/accounts/login/",
        "/auth/login",
        {"login": resident.email, "email": resident.email, "password": PASSWORD},
    )
    assert response.status_code == 500
    assert "the session store is down" in logs.text()
    assert_not_logged(logs, PASSWORD)


@pytest.fixture
def console_output(monkeypatch):
    """What the configured console handler, the one every logger writes through, prints."""
    import io

    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    stream = io.StringIO()
    monkeypatch.setattr(handler, "stream", stream)
    return stream


@pytest.mark.django_db
def test_a_failing_reset_link_logs_its_path_without_the_key(console_output, resident, monkeypatch):
    from allauth.account.views import PasswordResetFromKeyView

    Client().post("/accounts/password/reset/", {"email": resident.email})
    key = re.search(r"/password/reset/key/(\S+?)/", last_mail()).group(1)

    def broken(self, *args, **kwargs):
        raise RuntimeError("the session store is down")

    monkeypatch.setattr(PasswordResetFromKeyView, "dispatch", broken)
    response = Client(raise_request_exception=False).get(f"/accounts/password/reset/key/{key}/")
    assert response.status_code == 500
    printed = console_output.getvalue()
    assert "Internal Server Error: /accounts/password/reset/key/[redacted]/" in printed
    assert key not in printed and key.split("-", 1)[1] not in printed


# --- the production recipe's access logs ----------------------------------------------------------

DEPLOY = Path(__file__).resolve().parents[2] / "site" / "deploy"


def nginx_logged_uri(request_uri: str) -> str:
    """What the recipe's `linli` log format writes for a request URI, by its own map."""
    conf = (DEPLOY / "nginx" / "linli.conf").read_text()
    block = re.search(r"map \$request_uri \$linli_logged_uri \{(.*?)\n\}", conf, re.S).group(1)
    pattern, replacement = re.search(r'"~(.*?)" "(.*?)";', block).groups()
    match = re.match(pattern.replace("(?<", "(?P<"), request_uri)
    if match is None:
        return request_uri
    return re.sub(r"\$\{(\w+)\}", lambda m: match.group(m.group(1)), replacement)


def test_the_nginx_access_log_holds_no_reset_key():
    conf = (DEPLOY / "nginx" / "linli.conf").read_text()
    log_format = re.search(r"log_format linli (.*?);", conf, re.S).group(1)
    assert "$linli_logged_uri" in log_format
    assert "$request_uri" not in log_format and "$request " not in log_format
    access_logs = re.findall(r"^\s*access_log ([^;]*);", conf, re.M)
    assert access_logs and all(line == "off" or line.endswith(" linli") for line in access_logs)
    key = "Mg-cw1x2y-3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c"
    for uri in (
        f"/accounts/password/reset/key/{key}/",
        f"/accounts/password/reset/key/{key}/?next=/",
        f"/en/accounts/password/reset/key/{key}/",
    ):
        logged = nginx_logged_uri(uri)
        assert key not in logged and "[redacted]" in logged, logged
    assert nginx_logged_uri("/council/proposals/6/?page=2") == "/council/proposals/6/?page=2"


def test_daphne_behind_nginx_writes_no_access_log_of_its_own():
    unit = (DEPLOY / "systemd" / "linli-daphne@.service").read_text()
    exec_start = re.search(r"^ExecStart=(.*?)(?<!\\)$", unit, re.M | re.S).group(1)
    assert "--access-log /dev/null" in exec_start.replace("\\\n", " ")
