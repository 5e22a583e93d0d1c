"""Phone first (issue #25): sign up and sign in with a phone number and an SMS code alone."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.sms import ConsoleSmsSender

from .helpers import PASSWORD, last_mail_key, last_sms_code, login, signed_in_user_id

pytestmark = pytest.mark.django_db

APP = "/_allauth/app/v1"
PHONE = "+8613900139000"


def sign_up(client, HTTP_ACCEPT_LANGUAGE="zh-hans", **extra):
    data = {"phone": "139 0013 9000", "display_name": "李阿姨", **extra}
    return client.post("/accounts/signup/", data, HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE)


def sign_up_and_verify(client, **extra):
    sign_up(client, **extra)
    return client.post("/accounts/phone/verify/", {"code": last_sms_code(PHONE)})


def sms_to(phone):
    return [message for to, message in ConsoleSmsSender.outbox if to == phone]


def test_signup_page_asks_for_phone_and_name_first_and_folds_the_rest_away(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        html = client.get("/accounts/signup/").content.decode()
    assert '<html lang="en"' in html
    assert html.index('name="phone"') < html.index('name="display_name"') < html.index("<details")
    assert html.index("<details") < html.index('name="email"') < html.index('name="password1"')
    assert 'type="tel"' in html
    assert '<details class="signup-optional">' in html  # folded while empty
    assert "no password needed" in html


def test_signup_with_phone_alone_signs_in_once_the_sms_code_is_typed(client):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    user = User.objects.get(phone=PHONE)
    assert not user.phone_verified
    assert not user.has_usable_password()
    assert user.display_name == "李阿姨"
    assert not user.email
    assert signed_in_user_id(client) is None
    assert mail.outbox == []

    response = client.post("/accounts/phone/verify/", {"code": last_sms_code(PHONE)})
    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk
    user.refresh_from_db()
    assert user.phone_verified


def test_wrong_sms_code_at_signup_signs_nobody_in(client):
    sign_up(client)
    code = last_sms_code(PHONE)
    response = client.post(
        "/accounts/phone/verify/", {"code": "000000" if code != "000000" else "111111"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert signed_in_user_id(client) is None


def test_name_and_phone_are_required_and_kept_when_wrong(client):
    response = client.post("/accounts/signup/", {"phone": "", "display_name": "李阿姨"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert 'value="李阿姨"' in response.content.decode()
    response = client.post("/accounts/signup/", {"phone": "13900139000", "display_name": " "})
    assert "display_name" in response.context["form"].errors
    assert 'value="13900139000"' in response.content.decode()
    assert not User.objects.exists()
    assert ConsoleSmsSender.outbox == []


def test_signup_may_add_an_email_address_and_a_password(client):
    sign_up_and_verify(client, email="li@example.com", password1=PASSWORD, password2=PASSWORD)
    user = User.objects.get(phone=PHONE)
    assert signed_in_user_id(client) == user.pk
    assert user.check_password(PASSWORD)
    # the address is confirmed through the link mailed to it, and owns nothing until then
    address = EmailAddress.objects.get(user=user)
    assert address.email == "li@example.com" and not address.verified
    assert "/accounts/confirm-email/" in mail.outbox[-1].body
    client.post("/accounts/logout/")
    login(client, "li@example.com")
    assert signed_in_user_id(client) == user.pk


def test_the_link_mailed_for_someone_elses_signup_verifies_nothing_for_them(client):
    # whoever typed the address in verifies their own number; the address's owner gets the link
    sign_up_and_verify(client, email="victim@example.com")
    squatter = User.objects.get(phone=PHONE)
    key = last_mail_key("victim@example.com")
    victim = Client()
    assert victim.get(f"/accounts/confirm-email/{key}/").status_code == 200
    victim.post(f"/accounts/confirm-email/{key}/")
    assert not EmailAddress.objects.get(user=squatter).verified
    assert User.objects.email_owner("victim@example.com") is None


def test_an_email_or_password_given_wrongly_opens_the_folded_part(client):
    response = sign_up(client, email="not-an-address")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<details class="signup-optional" open>' in html
    assert 'value="not-an-address"' in html


def test_signing_in_again_by_sms_straight_after_signing_up_is_not_rate_limited(
    client, private_cache
):
    sign_up_and_verify(client)
    user = User.objects.get(phone=PHONE)
    for _ in range(2):
        client.post("/accounts/logout/")
        response = client.post("/accounts/login/code/", {"phone": "13900139000"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/code/confirm/")
        response = client.post("/accounts/login/code/confirm/", {"code": last_sms_code(PHONE)})
        assert response.status_code == 302
        assert signed_in_user_id(client) == user.pk


def test_an_unverified_number_gets_no_login_code(client):
    sign_up(client)  # and never typed the code in
    client.cookies.clear()
    response = client.post("/accounts/login/code/", {"phone": "13900139000"})
    assert response.status_code == 302
    last = sms_to(PHONE)[-1]
    assert not any(ch.isdigit() for ch in last)
    client.get("/accounts/login/code/confirm/")
    assert signed_in_user_id(client) is None


def test_too_many_code_requests_are_a_form_error_that_keeps_the_number(client, private_cache):
    sign_up_and_verify(client)
    client.post("/accounts/logout/")
    for _ in range(3):
        client.cookies.clear()
        client.post("/accounts/login/code/", {"phone": "13900139000"})
    sent = len(sms_to(PHONE))
    client.cookies.clear()
    response = client.post("/accounts/login/code/", {"phone": "13900139000"})
    assert len(sms_to(PHONE)) == sent
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'value="13900139000"' in response.content.decode()


def test_email_and_password_accounts_without_a_number_still_sign_in(client, make_user):
    # the demo's accounts, made before a number was asked for
    user = make_user(email="demo@example.com", password="demo-pass-2026")
    assert user.phone is None
    response = login(client, "demo@example.com", "demo-pass-2026")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == user.pk


def test_login_page_leads_with_phone_and_sms_code(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en"' in html
    code_form = html.index('action="/accounts/login/code/"')
    assert code_form < html.index('name="phone"') < html.index('name="password"')
    assert "Sign in with your phone number" in html
    assert "No password needed" in html
    assert "/accounts/signup/" in html


def test_login_page_code_form_posts_to_the_code_request(client, resident):
    page = client.get("/accounts/login/").content.decode()
    assert 'id="id_code_phone"' in page
    response = client.post("/accounts/login/code/", {"phone": "13800138000"})
    assert response.status_code == 302
    client.post("/accounts/login/code/confirm/", {"code": last_sms_code("+8613800138000")})
    assert signed_in_user_id(client) == resident.pk


def test_code_request_page_asks_for_the_phone_number_first(client):
    html = client.get("/accounts/login/code/").content.decode()
    assert html.index('name="phone"') < html.index('name="email"')


def test_signing_up_again_in_the_same_browser_goes_back_to_the_code(client, private_cache):
    sign_up(client)
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    assert len(sms_to(PHONE)) == 1
    client.post("/accounts/phone/verify/", {"code": last_sms_code(PHONE)})
    assert signed_in_user_id(client) == User.objects.get(phone=PHONE, phone_verified=True).pk


def test_a_second_signup_with_the_same_number_at_once_is_a_wait_page(client, private_cache):
    sign_up(client)
    client.cookies.clear()
    response = sign_up(client, display_name="李阿姨二", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert "Please wait a minute and try again" in html
    assert "data-go-back" in html
    assert 'href="/accounts/signup/"' in html


def test_site_rate_limit_page_says_when_to_try_again(client, settings, private_cache):
    settings.WRITE_RATE_LIMITS = {"anonymous": (1, 60)}
    client.post("/")
    response = client.post("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    html = response.content.decode()
    assert f"Please try again in {wait} second" in html
    assert "data-go-back" in html
    assert "/static/js/go-back.js" in html


def test_wechat_button_is_absent_when_wechat_is_not_configured(client):
    for path in ("/accounts/login/", "/accounts/signup/"):
        html = client.get(path).content.decode()
        assert "weixin" not in html
        assert "sign-in-wechat" not in html


PROBE = textwrap.dedent(
    """
    import json

    import django

    django.setup()
    from allauth.socialaccount.models import SocialApp
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    # The probe has no database: WeChat's app comes from settings, not from SocialApp rows.
    SocialApp.objects.on_site = lambda request: SocialApp.objects.none()
    found = {}
    for path in ("/accounts/login/", "/accounts/signup/"):
        with translation.override("en"):
            html = Client(headers={"accept-language": "en"}).get(path).content.decode()
        found[path] = [reverse("weixin_login") in html, "Sign in with WeChat" in html]
    print(json.dumps(found))
    """
)


def test_wechat_button_shows_on_login_and_signup_when_configured():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "sqlite:///:memory:",
        "WECHAT_APP_ID": "wx123",
        "WECHAT_APP_SECRET": "s3cret",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"/accounts/login/": [True, True], "/accounts/signup/": [True, True]}


def app_post(client, path, data, token=None):
    headers = {"X-Session-Token": token} if token else {}
    return client.post(f"{APP}{path}", data, content_type="application/json", headers=headers)


def test_app_signs_up_with_a_phone_number_and_signs_in_again_by_sms_code(client, private_cache):
    response = app_post(client, "/auth/signup", {"phone": "13900139000", "display_name": "小李"})
    assert response.status_code == 401, response.content
    body = response.json()
    token = body["meta"]["session_token"]
    pending = [flow["id"] for flow in body["data"]["flows"] if flow.get("is_pending")]
    assert pending == ["verify_phone"]

    response = app_post(client, "/auth/phone/verify", {"code": last_sms_code(PHONE)}, token)
    assert response.status_code == 200, response.content
    user = User.objects.get(phone=PHONE)
    assert user.phone_verified and user.display_name == "小李"
    assert response.json()["data"]["user"]["id"] == user.pk

    client.cookies.clear()
    response = app_post(client, "/auth/code/request", {"phone": "13900139000"})
    assert response.status_code == 401, response.content
    token = response.json()["meta"]["session_token"]
    response = app_post(client, "/auth/code/confirm", {"code": last_sms_code(PHONE)}, token)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["user"]["id"] == user.pk
    assert response.json()["meta"]["session_token"]
