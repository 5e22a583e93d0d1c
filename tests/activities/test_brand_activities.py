"""Brand pages show the coming activities of their linked teams, soonest first, and not
other teams' activities, drafts, cancelled or past ones; the query count stays the same
however many activities there are."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from activities import services
from tests.brands.conftest import brand_index, home, make_brand, make_image  # noqa: F401

from .conftest import make_activity, started

pytestmark = pytest.mark.django_db


def english() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_brand_page_shows_the_coming_activities_of_its_teams(world, make_brand):  # noqa: F811
    brand = make_brand("河小青", teams=[world.team])
    make_activity(world, title="河道清扫", starts_in=datetime.timedelta(days=5))
    soon = make_activity(world, title="公益集市", starts_in=datetime.timedelta(days=1), quota=4)
    services.sign_up(actor=world.resident, activity=soon)
    make_activity(world, title="别队的活动", team="other_team")
    make_activity(world, title="社区组织的活动", team=None)
    make_activity(world, title="草稿活动", publish_now=False)
    called_off = make_activity(world, title="取消的活动")
    services.cancel_activity(actor=world.staff, activity=called_off, reason="下雨")
    over = make_activity(world, title="结束的活动")
    started(over, ago=datetime.timedelta(hours=6))

    html = english().get(brand.url).content.decode()

    section = html[html.index('id="brand-activities-heading"') :]
    assert section.index("公益集市") < section.index("河道清扫")
    assert f'href="{soon.get_absolute_url()}"' in section
    assert "1 of 4 places taken" in section
    assert "/activities/" in section  # the link to every activity
    for title in ("别队的活动", "社区组织的活动", "草稿活动", "取消的活动", "结束的活动"):
        assert title not in html, title


def test_brand_page_without_teams_or_activities_shows_no_section(world, make_brand):  # noqa: F811
    lonely = make_brand("无队的品牌")
    make_activity(world)
    assert 'id="brand-activities-heading"' not in english().get(lonely.url).content.decode()
    quiet = make_brand("有队无活动", teams=[world.other_team])
    assert 'id="brand-activities-heading"' not in english().get(quiet.url).content.decode()


def test_brand_page_query_count_does_not_grow_with_activities(world, make_brand):  # noqa: F811
    brand = make_brand("四叶草", teams=[world.team, world.other_team])
    make_activity(world)

    def count() -> int:
        client = english()
        assert client.get(brand.url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            assert client.get(brand.url).status_code == 200
        return len(captured)

    few = count()
    for n in range(6):
        activity = make_activity(world, title=f"活动{n}", team="other_team" if n % 2 else "team")
        services.sign_up(actor=world.resident, activity=activity)
    assert count() <= few
