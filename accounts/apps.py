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
    user_viewset = "accounts.user_admin.LinliUserViewSet"

    def ready(self):
        super().ready()
        # Wagtail's own account page (/admin/account/) has a hard-wired "name and e-mail"
        # panel that requires first and last name, which our user model does not have, so
        # that page could never be saved. No setting or hook replaces it
        # (wagtail/wagtail#7410); give the panel our display-name form instead.
        from wagtail.admin.views.account import NameEmailSettingsPanel

        from .user_admin import AdminAccountNameForm

        NameEmailSettingsPanel.form_class = AdminAccountNameForm
