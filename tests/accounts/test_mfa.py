import base64
import hashlib
import hmac
import struct
import time

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


def app_code(secret: str, period: int = 30) -> str:
    """The code an authenticator app shows now (RFC 6238: HMAC-SHA1, 6 digits), taken early
    enough in its 30-second window that the server still accepts it."""
    if time.time() % period > period - 5:
        time.sleep(period - time.time() % period)
    counter = int(time.time() // period)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_totp_can_be_activated_with_a_code_from_the_app(client, resident):
    from allauth.mfa.models import Authenticator

    login(client, "resident@example.com")
    page = reach_totp_page(client)
    code = app_code(page.context["form"].secret)
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302, response.context["form"].errors
    assert Authenticator.objects.filter(user=resident, type=Authenticator.Type.TOTP).exists()

    # the next password login asks for the app's code
    client.post("/accounts/logout/")
    response = login(client, "resident@example.com")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get(response["Location"]).status_code == 200
