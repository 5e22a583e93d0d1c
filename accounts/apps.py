from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    # accounts/apps.py holds two AppConfig classes: this one is the app's own.
    default = True


class LinliUsersAppConfig(WagtailUsersAppConfig):
    """wagtail.users (label stays "wagtailusers") with our user admin: e-mail, display name, phone.

    Listed in INSTALLED_APPS instead of "wagtail.users".
    """

    default = False
    user_viewset = "accounts.admin.viewsets.LinliUserViewSet"
