"""`inbox_count` for every template: how much waits in a staff member's inbox (待处理).

None for everyone who is not community staff, so the header shows no inbox to them; for staff,
the total of communities.inbox.counts, read only when a template shows it (the header). Only
people with the admin flag (communities.services.sync_staff_access gives it to staff) are
asked anything, so residents' pages cost no query for it.
"""

from django.utils.functional import SimpleLazyObject

from . import inbox


def inbox_count(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"inbox_count": None}
    scope = inbox.scope_for(user)
    if not scope.communities:
        return {"inbox_count": None}
    return {"inbox_count": SimpleLazyObject(lambda: sum(inbox.counts(scope).values()))}
