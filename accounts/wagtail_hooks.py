"""Audit log actions of accounts.

The user admin itself is LinliUserViewSet (accounts/admin/viewsets.py), wired in through
LinliUsersAppConfig (accounts/apps.py).
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("register_log_actions")
def register_account_log_actions(actions):
    actions.register_action(
        "linli.user.display_name", _("Change display name"), _("Display name changed")
    )
