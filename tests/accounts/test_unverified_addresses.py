"""An unverified e-mail address or phone number owns nothing (issue #22, point 1).

A squatter signs up with the victim's number or address and never verifies it (they cannot:
the code or link goes to the victim, and a link opened outside the squatter's account
verifies nothing). When the victim later signs in by code, resets a password or
signs up, they reach only their own account, on the pages and over allauth's headless API
(app and browser clients) alike; and sign-up, login by code and password reset answer the same
for a registered and an unregistered address.
"""

import copy
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from accounts.sms import ConsoleSmsSender

from .helpers import PASSWORD, last_mail_key, last_sms_code, login, mails_to, signed_in_user_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

VICTIM_EMAIL = "victim@example.com"
VICTIM_PHONE = "+8613800138000"
SQUATTER_PASSWORD = "squatter-pass-2026"
# allauth's pages, and its headless API for apps (session token) and browsers (session cookie)
CLIENTS = ["page", "app", "browser"]


def api_post(kind, client, path, data, token=None):
    headers = {"X-Session-Token": token} if token else {}
    return client.post(
        f"/_allauth/{kind}/v1{path}", data, content_type="application/json", headers=headers
    )


def session_token(kind, response):
    """The app client's session token (the browser client keeps a session cookie instead)."""
    return response.json()["meta"]["session_token"] if kind == "app" else None


def api_answer(response):
    """Status and JSON body, less the session token that every answer gets anew."""
    body = copy.deepcopy(response.json())
    body.get("meta", {}).pop("session_token", None)
    return response.status_code, body


def sign_up(kind, client, *, email, phone, password=PASSWORD):
    if kind == "page":
        data = {"email": email, "display_name": "邻居", "phone": phone}
        data.update(password1=password, password2=password)
        return client.post("/accounts/signup/", data)
    data = {"email": email, "display_name": "邻居", "phone": phone, "password": password}
    return api_post(kind, client, "/auth/signup", data)


def sms_to(phone) -> list[str]:
    return [message for to, message in ConsoleSmsSender.outbox if to == phone]


@pytest.fixture(params=["signed-up", "settled"])
def phone_squatter(request, make_user):
    """Holds the victim's number unverified: a sign-up left at the SMS code, or an account in
    use (verified e-mail) that typed the number in."""
    if request.param == "signed-up":
        sign_up("page", Client(), email="squatter@example.com", phone="138 0013 8000")
        squatter = User.objects.get(email="squatter@example.com")
        cache.clear()  # long ago: the per-number SMS limits have passed
    else:
        squatter = make_user(
            email="squatter@example.com", password=SQUATTER_PASSWORD, phone=VICTIM_PHONE
        )
    assert squatter.phone == VICTIM_PHONE and not squatter.phone_verified
    ConsoleSmsSender.outbox.clear()
    return squatter


@pytest.fixture(params=["signed-up", "settled"])
def email_squatter(request, make_user):
    """Holds the victim's address unverified: a sign-up left at the SMS code of the squatter's
    own number, or an account that verified its own number but never the address."""
    if request.param == "signed-up":
        sign_up(
            "page", Client(), email=VICTIM_EMAIL, phone="13600136000", password=SQUATTER_PASSWORD
        )
        squatter = User.objects.get(email=VICTIM_EMAIL)
        cache.clear()  # long ago: the per-address mail limits have passed
    else:
        squatter = make_user(
            email=VICTIM_EMAIL,
            password=SQUATTER_PASSWORD,
            email_verified=False,
            phone="+8613900139000",
            phone_verified=True,
        )
    mail.outbox.clear()
    return squatter


def request_login_code(kind, client, **address):
    if kind == "page":
        return client.post("/accounts/login/code/", address)
    return api_post(kind, client, "/auth/code/request", address)


def confirm_login_code(kind, client, code, token=None):
    if kind == "page":
        return client.post("/accounts/login/code/confirm/", {"code": code})
    return api_post(kind, client, "/auth/code/confirm", {"code": code}, token)


def request_password_reset(kind, client, email):
    if kind == "page":
        return client.post("/accounts/password/reset/", {"email": email})
    return api_post(kind, client, "/auth/password/request", {"email": email})


def same_answer(kind, first, second):
    if kind == "page":
        assert (first.status_code, first.get("Location")) == (
            second.status_code,
            second.get("Location"),
        )
    else:
        assert api_answer(first) == api_answer(second)


def same_mail(first_address, second_address):
    """The first mails to two addresses are the same but for the address itself."""
    first = mail.outbox[[m.to for m in mail.outbox].index([first_address])]
    second = mail.outbox[[m.to for m in mail.outbox].index([second_address])]
    assert first.subject == second.subject
    assert first.body.replace(first_address, "@") == second.body.replace(second_address, "@")


# --- phone numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CLIENTS)
def test_login_by_sms_code_never_opens_the_account_of_whoever_typed_the_number_in(
    kind, phone_squatter
):
    victim = Client()
    response = request_login_code(kind, victim, phone="13800138000")
    # exactly what a number nobody uses gets
    unknown = request_login_code(kind, Client(), phone="13700137000")
    same_answer(kind, response, unknown)
    (message,) = sms_to(VICTIM_PHONE)
    assert not any(ch.isdigit() for ch in message)
    assert message == sms_to("+8613700137000")[0]

    token = session_token(kind, response)
    confirm_login_code(kind, victim, "123456", token)
    assert signed_in_user_id(victim) is None
    if kind != "page":
        headers = {"X-Session-Token": token} if token else {}
        session = victim.get(f"/_allauth/{kind}/v1/auth/session", headers=headers)
        assert session.status_code == 401
        assert session.json()["meta"]["is_authenticated"] is False
    phone_squatter.refresh_from_db()
    assert not phone_squatter.phone_verified


@pytest.mark.parametrize("kind", CLIENTS)
def test_an_unverified_number_is_no_login_name(kind, make_user):
    make_user(email="squatter@example.com", password=SQUATTER_PASSWORD, phone=VICTIM_PHONE)
    client = Client()
    if kind == "page":
        response = login(client, "13800138000", SQUATTER_PASSWORD)
        assert response.status_code == 200 and response.context["form"].errors
        assert signed_in_user_id(client) is None
    else:
        response = api_post(
            kind, client, "/auth/login", {"phone": VICTIM_PHONE, "password": SQUATTER_PASSWORD}
        )
        assert response.status_code == 400
    assert sms_to(VICTIM_PHONE) == []


@pytest.mark.parametrize("kind", CLIENTS)
def test_the_owner_signs_up_with_the_number_and_takes_it(kind, phone_squatter):
    victim = Client()
    response = sign_up(kind, victim, email=VICTIM_EMAIL, phone="13800138000")
    owner = User.objects.get(email=VICTIM_EMAIL)
    assert owner != phone_squatter
    code = last_sms_code(VICTIM_PHONE)
    if kind == "page":
        assert response["Location"] == "/accounts/phone/verify/"
        victim.post("/accounts/phone/verify/", {"code": code})
        assert signed_in_user_id(victim) == owner.pk
    else:
        token = session_token(kind, response)
        response = api_post(kind, victim, "/auth/phone/verify", {"code": code}, token)
        assert response.status_code == 200, response.content
        assert response.json()["data"]["user"]["id"] == owner.pk

    owner.refresh_from_db()
    phone_squatter.refresh_from_db()
    assert (owner.phone, owner.phone_verified) == (VICTIM_PHONE, True)
    assert phone_squatter.phone is None

    # from now on the number opens the owner's account, and only theirs
    again = Client()
    response = request_login_code(kind, again, phone=VICTIM_PHONE)
    token = session_token(kind, response)
    response = confirm_login_code(kind, again, last_sms_code(VICTIM_PHONE), token)
    if kind == "page":
        assert signed_in_user_id(again) == owner.pk
    else:
        assert response.json()["data"]["user"]["id"] == owner.pk


def test_two_accounts_cannot_both_verify_a_number(make_user):
    from django.db import IntegrityError, transaction

    make_user(email="a@example.com", phone=VICTIM_PHONE, phone_verified=True)
    make_user(email="b@example.com", phone=VICTIM_PHONE)  # unverified: owns nothing, allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(email="c@example.com", phone=VICTIM_PHONE, phone_verified=True)


# --- e-mail addresses ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", CLIENTS)
def test_login_by_email_code_never_opens_the_account_of_whoever_typed_the_address_in(
    kind, email_squatter
):
    victim = Client()
    response = request_login_code(kind, victim, email=VICTIM_EMAIL)
    unknown = request_login_code(kind, Client(), email="nobody@example.com")
    same_answer(kind, response, unknown)
    # the victim gets the "no account uses this address" mail, with no code
    assert len(mails_to(VICTIM_EMAIL)) == 1
    same_mail(VICTIM_EMAIL, "nobody@example.com")

    token = session_token(kind, response)
    confirm_login_code(kind, victim, "ABCD-EFGH", token)
    assert signed_in_user_id(victim) is None
    assert not email_squatter.emailaddress_set.filter(verified=True).exists()


@pytest.mark.parametrize("kind", CLIENTS)
def test_password_reset_never_reaches_the_account_of_whoever_typed_the_address_in(
    kind, email_squatter
):
    response = request_password_reset(kind, Client(), VICTIM_EMAIL)
    unknown = request_password_reset(kind, Client(), "nobody@example.com")
    same_answer(kind, response, unknown)
    (body,) = mails_to(VICTIM_EMAIL)
    assert "/password/reset/key/" not in body
    same_mail(VICTIM_EMAIL, "nobody@example.com")


@pytest.mark.parametrize("kind", CLIENTS)
def test_the_owner_signs_up_with_the_address_and_owns_it(kind, email_squatter):
    victim = Client()
    response = sign_up(kind, victim, email=VICTIM_EMAIL, phone="13500135000")
    owner = User.objects.exclude(pk=email_squatter.pk).get(email=VICTIM_EMAIL)
    token = session_token(kind, response)
    response = verify_phone(kind, victim, last_sms_code("+8613500135000"), token)
    token = session_token(kind, response)  # the app's token of the signed-in session
    verify_email(kind, victim, last_mail_key(VICTIM_EMAIL), token)
    assert User.objects.email_owner(VICTIM_EMAIL) == owner

    # a login code opens the owner's account
    again = Client()
    response = request_login_code(kind, again, email=VICTIM_EMAIL)
    token = session_token(kind, response)
    login_code = re.search(r"\b([A-Z]{4}-[A-Z]{4})\b", mails_to(VICTIM_EMAIL)[-1]).group(1)
    response = confirm_login_code(kind, again, login_code, token)
    if kind == "page":
        assert signed_in_user_id(again) == owner.pk
    else:
        assert response.json()["data"]["user"]["id"] == owner.pk

    # a password reset link is for the owner's account
    mail.outbox.clear()
    request_password_reset(kind, Client(), VICTIM_EMAIL)
    (body,) = mails_to(VICTIM_EMAIL)
    assert "/password/reset/key/" in body

    # and the squatter, with their own password, gets into nothing
    squatter = Client()
    if kind == "page":
        login(squatter, VICTIM_EMAIL, SQUATTER_PASSWORD)
        assert signed_in_user_id(squatter) is None
    else:
        response = api_post(
            kind, squatter, "/auth/login", {"email": VICTIM_EMAIL, "password": SQUATTER_PASSWORD}
        )
        assert response.status_code == 400


def test_admin_login_takes_the_owner_of_an_address_held_twice(client, make_user, email_squatter):
    owner = make_user(email=VICTIM_EMAIL)
    response = client.post(
        "/admin/login/", {"username": VICTIM_EMAIL, "password": SQUATTER_PASSWORD}
    )
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    client.post("/admin/login/", {"username": VICTIM_EMAIL, "password": PASSWORD})
    assert signed_in_user_id(client) == owner.pk


# --- nothing tells whether an address is registered ----------------------------------------


@pytest.mark.parametrize("kind", CLIENTS)
@pytest.mark.parametrize("field", ["email", "phone"])
def test_signup_answers_alike_for_a_registered_and_a_new_address(kind, field, resident):
    registered_client, new_client = Client(), Client()
    if field == "email":
        registered = sign_up(
            kind, registered_client, email="resident@example.com", phone="+8613700137001"
        )
        new = sign_up(kind, new_client, email="new@example.com", phone="+8613700137002")
    else:
        registered = sign_up(kind, registered_client, email="one@example.com", phone=resident.phone)
        new = sign_up(kind, new_client, email="two@example.com", phone="+8613700137000")
    same_answer(kind, registered, new)
    if kind == "page":
        next_pages = [
            c.get(r["Location"]) for c, r in ((registered_client, registered), (new_client, new))
        ]
        assert [p.status_code for p in next_pages] == [200, 200]
        assert next_pages[0].templates[0].name == next_pages[1].templates[0].name
    assert not User.objects.filter(email__in=["one@example.com"]).exists()
    assert User.objects.email_owner("resident@example.com") == resident


@pytest.mark.parametrize("kind", CLIENTS)
@pytest.mark.parametrize("field", ["email", "phone"])
def test_login_code_request_answers_alike_for_a_registered_and_an_unknown_address(
    kind, field, resident
):
    if field == "email":
        registered = request_login_code(kind, Client(), email="resident@example.com")
        unknown = request_login_code(kind, Client(), email="nobody@example.com")
    else:
        registered = request_login_code(kind, Client(), phone=resident.phone)
        unknown = request_login_code(kind, Client(), phone="+8613700137000")
    same_answer(kind, registered, unknown)


@pytest.mark.parametrize("kind", CLIENTS)
def test_password_reset_answers_alike_for_a_registered_and_an_unknown_address(kind, resident):
    registered = request_password_reset(kind, Client(), "resident@example.com")
    unknown = request_password_reset(kind, Client(), "nobody@example.com")
    same_answer(kind, registered, unknown)
    assert "/password/reset/key/" in mails_to("resident@example.com")[0]
    assert "/password/reset/key/" not in mails_to("nobody@example.com")[0]


# --- changing one's number or address --------------------------------------------------------

SIGNED_IN = ["page", "app"]


def signed_in(kind, user_email):
    """A client signed in as `user_email` (and the app's session token)."""
    client = Client()
    if kind == "page":
        login(client, user_email)
        return client, None
    response = api_post(kind, client, "/auth/login", {"email": user_email, "password": PASSWORD})
    return client, session_token(kind, response)


def change_phone(kind, client, phone, token=None):
    if kind == "page":
        return client.post("/accounts/phone/change/", {"phone": phone})
    return api_post(kind, client, "/account/phone", {"phone": phone}, token)


def verify_phone(kind, client, code, token=None):
    if kind == "page":
        return client.post("/accounts/phone/verify/", {"code": code})
    return api_post(kind, client, "/auth/phone/verify", {"code": code}, token)


@pytest.mark.parametrize("kind", SIGNED_IN)
def test_changing_to_a_number_another_account_verified_texts_it_no_code(kind, resident, make_user):
    make_user(email="other@example.com")
    client, token = signed_in(kind, "other@example.com")
    ConsoleSmsSender.outbox.clear()
    change_phone(kind, client, resident.phone, token)
    # the owner is at most told that someone tried; no code that could take the number over
    assert not any(re.search(r"\d{6}", message) for message in sms_to(resident.phone))
    resident.refresh_from_db()
    assert resident.phone_verified and resident.phone == VICTIM_PHONE


@pytest.mark.parametrize("kind", SIGNED_IN)
def test_changing_to_a_number_held_unverified_works(kind, phone_squatter, make_user):
    owner = make_user(email="owner@example.com")
    client, token = signed_in(kind, "owner@example.com")
    ConsoleSmsSender.outbox.clear()
    change_phone(kind, client, VICTIM_PHONE, token)
    verify_phone(kind, client, last_sms_code(VICTIM_PHONE), token)
    owner.refresh_from_db()
    phone_squatter.refresh_from_db()
    assert (owner.phone, owner.phone_verified) == (VICTIM_PHONE, True)
    assert phone_squatter.phone is None


def add_email(kind, client, email, token=None):
    if kind == "page":
        return client.post("/accounts/email/", {"action_add": "", "email": email})
    return api_post(kind, client, "/account/email", {"email": email}, token)


def verify_email(kind, client, key, token=None):
    """Opens the confirmation link mailed to an address (key: the link's last part)."""
    if kind == "page":
        return client.post(f"/accounts/confirm-email/{key}/")
    return api_post(kind, client, "/auth/email/verify", {"key": key}, token)


@pytest.mark.parametrize("kind", SIGNED_IN)
def test_adding_an_address_held_unverified_and_verifying_it_works(kind, email_squatter, make_user):
    owner = make_user(email="owner@example.com")
    client, token = signed_in(kind, "owner@example.com")
    mail.outbox.clear()
    add_email(kind, client, VICTIM_EMAIL, token)
    verify_email(kind, client, last_mail_key(VICTIM_EMAIL), token)
    assert User.objects.email_owner(VICTIM_EMAIL) == owner


@pytest.mark.parametrize("kind", SIGNED_IN)
def test_adding_an_address_another_account_verified_answers_as_for_a_new_one(
    kind, resident, make_user
):
    make_user(email="other@example.com")
    client, token = signed_in(kind, "other@example.com")
    taken = add_email(kind, client, "resident@example.com", token)
    new = add_email(kind, client, "new@example.com", token)
    if kind == "page":
        assert (taken.status_code, taken.get("Location")) == (new.status_code, new.get("Location"))
    else:
        assert taken.status_code == new.status_code
    assert not any(re.search(r"^\s*\d{6}\s*$", body, re.M) for body in mails_to(resident.email))
    assert User.objects.email_owner("resident@example.com") == resident


def admin_creates(client, email):
    password = "green-roof-garden-9"
    data = {
        "email": email,
        "display_name": "社工小刘",
        "password1": password,
        "password2": password,
    }
    return client.post("/admin/users/new/", data)


def test_staff_create_an_account_for_an_address_held_unverified(client, admin_user, email_squatter):
    client.force_login(admin_user)
    response = admin_creates(client, VICTIM_EMAIL.upper())
    assert response.status_code == 302, response.context["form"].errors
    assert User.objects.filter(email=VICTIM_EMAIL).exclude(pk=email_squatter.pk).exists()


def test_staff_are_told_an_address_another_account_verified_is_taken(client, admin_user, resident):
    client.force_login(admin_user)
    response = admin_creates(client, "resident@example.com")
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert User.objects.filter(email="resident@example.com").count() == 1
