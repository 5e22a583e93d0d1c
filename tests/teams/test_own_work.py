"""No one approves their own work (issue #22, point 7): verifying a task one's team did,
reviewing hours one logged for someone else, deciding a request for help one filed."""

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.services import sync_staff_access
from core.errors import NotAllowed
from teams import permissions as perms
from teams import services
from teams.models import Need, ServiceRecord, Task, TeamMembership

from .conftest import client_for, make_task


def _done(w, team=None):
    return make_task(w.yuling, team=team or w.team, status="done", claimed_at=timezone.now())


def _api(user, path, body=None):
    return client_for(user).post(path, body or {}, content_type="application/json")


def test_staff_do_not_verify_their_own_teams_task(world):
    TeamMembership.objects.create(team=world.team, user=world.staff, status="active")
    task = _done(world)
    assert not perms.can_verify(world.staff, task)
    with pytest.raises(NotAllowed) as info:
        services.verify_task(actor=world.staff, task=task)
    assert info.value.code == "own_work"
    response = _api(world.staff, f"/api/v1/tasks/{task.pk}/verify")
    assert response.status_code == 403 and response.json()["code"] == "own_work"
    # The page offers no verify button; a forged POST changes nothing.
    page = client_for(world.staff).get(reverse("teams:task_detail", args=[task.pk]))
    assert reverse("teams:task_verify", args=[task.pk]) not in page.content.decode()
    client_for(world.staff).post(reverse("teams:task_verify", args=[task.pk]), {"verify-note": ""})
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    # Nor in the admin's status page (the same rule decides the choices, the service refuses).
    sync_staff_access(world.staff)
    status_page = reverse("teams_task:status", args=[task.pk])
    client_for(world.staff).post(status_page, {"action": "verify", "reason": ""})
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    # Reopening or cancelling is no approval: the same staff member still may; staff of the
    # street above verify.
    assert perms.can_reopen(world.staff, task) and perms.can_cancel(world.staff, task)
    services.verify_task(actor=world.street_staff, task=task)


def test_who_left_the_team_still_does_not_verify_its_work(world):
    """Hours on the task or a status change since it was claimed make it one's own work,
    even after leaving the team."""
    task = make_task(world.yuling, team=world.team, status="in_progress", claimed_at=timezone.now())
    membership = TeamMembership.objects.create(team=world.team, user=world.staff, status="active")
    services.post_update(actor=world.staff, task=task, status="done")
    TeamMembership.objects.filter(pk=membership.pk).update(status="left")
    task.refresh_from_db()
    assert not perms.is_team_member(world.staff, world.team)
    with pytest.raises(NotAllowed) as info:
        services.verify_task(actor=world.staff, task=task)
    assert info.value.code == "own_work"

    other = _done(world)
    ServiceRecord.objects.create(
        volunteer=world.staff,
        task=other,
        team=world.team,
        date=timezone.localdate(),
        hours=1,
        source="self",
    )
    assert not perms.can_verify(world.staff, other)
    # A task of another team with no work of theirs: they verify it.
    assert perms.can_verify(world.staff, _done(world, world.other_team))


@pytest.mark.parametrize("logger", ["leader", "staff"])
def test_nobody_reviews_hours_they_logged_for_someone_else(world, logger):
    user = getattr(world, logger)
    task = make_task(world.yuling, team=world.team, status="in_progress")
    record = services.log_hours(
        actor=user, task=task, hours=3, date=timezone.localdate(), volunteer=world.volunteer
    )
    assert record.status == ServiceRecord.Status.PENDING  # never approved at birth
    assert not perms.can_review_hours(user, record)
    assert perms.can_see_hours(user, record)
    with pytest.raises(NotAllowed) as info:
        services.approve_hours(actor=user, record=record)
    assert info.value.code == "own_work"
    response = _api(user, f"/api/v1/hours/{record.pk}/decline", {"reason": "不对"})
    assert response.status_code == 403 and response.json()["code"] == "own_work"
    page = client_for(user).get(reverse("teams:team_hours", args=[world.team.pk]))
    assert reverse("teams:hours_review", args=[world.team.pk, record.pk]) not in (
        page.content.decode()
    )
    if sync_staff_access(user):
        review = reverse("teams_hours:edit", args=[record.pk])
        client_for(user).post(review, {"decision": "approve"})
    record.refresh_from_db()
    assert record.status == ServiceRecord.Status.PENDING
    # Someone else reviews them.
    reviewer = world.staff if logger == "leader" else world.leader
    services.approve_hours(actor=reviewer, record=record)


@pytest.mark.parametrize("how", ["own", "filed"])
def test_staff_do_not_decide_a_request_for_help_they_made_or_filed(world, how):
    if how == "own":
        need = services.file_need(
            actor=world.staff, community=world.yuling, category="repairs", description="水管漏了"
        )
    else:
        need = services.file_need(
            actor=world.staff,
            community=world.yuling,
            category="repairs",
            description="水管漏了",
            on_behalf_of=world.resident,
        )
        assert need.requester == world.resident
    assert not perms.can_decide_need(world.staff, need)
    with pytest.raises(NotAllowed) as info:
        services.accept_need(actor=world.staff, need=need)
    assert info.value.code == "own_work"
    with pytest.raises(NotAllowed) as info:
        services.decline_need(actor=world.staff, need=need, reason="已解决")
    assert info.value.code == "own_work"
    response = _api(world.staff, f"/api/v1/needs/{need.pk}/accept")
    assert response.status_code in (403, 404)
    if response.status_code == 403:
        assert response.json()["code"] == "own_work"
    # The dispatch page offers no decision on it; a forged POST is refused.
    page = client_for(world.staff).get(reverse("teams:dispatch")).content.decode()
    assert reverse("teams:need_accept", args=[need.pk]) not in page
    response = client_for(world.staff).post(
        reverse("teams:need_decline", args=[need.pk]), {"reason": "已解决"}
    )
    assert response.status_code == 403
    # The admin's decision page neither.
    sync_staff_access(world.staff)
    client_for(world.staff).post(
        reverse("teams_need:edit", args=[need.pk]), {"decision": "decline", "reason": "已解决"}
    )
    need.refresh_from_db()
    assert need.status == Need.Status.OPEN
    services.decline_need(actor=world.street_staff, need=need, reason="已转交街道")
