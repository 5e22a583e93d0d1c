"""Helpers for the live tests (WebSocket client, publishing, signing in)."""

import json
from contextlib import asynccontextmanager

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from config.asgi import application
from live.services import publish

PASSWORD = "s3cret-pass-2026"
HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
# Generous: with REDIS_URL the push goes through Redis.
TIMEOUT = 5


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def app_session_token(email: str, password: str = PASSWORD) -> str:
    """Log in through allauth headless (app client) and return its session token (the
    address verified first: an unverified one cannot log in)."""
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.get(email=email)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": email, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def publish_committed(**kwargs):
    with transaction.atomic():
        return publish(**kwargs)


apublish = database_sync_to_async(publish_committed)


@asynccontextmanager
async def live_socket(user=None):
    """A connected /ws/live/ client, signed in through the session cookie if `user` is given."""
    headers = list(HEADERS)
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def send(communicator, payload):
    await communicator.send_to(text_data=json.dumps(payload))


async def receive(communicator):
    return json.loads(await communicator.receive_from(timeout=TIMEOUT))


async def ask(communicator, payload):
    await send(communicator, payload)
    return await receive(communicator)


async def assert_pong(communicator):
    """The connection still serves, and nothing else was waiting before the pong."""
    assert await ask(communicator, {"action": "ping"}) == {"type": "pong"}
