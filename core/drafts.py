"""Filing a phone's draft exactly once.

A draft written offline carries a `client_key` (a UUID the phone makes, site/static/js/pwa.js).
The phone may send it more than once (a retry after a lost answer, two open tabs, the form and the
API both): the database settles it with a unique constraint on (person, client_key), and services
return the record the key already made instead of making a second one.

    existing = already_filed(Proposal, author=author, client_key=key)
    if existing: return existing                      # the usual retry: one query
    with FiledOnce(Proposal, author=author, client_key=key) as once, transaction.atomic():
        proposal = Proposal.objects.create(..., client_key=key)
    if once.existing: return once.existing            # lost the race to a parallel send
"""

import uuid

from django.db import IntegrityError


def already_filed(model, *, client_key, **owner):
    """The record `owner` (e.g. author=user) already filed with `client_key`, else None."""
    if client_key is None:
        return None
    return model.objects.filter(client_key=client_key, **owner).first()


class FiledOnce:
    """Context manager: an IntegrityError raised inside it because the key was used meanwhile is
    swallowed and the winner is put in `.existing`. Put it *outside* `transaction.atomic()`, so
    that the savepoint is rolled back before the winner is looked up. Any other IntegrityError
    (or one without a key) propagates."""

    def __init__(self, model, *, client_key, **owner):
        self.model = model
        self.client_key = client_key
        self.owner = owner
        self.existing = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or not issubclass(exc_type, IntegrityError):
            return False
        self.existing = already_filed(self.model, client_key=self.client_key, **self.owner)
        return self.existing is not None


def parse_client_key(value):
    """The hidden `client_key` of a page form as a UUID; empty or malformed gives None (the form
    then files as it always did: a key only ever prevents a duplicate, it never blocks)."""
    if not value:
        return None
    try:
        return uuid.UUID(str(value).strip())
    except (TypeError, ValueError, AttributeError):
        return None
