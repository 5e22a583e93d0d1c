"""Who is signed in, and who may change an account. Pages, API and admin ask here."""


def is_signed_in(user) -> bool:
    """An authenticated, active account: what every "signed in" rule of the apps means."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_edit_profile(actor, user) -> bool:
    """People edit their own profile; active superusers may edit anyone's."""
    if not is_signed_in(actor):
        return False
    return actor.pk == user.pk or actor.is_superuser
