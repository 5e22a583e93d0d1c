import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from accounts.sms import ConsoleSmsSender

from .helpers import PASSWORD, last_mail_key, last_sms_code, signed_in_user_id

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "email": "new@example.com",
        "display_name": "李师傅",
        "phone": "13700137000",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def test_signup_form_asks_for_phone_name_email_and_password_twice(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("email", "display_name", "phone", "password1", "password2"):
        assert f'name="{name}"' in html
    # phone first, the display name right after it, the optional fields last
    assert (
        html.index('name="phone"') < html.index('name="display_name"') < html.index('name="email"')
    )
    assert 'type="tel"' in html


def test_signup_with_an_email_address_mails_a_link_that_confirms_it_while_signed_in(client):
    response = client.post("/accounts/signup/", signup_data(email="New@Example.com"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    user = User.objects.get(email="new@example.com")
    assert user.display_name == "李师傅"
    assert signed_in_user_id(client) is None
    client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613700137000")})
    assert signed_in_user_id(client) == user.pk
    assert not EmailAddress.objects.get(user=user).verified

    client.post(f"/accounts/confirm-email/{last_mail_key('new@example.com')}/")
    assert EmailAddress.objects.get(user=user).verified


def test_email_link_opened_while_signed_out_confirms_nothing(client):
    client.post("/accounts/signup/", signup_data())
    client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613700137000")})
    key = last_mail_key("new@example.com")
    client.post("/accounts/logout/")
    response = client.post(f"/accounts/confirm-email/{key}/")
    assert response.status_code in (200, 302)
    assert not EmailAddress.objects.get(email="new@example.com").verified


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
def test_signup_with_a_verified_number_creates_nothing_and_tells_only_its_owner(
    client, resident, typed
):
    response = client.post("/accounts/signup/", signup_data(phone=typed))
    # the same answer as for a new number (tests/accounts/test_unverified_addresses.py)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    assert not User.objects.filter(email="new@example.com").exists()
    # the number's owner is told, with no code
    phone, message = ConsoleSmsSender.outbox[-1]
    assert phone == "+8613800138000"
    assert not any(ch.isdigit() for ch in message)
    resident.refresh_from_db()
    assert resident.phone == "+8613800138000" and resident.phone_verified


def test_signup_with_a_verified_address_keeps_it_unverified_and_mails_its_owner(client, resident):
    response = client.post("/accounts/signup/", signup_data(email="RESIDENT@example.com"))
    # the same answer as for a new address (tests/accounts/test_unverified_addresses.py)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613700137000")})
    newcomer = User.objects.get(phone="+8613700137000")
    assert signed_in_user_id(client) == newcomer.pk
    # the address stays the resident's: the newcomer holds it unverified, with no link to it
    assert User.objects.email_owner("resident@example.com") == resident
    assert not EmailAddress.objects.get(user=newcomer).verified
    assert mail.outbox[-1].to == ["resident@example.com"]
    assert "/accounts/password/reset/" in mail.outbox[-1].body
    assert "/accounts/confirm-email/" not in mail.outbox[-1].body


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


def test_headless_signup_with_a_verified_number_creates_nothing(client, resident):
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
    assert response.status_code == 401
    assert response.json()["meta"]["is_authenticated"] is False
    assert not User.objects.filter(email="app@example.com").exists()
