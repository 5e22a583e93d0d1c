"""Registers the admin of the residents' council ("Council" menu, deliberation.admin): its
permission policies, its viewsets and its audit log actions."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .admin.log_actions import FORMATTERS, LOG_ACTIONS
from .admin.policies import POLICIES
from .admin.viewsets import CouncilViewSetGroup

for policy in POLICIES:
    register_permission_policy(policy.model, policy, exact_class=True)


@hooks.register("register_log_actions")
def register_council_log_actions(actions):
    for action, (label, message) in LOG_ACTIONS.items():
        actions.register_action(action, label, message)
    for action, formatter in FORMATTERS.items():
        actions.register_action(action)(formatter)


@hooks.register("register_admin_viewset")
def register_council_group():
    return CouncilViewSetGroup()
