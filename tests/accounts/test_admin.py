import pytest

from accounts.models import User

from .helpers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user):
    return make_user(
        email="admin@example.com", is_superuser=True, is_staff=True, display_name="管理员"
    )


def test_superuser_signs_in_to_wagtail_admin(client, admin_user):
    page = client.get("/admin/login/")
    assert page.status_code == 200
    response = client.post("/admin/login/", {"username": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_wrong_admin_password_is_refused(client, admin_user):
    response = client.post("/admin/login/", {"username": "admin@example.com", "password": "nope"})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_user_list_shows_phone_and_finds_by_phone(client, admin_user, resident):
    client.force_login(admin_user)
    response = client.get("/admin/users/")
    assert response.status_code == 200
    assert "+8613800138000" in response.content.decode()
    found = client.get("/admin/users/", {"q": "138001"})
    assert found.status_code == 200
    assert "resident@example.com" in found.content.decode()
    assert "admin@example.com" not in found.content.decode().split("<tbody", 1)[-1]


def test_user_list_query_count_is_constant(
    client, admin_user, make_user, django_assert_max_num_queries
):
    for i in range(12):
        make_user(email=f"u{i}@example.com", phone=f"+86139001390{i:02d}")
    client.force_login(admin_user)
    client.get("/admin/users/")  # warm up per-process caches
    with django_assert_max_num_queries(30):
        response = client.get("/admin/users/")
    assert response.status_code == 200


def test_user_edit_form_shows_display_name_and_phone(client, admin_user, resident):
    client.force_login(admin_user)
    response = client.get(f"/admin/users/edit/{resident.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="display_name"' in html
    assert 'name="phone"' in html
    assert 'value="+8613800138000"' in html
    assert 'name="first_name"' not in html
    assert 'name="username"' not in html


def edit_data(user, **overrides):
    """The edit form as the browser posts it (an unticked checkbox is simply absent)."""
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "phone": user.phone or "",
        "is_active": "on",
        "password1": "",
        "password2": "",
    }
    if user.phone_verified:
        data["phone_verified"] = "on"
    data.update(overrides)
    return data


def test_admin_edits_display_name_and_phone(client, admin_user, resident):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/users/edit/{resident.pk}/",
        edit_data(resident, display_name="王秀英", phone="139 0013 9000"),
    )
    assert response.status_code == 302, response.context["form"].errors
    resident.refresh_from_db()
    assert resident.display_name == "王秀英"
    assert resident.phone == "+8613900139000"
    # a number typed in by staff is not verified unless they tick the box
    assert not resident.phone_verified


def test_admin_can_clear_a_phone(client, admin_user, resident):
    client.force_login(admin_user)
    response = client.post(f"/admin/users/edit/{resident.pk}/", edit_data(resident, phone=""))
    assert response.status_code == 302, response.context["form"].errors
    resident.refresh_from_db()
    assert resident.phone is None


def test_admin_refuses_a_duplicate_or_malformed_phone(client, admin_user, resident):
    other = User.objects.create_user(email="other@example.com", password=PASSWORD)
    client.force_login(admin_user)
    for phone in ("13800138000", "12345"):
        response = client.post(f"/admin/users/edit/{other.pk}/", edit_data(other, phone=phone))
        assert response.status_code == 200
        assert response.context["form"].errors["phone"]
    other.refresh_from_db()
    assert other.phone is None


def test_admin_creates_an_email_only_user(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/users/new/")
    assert page.status_code == 200
    assert 'name="phone"' in page.content.decode()
    response = client.post(
        "/admin/users/new/",
        {
            "email": "Staff@Example.com",
            "display_name": "社工小刘",
            "phone": "13600136000",
            "password1": "green-roof-garden-9",
            "password2": "green-roof-garden-9",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(email="staff@example.com")
    assert user.display_name == "社工小刘"
    assert user.phone == "+8613600136000"
    assert user.check_password("green-roof-garden-9")
    assert not user.is_superuser


def test_wagtail_account_page_saves_with_our_user_model(client, admin_user):
    """Wagtail's /admin/account/ form asks for the display name, not first and last name."""
    client.force_login(admin_user)
    page = client.get("/admin/account/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="name_email-display_name"' in html
    assert 'name="name_email-first_name"' not in html

    data = {}
    for panels in page.context["panels_by_tab"].values():
        for panel in panels:
            form = panel.get_form()
            for name in form.fields:
                value = form[name].value()
                if value is None or value is False:
                    continue
                data[form.add_prefix(name)] = (
                    [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
                )
    data["name_email-display_name"] = "社区管理员"
    response = client.post("/admin/account/", data)
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.display_name == "社区管理员"


def test_wagtail_account_page_is_for_admin_users_only(client, django_user_model):
    assert client.get("/admin/account/").url.startswith("/admin/login/")
    resident = django_user_model.objects.create_user(email="r@example.com", password="x")
    client.force_login(resident)
    assert client.get("/admin/account/").status_code in (302, 403)
