"""Read-only queries of the brand and news pages, each a fixed number of queries.

Lists prefetch their images' renditions, tags and brands, so a page costs the same number of
queries whatever the number of news items, teams or tasks.
"""

from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, Sum, prefetch_related_objects
from taggit.models import Tag

from communities.models import Membership
from deliberation.models import Proposal
from teams.models import ServiceRecord, Task, Team, TeamMembership

from . import models as m

FIGURES_CACHE_KEY = "brands:site-figures"
FIGURES_CACHE_SECONDS = 60
OPEN_PROPOSAL_STATUSES = ("discussion", "voting")
TASKS_PER_TEAM = 5


def site_figures() -> dict:
    """Live figures of the whole site, cached for a minute (six aggregate queries)."""
    figures = cache.get(FIGURES_CACHE_KEY)
    if figures is None:
        figures = compute_site_figures()
        cache.set(FIGURES_CACHE_KEY, figures, FIGURES_CACHE_SECONDS)
    return figures


def compute_site_figures() -> dict:
    hours = ServiceRecord.objects.approved().aggregate(total=Sum("hours"))["total"] or Decimal(0)
    return {
        "verified_residents": Membership.objects.filter(
            status=Membership.Status.VERIFIED,
            role__in=[Membership.Role.RESIDENT, Membership.Role.REPRESENTATIVE],
        )
        .values("user_id")
        .distinct()
        .count(),
        "active_volunteers": TeamMembership.objects.filter(
            status=TeamMembership.Status.ACTIVE, team__active=True
        )
        .values("user_id")
        .distinct()
        .count(),
        "teams": Team.objects.active().count(),
        "approved_hours": float(hours),
        "proposals_decided": Proposal.objects.published()
        .filter(status__in=Proposal.DECIDED)
        .count(),
        "tasks_done": Task.objects.filter(status__in=["done", "verified"]).count(),
    }


def _with_logo(queryset):
    return queryset.select_related("logo").prefetch_related("logo__renditions")


def brand_pages(*, parent=None):
    qs = m.BrandPage.objects.live().public().order_by("path")
    if parent is not None:
        qs = qs.child_of(parent)
    return _with_logo(qs)


def featured_brands(home) -> list:
    """The brands the editors featured on the home page; the first three when none is chosen."""
    order = {item.brand_id: index for index, item in enumerate(home.featured_brands.all())}
    chosen = list(_with_logo(m.BrandPage.objects.live().public().filter(pk__in=list(order))))
    if not chosen:
        return list(brand_pages()[:3])
    return sorted(chosen, key=lambda page: order[page.pk])


def first_child(page, model):
    return model.objects.child_of(page).live().first()


def news_pages(*, parent=None, tag: str = "", brand=None):
    qs = m.NewsPage.objects.live().public().order_by("-date", "-pk")
    if parent is not None:
        qs = qs.child_of(parent)
    if tag:
        qs = qs.filter(tags__slug=tag)
    if brand is not None:
        qs = qs.filter(related_brands=brand)
    return qs.select_related("cover")


def prefetch_news_extras(news) -> None:
    """Covers' renditions, tags and live related brands for a page of news, three queries."""
    prefetch_related_objects(
        list(news),
        "cover__renditions",
        "tags",
        Prefetch("related_brands", queryset=m.BrandPage.objects.live().public().order_by("path")),
    )


def latest_news(*, limit: int, brand=None) -> list:
    news = list(news_pages(brand=brand)[:limit])
    prefetch_news_extras(news)
    return news


def brand_from_param(value: str):
    """The brand page named by ?brand= (its id or slug), None when unknown."""
    value = (value or "").strip()[:100]
    if not value:
        return None
    qs = m.BrandPage.objects.live().public()
    # An id (short enough for a 64-bit column) or a slug.
    is_id = value.isascii() and value.isdigit() and len(value) < 19
    lookup = Q(pk=int(value)) if is_id else Q(slug=value)
    return qs.filter(lookup).first()


def news_tags() -> list:
    """Tags used by live news, most used first."""
    return list(
        Tag.objects.filter(brands_newspagetag_items__content_object__live=True)
        .annotate(uses=Count("brands_newspagetag_items"))
        .order_by("-uses", "name")[:20]
    )


def open_tasks_query():
    """Tasks that a team is on or that wait for one team: held and not finished, or dispatched
    to a team and still open. Sensitive tasks are left out of public pages."""
    return Task.objects.filter(
        Q(status__in=["claimed", "in_progress"], team__isnull=False)
        | Q(status="open", dispatched_team__isnull=False),
        sensitive=False,
    )


def teams_with_open_tasks(page) -> list[tuple]:
    """[(team, [task, ...]), ...] for the brand page's active teams: two queries."""
    teams = [team for team in page.teams.all() if team.active]
    if not teams:
        return []
    ids = [team.pk for team in teams]
    tasks = (
        open_tasks_query()
        .filter(Q(team_id__in=ids) | Q(dispatched_team_id__in=ids))
        .select_related("community")
        .order_by("-created_at", "-id")
    )
    by_team: dict[int, list] = {pk: [] for pk in ids}
    for task in tasks:
        holder = task.team_id or task.dispatched_team_id
        if holder in by_team and len(by_team[holder]) < TASKS_PER_TEAM:
            by_team[holder].append(task)
    return [(team, by_team[team.pk]) for team in teams]


def open_proposals(*, limit: int) -> list:
    return list(
        Proposal.objects.published()
        .filter(status__in=OPEN_PROPOSAL_STATUSES)
        .select_related("council__community")
        .order_by("-published_at", "-id")[:limit]
    )
