"""Ids from outside (a URL, a form, a JSON body) are checked against the database's range
before they reach a query: PostgreSQL refuses a bigint out of range, which would answer 500."""

from django.http import Http404
from django.shortcuts import get_object_or_404

MAX_ID = 2**63 - 1


def in_range(value) -> bool:
    """Is `value` (an int, or digits as text) an id the database can hold?"""
    text = str(value).strip()
    return text.isdigit() and 1 <= int(text) <= MAX_ID


def clamp(value: int) -> int:
    """`value` moved into the database's range, for lookups where an unknown id is no error
    of its own (the lookup then finds nothing)."""
    return min(max(value, 0), MAX_ID)


def require_in_range(value) -> None:
    """Http404 for an id the database cannot hold."""
    if not isinstance(value, int) or not in_range(value):
        raise Http404


def get_or_404(queryset, pk):
    """The object of `queryset` with this id, or Http404 (for an id out of range too)."""
    require_in_range(pk)
    return get_object_or_404(queryset, pk=pk)
