"""The user listing and the account page of Wagtail's admin, for our user model."""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.account import AccountView, NameEmailSettingsPanel
from wagtail.users.views import users as wagtail_users

from .forms import AdminAccountNameForm


class LinliUserIndexView(wagtail_users.IndexView):
    search_fields = ["email", "display_name", "phone"]

    @cached_property
    def columns(self):
        columns = list(super().columns)
        columns.insert(
            3,
            Column(
                "phone",
                label=_("Phone number"),
                sort_key="phone",
                classname="phone",
                width="15%",
            ),
        )
        return columns


class NameSettingsPanel(NameEmailSettingsPanel):
    """Wagtail's "name and e-mail" panel with the display-name form: our user model has no
    first and last name, which Wagtail's own form requires."""

    form_class = AdminAccountNameForm


class AdminAccountView(AccountView):
    """Wagtail's account page (/admin/account/, routed here by config/urls.py ahead of
    Wagtail's admin URLs) with NameSettingsPanel in place of Wagtail's name panel, which no
    setting or hook replaces (wagtail/wagtail#7410)."""

    def get_panels(self):
        return [
            NameSettingsPanel(self.request, panel.user, panel.profile)
            if type(panel) is NameEmailSettingsPanel
            else panel
            for panel in super().get_panels()
        ]
