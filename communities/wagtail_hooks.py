"""Registers the admin of the community tree and memberships (communities.admin) and its audit
log actions. The membership policy is registered in CommunitiesConfig.ready()."""

from wagtail import hooks

from .admin.inbox import inbox_menu_item
from .admin.log_actions import FORMATTERS, LOG_ACTIONS
from .admin.viewsets import CommunitiesViewSetGroup, community_chooser_viewset


@hooks.register("register_log_actions")
def register_membership_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)
    for action, formatter in FORMATTERS.items():
        actions.register_action(action)(formatter)


@hooks.register("register_admin_viewset")
def register_community_chooser():
    return community_chooser_viewset


@hooks.register("register_admin_viewset")
def register_communities_group():
    return CommunitiesViewSetGroup()


@hooks.register("register_admin_menu_item")
def register_inbox_menu_item():
    return inbox_menu_item()
