"""Every task action by every role, through the services and through the API.

Roles: anonymous, resident, pending resident, other community's resident, team member
(volunteer), team leader, other team's leader, staff, superuser.
"""

import pytest
from django.utils import timezone

from core.errors import NotAllowed
from teams import permissions as perms
from teams import services
from teams.models import Need, ServiceRecord, TeamMembership

from .conftest import ROLES, client_for, make_task


def _claimed(w, status="claimed"):
    return make_task(w.yuling, team=w.team, status=status, claimed_at=timezone.now())


def _record(w, volunteer=None):
    task = _claimed(w, "in_progress")
    return ServiceRecord.objects.create(
        volunteer=volunteer or w.volunteer,
        task=task,
        team=w.team,
        date=timezone.localdate(),
        hours=2,
        source="self",
    )


def _staff_record(w):
    """Hours of the staff member, who joined the team: nobody reviews their own."""
    TeamMembership.objects.create(team=w.team, user=w.staff, status="active")
    return _record(w, w.staff)


def _staff_team_done(w):
    """A done task of a team the staff member belongs to: verifying it is judging their own
    team's work."""
    TeamMembership.objects.create(team=w.team, user=w.staff, status="active")
    return _claimed(w, "done")


def _logged_by_leader(w):
    """The member's hours, logged by the leader: the leader vouched for them already."""
    record = _record(w)
    ServiceRecord.objects.filter(pk=record.pk).update(source="leader", logged_by=w.leader)
    record.refresh_from_db()
    return record


def _request(w, user):
    return TeamMembership.objects.create(team=w.team, user=user, status="pending")


def _need(w):
    return Need.objects.create(
        community=w.yuling, requester=w.resident, category="elderly-care", description="需要陪护"
    )


# action: (setup, service call, api call (method, path, json), api success status, allowed roles)
ACTIONS = {
    "create_task": (
        lambda w: w.yuling,
        lambda w, u, c: services.create_task(
            actor=u, community=c, title="修剪绿化带", required_skills=["greening"]
        ),
        lambda w, c: ("post", f"/api/v1/communities/{c.pk}/tasks", {"title": "修剪绿化带"}),
        201,
        {"staff", "superuser"},
    ),
    "claim": (
        lambda w: make_task(w.yuling),
        lambda w, u, c: services.claim_task(actor=u, task=c, team=w.team),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/claim", {"team": w.team.pk}),
        200,
        {"leader"},
    ),
    "claim_sensitive": (  # no team was given it: it is in nobody's pool
        lambda w: make_task(w.yuling, sensitive=True),
        lambda w, u, c: services.claim_task(actor=u, task=c, team=w.team),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/claim", {"team": w.team.pk}),
        200,
        set(),
    ),
    "claim_dispatched_sensitive": (
        lambda w: make_task(w.yuling, sensitive=True, dispatched_team=w.team),
        lambda w, u, c: services.claim_task(actor=u, task=c, team=w.team),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/claim", {"team": w.team.pk}),
        200,
        {"leader"},
    ),
    "dispatch": (
        lambda w: make_task(w.yuling, sensitive=True),
        lambda w, u, c: services.dispatch_task(actor=u, task=c, team=w.team),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/dispatch", {"team": w.team.pk}),
        200,
        {"staff", "superuser"},
    ),
    "release": (
        _claimed,
        lambda w, u, c: services.release_task(actor=u, task=c),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/release", {}),
        200,
        {"leader", "staff", "superuser"},
    ),
    "post_update": (
        _claimed,
        lambda w, u, c: services.post_update(actor=u, task=c, text="已到现场"),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/updates", {"text": "已到现场"}),
        201,
        {"volunteer", "leader", "staff", "superuser"},
    ),
    "start": (
        _claimed,
        lambda w, u, c: services.post_update(actor=u, task=c, text="开始", status="in_progress"),
        lambda w, c: (
            "post",
            f"/api/v1/tasks/{c.pk}/updates",
            {"text": "开始", "status": "in_progress"},
        ),
        201,
        {"volunteer", "leader"},
    ),
    "finish": (
        lambda w: _claimed(w, "in_progress"),
        lambda w, u, c: services.post_update(actor=u, task=c, status="done"),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/updates", {"status": "done"}),
        201,
        {"volunteer", "leader"},
    ),
    "verify": (
        lambda w: _claimed(w, "done"),
        lambda w, u, c: services.verify_task(actor=u, task=c),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/verify", {}),
        200,
        {"staff", "superuser"},
    ),
    "verify_own_teams_task": (
        _staff_team_done,
        lambda w, u, c: services.verify_task(actor=u, task=c),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/verify", {}),
        200,
        {"superuser"},
    ),
    "reopen_own_teams_task": (  # not an approval: any staff member
        _staff_team_done,
        lambda w, u, c: services.reopen_task(actor=u, task=c),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/reopen", {}),
        200,
        {"staff", "superuser"},
    ),
    "reopen": (
        lambda w: _claimed(w, "done"),
        lambda w, u, c: services.reopen_task(actor=u, task=c),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/reopen", {}),
        200,
        {"staff", "superuser"},
    ),
    "cancel": (
        lambda w: make_task(w.yuling),
        lambda w, u, c: services.cancel_task(actor=u, task=c, reason="重复"),
        lambda w, c: ("post", f"/api/v1/tasks/{c.pk}/cancel", {"reason": "重复"}),
        200,
        {"staff", "superuser"},
    ),
    "log_hours": (
        lambda w: _claimed(w, "in_progress"),
        lambda w, u, c: services.log_hours(actor=u, task=c, hours="2.5", date=timezone.localdate()),
        lambda w, c: (
            "post",
            f"/api/v1/tasks/{c.pk}/hours",
            {"hours": "2.5", "date": timezone.localdate().isoformat()},
        ),
        201,
        {"volunteer", "leader"},
    ),
    "approve_hours": (
        _record,
        lambda w, u, c: services.approve_hours(actor=u, record=c),
        lambda w, c: ("post", f"/api/v1/hours/{c.pk}/approve", {}),
        200,
        {"leader", "staff", "superuser"},
    ),
    "decline_hours": (
        _record,
        lambda w, u, c: services.decline_hours(actor=u, record=c, reason="时长有误"),
        lambda w, c: ("post", f"/api/v1/hours/{c.pk}/decline", {"reason": "时长有误"}),
        200,
        {"leader", "staff", "superuser"},
    ),
    "approve_staff_hours": (
        _staff_record,
        lambda w, u, c: services.approve_hours(actor=u, record=c),
        lambda w, c: ("post", f"/api/v1/hours/{c.pk}/approve", {}),
        200,
        {"leader", "superuser"},
    ),
    "decline_leader_hours": (
        lambda w: _record(w, w.leader),
        lambda w, u, c: services.decline_hours(actor=u, record=c, reason="时长有误"),
        lambda w, c: ("post", f"/api/v1/hours/{c.pk}/decline", {"reason": "时长有误"}),
        200,
        {"staff", "superuser"},
    ),
    "approve_hours_logged_by_leader": (
        _logged_by_leader,
        lambda w, u, c: services.approve_hours(actor=u, record=c),
        lambda w, c: ("post", f"/api/v1/hours/{c.pk}/approve", {}),
        200,
        {"staff", "superuser"},
    ),
    "approve_membership": (
        lambda w: _request(w, w.resident),
        lambda w, u, c: services.approve_team_membership(actor=u, membership=c),
        lambda w, c: ("post", f"/api/v1/team-memberships/{c.pk}/approve", {}),
        200,
        {"leader", "staff", "superuser"},
    ),
    "approve_staff_membership": (
        lambda w: _request(w, w.staff),
        lambda w, u, c: services.approve_team_membership(actor=u, membership=c),
        lambda w, c: ("post", f"/api/v1/team-memberships/{c.pk}/approve", {}),
        200,
        {"leader", "superuser"},
    ),
    "decline_superuser_membership": (
        lambda w: _request(w, w.superuser),
        lambda w, u, c: services.decline_team_membership(actor=u, membership=c),
        lambda w, c: ("post", f"/api/v1/team-memberships/{c.pk}/decline", {}),
        200,
        {"leader", "staff"},
    ),
    "file_need": (
        lambda w: w.yuling,
        lambda w, u, c: services.file_need(
            actor=u, community=c, category="repairs", description="水管漏水"
        ),
        lambda w, c: (
            "post",
            f"/api/v1/communities/{c.pk}/needs",
            {"category": "repairs", "description": "水管漏水"},
        ),
        201,
        {"resident", "volunteer", "leader", "other_leader", "staff"},
    ),
    "accept_need": (
        _need,
        lambda w, u, c: services.accept_need(actor=u, need=c),
        lambda w, c: ("post", f"/api/v1/needs/{c.pk}/accept", {}),
        201,
        {"staff", "superuser"},
    ),
    "decline_need": (
        _need,
        lambda w, u, c: services.decline_need(actor=u, need=c, reason="已转交街道"),
        lambda w, c: ("post", f"/api/v1/needs/{c.pk}/decline", {"reason": "已转交街道"}),
        200,
        {"staff", "superuser"},
    ),
}

CASES = [(action, role) for action in ACTIONS for role in ROLES]


@pytest.mark.parametrize(("action", "role"), CASES)
def test_service_matrix(world, action, role):
    setup, call, _api, _status, allowed = ACTIONS[action]
    context = setup(world)
    user = getattr(world, role)
    if role in allowed:
        assert call(world, user, context) is not None
    else:
        with pytest.raises(NotAllowed):
            call(world, user, context)


@pytest.mark.parametrize(("action", "role"), CASES)
def test_api_matrix(world, action, role):
    setup, _call, api, status, allowed = ACTIONS[action]
    context = setup(world)
    user = getattr(world, role)
    method, path, body = api(world, context)
    response = getattr(client_for(user), method)(path, body, content_type="application/json")
    if role in allowed:
        expected = status
    elif role == "anonymous":
        expected = 401
    elif action in ("accept_need", "decline_need"):
        # Needs are private: to anyone who may not decide one it does not exist.
        expected = 404 if role not in ("resident",) else 403
    else:
        expected = 403
    assert response.status_code == expected, response.content
    payload = response.json()
    if expected >= 400:
        assert set(payload) >= {"detail", "code"}


@pytest.mark.parametrize("role", ROLES)
def test_can_functions_agree_with_matrix(world, role):
    """The can_* helpers used by pages say the same as the services."""
    user = getattr(world, role)
    open_task = make_task(world.yuling)
    claimed = _claimed(world)
    done = _claimed(world, "done")
    in_progress = _claimed(world, "in_progress")
    assert perms.can_claim(user, open_task, world.team) == (role == "leader")
    assert perms.can_release(user, claimed) == (role in {"leader", "staff", "superuser"})
    assert perms.can_post_update(user, claimed) == (
        role in {"volunteer", "leader", "staff", "superuser"}
    )
    assert perms.can_change_status(user, claimed, "in_progress") == (
        role in {"volunteer", "leader"}
    )
    assert perms.can_verify(user, done) == (role in {"staff", "superuser"})
    assert perms.can_reopen(user, done) == (role in {"staff", "superuser"})
    assert perms.can_cancel(user, open_task) == (role in {"staff", "superuser"})
    assert perms.can_log_hours(user, in_progress) == (role in {"volunteer", "leader"})
    assert perms.can_create_task(user, world.yuling) == (role in {"staff", "superuser"})
    assert perms.can_file_need(user, world.yuling) == (
        role in {"resident", "volunteer", "leader", "other_leader", "staff"}
    )
    # Nobody decides on their own work; a sensitive task no team was given is in no pool.
    secret = make_task(world.yuling, sensitive=True)
    assert not perms.can_claim(user, secret, world.team)
    assert perms.can_dispatch(user, secret) == (role in {"staff", "superuser"})
    assert not perms.can_dispatch(user, claimed)
    own = _record(world, user) if role not in ("anonymous",) else None
    if own is not None:
        assert not perms.can_review_hours(user, own)
        request = TeamMembership(team=world.other_team, user=user, status="pending")
        assert not perms.can_decide_team_membership(user, request)
    # State matters too: nobody claims a claimed task or verifies an open one.
    assert not perms.can_claim(user, claimed, world.team)
    assert not perms.can_verify(user, open_task)
    assert not perms.can_cancel(user, _claimed(world, "verified"))


def test_other_leader_claims_for_own_team_and_street_staff_act_below(world):
    task = make_task(world.yuling)
    assert perms.can_claim(world.other_leader, task, world.other_team)
    task = services.claim_task(actor=world.other_leader, task=task, team=world.other_team)
    # Staff of the street above act in the community; staff of a sibling do not.
    assert perms.can_release(world.street_staff, task)
    assert not perms.can_release(world.other_staff, task)
    with pytest.raises(NotAllowed):
        services.cancel_task(actor=world.other_staff, task=task)
    services.cancel_task(actor=world.street_staff, task=task)
