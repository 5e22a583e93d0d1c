"""State changes of accounts that are not allauth flows (allauth owns e-mail, phone, password, MFA).

Each function runs in one transaction, asks accounts.permissions and writes a Wagtail audit log
entry. `accounts` is the bottom layer, so it publishes no live events (`live` owns the `user`
topic).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from core.errors import NotAllowed

from . import permissions
from .models import User

DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length


def update_display_name(*, actor, user: User, display_name: str) -> User:
    if not permissions.can_edit_profile(actor, user):
        raise NotAllowed()
    name = " ".join((display_name or "").split())
    if not name:
        raise ValidationError({"display_name": _("Enter the name your neighbours will see.")})
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationError(
            {
                "display_name": _("Use at most %(max)d characters.") % {"max": DISPLAY_NAME_MAX},
            }
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        old = locked.display_name
        if old == name:
            return locked
        locked.display_name = name
        locked.save(update_fields=["display_name"])
        log(
            instance=locked,
            action="linli.user.display_name",
            user=actor,
            data={"user": locked.pk, "old": old, "new": name},
        )
    user.display_name = name
    return locked


def set_large_text(*, actor, user: User, large_text: bool) -> User:
    """Remember a person's large-text choice (bigger text and controls on every page)."""
    if not permissions.can_edit_profile(actor, user):
        raise NotAllowed()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(large_text=bool(large_text))
    user.large_text = bool(large_text)
    return user
