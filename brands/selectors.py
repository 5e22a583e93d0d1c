"""Read-only queries of the brand and news pages, each a fixed number of queries.

Lists prefetch their images' renditions, tags and brands, so a page costs the same number of
queries whatever the number of news items, teams or tasks.
"""

from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Length, Substr
from taggit.models import Tag
from wagtail.models import Page, PageViewRestriction

from activities import selectors as activities_selectors
from communities.models import Membership
from deliberation import selectors as deliberation_selectors
from deliberation.models import Proposal
from teams import ledger
from teams import selectors as teams_selectors
from teams.models import Task, Team, TeamMembership

from . import models as m

FIGURES_CACHE_KEY = "brands:site-figures"
FIGURES_CACHE_SECONDS = 60
OPEN_PROPOSAL_STATUSES = ("discussion", "voting")
TASKS_PER_TEAM = 5
ACTIVITIES_PER_BRAND = 5


def site_figures() -> dict:
    """Live figures of the whole site, cached for a minute (one query of six aggregates)."""
    figures = cache.get(FIGURES_CACHE_KEY)
    if figures is None:
        figures = compute_site_figures()
        cache.set(FIGURES_CACHE_KEY, figures, FIGURES_CACHE_SECONDS)
    return figures


def _one_value(queryset, aggregate):
    """`queryset`'s aggregate as a one-row, one-column queryset (grouped by a constant)."""
    return (
        queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(n=aggregate).values("n")
    )


def compute_site_figures() -> dict:
    parts = {
        "verified_residents": _one_value(
            Membership.objects.filter(
                status=Membership.Status.VERIFIED,
                role__in=[Membership.Role.RESIDENT, Membership.Role.REPRESENTATIVE],
            ),
            Count("user_id", distinct=True),
        ),
        "active_volunteers": _one_value(
            TeamMembership.objects.filter(status=TeamMembership.Status.ACTIVE, team__active=True),
            Count("user_id", distinct=True),
        ),
        "teams": _one_value(Team.objects.active(), Count("pk")),
        "approved_hours": _one_value(ledger.approved_records(), Sum("hours")),
        "proposals_decided": _one_value(
            Proposal.objects.published().filter(status__in=Proposal.DECIDED), Count("pk")
        ),
        "tasks_done": _one_value(Task.objects.filter(status__in=["done", "verified"]), Count("pk")),
    }
    # One round trip: SELECT (subquery), (subquery), ...
    selects, params = [], []
    for qs in parts.values():
        sql, sql_params = qs.query.get_compiler(connection=connection).as_sql()
        selects.append(f"({sql})")
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    figures = {name: value or 0 for name, value in zip(parts, row, strict=True)}
    figures["approved_hours"] = float(Decimal(str(figures["approved_hours"] or 0)))
    for name in parts:
        if name != "approved_hours":
            figures[name] = int(figures[name])
    return figures


def _public(queryset):
    """Like Wagtail's `.public()` (no page under a view restriction), as a subquery instead of
    a query of every restriction each time it is called."""
    restricted = PageViewRestriction.objects.filter(
        page__path=Substr(OuterRef("path"), 1, Length("page__path"))
    )
    return queryset.filter(~Exists(restricted))


def _with_logo(queryset, *, renditions: bool = True):
    queryset = queryset.select_related("logo")
    return queryset.prefetch_related("logo__renditions") if renditions else queryset


def brand_pages(*, parent=None, renditions: bool = True):
    qs = _public(m.BrandPage.objects.live()).order_by("path")
    if parent is not None:
        qs = qs.child_of(parent)
    return _with_logo(qs, renditions=renditions)


def featured_brands(home, *, renditions: bool = True) -> list:
    """The brands the editors featured on the home page; the first three when none is chosen."""
    live = _public(m.BrandPage.objects.live())
    if "featured_brands" in getattr(home, "_cluster_related_objects", {}):
        # a preview or unsaved copy: the choice lives in memory
        order = {item.brand_id: index for index, item in enumerate(home.featured_brands.all())}
        chosen = list(_with_logo(live.filter(pk__in=list(order)), renditions=renditions))
        chosen.sort(key=lambda page: order[page.pk])
    else:  # one query: the pages with their position in the editors' list
        position = m.HomeFeaturedBrand.objects.filter(page_id=home.pk, brand_id=OuterRef("pk"))
        chosen = list(
            _with_logo(
                live.annotate(featured_at=Subquery(position.values("sort_order")[:1]))
                .filter(Exists(position))
                .order_by("featured_at", "pk"),
                renditions=renditions,
            )
        )
    if not chosen:
        return list(brand_pages(renditions=renditions)[:3])
    return chosen


def first_child(page, model):
    return model.objects.child_of(page).live().first()


def index_pages(page, *models) -> dict:
    """{model: its first live child page of `page` (a plain Page, enough for its URL) or None},
    one query for all the models."""
    from django.contrib.contenttypes.models import ContentType

    types = ContentType.objects.get_for_models(*models)
    rows = (
        Page.objects.child_of(page)
        .live()
        .filter(content_type__in=list(types.values()))
        .order_by("path")
    )
    by_type: dict = {}
    for row in rows:
        by_type.setdefault(row.content_type_id, row)
    return {model: by_type.get(types[model].pk) for model in models}


def prefetch_renditions(images) -> None:
    """The renditions of many images (logos and covers alike) in one query."""
    images = [image for image in images if image is not None]
    if images:
        prefetch_related_objects(images, "renditions")


def news_pages(*, parent=None, tag: str = "", brand=None):
    qs = _public(m.NewsPage.objects.live()).order_by("-date", "-pk")
    if parent is not None:
        qs = qs.child_of(parent)
    if tag:
        qs = qs.filter(tags__slug=tag)
    if brand is not None:
        qs = qs.filter(related_brands=brand)
    return qs.select_related("cover")


def prefetch_news_extras(news, *, renditions: bool = True) -> None:
    """Covers' renditions, tags and live related brands for a page of news, three queries
    (two without the renditions)."""
    prefetch_related_objects(
        list(news),
        *(["cover__renditions"] if renditions else []),
        "tags",
        Prefetch("related_brands", queryset=_public(m.BrandPage.objects.live()).order_by("path")),
    )


def latest_news(*, limit: int, brand=None, renditions: bool = True) -> list:
    news = list(news_pages(brand=brand)[:limit])
    prefetch_news_extras(news, renditions=renditions)
    return news


def brand_from_param(value: str):
    """The brand page named by ?brand= (its id or slug), None when unknown."""
    value = (value or "").strip()[:100]
    if not value:
        return None
    qs = _public(m.BrandPage.objects.live())
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


def upcoming_activities(*, teams, limit: int = ACTIVITIES_PER_BRAND) -> list:
    """The coming activities organised by `teams` (the brand page's), soonest first, with
    their counts: one query, none without teams."""
    team_ids = [team.pk for team in teams]
    if not team_ids:
        return []
    return list(
        activities_selectors.activity_list(upcoming=True).filter(team_id__in=team_ids)[:limit]
    )


def open_proposals(*, limit: int) -> list:
    return list(
        Proposal.objects.published()
        .filter(status__in=OPEN_PROPOSAL_STATUSES)
        .select_related("council__community")
        .order_by("-published_at", "-id")[:limit]
    )


HOME_ROWS = 5


def personal_home(*, user) -> dict:
    """What waits for a signed-in person, as their home shows it, a fixed number of queries
    however many rows: the votes open to them that they have not cast, their proposals and
    requests for help with their status, their teams' tasks, the activities they have a place
    (or wait) in, what they follow."""
    tasks = teams_selectors.home_tasks(user=user, limit=HOME_ROWS)
    return {
        "votes": deliberation_selectors.open_votes_for(voter=user, limit=HOME_ROWS),
        "proposals": deliberation_selectors.recent_own_proposals(author=user, limit=HOME_ROWS),
        "needs": teams_selectors.own_needs(viewer=user, limit=HOME_ROWS),
        "team_tasks": tasks["team"],
        "activities": activities_selectors.upcoming_for(person=user, limit=HOME_ROWS),
        "followed_tasks": tasks["followed"],
        "followed_proposals": deliberation_selectors.followed_proposals(
            viewer=user, limit=HOME_ROWS
        ),
    }
