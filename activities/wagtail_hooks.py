"""Registers the admin of activities ("Activities" menu, activities.admin): its permission
policies, its viewsets and its audit log actions."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .admin.log_actions import LOG_ACTIONS
from .admin.policies import POLICIES
from .admin.viewsets import ActivitiesViewSetGroup

for policy in POLICIES:
    register_permission_policy(policy.model, policy, exact_class=True)


@hooks.register("register_log_actions")
def register_activities_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


@hooks.register("register_admin_viewset")
def register_activities_group():
    return ActivitiesViewSetGroup()
