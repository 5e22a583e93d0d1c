from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Shared code at the bottom of the app arrows: it imports no Linli app."""

    name = "core"
    verbose_name = _("Core")
