"""publish_many: one INSERT, ids in list order, one commit hook pushing them in that order,
nothing pushed (or kept) on rollback; the events of one transaction share one commit hook and
one push per topic."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from live import services
from live.models import Event
from live.topics import group_name


@pytest.fixture
def messages(monkeypatch):
    """What reaches the channel layer: (group, message) per push."""
    sent = []

    class Layer:
        async def group_send(self, group, message):
            sent.append((group, message))

    monkeypatch.setattr(services, "get_channel_layer", Layer)
    return sent


@pytest.mark.django_db
def test_one_insert_ids_in_order_pushed_after_commit(
    messages, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Several events cost one query, get ids in list order and are pushed, each to its
    topic's group, only when the commit hook runs."""
    items = [("task:1", "task.claimed", {"n": 1}), ("community:2", "task.claimed", {"n": 2})]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with django_assert_num_queries(1):
            events = services.publish_many(items)
        assert messages == []  # not before commit
    assert [e.topic for e in events] == ["task:1", "community:2"]
    assert events[0].pk < events[1].pk
    assert len(callbacks) == 1
    callbacks[0]()
    assert messages == [
        (
            group_name(e.topic),
            {
                "type": "live.event",
                "id": e.pk,
                "topic": e.topic,
                "text": services.serialise(Event.objects.get(pk=e.pk)),
            },
        )
        for e in events
    ]


@pytest.mark.django_db(transaction=True)
def test_rollback_pushes_nothing(messages):
    """A rolled-back transaction keeps none of its events and pushes none."""
    with pytest.raises(RuntimeError), transaction.atomic():
        services.publish_many([("task:1", "x", {}), ("task:1", "y", {})])
        raise RuntimeError
    assert messages == []
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_unknown_topic_writes_nothing(messages):
    """One unknown topic refuses the whole list before anything is written."""
    from live.topics import UnknownTopic

    with pytest.raises(UnknownTopic):
        services.publish_many([("task:1", "x", {}), ("nope:1", "y", {})])
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_one_call_one_push_per_topic_in_id_order_after_commit(messages):
    with transaction.atomic():
        update = services.publish(topic="task:1", type="task.updated", data={})
        status, also, team = services.publish_many(
            [("task:1", "task.status", {}), ("team:2", "task.status", {}), ("task:1", "x", {})]
        )
        assert messages == []
    assert [group for group, _message in messages] == [
        group_name("task:1"),
        group_name("task:1"),
        group_name("team:2"),
    ]
    single, joined, team_message = (message for _group, message in messages)
    assert single == {
        "type": "live.event",
        "id": update.pk,
        "topic": "task:1",
        "text": services.serialise(update),
    }
    assert joined == {
        "type": "live.event",
        "topic": "task:1",
        "events": [
            [status.pk, services.serialise(status)],
            [team.pk, services.serialise(team)],
        ],
    }
    assert team_message == {
        "type": "live.event",
        "id": also.pk,
        "topic": "team:2",
        "text": services.serialise(also),
    }


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_only_its_own_events(messages):
    with transaction.atomic():
        kept = services.publish(topic="task:1", type="a", data={})
        with pytest.raises(RuntimeError), transaction.atomic():
            services.publish(topic="task:1", type="b", data={})
            raise RuntimeError
        after = services.publish(topic="task:1", type="c", data={})
    assert [message["id"] for _group, message in messages] == [kept.pk, after.pk]


@pytest.mark.django_db(transaction=True)
def test_without_a_transaction_each_publish_pushes_at_once(messages):
    services.publish(topic="task:1", type="a", data={})
    services.publish(topic="task:1", type="b", data={})
    assert [message["type"] for _group, message in messages] == ["live.event", "live.event"]
    assert all("id" in message for _group, message in messages)


def _in_a_worker_thread_of_a_loop(function, finished):
    """Run `function` as a sync Django view runs under daphne: in a worker thread of a
    running event loop; then keep the loop running until `finished()` (a push still under way
    gets to finish)."""

    async def main():
        await sync_to_async(function)()
        async with asyncio.timeout(5):
            while not finished():
                await asyncio.sleep(0.01)

    asyncio.run(main())


def test_a_worker_thread_goes_on_once_its_loop_has_taken_the_push(monkeypatch):
    """A push from a worker thread of the consumers' loop has been sent before the thread goes
    on."""
    order = []

    class Layer:
        async def group_send(self, group, message):
            order.append(("pushed", group, message["id"]))

    monkeypatch.setattr(services, "get_channel_layer", Layer)

    def request():
        services._push("task:1", [(7, "{}")])
        order.append("request went on")

    _in_a_worker_thread_of_a_loop(request, finished=lambda: len(order) == 2)
    assert order == [("pushed", group_name("task:1"), 7), "request went on"]
