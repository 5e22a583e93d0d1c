import pytest
from wagtail.models import ModelLogEntry

from accounts import services
from accounts.models import User
from accounts.sms import ConsoleSmsSender
from core.errors import NotAllowed

from .helpers import PASSWORD, last_sms_code, login

pytestmark = pytest.mark.django_db


def test_profile_needs_sign_in(client, db):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_profile_shows_account_and_links(client, resident):
    client.force_login(resident)
    response = client.get("/me/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "王阿姨" in html
    assert "+8613800138000" in html
    for url in (
        "/accounts/email/",
        "/accounts/phone/change/",
        "/accounts/password/change/",
        "/accounts/2fa/",
    ):
        assert f'href="{url}"' in html
    assert 'name="display_name"' in html


def test_profile_lists_memberships_with_constant_queries(
    client, resident, district, django_assert_max_num_queries
):
    from communities.models import Community, Membership

    for i in range(6):
        community = Community.objects.create(name=f"社区{i}", kind="community", parent=district)
        Membership.objects.create(user=resident, community=community)
    client.force_login(resident)
    with django_assert_max_num_queries(8):
        response = client.get("/me/")
    assert response.status_code == 200
    assert "社区5" in response.content.decode()


def test_display_name_can_be_changed(client, resident):
    client.force_login(resident)
    response = client.post("/me/", {"display_name": "  王  阿姨 "})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.display_name == "王 阿姨"
    entry = ModelLogEntry.objects.get(action="linli.user.display_name")
    assert entry.user_id == resident.pk
    assert entry.data["old"] == "王阿姨"
    assert entry.data["new"] == "王 阿姨"


def test_blank_display_name_is_a_form_error(client, resident):
    client.force_login(resident)
    response = client.post("/me/", {"display_name": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["display_name"]
    resident.refresh_from_db()
    assert resident.display_name == "王阿姨"


def test_too_long_display_name_is_a_form_error(client, resident):
    client.force_login(resident)
    response = client.post("/me/", {"display_name": "x" * 61})
    assert response.status_code == 200
    assert response.context["form"].errors["display_name"]


def test_nobody_else_may_change_a_display_name(make_user, resident):
    other = make_user(email="other@example.com")
    with pytest.raises(NotAllowed):
        services.update_display_name(actor=other, user=resident, display_name="坏人")
    resident.refresh_from_db()
    assert resident.display_name == "王阿姨"
    assert not ModelLogEntry.objects.filter(action="linli.user.display_name").exists()


def test_superuser_may_change_a_display_name(make_user, resident):
    admin = make_user(email="admin@example.com", is_superuser=True, is_staff=True)
    services.update_display_name(actor=admin, user=resident, display_name="王秀英")
    resident.refresh_from_db()
    assert resident.display_name == "王秀英"


def test_phone_change_is_verified_by_sms_before_it_counts(client, resident):
    login(client, "resident@example.com")
    page = client.get("/accounts/phone/change/")
    assert page.status_code == 200
    response = client.post("/accounts/phone/change/", {"phone": "139 0013 9000"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    assert ConsoleSmsSender.outbox[-1][0] == "+8613900139000"
    resident.refresh_from_db()
    assert resident.phone == "+8613800138000"  # the old number holds until verified

    page = client.get("/accounts/phone/verify/")
    assert page.status_code == 200
    response = client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613900139000")})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "+8613900139000"
    assert resident.phone_verified


def test_phone_change_to_a_taken_number_is_a_form_error(client, resident, make_user):
    make_user(email="neighbour@example.com", phone="+8613900139000", phone_verified=True)
    login(client, "resident@example.com")
    response = client.post("/accounts/phone/change/", {"phone": "13900139000"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert ConsoleSmsSender.outbox == []
    resident.refresh_from_db()
    assert resident.phone == "+8613800138000"


def test_phone_change_to_a_malformed_number_is_a_form_error(client, resident):
    login(client, "resident@example.com")
    response = client.post("/accounts/phone/change/", {"phone": "12345"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert ConsoleSmsSender.outbox == []


def test_adding_a_first_phone_number(client, make_user):
    user = make_user(email="nophone@example.com")
    login(client, "nophone@example.com")
    client.post("/accounts/phone/change/", {"phone": "13700137000"})
    client.post("/accounts/phone/verify/", {"code": last_sms_code("+8613700137000")})
    user.refresh_from_db()
    assert user.phone == "+8613700137000"
    assert user.phone_verified
    # and the new number now signs in
    client.post("/accounts/logout/")
    login(client, "13700137000", PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_number_taken_while_waiting_for_the_code_is_refused(client, resident, make_user):
    login(client, "resident@example.com")
    client.post("/accounts/phone/change/", {"phone": "13900139000"})
    code = last_sms_code("+8613900139000")
    User.objects.create_user(
        email="quick@example.com", password=PASSWORD, phone="+8613900139000", phone_verified=True
    )
    response = client.post("/accounts/phone/verify/", {"code": code})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    resident.refresh_from_db()
    assert resident.phone == "+8613800138000"


def test_service_refuses_blank_or_long_names_and_skips_no_op_changes(resident):
    from django.core.exceptions import ValidationError

    for bad in ("  ", "名" * 61):
        with pytest.raises(ValidationError) as info:
            services.update_display_name(actor=resident, user=resident, display_name=bad)
        assert "display_name" in info.value.message_dict
    services.update_display_name(actor=resident, user=resident, display_name=" 王阿姨 ")
    assert not ModelLogEntry.objects.filter(action="linli.user.display_name").exists()


def test_anonymous_may_not_change_a_display_name(resident):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        services.update_display_name(actor=AnonymousUser(), user=resident, display_name="某人")
