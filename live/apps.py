from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = _("Live updates")

    def ready(self):
        from . import inbox, permissions, receivers, topics

        topics.register("user", permissions.can_follow_user)
        topics.register("community", permissions.can_follow_community)
        receivers.connect()
        inbox.connect()
