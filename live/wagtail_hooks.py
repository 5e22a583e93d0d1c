"""Registers the admin of the live log (live.admin): its policy and its viewset."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .admin.policies import SuperuserReadOnlyPolicy
from .admin.viewsets import EventViewSet
from .models import Event

register_permission_policy(Event, SuperuserReadOnlyPolicy(Event))


@hooks.register("register_admin_viewset")
def register_event_viewset():
    return EventViewSet("live_events")
