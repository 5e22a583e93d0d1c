"""The large-text switch: saved on the account when signed in, a cookie otherwise."""

import pytest
from django.test import Client

from accounts.context_processors import LARGE_TEXT_COOKIE
from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/me/large-text/"


def test_signed_in_choice_is_saved_on_the_account(client, resident):
    client.force_login(resident)
    response = client.post(URL, {"large_text": "1", "next": "/teams/"})
    assert response.status_code == 302
    assert response["Location"] == "/teams/"
    resident.refresh_from_db()
    assert resident.large_text is True

    # Remembered on another phone (a fresh client, no cookie): the account decides.
    other = Client()
    other.force_login(resident)
    html = other.get("/me/").content.decode()
    assert '<html lang="zh-hans" class="large-text">' in html
    assert "Normal text" in html or "正常字号" in html or 'name="large_text" value="0"' in html

    response = client.post(URL, {"large_text": "0", "next": "/me/"})
    assert response["Location"] == "/me/"
    resident.refresh_from_db()
    assert resident.large_text is False
    assert 'class="large-text"' not in other.get("/me/").content.decode()


def test_without_a_value_the_switch_toggles(client, resident):
    client.force_login(resident)
    client.post(URL, {"next": "/"})
    resident.refresh_from_db()
    assert resident.large_text is True
    client.post(URL, {"next": "/"})
    resident.refresh_from_db()
    assert resident.large_text is False


def test_anonymous_choice_is_a_long_lived_cookie(client):
    response = client.post(URL, {"large_text": "1", "next": "/communities/"})
    assert response.status_code == 302
    assert response["Location"] == "/communities/"
    morsel = response.cookies[LARGE_TEXT_COOKIE]
    assert morsel.value == "1"
    assert int(morsel["max-age"]) >= 365 * 24 * 60 * 60
    assert morsel["samesite"] == "Lax"
    assert User.objects.count() == 0

    html = client.get("/communities/").content.decode()
    assert 'class="large-text"' in html
    assert 'name="large_text" value="0"' in html

    response = client.post(URL, {"large_text": "0", "next": "/communities/"})
    assert response.cookies[LARGE_TEXT_COOKIE].value == "0"
    assert 'class="large-text"' not in client.get("/communities/").content.decode()


def test_normal_pages_have_no_large_text_class_and_offer_the_switch(client):
    html = client.get("/communities/").content.decode()
    assert 'class="large-text"' not in html
    assert 'action="/me/large-text/"' in html
    assert 'name="large_text" value="1"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="next" value="/communities/"' in html


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "http://evil.example",
        "javascript:alert(1)",
        "\\\\evil.example",
        "/\\evil.example",
        "/teams/\r\nSet-Cookie: x=1",
        "/teams/\x00",
        "",
    ],
)
def test_a_foreign_next_is_ignored(client, target):
    response = client.post(URL, {"large_text": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_get_is_not_allowed(client, resident):
    assert client.get(URL).status_code == 405
    client.force_login(resident)
    assert client.get(URL).status_code == 405
    resident.refresh_from_db()
    assert resident.large_text is False


def test_the_switch_needs_a_csrf_token(resident):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(URL, {"large_text": "1", "next": "/"})
    assert response.status_code == 403
    strict.force_login(resident)
    assert strict.post(URL, {"large_text": "1", "next": "/"}).status_code == 403
    resident.refresh_from_db()
    assert resident.large_text is False


def test_profile_page_shows_the_setting(client, resident):
    client.force_login(resident)
    html = client.get("/me/").content.decode()
    assert 'id="text-size-heading"' in html
    assert html.count('action="/me/large-text/"') == 2  # header switch and profile form
    client.post(URL, {"large_text": "1", "next": "/me/"})
    html = client.get("/me/").content.decode()
    assert 'class="large-text"' in html
    assert html.count('name="large_text" value="0"') == 2
