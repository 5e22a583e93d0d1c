"""Residents ask to join a team; a leader (or staff of a community it serves) approves."""

import pytest

from core.errors import Conflict, NotAllowed
from live.models import Event
from teams import services
from teams.models import TeamMembership
from teams.permissions import is_team_leader, is_team_member

from .conftest import client_for


def test_request_and_approve(world):
    membership = services.request_team_membership(
        actor=world.resident, team=world.team, note="周末有空"
    )
    assert (membership.status, membership.role) == ("pending", "member")
    assert not is_team_member(world.resident, world.team)
    assert Event.objects.filter(
        topic=f"user:{world.leader.pk}", type="team.member_requested"
    ).exists()
    with pytest.raises(Conflict):
        services.request_team_membership(actor=world.resident, team=world.team)
    with pytest.raises(NotAllowed):
        services.approve_team_membership(actor=world.other_leader, membership=membership)
    with pytest.raises(NotAllowed):
        services.approve_team_membership(actor=world.volunteer, membership=membership)
    membership = services.approve_team_membership(actor=world.leader, membership=membership)
    assert membership.status == "active" and membership.decided_by == world.leader
    assert is_team_member(world.resident, world.team)
    assert not is_team_leader(world.resident, world.team)
    assert Event.objects.filter(topic=f"team:{world.team.pk}", type="team.member_joined").exists()
    with pytest.raises(Conflict):
        services.approve_team_membership(actor=world.leader, membership=membership)


def test_who_may_ask(world):
    for user in (world.pending, world.superuser):  # no verified community membership
        with pytest.raises(NotAllowed):
            services.request_team_membership(actor=user, team=world.team)
    with pytest.raises(NotAllowed):
        services.request_team_membership(actor=world.anonymous, team=world.team)
    world.team.active = False
    world.team.save()
    with pytest.raises(NotAllowed):
        services.request_team_membership(actor=world.outsider, team=world.team)


def test_declined_may_ask_again_and_staff_decide(world):
    membership = services.request_team_membership(actor=world.outsider, team=world.team)
    services.decline_team_membership(actor=world.staff, membership=membership)
    assert TeamMembership.objects.get(pk=membership.pk).status == "declined"
    again = services.request_team_membership(actor=world.outsider, team=world.team)
    assert again.pk == membership.pk and again.status == "pending"


def test_inactive_leader_is_no_leader(world):
    TeamMembership.objects.filter(team=world.team, user=world.leader).update(status="left")
    assert not is_team_leader(world.leader, world.team)


def test_api_join_and_approve(world):
    response = client_for(world.resident).post(f"/api/v1/teams/{world.team.pk}/join")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["team"]["id"]) == ("pending", world.team.pk)
    again = client_for(world.resident).post(f"/api/v1/teams/{world.team.pk}/join")
    assert again.status_code == 409
    denied = client_for(world.other_leader).post(f"/api/v1/team-memberships/{body['id']}/approve")
    assert denied.status_code == 403
    response = client_for(world.leader).post(f"/api/v1/team-memberships/{body['id']}/approve")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert client_for(None).post(f"/api/v1/teams/{world.team.pk}/join").status_code == 401


# --- nobody approves their own membership (issue #22) --------------------------------------------


@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_staff_who_join_a_team_do_not_decide_their_own_request(world, who):
    from django.urls import reverse

    from communities.models import Membership

    user = getattr(world, who)
    if who == "superuser":  # a superuser joins like anyone: as a verified resident
        Membership.objects.create(user=user, community=world.yuling, status="verified")
    own = services.request_team_membership(actor=user, team=world.team)
    for decide in (services.approve_team_membership, services.decline_team_membership):
        with pytest.raises(NotAllowed) as info:
            decide(actor=user, membership=own)
        assert info.value.code == "own_work"
    response = client_for(user).post(
        f"/api/v1/team-memberships/{own.pk}/approve", "{}", content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "own_work"
    # The team page lists the request without buttons; a forged POST changes nothing.
    action = reverse("teams:membership_decide", args=[world.team.pk, own.pk])
    html = client_for(user).get(reverse("teams:team_detail", args=[world.team.pk]))
    assert action not in html.content.decode()
    client_for(user).post(action, {"decision": "approve"})
    own.refresh_from_db()
    assert own.status == "pending" and not is_team_member(user, world.team)
    services.approve_team_membership(actor=world.leader, membership=own)
    assert is_team_member(user, world.team)
