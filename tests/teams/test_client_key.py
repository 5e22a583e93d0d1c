"""A request for help written offline is filed once: `client_key` in the service, the API and
the needs page."""

import json
import uuid

import pytest

from teams import services
from teams.models import Need

from .conftest import client_for

pytestmark = pytest.mark.django_db


def file(world, actor, key, description="想请人帮忙修一下水龙头。"):
    return services.file_need(
        actor=actor,
        community=world.yuling,
        category="repairs",
        description=description,
        client_key=key,
    )


def test_same_key_twice_gives_one_need(world):
    key = uuid.uuid4()
    first = file(world, world.resident, key)
    again = file(world, world.resident, key, description="改过的内容")
    assert again.pk == first.pk
    assert Need.objects.filter(client_key=key).count() == 1


def test_same_key_other_person_gives_two_needs(world):
    key = uuid.uuid4()
    assert file(world, world.resident, key).pk != file(world, world.volunteer, key).pk
    assert Need.objects.filter(client_key=key).count() == 2


def test_a_lost_race_returns_the_winner(world, monkeypatch):
    key = uuid.uuid4()
    winner = file(world, world.resident, key)
    monkeypatch.setattr(services.needs, "already_filed", lambda *a, **k: None)
    assert file(world, world.resident, key).pk == winner.pk
    assert Need.objects.filter(client_key=key).count() == 1


def test_api_accepts_client_key_once(world):
    client = client_for(world.resident)
    key = str(uuid.uuid4())
    payload = {"category": "elderly-care", "description": "老人需要陪同看病。", "client_key": key}
    url = f"/api/v1/communities/{world.yuling.pk}/needs"
    first = client.post(url, json.dumps(payload), content_type="application/json")
    second = client.post(url, json.dumps(payload), content_type="application/json")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    other = client_for(world.volunteer).post(
        url, json.dumps(payload), content_type="application/json"
    )
    assert other.json()["id"] != first.json()["id"]
    assert Need.objects.filter(client_key=key).count() == 2


def test_needs_page_files_a_key_once(world):
    client = client_for(world.resident)
    key = str(uuid.uuid4())
    data = {
        "community": world.yuling.pk,
        "category": "repairs",
        "description": "门锁坏了。",
        "client_key": key,
    }
    assert client.post("/teams/needs/", data).status_code == 302
    assert client.post("/teams/needs/", data).status_code == 302
    assert Need.objects.filter(requester=world.resident, client_key=key).count() == 1
    page = client.get("/teams/needs/").content.decode()
    assert 'name="client_key"' in page
    assert "data-offline-draft" in page
