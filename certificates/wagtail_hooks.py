"""Registers the certificates' audit log actions (the admin viewsets: certificates.admin)."""

from wagtail import hooks

from .admin.log_actions import LOG_ACTIONS


@hooks.register("register_log_actions")
def register_certificates_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)
