import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from communities import permissions
from communities.management.commands.load_demo import demo_loaders
from communities.models import Community, Membership

pytestmark = pytest.mark.django_db


def model_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_load_demo_twice_gives_identical_counts():
    call_command("load_demo", "--force")
    first = model_counts()
    call_command("load_demo", "--force")
    assert model_counts() == first
    assert first["accounts.User"] >= 11
    assert first["communities.Community"] > 15
    assert first["communities.Membership"] >= 11
    assert first["account.EmailAddress"] == first["accounts.User"]


def test_load_demo_refuses_without_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("load_demo")
    assert not Community.objects.exists()
    assert not get_user_model().objects.exists()


def test_load_demo_runs_with_debug(settings):
    settings.DEBUG = True
    call_command("load_demo")
    assert Community.objects.filter(name="玉岭社区").exists()


def test_loaders_follow_installed_apps_order():
    labels = [label for label, _ in demo_loaders()]
    assert "communities" in labels
    order = [apps.get_app_config(label).name for label in labels]
    installed = [name for name in settings.INSTALLED_APPS if name in order]
    assert order == installed


def test_demo_accounts_and_roles():
    call_command("load_demo", "--force")
    User = get_user_model()
    yuling = Community.objects.get(name="玉岭社区")
    street = Community.objects.get(name="新江口街道")
    assert yuling.parent == street and street.parent.name == "松滋市"
    shifangan = Community.objects.get(name="十方庵社区")
    assert shifangan.parent.name == "解放路街道" and shifangan.parent.parent.name == "沙市区"

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.check_password("demo-pass-2026")

    staff = User.objects.get(email="staff@example.com")
    assert staff.display_name
    assert set(
        Membership.objects.filter(user=staff, role="staff", status="verified").values_list(
            "community__name", flat=True
        )
    ) == {"玉岭社区", "新江口街道"}
    assert permissions.is_staff_of(staff, yuling)
    assert not permissions.is_staff_of(staff, shifangan)
    assert staff.has_perm("wagtailadmin.access_admin")

    resident1 = User.objects.get(email="resident1@example.com")
    assert permissions.is_representative(resident1, yuling)
    for email in [f"resident{n}@example.com" for n in range(1, 7)] + [
        "leader1@example.com",
        "leader2@example.com",
        "volunteer1@example.com",
    ]:
        user = User.objects.get(email=email)
        assert permissions.is_verified_member(user, yuling), email
        assert user.check_password("demo-pass-2026")
        assert user.display_name
        assert EmailAddress.objects.filter(
            user=user, email=email, primary=True, verified=True
        ).exists()


def test_demo_accounts_can_sign_in(client):
    call_command("load_demo", "--force")
    response = client.post(
        "/accounts/login/", {"login": "resident1@example.com", "password": "demo-pass-2026"}
    )
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200
