"""Chinese search: a word inside a longer one (垃圾 in 垃圾分类) is found in news, brand pages and
proposals, on SQLite and on PostgreSQL alike (the suite runs on both)."""

import pytest
from django.db import connection
from wagtail.rich_text import RichText

from brands.search import search
from brands.text import cjk_index_text, query_terms
from deliberation.models import Council, Proposal

pytestmark = pytest.mark.django_db


def test_query_terms_and_index_text():
    assert query_terms("垃圾分类") == ["垃圾", "圾分", "分类"]
    assert query_terms("垃圾") == ["垃圾"]
    assert query_terms("春") == ["春"]
    assert query_terms("  垃圾,分类 Wagtail ") == ["垃圾", "分类", "Wagtail"]
    assert query_terms("“”，。") == []
    assert cjk_index_text("垃圾分类", "abc 议事") == "垃 圾 分 类 垃圾 圾分 分类 议 事 议事"


@pytest.fixture
def content(make_brand, make_news, community):
    brand = make_brand(
        "环境守护",
        intro="绿化带整治",
        body=[("paragraph", RichText("<p>推动垃圾分类进小区。</p>"))],
        logo=False,
    )
    make_brand("四叶草", intro="留守儿童", body=[], logo=False)
    news = make_news(
        "议事会决定每周清运",
        intro="居民们讨论了楼道卫生",
        body=[("paragraph", RichText("<p>大家同意先从垃圾分类做起。</p>"))],
        cover=False,
    )
    make_news("应急课", intro="孩子们学自救", body=[], cover=False)
    tagged = make_news("环保周", tags=["厨余垃圾"], body=[], cover=False)
    council = Council.objects.create(community=community)
    proposal = Proposal.objects.create(
        council=council,
        title="小区垃圾分类亭",
        body="希望在东门设一个分类亭",
        status="discussion",
        published_at="2025-01-01T00:00:00Z",
    )
    Proposal.objects.create(council=council, title="垃圾桶草稿", body="未发布", status="draft")
    return {"brand": brand, "news": news, "tagged": tagged, "proposal": proposal}


def test_a_chinese_word_inside_a_longer_one_is_found_everywhere(content):
    results = search("垃圾")
    assert [page.pk for page in results.brands] == [content["brand"].pk]
    assert {page.pk for page in results.news} == {content["news"].pk, content["tagged"].pk}
    assert [p.pk for p in results.proposals] == [content["proposal"].pk]
    assert results.total == 4


def test_longer_words_and_several_words(content):
    results = search("垃圾分类")
    assert [page.pk for page in results.brands] == [content["brand"].pk]
    assert [page.pk for page in results.news] == [content["news"].pk]
    results = search("垃圾 东门")
    assert [p.pk for p in results.proposals] == [content["proposal"].pk]
    assert results.news == [] and results.brands == []


def test_title_intro_and_single_characters(content):
    assert [p.title for p in search("楼道").news] == ["议事会决定每周清运"]
    assert [p.title for p in search("儿童").brands] == ["四叶草"]
    assert "应急课" in [p.title for p in search("救").news]


def test_nothing_found_and_empty_queries(content):
    assert search("火箭").total == 0
    assert search("").total == 0
    assert search("，。！").total == 0
    assert search("x" * 500).query == "x" * 100


def test_drafts_and_unpublished_proposals_are_not_found(content, news_index):
    from brands.models import NewsPage

    draft = NewsPage(title="垃圾草稿新闻", slug="draft-news", live=False)
    news_index.add_child(instance=draft)
    results = search("垃圾")
    assert draft.pk not in [page.pk for page in results.news]
    assert "垃圾桶草稿" not in [p.title for p in results.proposals]


def test_search_page(client, content):
    response = client.get("/search/", {"q": "垃圾"})
    assert response.status_code == 200
    html = response.content.decode()
    assert content["brand"].title in html
    assert content["news"].title in html
    assert content["proposal"].title in html
    assert client.get("/search/").status_code == 200
    assert client.get("/search/", {"q": "<script>"}).status_code == 200


def test_runs_on_this_database(content):
    # The suite runs on SQLite and PostgreSQL; say which one this run proved.
    assert connection.vendor in {"sqlite", "postgresql"}
    assert search("垃圾").total == 4
