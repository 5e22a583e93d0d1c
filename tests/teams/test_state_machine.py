"""Task: open -> claimed -> in_progress -> done -> verified; reopen -> open; cancel."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from core.errors import Conflict, NotAllowed
from live.models import Event
from teams import services
from teams.models import Task
from teams.permissions import eligible_teams

from .conftest import client_for, make_task, make_team


def test_full_lifecycle(world):
    task = make_task(world.yuling)
    task = services.claim_task(actor=world.leader, task=task, team=world.team)
    assert (task.status, task.team, task.claimed_at is not None) == ("claimed", world.team, True)
    services.post_update(actor=world.volunteer, task=task, text="出发", status="in_progress")
    task.refresh_from_db()
    assert task.status == "in_progress"
    update = services.post_update(actor=world.leader, task=task, text="完成", status="done")
    assert update.status_change == "done"
    task.refresh_from_db()
    assert task.status == "done" and task.done_at is not None
    task = services.verify_task(actor=world.staff, task=task)
    assert task.status == "verified" and task.verified_at is not None
    task = services.reopen_task(actor=world.staff, task=task, reason="复查发现还有遗漏")
    assert (task.status, task.team, task.verified_at) == ("open", None, None)
    # Once open again, another team may take it.
    task = services.claim_task(actor=world.other_leader, task=task, team=world.other_team)
    assert task.team == world.other_team
    types = list(Event.objects.filter(topic=f"task:{task.pk}").values_list("type", flat=True))
    assert types == [
        "task.claimed",
        "task.updated",
        "task.status",
        "task.updated",
        "task.status",
        "task.verified",
        "task.reopened",
        "task.claimed",
    ]


def test_claim_loser_gets_conflict_naming_holder(world):
    task = make_task(world.yuling)
    stale = Task.objects.get(pk=task.pk)
    services.claim_task(actor=world.leader, task=task, team=world.team)
    # The message is translated (zh-hans by default); check it against the English source.
    with translation.override("en"), pytest.raises(Conflict) as info:
        services.claim_task(actor=world.other_leader, task=stale, team=world.other_team)
    assert str(info.value.detail) == f"Already taken by {world.team.name}"
    assert info.value.extra["holder"] == {"id": world.team.pk, "name": world.team.name}
    task.refresh_from_db()
    assert task.team == world.team


def test_claim_api_409_names_holder(world):
    task = make_task(world.yuling)
    services.claim_task(actor=world.leader, task=task, team=world.team)
    response = client_for(world.other_leader).post(
        f"/api/v1/tasks/{task.pk}/claim",
        {"team": world.other_team.pk},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_taken"
    assert body["holder"] == {"id": world.team.pk, "name": world.team.name}
    assert world.team.name in body["detail"]


WRONG_STATE = [
    # (status of the task, action, actor role)
    ("claimed", "verify", "staff"),
    ("in_progress", "verify", "staff"),
    ("open", "verify", "staff"),
    ("verified", "verify", "staff"),
    ("open", "reopen", "staff"),
    ("claimed", "reopen", "staff"),
    ("verified", "cancel", "staff"),
    ("cancelled", "cancel", "staff"),
    ("open", "release", "staff"),
    ("done", "release", "leader"),
    ("done", "start", "volunteer"),
    ("in_progress", "start", "volunteer"),
    ("verified", "finish", "volunteer"),
    ("cancelled", "update", "staff"),
    ("verified", "update", "leader"),
    ("claimed", "claim", "other_leader"),
    ("cancelled", "claim", "leader"),
]

API = {
    "verify": ("verify", {}),
    "reopen": ("reopen", {}),
    "cancel": ("cancel", {}),
    "release": ("release", {}),
    "start": ("updates", {"status": "in_progress"}),
    "finish": ("updates", {"status": "done"}),
    "update": ("updates", {"text": "看看"}),
}


def _run(world, task, action, user):
    team = world.other_team if user == world.other_leader else world.team
    return {
        "verify": lambda: services.verify_task(actor=user, task=task),
        "reopen": lambda: services.reopen_task(actor=user, task=task),
        "cancel": lambda: services.cancel_task(actor=user, task=task),
        "release": lambda: services.release_task(actor=user, task=task),
        "start": lambda: services.post_update(actor=user, task=task, status="in_progress"),
        "finish": lambda: services.post_update(actor=user, task=task, status="done"),
        "update": lambda: services.post_update(actor=user, task=task, text="看看"),
        "claim": lambda: services.claim_task(actor=user, task=task, team=team),
    }[action]()


def _task_in(world, status):
    held = status in Task.HELD or status == "cancelled"
    return make_task(world.yuling, team=world.team if held else None, status=status)


@pytest.mark.parametrize(("status", "action", "role"), WRONG_STATE)
def test_refused_transitions_are_conflicts(world, status, action, role):
    task = _task_in(world, status)
    with pytest.raises(Conflict):
        _run(world, task, action, getattr(world, role))
    assert Task.objects.get(pk=task.pk).status == status
    if action == "claim":
        path, body = (
            "claim",
            {"team": (world.other_team if role == "other_leader" else world.team).pk},
        )
    else:
        path, body = API[action]
    response = client_for(getattr(world, role)).post(
        f"/api/v1/tasks/{task.pk}/{path}", body, content_type="application/json"
    )
    assert response.status_code == 409, response.content
    assert response.json()["current_status"] == status


def test_stale_object_cannot_double_verify(world):
    task = _task_in(world, "done")
    stale = Task.objects.get(pk=task.pk)
    services.verify_task(actor=world.staff, task=task)
    # verify reloads the task, so the stale copy sees "verified" and gets a conflict
    with pytest.raises(Conflict):
        services.verify_task(actor=world.staff, task=stale)


def test_release_clears_team_and_dispatch(world):
    task = services.create_task(
        actor=world.staff, community=world.yuling, title="送药上门", team=world.other_team
    )
    task = services.claim_task(actor=world.other_leader, task=task, team=world.other_team)
    task = services.release_task(actor=world.other_leader, task=task, reason="人手不够")
    assert (task.status, task.team, task.dispatched_team) == ("open", None, None)


def test_cancel_keeps_last_team_and_reopen_clears_it(world):
    task = _task_in(world, "in_progress")
    task = services.cancel_task(actor=world.staff, task=task)
    assert (task.status, task.team) == ("cancelled", world.team)
    task = services.reopen_task(actor=world.staff, task=task)
    assert (task.status, task.team, task.cancelled_at) == ("open", None, None)


def test_dispatch_limits_who_may_claim(world):
    task = services.create_task(
        actor=world.staff,
        community=world.yuling,
        title="修剪树枝",
        required_skills=["elderly-care"],  # the dispatched team need not have the skills
        team=world.team,
    )
    assert list(eligible_teams(task)) == [world.team]
    with pytest.raises(NotAllowed):
        services.claim_task(actor=world.other_leader, task=task, team=world.other_team)
    services.claim_task(actor=world.leader, task=task, team=world.team)


def test_skills_and_community_decide_eligibility(world):
    greening = make_task(world.yuling, skill_slugs=("greening",))
    assert set(eligible_teams(greening)) == {world.team}
    with pytest.raises(NotAllowed):
        services.claim_task(actor=world.other_leader, task=greening, team=world.other_team)
    elsewhere = make_task(world.other)
    assert not eligible_teams(elsewhere).exists()
    with pytest.raises(NotAllowed):
        services.claim_task(actor=world.leader, task=elsewhere, team=world.team)
    # A team serving the district above serves every community below it (city-wide teams).
    city = make_team("消防志愿队", community=world.district, skill_slugs=("sanitation",))
    assert city in eligible_teams(elsewhere)
    # Inactive teams take nothing.
    world.team.active = False
    world.team.save()
    assert world.team not in eligible_teams(make_task(world.yuling))


def test_eligibility_is_one_query_whatever_the_skills(world, django_assert_num_queries):
    both = make_task(world.yuling, skill_slugs=("sanitation", "greening"))
    three = make_task(world.yuling, skill_slugs=("sanitation", "greening", "elderly-care"))
    none = make_task(world.yuling, skill_slugs=())
    with django_assert_num_queries(1):
        assert set(eligible_teams(both)) == {world.team}
    with django_assert_num_queries(1):
        assert not eligible_teams(three).exists()
    with django_assert_num_queries(1):
        assert set(eligible_teams(none)) == {world.team, world.other_team}


def test_one_holder_constraint(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_task(world.yuling, status="open", team=world.team)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_task(world.yuling, status="claimed", team=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=make_task(world.yuling).pk).update(status="verified")


def test_conflict_leaves_no_events(world):
    task = _task_in(world, "open")
    before = Event.objects.count()
    with pytest.raises(Conflict):
        services.verify_task(actor=world.staff, task=task)
    assert Event.objects.count() == before


def test_status_signal_is_sent_once_per_change(world):
    from teams.signals import task_status_changed

    seen = []

    def receiver(sender, task, actor, **kwargs):
        seen.append((task.status, actor))

    task_status_changed.connect(receiver)
    try:
        task = make_task(world.yuling)
        task = services.claim_task(actor=world.leader, task=task, team=world.team)
        services.post_update(actor=world.volunteer, task=task, text="只是说明")  # no change
        services.post_update(actor=world.volunteer, task=task, status="done")
        services.verify_task(actor=world.staff, task=task)
    finally:
        task_status_changed.disconnect(receiver)
    assert seen == [
        ("claimed", world.leader),
        ("done", world.volunteer),
        ("verified", world.staff),
    ]
