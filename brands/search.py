"""Site search across brand projects, news and council proposals, Chinese included.

Pages go through Wagtail's search backend (the database backend: FTS5 on SQLite, tsvector on
PostgreSQL) with the CJK n-gram field of `brands.text`: the query is turned into the same
unigrams/bigrams, every term required, so 垃圾 finds 垃圾分类 on both databases, ranked by the
backend. Proposals belong to the council app and are not in that index: they are matched with
`icontains` on title, description and place (every term must occur), which behaves the same on
both databases and is cheap for a community's few thousand proposals.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from wagtail.search.query import PlainText

from deliberation.models import Proposal

from . import models as m
from .text import WORD, query_terms

MAX_QUERY_LENGTH = 100
LIMIT = 20


@dataclass
class SearchResults:
    query: str
    brands: list = field(default_factory=list)
    news: list = field(default_factory=list)
    proposals: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.brands) + len(self.news) + len(self.proposals)


def _pages(model, terms: list[str], limit: int) -> list:
    query = PlainText(" ".join(terms), operator="and")
    return list(model.objects.live().public().search(query)[:limit])


def _proposals(query: str, limit: int) -> list:
    words = WORD.findall(query)
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word) | Q(body__icontains=word) | Q(location__icontains=word)
        )
    return list(
        Proposal.objects.published()
        .filter(condition)
        .select_related("council__community")
        .order_by("-published_at", "-id")[:limit]
    )


def search(query: str, *, limit: int = LIMIT) -> SearchResults:
    query = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    results = SearchResults(query=query)
    terms = query_terms(query)
    if not terms:
        return results
    results.brands = _pages(m.BrandPage, terms, limit)
    results.news = _pages(m.NewsPage, terms, limit)
    results.proposals = _proposals(query, limit)
    return results
