"""`unread_count` for every template: the signed-in person's unread notifications.

Lazy: the query runs only on pages whose template shows the count (the header), not on every
template rendered with a request context (e-mails, fragments)."""

from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0}
    return {"unread_count": SimpleLazyObject(lambda: unread_count(user=user))}
