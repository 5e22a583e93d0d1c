"""The audit log actions of real-name profiles and certificates."""

from django.utils.translation import gettext_lazy as _

LOG_ACTIONS = [
    ("linli.profile.save", _("Save real-name details"), _("Real-name details saved")),
    ("linli.profile.reveal", _("Read a full document number"), _("Full document number read")),
    ("linli.certificate.request", _("Ask for a certificate"), _("Certificate asked for")),
    ("linli.certificate.issue", _("Issue certificate"), _("Certificate issued")),
    ("linli.certificate.revoke", _("Revoke certificate"), _("Certificate revoked")),
    ("linli.certificate.export", _("Export hours"), _("Hours exported for the national system")),
]
