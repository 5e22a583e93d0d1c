"""Who may change an account. Pages, API and admin ask here."""


def can_edit_profile(actor, user) -> bool:
    """People edit their own profile; active superusers may edit anyone's."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return actor.pk == user.pk or actor.is_superuser
