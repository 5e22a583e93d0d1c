"""The audit log actions of memberships and how the admin shows them."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter

from core.admin_views import reason_formatter

from ..models import Membership

LOG_ACTIONS = [
    ("linli.membership.request", _("Request membership"), _("Membership requested")),
    ("linli.membership.verify", _("Verify membership"), _("Membership verified")),
    ("linli.membership.grant", _("Add member"), _("Member added")),
]


class RoleFormatter(LogFormatter):
    label = _("Change role")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        labels = dict(Membership.Role.choices)
        return gettext("Role changed from %(old)s to %(new)s") % {
            "old": labels.get(data.get("old_role"), data.get("old_role", "?")),
            "new": labels.get(data.get("role"), data.get("role", "?")),
        }


#: The formatter of each action whose entries are not one fixed message.
FORMATTERS = {
    "linli.membership.reject": reason_formatter(_("Reject membership"), _("Membership rejected")),
    "linli.membership.set_role": RoleFormatter,
}
