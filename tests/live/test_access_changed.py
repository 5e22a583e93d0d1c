"""Access that ends stops the stream at once, not after LIVE_RECHECK_SECONDS (issue 22, point 4).

A membership that ends, a role lowered, an account deactivated (live.services.access_changed),
a task marked sensitive or a proposal hidden (topic_changed) make the open sockets concerned
check their subscriptions right away: `forbidden` for what can_follow now refuses, and none of
its events after that. LIVE_RECHECK_SECONDS stays at its 300 s throughout.

These run on whichever channel layer the settings give (in-memory, or Redis with REDIS_URL).
"""

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from communities import services as communities
from communities.models import Membership
from deliberation import services as council
from live.services import publish
from teams.models import Task, TeamMembership

from .helpers import ask, assert_pong, live_socket, receive
from .test_read_now import build_world, make_user, member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _recheck_interval(settings):
    settings.LIVE_RECHECK_SECONDS = 300


async def subscribe(ws, *topics):
    for topic in topics:
        assert await ask(ws, {"action": "subscribe", "topic": topic}) == {
            "type": "subscribed",
            "topic": topic,
        }


def publish_both(lost: str, kept: str) -> None:
    """One event on the topic that was lost, then one on a topic still followed: pushed in
    this order after commit, so the second arriving first proves the first never will."""
    with transaction.atomic():
        publish(topic=lost, type="demo.after", data={"text": "泄露"})
        publish(topic=kept, type="demo.marker", data={})


async def until_marker(ws) -> list[dict]:
    messages = []
    while (message := await receive(ws)).get("type") != "demo.marker":
        messages.append(message)
    return messages


def forbidden(topic) -> dict:
    return {"type": "error", "code": "forbidden", "topic": topic}


def sensitive_task_of(w) -> Task:
    task = Task.objects.create(
        community=w.yuling, title="保密任务", sensitive=True, team=w.team, status="claimed"
    )
    return task


async def test_a_volunteer_who_leaves_the_team_stops_getting_its_sensitive_task():
    """Each of their sockets loses the task at once and gets none of its events after that."""
    w = await database_sync_to_async(build_world)()
    task = await database_sync_to_async(sensitive_task_of)(w)
    task_topic, team_topic = f"task:{task.pk}", f"team:{w.team.pk}"
    own = f"user:{w.leader.pk}"
    async with live_socket(w.leader) as ws, live_socket(w.leader) as second:
        await subscribe(ws, team_topic, task_topic, own)
        await subscribe(second, task_topic, own)

        def leave():  # as the admin's team edit (inline members) saves it
            w.leadership.status = TeamMembership.Status.LEFT
            w.leadership.save()

        await database_sync_to_async(leave)()
        assert await receive(ws) == forbidden(task_topic)
        assert await receive(second) == forbidden(task_topic)
        await database_sync_to_async(publish_both)(task_topic, own)
        assert await until_marker(ws) == []
        assert await until_marker(second) == []
        # The task topic is no longer followed; subscribing again is refused.
        assert await ask(ws, {"action": "subscribe", "topic": task_topic}) == forbidden(task_topic)
        await assert_pong(ws)


async def test_a_deleted_team_membership_counts_as_ended():
    w = await database_sync_to_async(build_world)()
    task = await database_sync_to_async(sensitive_task_of)(w)
    async with live_socket(w.leader) as ws:
        await subscribe(ws, f"task:{task.pk}")
        await database_sync_to_async(w.leadership.delete)()
        assert await receive(ws) == forbidden(f"task:{task.pk}")


async def test_a_team_made_inactive_ends_its_members_access():
    w = await database_sync_to_async(build_world)()
    task = await database_sync_to_async(sensitive_task_of)(w)
    async with live_socket(w.leader) as ws:
        await subscribe(ws, f"task:{task.pk}")

        def deactivate_team():  # as the admin's team edit view saves it
            w.team.active = False
            w.team.save()

        await database_sync_to_async(deactivate_team)()
        assert await receive(ws) == forbidden(f"task:{task.pk}")


async def test_staff_lowered_to_resident_lose_a_hidden_proposal_at_once():
    w = await database_sync_to_async(build_world)()

    def hidden_proposal():
        from deliberation.models import Proposal

        proposal = Proposal.objects.create(
            council=w.council, author=w.resident, status="submitted", title="标题", body="正文"
        )
        council.publish_proposal(actor=w.staff, proposal=proposal)
        council.hide_proposal(actor=w.staff, proposal=proposal, reason="理由")
        return proposal

    proposal = await database_sync_to_async(hidden_proposal)()
    topic, own = f"proposal:{proposal.pk}", f"user:{w.staff.pk}"
    async with live_socket(w.staff) as ws:
        await subscribe(ws, topic, own)

        def lower():
            membership = Membership.objects.get(user=w.staff, community=w.yuling)
            communities.set_role(actor=w.chief, membership=membership, role="resident")

        await database_sync_to_async(lower)()
        assert await receive(ws) == forbidden(topic)
        await database_sync_to_async(publish_both)(topic, own)
        assert await until_marker(ws) == []


async def test_a_rejected_staff_membership_ends_access_at_once():
    w = await database_sync_to_async(build_world)()

    def private_need_task():
        return Task.objects.create(community=w.yuling, title="保密", sensitive=True)

    task = await database_sync_to_async(private_need_task)()
    async with live_socket(w.staff) as ws:
        await subscribe(ws, f"task:{task.pk}")

        def reject():
            membership = Membership.objects.get(user=w.staff, community=w.yuling)
            communities.reject_membership(actor=w.chief, membership=membership, reason="离职")

        await database_sync_to_async(reject)()
        assert await receive(ws) == forbidden(f"task:{task.pk}")


async def test_a_deactivated_account_loses_its_topics_and_goes_on_signed_out():
    w = await database_sync_to_async(build_world)()
    own, public = f"user:{w.resident.pk}", f"community:{w.yuling.pk}"
    async with live_socket(w.resident) as ws:
        await subscribe(ws, own, public)

        def deactivate():  # as Wagtail's user edit view saves it
            w.resident.is_active = False
            w.resident.save()

        await database_sync_to_async(deactivate)()
        assert await receive(ws) == forbidden(own)
        await database_sync_to_async(publish_both)(own, public)
        assert await until_marker(ws) == []
        assert await ask(ws, {"action": "subscribe", "topic": own}) == forbidden(own)


async def test_a_task_marked_sensitive_drops_followers_who_may_not_see_it():
    w = await database_sync_to_async(build_world)()
    task = await database_sync_to_async(
        lambda: Task.objects.create(community=w.yuling, title="公开任务")
    )()
    topic, public = f"task:{task.pk}", f"community:{w.yuling.pk}"
    async with (
        live_socket(w.resident) as ws,
        live_socket() as anonymous,
        live_socket(w.staff) as staff,
    ):
        await subscribe(ws, topic, public)
        await subscribe(anonymous, topic, public)
        await subscribe(staff, topic, public)

        def mark_sensitive():  # as the admin's task edit view saves it
            task.sensitive = True
            task.save()

        await database_sync_to_async(mark_sensitive)()
        assert await receive(ws) == forbidden(topic)
        assert await receive(anonymous) == forbidden(topic)
        await database_sync_to_async(publish_both)(topic, public)
        assert await until_marker(ws) == []
        assert await until_marker(anonymous) == []
        # Staff may still see it: the event comes, then the marker.
        assert [m["type"] for m in await until_marker(staff)] == ["demo.after"]


async def test_a_hidden_proposal_drops_its_public_followers():
    w = await database_sync_to_async(build_world)()

    def published():
        from deliberation.models import Proposal

        proposal = Proposal.objects.create(
            council=w.council, author=w.resident, status="submitted", title="标题", body="正文"
        )
        return council.publish_proposal(actor=w.staff, proposal=proposal)

    proposal = await database_sync_to_async(published)()
    topic, public = f"proposal:{proposal.pk}", f"community:{w.yuling.pk}"
    async with live_socket() as anonymous, live_socket(w.resident) as author:
        await subscribe(anonymous, topic, public)
        await subscribe(author, topic, public)
        await database_sync_to_async(council.hide_proposal)(
            actor=w.staff, proposal=proposal, reason="理由"
        )
        # The hide is announced, then the topic is refused.
        assert (await receive(anonymous))["type"] == "proposal.hidden"
        assert await receive(anonymous) == forbidden(topic)
        await database_sync_to_async(publish_both)(topic, public)
        assert await until_marker(anonymous) == []
        # The author may still see their proposal.
        assert (await receive(author))["type"] == "proposal.hidden"
        assert [m["type"] for m in await until_marker(author)] == ["demo.after"]


async def test_someone_elses_access_change_leaves_a_socket_alone():
    w = await database_sync_to_async(build_world)()
    task = await database_sync_to_async(sensitive_task_of)(w)
    topic = f"task:{task.pk}"

    def add_and_remove_someone():
        other = member(make_user("other@example.com"), w.yuling)
        membership = TeamMembership.objects.create(
            team=w.team, user=other, role="member", status="active"
        )
        membership.status = TeamMembership.Status.LEFT
        membership.save()

    own = f"user:{w.staff.pk}"
    async with live_socket(w.staff) as staff:
        await subscribe(staff, topic, own)
        await database_sync_to_async(add_and_remove_someone)()
        await database_sync_to_async(publish_both)(topic, own)
        assert [m["type"] for m in await until_marker(staff)] == ["demo.after"]
