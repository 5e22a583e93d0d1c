"""The Wagtail pages API v2 at /api/v2/: every page type with its fields; CORS for /api/ only."""

import pytest

from brands.models import HomeFeaturedBrand

pytestmark = pytest.mark.django_db


def detail(client, page):
    response = client.get(f"/api/v2/pages/{page.pk}/")
    assert response.status_code == 200
    return response.json()


def test_brand_page_fields(client, make_brand, make_team):
    team = make_team("蓝丝带志愿者")
    brand = make_brand("蓝丝带", teams=[team], intro="应急自救", contact_name="李社工")
    data = detail(client, brand)
    assert data["meta"]["type"] == "brands.BrandPage"
    assert data["title"] == "蓝丝带"
    assert data["intro"] == "应急自救"
    assert data["teams"] == [
        {"id": team.pk, "name": "蓝丝带志愿者", "url": team.get_absolute_url()}
    ]
    assert data["logo_rendition"]["url"].endswith(".png")
    assert data["logo_rendition"]["width"] == data["logo_rendition"]["height"]  # fill-400x400
    assert data["logo"]["id"] == brand.logo_id
    assert data["contact_name"] == "李社工"
    assert data["partners"] == []
    types = [block["type"] for block in data["body"]]
    assert types == ["paragraph", "image", "quote", "figures", "gallery"]
    image_block = data["body"][1]["value"]
    assert image_block["image"]["url"].endswith(".png") and image_block["caption"] == "活动"
    assert data["body"][3]["value"] == [{"label": "受助儿童", "value": "3 万"}]
    assert data["body"][4]["value"][0]["image"]["id"]


def test_news_page_fields(client, make_brand, make_news):
    brand = make_brand("四叶草")
    news = make_news("陪伴三万名儿童", brands=[brand], tags=["儿童", "志愿服务"], intro="陪伴")
    data = detail(client, news)
    assert data["meta"]["type"] == "brands.NewsPage"
    assert data["date"] == news.date.isoformat()
    assert data["intro"] == "陪伴"
    assert data["related_brands"] == [{"id": brand.pk, "title": "四叶草", "url": brand.url}]
    assert sorted(data["tags"]) == ["儿童", "志愿服务"]
    assert data["cover_rendition"]["url"].endswith(".png")
    assert {"width", "height", "alt"} <= set(data["cover_rendition"])
    assert data["cover"]["id"] == news.cover_id
    assert [block["type"] for block in data["body"]] == ["paragraph", "image"]


def test_home_and_index_fields(client, home, brand_index, news_index, make_brand):
    brand = make_brand("二十四节气")
    draft = make_brand("草稿品牌")
    draft.unpublish()
    HomeFeaturedBrand.objects.create(page=home, brand=draft, sort_order=0)
    HomeFeaturedBrand.objects.create(page=home, brand=brand, sort_order=1)
    data = detail(client, home)
    assert data["meta"]["type"] == "brands.HomePage"
    assert data["featured_brands"] == [{"id": brand.pk, "title": "二十四节气", "url": brand.url}]
    assert set(data["figures"]) == {
        "verified_residents",
        "active_volunteers",
        "teams",
        "approved_hours",
        "proposals_decided",
        "tasks_done",
    }
    assert "intro" in data and "body" in data
    for index, kind in ((brand_index, "BrandIndexPage"), (news_index, "NewsIndexPage")):
        data = detail(client, index)
        assert data["meta"]["type"] == f"brands.{kind}"
        assert "intro" in data


def test_listing_by_type_with_all_fields(client, make_brand, make_news):
    make_brand("甲")
    make_news("乙")
    response = client.get("/api/v2/pages/", {"type": "brands.BrandPage", "fields": "*"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["title"] for item in items] == ["甲"]
    assert {"teams", "logo_rendition", "body", "partners"} <= set(items[0])
    response = client.get("/api/v2/pages/", {"type": "brands.NewsPage", "fields": "*"})
    assert {"related_brands", "tags", "cover_rendition"} <= set(response.json()["items"][0])


def test_drafts_are_not_in_the_api(client, news_index):
    from brands.models import NewsPage

    draft = NewsPage(title="草稿", slug="draft", live=False)
    news_index.add_child(instance=draft)
    assert client.get(f"/api/v2/pages/{draft.pk}/").status_code == 404


def test_images_and_documents_endpoints(client, make_image):
    image = make_image("标志")
    response = client.get("/api/v2/images/")
    assert response.status_code == 200
    assert image.pk in [item["id"] for item in response.json()["items"]]
    assert client.get("/api/v2/documents/").status_code == 200


def test_bad_input_is_a_400_not_a_500(client):
    assert client.get("/api/v2/pages/", {"type": "no.Such"}).status_code == 400
    assert client.get("/api/v2/pages/", {"fields": "nonsense"}).status_code == 400
    assert client.get("/api/v2/pages/999999/").status_code == 404


def test_cors_for_named_origins_on_api_paths_only(client, settings, home):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.linli.example"]
    allowed = client.get("/api/v2/pages/", HTTP_ORIGIN="https://app.linli.example")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.linli.example"
    other = client.get("/api/v2/pages/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    page = client.get("/", HTTP_ORIGIN="https://app.linli.example")
    assert "Access-Control-Allow-Origin" not in page
    preflight = client.options(
        "/api/v2/pages/",
        HTTP_ORIGIN="https://app.linli.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://app.linli.example"
