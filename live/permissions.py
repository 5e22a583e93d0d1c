"""Who may follow the topics `live` owns. Other apps register their own kinds."""

from communities.models import Community


def can_follow_user(user, user_id: int) -> bool:
    """`user:<id>` carries one person's notifications: only that person follows it."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and user.pk == user_id
    )


def can_follow_community(user, community_id: int) -> bool:
    """`community:<id>` is public: anyone (even signed out) follows an existing community.

    Publishers must keep personal or sensitive details (names of people asking for help,
    addresses, sensitive tasks) out of community events; put them on `user:` topics or on
    topics whose `can_follow` checks the viewer.
    """
    return Community.objects.filter(pk=community_id).exists()
