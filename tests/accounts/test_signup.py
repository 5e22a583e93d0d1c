import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.adapter import PHONE_TAKEN_MESSAGE
from accounts.models import User
from accounts.sms import ConsoleSmsSender

from .helpers import PASSWORD, last_sms_code, signed_in_user_id

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "email": "new@example.com",
        "display_name": "李师傅",
        "phone": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def test_signup_form_asks_for_email_name_phone_and_password_twice(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("email", "display_name", "phone", "password1", "password2"):
        assert f'name="{name}"' in html
    # display name comes right after the e-mail address
    assert (
        html.index('name="email"') < html.index('name="display_name"') < html.index('name="phone"')
    )
    assert 'type="tel"' in html


def test_signup_by_email_sends_verification_mail_and_signs_in(client):
    response = client.post("/accounts/signup/", signup_data(email="New@Example.com"))
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.display_name == "李师傅"
    assert user.phone is None
    assert signed_in_user_id(client) == user.pk
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert not EmailAddress.objects.get(user=user).verified
    assert ConsoleSmsSender.outbox == []


def test_email_confirmation_link_verifies_the_address(client):
    client.post("/accounts/signup/", signup_data())
    link = re.search(r"https?://[^/]+(/accounts/confirm-email/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert 'class="site-header"' in page.content.decode()
    response = client.post(link.group(1))
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified


def test_signup_with_mainland_phone_stores_e164_and_verifies_by_sms(client):
    response = client.post("/accounts/signup/", signup_data(phone="139 0013 9000"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    user = User.objects.get(email="new@example.com")
    assert user.phone == "+8613900139000"
    assert not user.phone_verified
    assert ConsoleSmsSender.outbox[-1][0] == "+8613900139000"

    page = client.get("/accounts/phone/verify/")
    assert page.status_code == 200
    assert "+8613900139000" in page.content.decode()

    response = client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613900139000")})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified
    assert signed_in_user_id(client) == user.pk


def test_signup_accepts_phone_with_country_code(client):
    client.post("/accounts/signup/", signup_data(phone="+86 139-0013-9000"))
    assert User.objects.get(email="new@example.com").phone == "+8613900139000"


def test_wrong_sms_code_is_a_form_error(client):
    client.post("/accounts/signup/", signup_data(phone="13900139000"))
    code = last_sms_code()
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/accounts/phone/verify/", {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not User.objects.get(email="new@example.com").phone_verified


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+86 123", "1380013800012345"])
def test_malformed_phone_is_a_form_error(client, phone):
    response = client.post("/accounts/signup/", signup_data(phone=phone))
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()
    assert ConsoleSmsSender.outbox == []


@pytest.mark.parametrize("typed", ["13800138000", "+8613800138000", "138-0013-8000"])
def test_duplicate_phone_is_refused_with_a_form_error(client, resident, typed):
    response = client.post("/accounts/signup/", signup_data(phone=typed))
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [str(PHONE_TAKEN_MESSAGE)]
    assert not User.objects.filter(email="new@example.com").exists()
    # nothing is texted to the holder of the number
    assert ConsoleSmsSender.outbox == []


def test_duplicate_phone_message_is_clear_in_english(client, resident):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post("/accounts/signup/", signup_data(phone="13800138000"))
    assert "A user is already registered with this phone number." in response.content.decode()


def test_duplicate_email_is_refused(client, resident):
    response = client.post("/accounts/signup/", signup_data(email="RESIDENT@example.com"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.count() == 1


def test_display_name_is_required(client):
    response = client.post("/accounts/signup/", signup_data(display_name="   "))
    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors
    assert not User.objects.exists()


def test_passwords_must_match(client):
    response = client.post("/accounts/signup/", signup_data(password2="something-else-26"))
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()


def test_headless_signup_refuses_a_duplicate_phone(client, resident):
    response = client.post(
        "/_allauth/app/v1/auth/signup",
        {
            "email": "app@example.com",
            "display_name": "小张",
            "phone": "+8613800138000",
            "password": PASSWORD,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert any(e.get("param") == "phone" for e in response.json()["errors"])
    assert not User.objects.filter(email="app@example.com").exists()
