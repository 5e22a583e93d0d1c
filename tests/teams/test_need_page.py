"""The 求助 page, /teams/needs/new/: a resident files a request for help without JavaScript,
errors keep what was typed, and the needs list shows it with its status."""

import pytest
from django.urls import reverse
from django.utils import translation

from teams.models import Need

pytestmark = pytest.mark.django_db

URL = "/teams/needs/new/"


def test_url_name():
    assert reverse("teams:need_create") == URL


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={URL}"


def test_resident_files_and_lands_on_their_list(client, world):
    client.force_login(world.resident)
    page = client.get(URL).content.decode()
    assert f'action="{URL}"' in page
    assert f'value="{world.yuling.pk}"' in page
    assert f'value="{world.other.pk}"' not in page  # only verified memberships
    assert 'name="private"' in page
    response = client.post(
        URL,
        {
            "community": world.yuling.pk,
            "category": "repairs",
            "description": "楼道灯坏了，晚上看不见台阶。",
            "private": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:my_needs")
    need = Need.objects.get(requester=world.resident)
    assert (need.category, need.private, need.status) == ("repairs", True, "open")
    with translation.override("zh-hans"):
        status = need.get_status_display()
    listing = client.get(response["Location"]).content.decode()
    assert f'id="need-{need.pk}"' in listing
    assert status in listing
    assert f'href="{URL}"' in listing


def test_errors_keep_the_input(client, world):
    client.force_login(world.resident)
    response = client.post(
        URL, {"community": world.yuling.pk, "category": "repairs", "description": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page
    assert '<option value="repairs" selected>' in page
    assert not Need.objects.exists()
    response = client.post(
        URL, {"community": world.other.pk, "category": "nonsense", "description": "帮帮忙"}
    )
    assert response.status_code == 200
    assert "帮帮忙" in response.content.decode()
    assert not Need.objects.exists()


def test_someone_without_a_community_is_told_what_to_do(client, world):
    client.force_login(world.pending)
    page = client.get(URL).content.decode()
    assert 'name="category"' not in page
    assert reverse("communities:list") in page
