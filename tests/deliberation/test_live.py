"""The `proposal` topic kind: who may follow it, and a subscription through the consumer."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from deliberation import services
from live import topics

from .conftest import make_proposal

pytestmark = pytest.mark.django_db


def test_proposal_topic_is_registered_with_its_check(world):
    public = make_proposal(world, status="discussion")
    draft = make_proposal(world, status="submitted")
    hidden = make_proposal(world, status="voting", hidden=True)
    assert topics.can_follow(world.anonymous, f"proposal:{public.pk}")
    assert topics.can_follow(world.resident2, f"proposal:{public.pk}")
    for proposal in (draft, hidden):
        topic = f"proposal:{proposal.pk}"
        assert not topics.can_follow(world.anonymous, topic)
        assert not topics.can_follow(world.resident2, topic)
        assert topics.can_follow(world.staff, topic)
        assert topics.can_follow(world.resident, topic)  # the author
    assert not topics.can_follow(world.staff, "proposal:987654")


@pytest.mark.django_db(transaction=True)
async def test_browser_following_a_proposal_sees_the_tally_live():
    world = await database_sync_to_async(_build_world)()
    proposal = await database_sync_to_async(make_proposal)(world, status="voting")
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    connected, _ = await communicator.connect()
    assert connected
    topic = f"proposal:{proposal.pk}"
    await communicator.send_to(text_data=json.dumps({"action": "subscribe", "topic": topic}))
    assert json.loads(await communicator.receive_from()) == {"type": "subscribed", "topic": topic}
    await database_sync_to_async(services.cast_vote)(
        actor=world.resident2, proposal=proposal, choice="support"
    )
    event = json.loads(await communicator.receive_from(timeout=5))
    assert event["topic"] == topic
    assert event["type"] == "proposal.tally"
    assert event["data"] == {"support": 1, "oppose": 0, "abstain": 0, "total": 1}
    await communicator.disconnect()


def _build_world():
    from types import SimpleNamespace

    from tests.factories import CouncilFactory, community_tree, make_user, member

    _district, _street, yuling = community_tree()
    w = SimpleNamespace(yuling=yuling)
    w.council = CouncilFactory(community=yuling)
    w.resident = member(make_user("resident@example.com"), yuling)
    w.resident2 = member(make_user("resident2@example.com"), yuling)
    return w
