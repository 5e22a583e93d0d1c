"""App session tokens (allauth headless, X-Session-Token) are looked up in one query, with
the same outcomes as allauth's own lookup: valid, unknown, expired, malformed."""

import datetime
import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from core.api import SessionTokenStrategy

PASSWORD = "pw-123456-token"


@pytest.fixture
def token(db):
    user = User.objects.create_user(email="app@example.com", password=PASSWORD)
    # only a verified address signs in
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": "app@example.com", "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def test_the_setting_names_it(settings):
    from allauth.headless import app_settings

    assert isinstance(app_settings.TOKEN_STRATEGY, SessionTokenStrategy)


def test_valid_token_one_query_and_loaded(token):
    with CaptureQueriesContext(connection) as queries:
        session = SessionTokenStrategy().lookup_session(token)
        user_id = session.get("_auth_user_id")
    assert len(queries) == 1
    assert str(User.objects.get(email="app@example.com").pk) == user_id
    assert session.session_key == token


def test_unknown_and_malformed_tokens(token):
    assert SessionTokenStrategy().lookup_session("x" * 32) is None
    assert SessionTokenStrategy().lookup_session("short") is None


def test_expired_token_has_no_user(token):
    Session.objects.filter(session_key=token).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    session = SessionTokenStrategy().lookup_session(token)
    assert session is not None  # as allauth's: the row exists
    assert session.get("_auth_user_id") is None
    assert session.session_key is None


def test_api_with_token(token):
    client = Client()
    assert client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200
    assert client.get("/api/v1/me", HTTP_X_SESSION_TOKEN="y" * 32).status_code == 401
    Session.objects.filter(session_key=token).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401
    # An endpoint open to anyone serves an expired token's holder as anonymous, as before.
    assert client.get("/api/v1/tasks", HTTP_X_SESSION_TOKEN=token).status_code == 200
