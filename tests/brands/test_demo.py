import io

import pytest
from wagtail.images import get_image_model

from brands import demo
from brands.models import BrandPage, HomePage, NewsPage
from brands.search import search
from teams.models import Team

pytestmark = pytest.mark.django_db

SEED_BRANDS = {
    "雷锋互助社",
    "彭国珍服务队",
    "法律援助“春”字号行动",
    "暖冬行动",
    "万家无暴",
    "社区红人",
    "陇上花开",
    "二十四节气",
    "四叶草",
    "蓝丝带",
}


def test_demo_is_idempotent_and_links_existing_teams(client):
    clover = Team.objects.create(name="四叶草志愿服务队")
    ribbon = Team.objects.create(name="蓝丝带志愿者")
    demo.load(stdout=io.StringIO())
    counts = (
        BrandPage.objects.count(),
        NewsPage.objects.count(),
        get_image_model().objects.count(),
        BrandPage.objects.get(slug="blue-ribbon").revisions.count(),
    )
    demo.load(stdout=io.StringIO())
    assert counts == (
        BrandPage.objects.count(),
        NewsPage.objects.count(),
        get_image_model().objects.count(),
        BrandPage.objects.get(slug="blue-ribbon").revisions.count(),
    )

    assert set(BrandPage.objects.live().values_list("title", flat=True)) == SEED_BRANDS
    assert 3 <= NewsPage.objects.live().count() <= 5
    assert list(BrandPage.objects.get(slug="four-leaf-clover").teams.all()) == [clover]
    assert list(BrandPage.objects.get(slug="blue-ribbon").teams.all()) == [ribbon]
    assert BrandPage.objects.get(slug="no-violence").teams.count() == 0
    assert HomePage.objects.get().featured_brands.count() == 3
    assert all(page.logo_id for page in BrandPage.objects.all())
    assert search("垃圾").news  # the council news is findable in Chinese

    for url in ["/", "/brands/", "/brands/four-leaf-clover/", "/news/", "/news/?tag=儿童"]:
        assert client.get(url).status_code == 200


def test_teams_created_later_are_linked_on_the_next_load():
    demo.load(stdout=io.StringIO())
    assert BrandPage.objects.get(slug="four-leaf-clover").teams.count() == 0
    clover = Team.objects.create(name="四叶草志愿服务队")
    demo.load(stdout=io.StringIO())
    page = BrandPage.objects.get(slug="four-leaf-clover")
    assert list(page.teams.all()) == [clover]
    assert page.live and not page.has_unpublished_changes
