"""Registers the admin of certificates ("Certificates" menu, certificates.admin): its permission
policy, its viewset and the audit log actions of profiles and certificates."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .admin.log_actions import LOG_ACTIONS
from .admin.policies import POLICIES
from .admin.viewsets import CertificatesViewSetGroup

for policy in POLICIES:
    register_permission_policy(policy.model, policy, exact_class=True)


@hooks.register("register_log_actions")
def register_certificates_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


@hooks.register("register_admin_viewset")
def register_certificates_group():
    return CertificatesViewSetGroup()
