import io
from datetime import date

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.rich_text import RichText

from brands.models import BrandIndexPage, BrandPage, HomePage, NewsIndexPage, NewsPage
from communities.models import Membership
from teams.models import Task
from tests.factories import MembershipFactory, TaskFactory, TeamFactory, UserFactory


def png(colour="#b3261e", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def make_image(db):
    Image = get_image_model()

    def make(title="图片", colour="#b3261e"):
        image = Image(title=title)
        image.file = ImageFile(io.BytesIO(png(colour)), name="test.png")
        image.save()
        return image

    return make


@pytest.fixture
def home(db):
    return HomePage.objects.get()


@pytest.fixture
def brand_index(home):
    return BrandIndexPage.objects.child_of(home).get()


@pytest.fixture
def news_index(home):
    return NewsIndexPage.objects.child_of(home).get()


def publish(page):
    page.save_revision().publish()
    return Page.objects.get(pk=page.pk).specific


@pytest.fixture
def make_brand(brand_index, make_image):
    counter = iter(range(1, 10_000))

    def make(title=None, *, teams=(), intro="", body=None, logo=True, **fields):
        n = next(counter)
        page = BrandPage(
            title=title or f"品牌{n}",
            slug=f"brand-{n}",
            intro=intro,
            logo=make_image(f"logo {n}") if logo else None,
            body=body
            if body is not None
            else [
                ("paragraph", RichText("<p>社区里的志愿服务。</p>")),
                ("image", {"image": make_image(f"photo {n}"), "caption": "活动"}),
                ("quote", {"quote": "有时间做志愿者", "attribution": "居民"}),
                ("figures", [{"label": "受助儿童", "value": "3 万"}]),
                ("gallery", [{"image": make_image(f"gallery {n}"), "caption": ""}]),
            ],
            **fields,
        )
        brand_index.add_child(instance=page)
        page.teams.set(list(teams))
        return publish(page)

    return make


@pytest.fixture
def make_news(news_index, make_image):
    counter = iter(range(1, 10_000))

    def make(title=None, *, brands=(), tags=(), intro="", day=None, cover=True, body=None):
        n = next(counter)
        page = NewsPage(
            title=title or f"新闻{n}",
            slug=f"news-{n}",
            date=day or date(2025, 1, min(n, 28)),
            intro=intro,
            cover=make_image(f"cover {n}") if cover else None,
            body=body
            if body is not None
            else [
                ("paragraph", RichText("<p>议事会之后,志愿服务队接手了任务。</p>")),
                ("image", {"image": make_image(f"news photo {n}"), "caption": ""}),
            ],
        )
        news_index.add_child(instance=page)
        page.related_brands.set(list(brands))
        page.tags.set(list(tags))
        return publish(page)

    return make


@pytest.fixture
def community(yuling):
    return yuling


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(**fields):
        n = next(counter)
        return UserFactory(
            email=f"user{n}@example.com", password="pw-12345678", email_verified=None, **fields
        )

    return make


@pytest.fixture
def make_team(community):
    counter = iter(range(1, 10_000))

    def make(name=None, *, open_tasks=0):
        n = next(counter)
        team = TeamFactory(name=name or f"志愿队{n}", communities=[community])
        for i in range(open_tasks):
            TaskFactory(
                community=community,
                title=f"{team.name} 任务 {i}",
                status=Task.Status.CLAIMED,
                team=team,
            )
        return team

    return make


def verified(user, community, role=Membership.Role.RESIDENT):
    return MembershipFactory(user=user, community=community, role=role)
