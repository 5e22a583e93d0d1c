"""Who may see less now, told to access_changed (live.services) once it commits.

`live` owns the announcements of the apps below it (communities.services publishes nothing),
so it listens to them: a community membership that ends or loses its staff role (rejected,
role lowered, deleted), and an account deactivated or deleted. Model signals, so that the
Wagtail admin's user edit view is covered as well as the services.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from communities.models import Membership

from .services import access_changed


def membership_saved(sender, instance, created, **kwargs):
    # A new membership takes nothing away; a verified staff one is the most it can give.
    if not created and not (
        instance.status == Membership.Status.VERIFIED and instance.role == Membership.Role.STAFF
    ):
        access_changed([instance.user_id])


def membership_deleted(sender, instance, **kwargs):
    access_changed([instance.user_id])


def user_saved(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        access_changed([instance.pk])


def user_deleted(sender, instance, **kwargs):
    access_changed([instance.pk])


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(membership_saved, sender=Membership, dispatch_uid=__name__ + ".m")
    post_delete.connect(membership_deleted, sender=Membership, dispatch_uid=__name__ + ".m_del")
    post_save.connect(user_saved, sender=user_model, dispatch_uid=__name__ + ".u")
    post_delete.connect(user_deleted, sender=user_model, dispatch_uid=__name__ + ".u_del")
