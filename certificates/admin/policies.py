"""The permission policy of certificates (certificates/wagtail_hooks.py registers it).

Staff see the certificates of the communities they staff (and those below) and decide on them
(issue, revoke, turn a request down) through certificates.services; nobody decides on their own
certificate (certificates.permissions.may_issue). Certificates are never deleted or added
here: volunteers ask for them on the site. Volunteer profiles have no policy and no admin.
"""

from communities.admin.scope import CommunityScopedPolicy

from .. import permissions as perms
from ..models import Certificate


class CertificatePolicy(CommunityScopedPolicy):
    """Deciding is the edit ("change") view: refused on one's own certificate, which the
    community lookup alone does not say."""

    def __init__(self, model=Certificate):
        super().__init__(model, community_lookup="community", actions=("view", "change"))

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change" and perms.is_holder(user, instance):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


POLICIES = [CertificatePolicy()]
