"""allauth's pages wear the site's look (base.html) and speak Chinese by default."""

import pytest

from .helpers import login

pytestmark = pytest.mark.django_db

ENTRANCE_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/login/code/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
]

MANAGE_PAGES = [
    "/accounts/email/",
    "/accounts/phone/change/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/sessions/",
    "/accounts/3rdparty/",
]


def assert_site_look(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'class="site-header"' in html
    assert "/static/css/linli.css" in html
    assert "allauth-page" in html
    return html


@pytest.mark.parametrize("url", ENTRANCE_PAGES)
def test_entrance_pages_use_the_site_look(client, url):
    html = assert_site_look(client.get(url))
    assert "allauth-entrance" in html


def test_sms_code_page_after_signup_uses_the_site_look(client, db):
    response = client.post("/accounts/signup/", {"phone": "13900139000", "display_name": "李师傅"})
    assert response["Location"] == "/accounts/phone/verify/"
    html = assert_site_look(client.get(response["Location"]))
    assert 'name="code"' in html


def test_login_page_is_in_chinese(client):
    html = assert_site_look(client.get("/accounts/login/"))
    assert "登录" in html
    assert 'class="button"' in html


@pytest.mark.parametrize("url", MANAGE_PAGES)
def test_account_pages_use_the_site_look(client, resident, url):
    login(client, "resident@example.com")
    html = assert_site_look(client.get(url))
    assert "allauth-manage" in html
    assert 'href="/me/"' in html


def test_form_errors_are_tied_to_their_fields(client, db):
    response = client.post("/accounts/signup/", {"email": "not-an-email"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="errorlist' in html
    assert 'aria-invalid="true"' in html
    assert '<label for="id_email"' in html


def test_english_after_switching_language(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Sign in" in html
