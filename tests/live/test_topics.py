import pytest

from live import topics
from live.permissions import can_follow_community, can_follow_user


@pytest.mark.parametrize(
    "topic",
    ["", "user", "user:", ":1", "user:x", "user:1:2", "user:-1", "user:01", "user:١", "nope:1", 12],
)
def test_parse_refuses_malformed_or_unknown(topic):
    with pytest.raises(topics.UnknownTopic):
        topics.parse(topic)


def test_parse_and_group_name():
    kind, object_id = topics.parse("user:9")
    assert (kind.name, object_id) == ("user", 9)
    assert topics.parse("community:0")[1] == 0
    assert topics.group_name("community:5") == "live.community.5"
    assert topics.topic_for("user", 9) == "user:9"


def test_register_and_unregister():
    topics.register("demo", lambda user, object_id: object_id == 1)
    try:
        assert topics.is_registered("demo")
        assert topics.can_follow(None, "demo:1") is True
        assert topics.can_follow(None, "demo:2") is False
    finally:
        topics.unregister("demo")
    with pytest.raises(topics.UnknownTopic):
        topics.parse("demo:1")


@pytest.mark.parametrize("name", ["", "a:b", "a.b", "任务"])
def test_register_refuses_bad_kind_names(name):
    with pytest.raises(ValueError):
        topics.register(name, lambda user, object_id: True)


def test_live_owns_user_and_community():
    assert topics.is_registered("user")
    assert topics.is_registered("community")


@pytest.mark.django_db
def test_user_topic_only_for_that_user(alice, bob):
    assert can_follow_user(alice, alice.pk)
    assert not can_follow_user(alice, bob.pk)
    assert not can_follow_user(None, alice.pk)
    alice.is_active = False
    assert not can_follow_user(alice, alice.pk)


@pytest.mark.django_db
def test_community_topic_for_anyone(community):
    from django.contrib.auth.models import AnonymousUser

    assert can_follow_community(AnonymousUser(), community.pk)
    assert not can_follow_community(AnonymousUser(), community.pk + 1000)
