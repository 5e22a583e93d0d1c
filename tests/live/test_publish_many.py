"""publish_many: one INSERT, ids in list order, one commit hook pushing them in that order,
nothing pushed (or kept) on rollback."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from live import services
from live.models import Event


@pytest.fixture
def pushes(monkeypatch):
    seen = []
    monkeypatch.setattr(
        services, "_push", lambda topic, event_id, text: seen.append((topic, event_id, text))
    )
    return seen


@pytest.mark.django_db
def test_one_insert_ids_in_order_pushed_after_commit(pushes, django_capture_on_commit_callbacks):
    items = [("task:1", "task.claimed", {"n": 1}), ("community:2", "task.claimed", {"n": 2})]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with CaptureQueriesContext(connection) as queries:
            events = services.publish_many(items)
        assert pushes == []  # not before commit
    inserts = [q for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert [e.topic for e in events] == ["task:1", "community:2"]
    assert events[0].pk < events[1].pk
    assert len(callbacks) == 1
    callbacks[0]()
    assert [(topic, event_id) for topic, event_id, _text in pushes] == [
        ("task:1", events[0].pk),
        ("community:2", events[1].pk),
    ]
    assert pushes[0][2] == services.serialise(Event.objects.get(pk=events[0].pk))


@pytest.mark.django_db(transaction=True)
def test_rollback_pushes_nothing(pushes):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.publish_many([("task:1", "x", {}), ("task:1", "y", {})])
        raise RuntimeError
    assert pushes == []
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_unknown_topic_writes_nothing(pushes):
    from live.topics import UnknownTopic

    with pytest.raises(UnknownTopic):
        services.publish_many([("task:1", "x", {}), ("nope:1", "y", {})])
    assert not Event.objects.exists()
