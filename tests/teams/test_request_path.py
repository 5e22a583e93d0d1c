"""The claim / update request path stays lean: bounded queries, one audit entry (Wagtail's
log()), events logged in one INSERT per announcement and pushed after commit in order (task
topic first)."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import ModelLogEntry

from live.models import Event
from live.topics import group_name
from teams import permissions as perms
from teams import services
from teams.models import Task, Team, TeamMembership

from .conftest import client_for, make_task

END = "test.end"


@pytest.fixture
def layer(settings):
    """An in-memory channel layer of the test's own, whatever REDIS_URL says."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


def listen(layer, *topics) -> str:
    """A channel in the groups of `topics`: it receives every push to them, in order."""
    channel = async_to_sync(layer.new_channel)()
    for topic in topics:
        async_to_sync(layer.group_add)(group_name(topic), channel)
    return channel


def pushed(layer, channel) -> list[tuple[str, int]]:
    """The (topic, event id) of every event pushed to `channel` so far, in order (a message
    sent to it now comes after them all, so reading up to it needs no timeout)."""

    async def read():
        await layer.send(channel, {"type": END})
        seen = []
        while (message := await layer.receive(channel))["type"] != END:
            if message["type"] == "live.event":
                events = message.get("events") or [[message["id"], message["text"]]]
                seen.extend((message["topic"], event_id) for event_id, _text in events)
        return seen

    return async_to_sync(read)()


def claim_queries(task, actor, team) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.claim_task(actor=actor, task=task, team=team)
    return len(queries)


def test_claim_api_queries_audit_and_push_order(
    world, layer, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """A claim: its queries stay few (the three events in one INSERT), one audit entry, one
    commit hook, and the events pushed after commit, the task topic first."""
    task = make_task(world.yuling)
    topics = [f"task:{task.pk}", f"community:{world.yuling.pk}", f"team:{world.team.pk}"]
    channel = listen(layer, *topics)
    client = client_for(world.leader)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        django_assert_max_num_queries(15),
    ):
        response = client.post(
            f"/api/v1/tasks/{task.pk}/claim",
            data=json.dumps({"team": world.team.pk}),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert len(callbacks) == 1  # one commit hook for the whole announcement
    assert ModelLogEntry.objects.filter(action="linli.task.claim").count() == 1
    events = list(Event.objects.filter(type="task.claimed").order_by("id"))
    assert [e.topic for e in events] == topics
    assert pushed(layer, channel) == [(e.topic, e.pk) for e in events]
    assert events[1].data == events[0].data  # not sensitive: the same data everywhere


def test_update_api_queries(world, django_assert_max_num_queries):
    """Session, user, the task with its skills' slugs and the poster's membership of the
    holding team; the update, the audit entry (Wagtail's log() validates its content type and
    user with a query each), who follows the task (one query, however many) and the event; no
    query of its own for the skills, the membership, the event or the reply."""
    task = make_task(
        world.yuling, team=world.team, status="claimed", skill_slugs=("sanitation", "greening")
    )
    client = client_for(world.volunteer)
    with django_assert_max_num_queries(11):
        response = client.post(
            f"/api/v1/tasks/{task.pk}/updates",
            data=json.dumps({"text": "垃圾已清运"}),
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["required_skills"] == ["greening", "sanitation"]
    event = Event.objects.get(topic=f"task:{task.pk}")
    assert event.data["required_skills"] == ["greening", "sanitation"]


def test_update_that_starts_the_task(
    world, layer, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """The update and the status change it makes: logged together within the query budget
    (membership asked once, no look-up of a proposal for a task that did not come from one),
    one commit hook, and both events pushed together on the task's topic."""
    task = make_task(world.yuling, team=world.team, status="claimed")
    task_topic = f"task:{task.pk}"
    channel = listen(layer, task_topic, f"community:{world.yuling.pk}", f"team:{world.team.pk}")
    client = client_for(world.volunteer)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        django_assert_max_num_queries(13),  # and who follows it: one query
    ):
        response = client.post(
            f"/api/v1/tasks/{task.pk}/updates",
            data=json.dumps({"text": "开始清理", "status": "in_progress"}),
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "in_progress"
    assert response.json()["required_skills"] == ["sanitation"]
    assert len(callbacks) == 1
    events = list(Event.objects.filter(topic=task_topic).order_by("id"))
    assert [e.type for e in events] == ["task.updated", "task.status"]
    assert all(e.data["status"] == "in_progress" for e in events)
    assert events[0].data["update"]["status_change"] == "in_progress"
    pushes = pushed(layer, channel)
    assert {topic for topic, _id in pushes} == {
        task_topic,
        f"community:{world.yuling.pk}",
        f"team:{world.team.pk}",
    }
    assert [event_id for topic, event_id in pushes if topic == task_topic] == [e.pk for e in events]


def test_claim_of_a_staff_task_looks_up_no_proposal(world):
    """Only a task that came from a proposal costs the look-up of its proposal."""
    staff_task = make_task(world.yuling)
    from_a_proposal = make_task(world.yuling, origin=Task.Origin.PROPOSAL)
    assert claim_queries(staff_task, world.leader, world.team) == (
        claim_queries(from_a_proposal, world.leader, world.team) - 1
    )


def test_sensitive_announcement_is_redacted_outside_the_task_topic(world):
    task = make_task(world.yuling, sensitive=True, title="家暴求助", dispatched_team=world.team)
    services.claim_task(actor=world.leader, task=task, team=world.team)
    by_topic = {e.topic: e.data for e in Event.objects.filter(type="task.claimed")}
    assert by_topic[f"task:{task.pk}"]["title"] == "家暴求助"
    assert by_topic[f"community:{world.yuling.pk}"]["title"] != "家暴求助"
    assert by_topic[f"team:{world.team.pk}"]["title"] != "家暴求助"


def test_claim_is_logged_through_wagtail(world):
    task = make_task(world.yuling)
    services.claim_task(actor=world.leader, task=task, team=world.team)
    entry = ModelLogEntry.objects.get(action="linli.task.claim")
    assert entry.object_id == str(task.pk)
    assert entry.user_id == world.leader.pk
    assert entry.data == {"team": {"id": world.team.pk, "name": world.team.name}}


def test_skill_slugs_read_with_the_task_from_a_prefetch_or_alone(world, django_assert_num_queries):
    from teams.models import Task

    several = make_task(world.yuling, skill_slugs=("sanitation", "elderly-care", "greening"))
    none = make_task(world.yuling, skill_slugs=())
    expected = {several.pk: ["elderly-care", "greening", "sanitation"], none.pk: []}
    with django_assert_num_queries(1):
        read = {t.pk: t.skill_slugs() for t in Task.objects.with_skill_slugs()}
    assert read == expected
    with django_assert_num_queries(2):
        read = {t.pk: t.skill_slugs() for t in Task.objects.prefetch_related("required_skills")}
    assert read == expected
    with django_assert_num_queries(3):  # one for the tasks, then one per task
        read = {t.pk: t.skill_slugs() for t in Task.objects.filter(pk__in=expected)}
    assert read == expected


@pytest.mark.parametrize("membership_status", ["active", "pending", "left"])
@pytest.mark.parametrize("team_active", [True, False])
def test_the_membership_read_with_the_task_is_the_membership_rule(
    world, membership_status, team_active
):
    """perms.with_holding_membership writes active_team_memberships out in SQL: it must give
    the same answer as the rule itself, for the holder's members and for everyone else."""
    person = world.resident
    TeamMembership.objects.create(
        team=world.team, user=person, role="member", status=membership_status
    )
    Team.objects.filter(pk=world.team.pk).update(active=team_active)
    held = make_task(world.yuling, team=world.team, status="claimed")
    open_task = make_task(world.yuling)
    for user in (person, world.volunteer, world.leader, world.other_leader, world.staff):
        tasks = perms.with_holding_membership(Task.objects.all(), user)
        read = {
            task.pk: task.in_holding_team for task in tasks.filter(pk__in=[held.pk, open_task.pk])
        }
        assert read == {
            held.pk: perms.is_team_member(user, world.team),
            open_task.pk: False,
        }, user
        assert perms.may_change_status(user, tasks.get(pk=held.pk)) == perms.is_team_member(
            user, world.team
        )
