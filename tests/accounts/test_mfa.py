import pytest

from .helpers import PASSWORD, login

pytestmark = pytest.mark.django_db


def reach_totp_page(client):
    """allauth asks for the password again before two-factor settings change."""
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'class="site-header"' in page.content.decode()
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    return client.get(response["Location"])


def test_mfa_pages_need_a_signed_in_user(client, db):
    response = client.get("/accounts/2fa/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_totp_page_is_reachable_for_a_signed_in_user(client, resident):
    login(client, "resident@example.com")
    index = client.get("/accounts/2fa/")
    assert index.status_code == 200
    assert "/accounts/2fa/totp/activate/" in index.content.decode()

    page = reach_totp_page(client)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="site-header"' in html
    assert "data:image/svg+xml;base64," in html  # the QR code
    assert 'name="code"' in html


def test_totp_can_be_activated_with_a_code_from_the_app(client, resident, monkeypatch):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal import auth

    # One fixed 30-second window, so the test never straddles two.
    monkeypatch.setattr(auth, "yield_hotp_counters_from_time", lambda: iter([58_000_000]))
    login(client, "resident@example.com")
    page = reach_totp_page(client)
    secret = page.context["form"].secret
    code = auth.format_hotp_value(auth.hotp_value(secret, 58_000_000))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302, response.context["form"].errors
    assert Authenticator.objects.filter(user=resident, type=Authenticator.Type.TOTP).exists()

    # the next password login asks for the app's code
    client.post("/accounts/logout/")
    response = login(client, "resident@example.com")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get(response["Location"]).status_code == 200
