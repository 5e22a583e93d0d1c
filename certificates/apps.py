from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "certificate.requested": _("Certificate requested"),
    "certificate.issued": _("Certificate issued"),
    "certificate.revoked": _("Certificate revoked"),
}


@checks.register(checks.Tags.security, deploy=True)
def check_id_number_keys(app_configs, **kwargs):
    if getattr(settings, "ID_NUMBER_KEYS", None):
        return []
    return [
        checks.Warning(
            "ID_NUMBER_KEYS is not set: identity numbers are encrypted with a key derived from "
            "SECRET_KEY, so rotating SECRET_KEY would make them unreadable.",
            hint="Set ID_NUMBER_KEYS to one or more Fernet keys, newest first, comma-separated.",
            id="certificates.W001",
        )
    ]


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Volunteer service certificates")

    def ready(self):
        from live import topics

        from . import inbox

        for type, label in EVENT_LABELS.items():
            topics.register_event_label(type, label)
        inbox.connect()
