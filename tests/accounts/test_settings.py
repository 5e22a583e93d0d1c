import importlib
import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings

import config.settings.base as base

WEIXIN = "allauth.socialaccount.providers.weixin"


def reload_base(monkeypatch, **env):
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET"):
        if name in env:
            monkeypatch.setenv(name, env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    return importlib.reload(base)


@pytest.fixture
def restore_base():
    yield
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET"):
        os.environ.pop(name, None)
    importlib.reload(base)


@pytest.mark.parametrize(
    "env",
    [{}, {"WECHAT_APP_ID": "wx123"}, {"WECHAT_APP_SECRET": "s3cret"}],
    ids=["none", "id-only", "secret-only"],
)
def test_wechat_is_off_without_both_credentials(monkeypatch, restore_base, env):
    reloaded = reload_base(monkeypatch, **env)
    assert WEIXIN not in reloaded.INSTALLED_APPS
    assert "weixin" not in reloaded.SOCIALACCOUNT_PROVIDERS


def test_wechat_is_on_with_both_credentials(monkeypatch, restore_base):
    reloaded = reload_base(monkeypatch, WECHAT_APP_ID="wx123", WECHAT_APP_SECRET="s3cret")
    assert WEIXIN in reloaded.INSTALLED_APPS
    app = reloaded.SOCIALACCOUNT_PROVIDERS["weixin"]["APPS"][0]
    assert app == {"client_id": "wx123", "secret": "s3cret"}


def test_wechat_is_off_in_this_test_run():
    assert WEIXIN not in settings.INSTALLED_APPS


PROBE = textwrap.dedent(
    """
    import json

    import django

    django.setup()
    from allauth.socialaccount import providers
    from allauth.socialaccount.models import SocialApp
    from django.apps import apps
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    # The probe has no database: WeChat's app comes from settings, not from SocialApp rows.
    SocialApp.objects.on_site = lambda request: SocialApp.objects.none()
    call_command("check", verbosity=0)
    html = Client().get("/accounts/login/").content.decode()
    print(json.dumps({
        "installed": apps.is_installed("allauth.socialaccount.providers.weixin"),
        "registered": "weixin" in [p.id for p in providers.registry.get_class_list()],
        "login_url": reverse("weixin_login"),
        "on_login_page": reverse("weixin_login") in html,
    }))
    """
)


def test_wechat_provider_works_when_switched_on():
    """A fresh process with the credentials set: provider installed, routed, offered on login."""
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
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "installed": True,
        "registered": True,
        "login_url": "/accounts/weixin/login/",
        "on_login_page": True,
    }


def test_login_by_code_and_rate_limits_are_on():
    assert settings.ACCOUNT_LOGIN_BY_CODE_ENABLED is True
    assert set(settings.ACCOUNT_LOGIN_METHODS) == {"email", "phone"}
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"]
    assert settings.HEADLESS_CLIENTS == ("browser", "app")
    assert "accounts.apps.LinliUsersAppConfig" in settings.INSTALLED_APPS
    assert "wagtail.users" not in settings.INSTALLED_APPS


def test_wagtail_users_app_keeps_its_label():
    from django.apps import apps

    config = apps.get_app_config("wagtailusers")
    assert type(config).__name__ == "LinliUsersAppConfig"
    assert config.user_viewset == "accounts.admin.viewsets.LinliUserViewSet"
    assert type(apps.get_app_config("accounts")).__name__ == "AccountsConfig"


def test_adapter_implements_allauth_phone_support():
    from allauth.account.adapter import DefaultAccountAdapter, get_adapter

    adapter = type(get_adapter())
    for method in (
        "send_verification_code_sms",
        "set_phone",
        "get_phone",
        "set_phone_verified",
        "get_user_by_phone",
    ):
        assert getattr(adapter, method) is not getattr(DefaultAccountAdapter, method), method


def test_phone_first_and_registration_is_not_told():
    assert settings.ACCOUNT_SIGNUP_FIELDS[0] == "phone*"
    assert "email*" not in settings.ACCOUNT_SIGNUP_FIELDS
    assert settings.ACCOUNT_PHONE_VERIFICATION_ENABLED is True
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "optional"
    assert settings.ACCOUNT_PREVENT_ENUMERATION == "strict"


PRODUCTION_SWITCHES = ("SMS_SENDER", "ALLOW_CONSOLE_SMS", "EMAIL_HOST", "ALLOW_CONSOLE_EMAIL")


def import_production(monkeypatch, **env):
    """config.settings.production as a process with this environment would load it (with an
    SMTP server unless `env` says otherwise)."""
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "linli.example")
    env.setdefault("EMAIL_HOST", "smtp.linli.example")
    for name in PRODUCTION_SWITCHES:
        if name in env:
            monkeypatch.setenv(name, env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    importlib.reload(base)
    sys.modules.pop("config.settings.production", None)
    try:
        return importlib.import_module("config.settings.production")
    finally:
        sys.modules.pop("config.settings.production", None)


@pytest.fixture
def restore_sms_base():
    yield
    for name in PRODUCTION_SWITCHES:
        os.environ.pop(name, None)
    importlib.reload(base)


@pytest.mark.parametrize(
    "env",
    [{}, {"SMS_SENDER": "accounts.sms.ConsoleSmsSender"}, {"ALLOW_CONSOLE_SMS": "yes"}],
    ids=["default", "named", "not-1"],
)
def test_production_refuses_the_console_sms_sender(monkeypatch, restore_sms_base, env):
    """It writes login codes to the log (issue #22, point 10)."""
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="ALLOW_CONSOLE_SMS"):
        import_production(monkeypatch, **env)


def test_production_takes_the_console_sms_sender_when_told(monkeypatch, restore_sms_base):
    production = import_production(monkeypatch, ALLOW_CONSOLE_SMS="1")
    assert production.SMS_SENDER == "accounts.sms.ConsoleSmsSender"


def test_production_takes_another_sms_sender(monkeypatch, restore_sms_base):
    production = import_production(monkeypatch, SMS_SENDER="sms_gateway.AliyunSmsSender")
    assert production.SMS_SENDER == "sms_gateway.AliyunSmsSender"


@pytest.mark.parametrize(
    "env",
    [{"EMAIL_HOST": ""}, {"EMAIL_HOST": "", "ALLOW_CONSOLE_EMAIL": "yes"}],
    ids=["no-smtp", "not-1"],
)
def test_production_refuses_the_console_email_backend(monkeypatch, restore_sms_base, env):
    """It writes login codes, verification codes and password-reset links to the log."""
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="ALLOW_CONSOLE_EMAIL"):
        import_production(monkeypatch, SMS_SENDER="sms_gateway.AliyunSmsSender", **env)


def test_production_takes_the_console_email_backend_when_told(monkeypatch, restore_sms_base):
    production = import_production(
        monkeypatch,
        SMS_SENDER="sms_gateway.AliyunSmsSender",
        EMAIL_HOST="",
        ALLOW_CONSOLE_EMAIL="1",
    )
    assert production.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


def test_production_sends_email_by_smtp_when_there_is_a_server(monkeypatch, restore_sms_base):
    production = import_production(monkeypatch, SMS_SENDER="sms_gateway.AliyunSmsSender")
    assert production.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert production.EMAIL_HOST == "smtp.linli.example"


def test_the_env_example_and_readme_document_the_switches():
    from pathlib import Path

    base_dir = Path(settings.BASE_DIR)
    example = (base_dir / "site/deploy/linli.env.example").read_text()
    readme = (base_dir / "README.md").read_text()
    for switch in ("ALLOW_CONSOLE_SMS", "ALLOW_CONSOLE_EMAIL"):
        assert f"{switch}=" in example
        assert f"| `{switch}` |" in readme
