"""Followers hear of publish, vote opened, decision, task claimed, done and verified:
an event on their `user:<id>` topic and an e-mail sent in the background."""

import pytest
from django.core import mail

from deliberation import services
from deliberation.models import Follow
from live.models import Event
from teams import services as team_services

from .conftest import make_proposal

pytestmark = pytest.mark.django_db


def notices(user, kind=None):
    qs = Event.objects.filter(topic=f"user:{user.pk}", type__startswith="proposal.")
    if kind:
        qs = qs.filter(type=f"proposal.{kind}")
    return list(qs.order_by("id"))


def mails_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def test_whole_life_of_a_followed_proposal(world, django_capture_on_commit_callbacks):
    author, follower = world.resident, world.resident2
    proposal = services.create_proposal(
        actor=author, community=world.yuling, title="东门垃圾无人清运", body="三天没人收。"
    )
    assert Follow.objects.filter(user=author, proposal=proposal).exists()

    def step(fn, **kwargs):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    step(services.publish_proposal, actor=world.staff, proposal=proposal)
    assert len(notices(author, "published")) == 1
    data = notices(author, "published")[0].data
    assert data["proposal"] == {"id": proposal.pk, "title": "东门垃圾无人清运"}
    assert "东门垃圾无人清运" in data["text"]
    assert data["url"] == proposal.get_absolute_url()
    assert len(mails_to(author)) == 1
    assert "东门垃圾无人清运" in mails_to(author)[0].subject
    assert proposal.get_absolute_url() in mails_to(author)[0].body

    services.follow_proposal(actor=follower, proposal=proposal)

    step(services.open_voting, actor=world.staff, proposal=proposal)
    for user in (author, follower):
        assert len(notices(user, "voting_opened")) == 1
        assert len(mails_to(user)) == 1
    assert not notices(world.resident3)  # not a follower
    assert not mails_to(world.resident3)
    assert not mails_to(world.staff)  # the actor is not told of their own action

    for user in (author, follower, world.rep):
        services.cast_vote(actor=user, proposal=proposal, choice="support")
    step(services.decide_proposal, actor=world.staff, proposal=proposal)
    for user in (author, follower):
        assert len(notices(user, "accepted")) == 1
        assert len(mails_to(user)) == 1
    proposal.refresh_from_db()
    task = proposal.task

    step(team_services.claim_task, actor=world.leader, task=task, team=world.team)
    for user in (author, follower):
        [notice] = notices(user, "task_claimed")
        assert "玉岭社区环境志愿服务队" in notice.data["text"]
        assert len(mails_to(user)) == 1
    # the proposal page hears of it too
    assert Event.objects.filter(topic=f"proposal:{proposal.pk}", type="proposal.task").exists()

    step(
        team_services.post_update, actor=world.leader, task=task, text="开始", status="in_progress"
    )
    for user in (author, follower):
        assert not mails_to(user)  # in progress is not worth an e-mail
    step(team_services.post_update, actor=world.leader, task=task, text="已清运", status="done")
    for user in (author, follower):
        assert len(notices(user, "task_done")) == 1
        assert len(mails_to(user)) == 1

    step(team_services.verify_task, actor=world.staff, task=task)
    for user in (author, follower):
        assert len(notices(user, "task_verified")) == 1
        assert len(mails_to(user)) == 1

    last = Event.objects.filter(topic=f"proposal:{proposal.pk}", type="proposal.task").last()
    assert last.data["task"]["status"] == "verified"
    assert last.data["task"]["team"]["name"] == "玉岭社区环境志愿服务队"


def test_unfollowing_stops_notices(world, django_capture_on_commit_callbacks):
    proposal = make_proposal(world, status="discussion")
    services.follow_proposal(actor=world.resident2, proposal=proposal)
    services.unfollow_proposal(actor=world.resident2, proposal=proposal)
    with django_capture_on_commit_callbacks(execute=True):
        services.open_voting(actor=world.staff, proposal=proposal)
    assert not notices(world.resident2)
    assert not mails_to(world.resident2)
    assert len(mails_to(world.resident)) == 1


def test_rolled_back_change_sends_nothing(world, django_capture_on_commit_callbacks):
    from django.db import transaction

    proposal = make_proposal(world, status="discussion")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.open_voting(actor=world.staff, proposal=proposal)
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert not mail.outbox
    assert not notices(world.resident)


def test_rejected_and_returned_notices(world, django_capture_on_commit_callbacks):
    proposal = make_proposal(world, status="voting")
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_proposal(actor=world.staff, proposal=proposal)
    assert len(notices(world.resident, "rejected")) == 1

    submitted = make_proposal(world, status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_proposal(actor=world.staff, proposal=submitted, reason="请补充照片")
    [notice] = notices(world.resident, "returned")
    assert "请补充照片" in notice.data["text"]


def test_tasks_without_a_proposal_are_ignored(world):
    task = team_services.create_task(
        actor=world.staff, community=world.yuling, title="临时任务", required_skills=["sanitation"]
    )
    team_services.claim_task(actor=world.leader, task=task, team=world.team)
    assert not Event.objects.filter(type__startswith="proposal.").exists()
