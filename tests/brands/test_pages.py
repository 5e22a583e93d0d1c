"""Page types: where each may be created, and that every one of them renders."""

import pytest
from django.contrib.auth import get_user_model
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from brands.models import (
    BrandIndexPage,
    BrandPage,
    BrandPartner,
    HomePage,
    NewsIndexPage,
    NewsPage,
)

ALL_TYPES = {HomePage, BrandIndexPage, BrandPage, NewsIndexPage, NewsPage}


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_sits_at_the_root_and_holds_the_two_indexes(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedSubpageTypes(HomePage, {BrandIndexPage, NewsIndexPage})

    def test_brand_pages_live_under_the_brand_index_only(self):
        self.assertAllowedSubpageTypes(BrandIndexPage, {BrandPage})
        self.assertAllowedParentPageTypes(BrandPage, {BrandIndexPage})
        self.assertAllowedSubpageTypes(BrandPage, set())
        for parent in ALL_TYPES - {BrandIndexPage}:
            self.assertCanNotCreateAt(parent, BrandPage)

    def test_news_lives_under_the_news_index_only(self):
        self.assertAllowedSubpageTypes(NewsIndexPage, {NewsPage})
        self.assertAllowedParentPageTypes(NewsPage, {NewsIndexPage})
        self.assertAllowedSubpageTypes(NewsPage, set())
        for parent in ALL_TYPES - {NewsIndexPage}:
            self.assertCanNotCreateAt(parent, NewsPage)

    def test_indexes_only_under_home(self):
        self.assertCanCreateAt(HomePage, BrandIndexPage)
        self.assertCanCreateAt(HomePage, NewsIndexPage)
        self.assertCanNotCreateAt(BrandIndexPage, NewsIndexPage)
        self.assertCanNotCreateAt(NewsIndexPage, BrandIndexPage)
        self.assertCanNotCreateAt(Page, BrandIndexPage)

    def test_one_home_and_one_index_of_each_kind(self):
        home = HomePage.objects.get()
        # The migrations made the home page and both indexes: no second of any.
        self.assertFalse(HomePage.can_create_at(Page.get_first_root_node()))
        self.assertFalse(BrandIndexPage.can_create_at(home))
        self.assertFalse(NewsIndexPage.can_create_at(home))

    def test_editor_form_creates_a_brand_page(self):
        self.login()
        self.assertCanCreate(BrandIndexPage.objects.get(), BrandPage, form_data(BrandPage))
        page = BrandPage.objects.get(slug="page-brandpage")
        self.assertEqual(page.body[0].block_type, "paragraph")

    def test_editor_form_creates_a_news_page(self):
        self.login()
        self.assertCanCreate(NewsIndexPage.objects.get(), NewsPage, form_data(NewsPage))
        page = NewsPage.objects.get(slug="page-newspage")
        self.assertEqual(sorted(t.name for t in page.tags.all()), ["垃圾分类", "议事会"])


def form_data(model, page=None) -> dict:
    """What the admin editor posts for a page of this type (StreamFields are built by JS)."""
    data = {
        "title": page.title if page else f"页面 {model.__name__}",
        "slug": page.slug if page else f"page-{model.__name__.lower()}",
    }
    if model is HomePage:
        data |= {
            "intro": "邻里",
            "body": rich_text("<p>欢迎</p>"),
            "featured_brands": inline_formset([]),
        }
    elif model in (BrandIndexPage, NewsIndexPage):
        data |= {"intro": rich_text("<p>简介</p>")}
    elif model is BrandPage:
        data |= {
            "intro": "留守儿童帮扶",
            "body": streamfield([("paragraph", rich_text("<p>三万名儿童</p>"))]),
            "partners": inline_formset([{"name": "长江大学", "url": "", "description": ""}]),
            "contact_name": "王社工",
        }
    elif model is NewsPage:
        data |= {
            "date": "2025-03-01",
            "intro": "居民议事",
            "body": streamfield([("paragraph", rich_text("<p>议事会</p>"))]),
            "tags": "垃圾分类, 议事会",
        }
    return nested_form_data(data)


class PageRenderingTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.superuser = get_user_model().objects.create_superuser(
            email="admin@example.com", password="pw-12345678"
        )

    def test_every_page_type_renders_and_previews(self):
        home = HomePage.objects.get()
        brand_index = BrandIndexPage.objects.get()
        news_index = NewsIndexPage.objects.get()
        brand = BrandPage(title="蓝丝带", slug="blue-ribbon", intro="应急自救")
        brand_index.add_child(instance=brand)
        brand.save_revision().publish()
        news = NewsPage(title="应急课", slug="lesson", intro="孩子们学自救")
        news_index.add_child(instance=news)
        news.related_brands.set([brand])
        news.save_revision().publish()
        for page in (home, brand_index, news_index, brand, news):
            page = Page.objects.get(pk=page.pk).specific
            self.assertPageIsRenderable(page)
            self.assertPageIsRoutable(page)
            data = form_data(type(page), page)
            self.assertPageIsPreviewable(page, post_data=data)
            self.assertPageIsEditable(page, post_data=data)


@pytest.mark.django_db
def test_brand_page_shows_body_blocks_teams_and_open_tasks(client, make_brand, make_team):
    team = make_team("四叶草志愿服务队", open_tasks=2)
    brand = make_brand(
        "四叶草",
        teams=[team],
        contact_name="王社工",
        contact_phone="0716-1234567",
    )
    BrandPartner.objects.create(page=brand, name="长江大学社会工作系", url="https://example.org")
    html = client.get(brand.url).content.decode()
    assert "四叶草志愿服务队" in html
    assert "四叶草志愿服务队 任务 0" in html and "四叶草志愿服务队 任务 1" in html
    assert "长江大学社会工作系" in html
    assert "王社工" in html and "tel:0716-1234567" in html
    assert "有时间做志愿者" in html  # quote block
    assert "受助儿童" in html and "3 万" in html  # figures block
    assert html.count("<img") == 3  # logo, image block, gallery


@pytest.mark.django_db
def test_sensitive_and_finished_tasks_stay_off_the_brand_page(client, make_brand, make_team):
    from teams.models import Task

    team = make_team("应急队")
    Task.objects.create(
        community=team.communities.get(),
        title="秘密任务",
        team=team,
        status="claimed",
        sensitive=True,
    )
    Task.objects.create(
        community=team.communities.get(), title="已完成任务", team=team, status="done"
    )
    brand = make_brand("应急", teams=[team])
    html = client.get(brand.url).content.decode()
    assert "秘密任务" not in html and "已完成任务" not in html


@pytest.mark.django_db
def test_news_index_filters_by_tag_and_brand_and_paginates(
    client, news_index, make_brand, make_news
):
    brand = make_brand("蓝丝带", logo=False)
    make_news("应急课", brands=[brand], tags=["应急"], cover=False)
    make_news("垃圾分类", tags=["环境"], cover=False)
    for _ in range(11):
        make_news(cover=False, body=[])

    html = client.get(news_index.url, {"tag": "应急"}).content.decode()
    assert "应急课" in html and "垃圾分类</a>" not in html
    html = client.get(news_index.url, {"brand": brand.slug}).content.decode()
    assert "应急课" in html and "垃圾分类</a>" not in html
    html = client.get(news_index.url, {"brand": str(brand.pk)}).content.decode()
    assert "应急课" in html

    first = client.get(news_index.url).content.decode()
    assert first.count('class="card news-card"') == 10
    second = client.get(news_index.url, {"page": 2}).content.decode()
    assert second.count('class="card news-card"') == 3
    # Bad page numbers fall back to the first page rather than failing.
    assert client.get(news_index.url, {"page": "abc"}).status_code == 200
    assert client.get(news_index.url, {"page": "999"}).status_code == 200
    assert client.get(news_index.url, {"brand": "no-such-brand"}).status_code == 200
    assert client.get(news_index.url, {"brand": "9" * 30, "page": "9" * 30}).status_code == 200


@pytest.mark.django_db
def test_home_shows_featured_brands_latest_news_open_proposals_and_figures(
    client, home, make_brand, make_news, community, make_user
):
    from brands.models import HomeFeaturedBrand
    from deliberation.models import Council, Proposal

    featured = make_brand("二十四节气")
    make_brand("不在首页")
    HomeFeaturedBrand.objects.create(page=home, brand=featured)
    make_news("新江口新闻")
    council = Council.objects.create(community=community)
    Proposal.objects.create(
        council=council,
        title="楼道垃圾清运",
        body="每周两次",
        status="voting",
        published_at="2025-01-01T00:00:00Z",
    )
    Proposal.objects.create(council=council, title="草稿提案", body="x", status="draft")
    html = client.get("/").content.decode()
    assert "二十四节气" in html and "不在首页" not in html
    assert "新江口新闻" in html
    assert "楼道垃圾清运" in html and "草稿提案" not in html
