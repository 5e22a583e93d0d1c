"""The audit log actions of activities (each one fixed message)."""

from django.utils.translation import gettext_lazy as _

LOG_ACTIONS = [
    ("linli.activity.create", _("Create activity"), _("Activity created")),
    ("linli.activity.publish", _("Publish activity"), _("Activity published")),
    ("linli.activity.edit", _("Change activity"), _("Activity changed")),
    ("linli.activity.cancel", _("Cancel activity"), _("Activity cancelled")),
    ("linli.activity.close", _("Close activity"), _("Activity closed, hours approved")),
    ("linli.activity.signup", _("Sign up for activity"), _("Signed up for the activity")),
    (
        "linli.activity.signup_cancel",
        _("Cancel sign-up"),
        _("Sign-up for the activity cancelled"),
    ),
    (
        "linli.activity.promote",
        _("Promote from waiting list"),
        _("Given a place from the waiting list"),
    ),
    ("linli.activity.check_in", _("Check in"), _("Checked in at the activity")),
    ("linli.activity.check_out", _("Check out"), _("Checked out of the activity")),
]
