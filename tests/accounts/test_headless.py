import pytest

from .helpers import PASSWORD

pytestmark = pytest.mark.django_db

APP = "/_allauth/app/v1"


def app_login(client, **credentials):
    return client.post(f"{APP}/auth/login", credentials, content_type="application/json")


def test_app_login_by_email_returns_a_session_token_that_authenticates(client, resident):
    response = app_login(client, email="resident@example.com", password=PASSWORD)
    assert response.status_code == 200, response.content
    body = response.json()
    token = body["meta"]["session_token"]
    assert token
    assert body["data"]["user"]["email"] == "resident@example.com"

    client.cookies.clear()
    session = client.get(f"{APP}/auth/session", headers={"X-Session-Token": token})
    assert session.status_code == 200
    assert session.json()["data"]["user"]["id"] == resident.pk
    assert session.json()["meta"]["is_authenticated"] is True


def test_app_session_without_token_is_not_authenticated(client, db):
    assert client.get(f"{APP}/auth/session").status_code == 401


def test_app_session_with_a_bad_token_is_refused(client, db):
    response = client.get(f"{APP}/auth/session", headers={"X-Session-Token": "nonsense"})
    assert response.status_code in (401, 410)


def test_app_login_by_phone(client, resident):
    response = app_login(client, phone="+8613800138000", password=PASSWORD)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["user"]["id"] == resident.pk


def test_app_login_with_wrong_password_is_a_400(client, resident):
    response = app_login(client, email="resident@example.com", password="wrong-password-1")
    assert response.status_code == 400
    assert "session_token" not in response.json().get("meta", {})


def test_app_login_with_malformed_json_is_a_400(client, db):
    response = client.post(f"{APP}/auth/login", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_browser_client_is_on_too(client, resident):
    assert client.get("/_allauth/browser/v1/config").status_code == 200
    assert client.get("/_allauth/browser/v1/auth/session").status_code == 401
