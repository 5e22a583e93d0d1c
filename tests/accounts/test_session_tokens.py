"""accounts.session_tokens.user_for_session_token: the user of an allauth app session token,
through allauth's public token strategy and Django's get_user only."""

import json

import pytest
from allauth.core.exceptions import RateLimited
from django.contrib.auth.models import AnonymousUser

from accounts.middleware import RateLimitedMiddleware
from accounts.session_tokens import user_for_session_token

from .helpers import PASSWORD

APP = "/_allauth/app/v1"


def app_token(client, email="resident@example.com") -> str:
    response = client.post(
        f"{APP}/auth/login",
        {"email": email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


@pytest.fixture(
    params=[
        "core.api.SessionTokenStrategy",
        "allauth.headless.tokens.strategies.sessions.SessionTokenStrategy",
    ]
)
def strategy(request, settings):
    """The project's token strategy and allauth's own: the contract holds for both."""
    settings.HEADLESS_TOKEN_STRATEGY = request.param
    return request.param


def test_the_token_of_a_signed_in_app_is_its_user(client, resident, strategy):
    assert user_for_session_token(app_token(client)) == resident


@pytest.mark.parametrize("token", ["nonsense", "", "x" * 40, "bad\x00token"])
def test_unknown_tokens_have_no_user(db, strategy, token):
    assert user_for_session_token(token) is None


def test_a_signed_out_token_has_no_user(client, resident, strategy):
    token = app_token(client)
    client.cookies.clear()
    response = client.delete(f"{APP}/auth/session", headers={"X-Session-Token": token})
    assert response.status_code == 401
    assert user_for_session_token(token) is None


def test_an_inactive_account_has_no_user(client, resident, strategy):
    token = app_token(client)
    resident.is_active = False
    resident.save(update_fields=["is_active"])
    assert user_for_session_token(token) is None


def test_a_password_changed_since_ends_the_token(client, resident, strategy):
    token = app_token(client)
    resident.set_password("another-pass-2026")
    resident.save()
    assert user_for_session_token(token) is None


def test_a_session_that_is_not_signed_in_has_no_user(client, db, strategy):
    """An app that started a login but never finished it holds a token without a user."""
    response = client.post(
        f"{APP}/auth/code/request",
        {"email": "nobody@example.com"},
        content_type="application/json",
    )
    token = response.json().get("meta", {}).get("session_token")
    if token is None:
        pytest.skip("allauth handed out no session token for a pending login")
    assert user_for_session_token(token) is None


# --- accounts.middleware.RateLimitedMiddleware -------------------------------------------------


def raise_rate_limited(request):
    raise RateLimited()


def reply_to(rf, path):
    request = rf.post(path)
    request.user = AnonymousUser()
    middleware = RateLimitedMiddleware(raise_rate_limited)
    try:
        middleware(request)
    except RateLimited as exc:
        return middleware.process_exception(request, exc)
    raise AssertionError("the view did not raise")


def test_allauth_rate_limits_are_json_for_the_headless_api(rf, db):
    response = reply_to(rf, f"{APP}/auth/login")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": 429}


def test_allauth_rate_limits_are_the_429_page_elsewhere(rf, db):
    response = reply_to(rf, "/accounts/login/")
    assert response.status_code == 429
    assert "text/html" in response["Content-Type"]
    assert 'class="site-header"' in response.content.decode()


def test_other_errors_are_left_alone(rf):
    request = rf.get("/")
    assert RateLimitedMiddleware(lambda r: None).process_exception(request, ValueError()) is None
