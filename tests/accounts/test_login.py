import pytest

from accounts.models import User
from accounts.sms import ConsoleSmsSender

from .helpers import PASSWORD, last_sms_code, login, signed_in_user_id

pytestmark = pytest.mark.django_db


def test_login_page_offers_email_or_phone_and_a_code(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="login"' in html
    assert 'name="password"' in html
    assert "/accounts/login/code/" in html
    assert "/accounts/password/reset/" in html


def test_login_by_email_and_password(client, resident):
    response = login(client, "resident@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == resident.pk


def test_login_by_email_ignores_case(client, resident):
    login(client, "Resident@Example.COM")
    assert signed_in_user_id(client) == resident.pk


@pytest.mark.parametrize("typed", ["13800138000", "+8613800138000", "138 0013 8000"])
def test_login_by_phone_and_password(client, resident, typed):
    response = login(client, typed)
    assert response.status_code == 302
    assert signed_in_user_id(client) == resident.pk


def test_wrong_password_is_a_form_error(client, resident):
    response = login(client, "13800138000", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert signed_in_user_id(client) is None


def test_failed_logins_are_rate_limited(client, resident, private_cache):
    for _ in range(5):
        login(client, "13800138000", "not-the-password")
    # the limit is per login key: even the right password is refused for a while
    response = login(client, "13800138000")
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert response.context["form"].non_field_errors()


def test_login_by_phone_code(client, resident):
    page = client.get("/accounts/login/code/")
    assert page.status_code == 200
    assert 'name="phone"' in page.content.decode()

    response = client.post("/accounts/login/code/", {"phone": "138 0013 8000"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/confirm/")
    phone, message = ConsoleSmsSender.outbox[-1]
    assert phone == "+8613800138000"

    confirm = client.get("/accounts/login/code/confirm/")
    assert confirm.status_code == 200
    response = client.post("/accounts/login/code/confirm/", {"code": last_sms_code()})
    assert response.status_code == 302
    assert signed_in_user_id(client) == resident.pk


def test_login_code_to_an_unverified_number_texts_no_code(client, make_user):
    # An unverified number owns nothing (tests/accounts/test_unverified_addresses.py).
    user = make_user(phone="+8613800138000", phone_verified=False)
    response = client.post("/accounts/login/code/", {"phone": "13800138000"})
    assert response.status_code == 302
    phone, message = ConsoleSmsSender.outbox[-1]
    assert phone == "+8613800138000"
    assert not any(ch.isdigit() for ch in message)
    user.refresh_from_db()
    assert not user.phone_verified


def test_wrong_login_code_does_not_sign_in(client, resident):
    client.post("/accounts/login/code/", {"phone": "13800138000"})
    code = last_sms_code()
    response = client.post(
        "/accounts/login/code/confirm/", {"code": "000000" if code != "000000" else "111111"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert signed_in_user_id(client) is None


def test_login_code_for_unknown_number_texts_no_code(client, db):
    response = client.post("/accounts/login/code/", {"phone": "13900139000"})
    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    phone, message = ConsoleSmsSender.outbox[-1]
    assert phone == "+8613900139000"
    assert not any(ch.isdigit() for ch in message)


def test_malformed_phone_on_code_request_is_a_form_error(client, db):
    response = client.post("/accounts/login/code/", {"phone": "12345"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert ConsoleSmsSender.outbox == []


def test_login_with_unverified_phone_asks_for_the_sms_code(client, make_user):
    user = make_user(phone="+8613800138000", phone_verified=False)
    response = login(client, "resident@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613800138000")})
    assert signed_in_user_id(client) == user.pk
    user.refresh_from_db()
    assert user.phone_verified


def test_second_password_login_before_the_sms_limit_resets_goes_on_without_the_sms(
    client, make_user, private_cache
):
    """The phone verification SMS is rate limited per number; a password login that would text
    it again before the limit resets signs in without it (accounts/stages.py)."""
    user = make_user(phone="+8613800138000", phone_verified=False)
    login(client, "resident@example.com")
    client.post("/accounts/logout/")
    response = login(client, "resident@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == user.pk
    user.refresh_from_db()
    assert not user.phone_verified


def test_inactive_user_cannot_log_in(client, make_user):
    make_user(phone="+8613800138000", is_active=False)
    response = login(client, "13800138000")
    assert signed_in_user_id(client) is None
    assert response.status_code in (200, 302)
    assert User.objects.get().is_active is False


def test_logout(client, resident):
    login(client, "resident@example.com")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_signup_and_login_work_with_password(client, db):
    client.post(
        "/accounts/signup/",
        {
            "phone": "13900139000",
            "email": "a@example.com",
            "display_name": "阿明",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613900139000")})
    client.post("/accounts/logout/")
    login(client, "a@example.com")
    assert signed_in_user_id(client) == User.objects.get(email="a@example.com").pk
