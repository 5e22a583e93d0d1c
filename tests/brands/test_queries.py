"""Page cost: the home, brand, news index and news pages make the same number of queries
whether there are a few news items and teams or many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brands.models import HomeFeaturedBrand

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    client.get(url)  # warm the per-process caches (site root paths, content types)
    from django.core.cache import cache

    cache.clear()  # the figures are cached for a minute: measure them too
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def grow(make_brand, make_news, make_team, brand, *, news: int, teams: int):
    new_teams = [make_team(open_tasks=2) for _ in range(teams)]
    brand.teams.add(*new_teams)
    brand.save_revision().publish()
    others = [make_brand() for _ in range(2)]
    for n in range(news):
        make_news(brands=[brand, *others], tags=[f"标签{n}", "共同"])


def test_list_pages_cost_the_same_as_content_grows(
    client,
    home,
    news_index,
    make_brand,
    make_news,
    make_team,
    django_assert_max_num_queries,
):
    brand = make_brand("四叶草", teams=[make_team(open_tasks=1)])
    for page in [make_brand() for _ in range(2)]:
        HomeFeaturedBrand.objects.create(page=home, brand=page)
    HomeFeaturedBrand.objects.create(page=home, brand=brand)
    grow(make_brand, make_news, make_team, brand, news=2, teams=1)
    news_page = make_news(brands=[brand], tags=["一"])
    urls = ["/", brand.url, news_index.url, news_page.url, news_index.url + "?tag=共同"]
    baseline = {url: count_queries(client, url) for url in urls}

    grow(make_brand, make_news, make_team, brand, news=12, teams=4)
    news_page.tags.add("二", "三")
    news_page.save_revision().publish()

    for url in urls:
        client.get(url)
        from django.core.cache import cache

        cache.clear()
        with django_assert_max_num_queries(baseline[url]):
            assert client.get(url).status_code == 200


def test_figures_are_cached_briefly(client, home, django_assert_max_num_queries):
    from brands.selectors import FIGURES_CACHE_KEY, site_figures

    first = site_figures()
    with django_assert_max_num_queries(0):
        assert site_figures() == first
    from django.core.cache import cache

    assert cache.get(FIGURES_CACHE_KEY) == first
