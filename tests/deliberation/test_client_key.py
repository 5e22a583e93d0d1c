"""A proposal written offline is filed once: `client_key` (core/drafts.py) in the service,
the API and the propose page."""

import json
import uuid

import pytest
from django.db import IntegrityError, transaction

from deliberation import services
from deliberation.models import Proposal

from .conftest import client_for

pytestmark = pytest.mark.django_db


def propose(world, actor, key, title="楼道灯坏了"):
    return services.create_proposal(
        actor=actor,
        community=world.yuling,
        title=title,
        body="3栋二单元楼道灯坏了一个星期。",
        category="safety",
        client_key=key,
    )


def test_same_key_twice_gives_one_proposal(world):
    key = uuid.uuid4()
    first = propose(world, world.resident, key)
    again = propose(world, world.resident, key, title="改过的标题")
    assert again.pk == first.pk
    assert again.title == "楼道灯坏了"
    assert Proposal.objects.filter(client_key=key).count() == 1
    assert first.client_key == key


def test_same_key_other_person_gives_two_proposals(world):
    key = uuid.uuid4()
    mine = propose(world, world.resident, key)
    theirs = propose(world, world.resident2, key)
    assert mine.pk != theirs.pk
    assert Proposal.objects.filter(client_key=key).count() == 2


def test_without_key_every_send_files(world):
    propose(world, world.resident, None)
    propose(world, world.resident, None)
    assert Proposal.objects.filter(author=world.resident).count() == 2


def test_the_database_refuses_a_second_row_with_the_key(world):
    key = uuid.uuid4()
    first = propose(world, world.resident, key)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(
            council=world.council, author=world.resident, title="x", body="y", client_key=key
        )
    assert Proposal.objects.filter(client_key=key).get().pk == first.pk


def test_a_lost_race_returns_the_winner(world, monkeypatch):
    """Two sends at once: both miss the look-up, the constraint stops the second insert and the
    service answers with the first one's proposal."""
    key = uuid.uuid4()
    winner = propose(world, world.resident, key)
    monkeypatch.setattr(services.proposals, "already_filed", lambda *a, **k: None)
    again = propose(world, world.resident, key)
    assert again.pk == winner.pk
    assert Proposal.objects.filter(client_key=key).count() == 1


def test_a_resend_is_not_rate_limited(world, settings):
    key = uuid.uuid4()
    first = propose(world, world.resident, key)
    for _ in range(30):
        assert propose(world, world.resident, key).pk == first.pk


def api_post(client, world, payload):
    return client.post(
        f"/api/v1/communities/{world.yuling.pk}/proposals",
        data=json.dumps(payload),
        content_type="application/json",
    )


def test_api_accepts_client_key_once(world):
    client = client_for(world.resident)
    key = str(uuid.uuid4())
    payload = {"title": "小区门口积水", "body": "下雨后门口积水很深。", "client_key": key}
    first = api_post(client, world, payload)
    second = api_post(client, world, payload)
    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["url"].endswith(f"/council/proposals/{first.json()['id']}/")
    other = api_post(client_for(world.resident2), world, payload)
    assert other.json()["id"] != first.json()["id"]
    assert Proposal.objects.filter(client_key=key).count() == 2


def test_api_refuses_a_malformed_key(world):
    client = client_for(world.resident)
    response = api_post(client, world, {"title": "t", "body": "b", "client_key": "nope"})
    assert response.status_code == 400
    assert "client_key" in response.json()["errors"]


def test_propose_page_files_a_key_once(world):
    client = client_for(world.resident)
    key = str(uuid.uuid4())
    data = {"title": "健身器材松动", "body": "广场的健身器材螺丝松了。", "category": "facilities"}
    url = f"/council/{world.yuling.pk}/new/"
    first = client.post(url, {**data, "client_key": key})
    second = client.post(url, {**data, "client_key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Proposal.objects.filter(client_key=key).count() == 1
    # Without the script (no key, or a malformed one) the page files as it always did.
    client.post(url, data)
    client.post(url, {**data, "client_key": "not-a-uuid"})
    assert Proposal.objects.filter(author=world.resident, title="健身器材松动").count() == 3


def test_propose_page_renders_the_hidden_key(world):
    page = client_for(world.resident).get(f"/council/{world.yuling.pk}/new/").content.decode()
    assert 'name="client_key"' in page
    assert "data-offline-draft" in page
