from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Communities")

    def ready(self):
        # Registered here, before any admin code can ask for (and cache) a fallback policy.
        from wagtail.permissions import register_permission_policy

        from . import inbox
        from .admin.policies import membership_permission_policy
        from .models import Membership

        register_permission_policy(Membership, membership_permission_policy, exact_class=True)
        inbox.register(inbox.MEMBERSHIP_REQUEST)
