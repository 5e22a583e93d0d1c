"""A resident asks for help; staff accept (task in the same transaction) or decline."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import Conflict, NotAllowed
from live.models import Event
from teams import permissions as perms
from teams import services
from teams.models import Need, Task

from .conftest import client_for


def test_file_and_accept(world):
    need = services.file_need(
        actor=world.resident,
        community=world.yuling,
        category="elderly-care",
        description="父亲行动不便,想请人每周陪他去一次菜场。",
        private=True,
    )
    assert need.status == "open"
    assert Event.objects.filter(topic=f"user:{world.staff.pk}", type="need.filed").exists()
    assert Event.objects.filter(topic=f"user:{world.street_staff.pk}", type="need.filed").exists()
    assert not Event.objects.filter(topic__startswith="community:", type="need.filed").exists()
    task = services.accept_need(actor=world.staff, need=need)
    need.refresh_from_db()
    assert need.status == "accepted" and need.decided_by == world.staff
    assert (task.origin, task.need, task.sensitive) == ("need", need, True)
    assert list(task.required_skills.values_list("slug", flat=True)) == ["elderly-care"]
    assert task.description == need.description
    event = Event.objects.get(topic=f"user:{world.resident.pk}", type="need.accepted")
    assert event.data["task"]["id"] == task.pk
    with pytest.raises(Conflict):
        services.decline_need(actor=world.staff, need=need, reason="重复")


def test_accept_rolls_back_when_task_is_invalid(world):
    need = Need.objects.create(
        community=world.yuling, requester=world.resident, category="other", description="求助"
    )
    with pytest.raises(ValidationError):
        services.accept_need(actor=world.staff, need=need, required_skills=["no-such-skill"])
    need.refresh_from_db()
    assert need.status == "open"
    assert not Task.objects.filter(need=need).exists()


def test_decline_needs_reason(world):
    need = Need.objects.create(
        community=world.yuling, requester=world.resident, category="other", description="求助"
    )
    with pytest.raises(ValidationError):
        services.decline_need(actor=world.staff, need=need, reason="")
    with pytest.raises(NotAllowed):
        services.decline_need(actor=world.other_staff, need=need, reason="不归我们管")
    need = services.decline_need(actor=world.staff, need=need, reason="请联系物业")
    assert (need.status, need.decline_reason) == ("declined", "请联系物业")
    event = Event.objects.get(topic=f"user:{world.resident.pk}", type="need.declined")
    assert event.data["reason"] == "请联系物业"


@pytest.mark.parametrize(
    "body",
    [
        {"category": "bogus", "description": "x"},
        {"category": "repairs", "description": ""},
        {"category": "repairs"},
        {"category": "repairs", "description": "x" * 2001},
        {"category": "repairs", "description": "x", "private": "maybe"},
    ],
)
def test_api_need_validation(world, body):
    response = client_for(world.resident).post(
        f"/api/v1/communities/{world.yuling.pk}/needs", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_api_need_fields_and_unknown_community(world):
    client = client_for(world.resident)
    response = client.post(
        f"/api/v1/communities/{world.yuling.pk}/needs",
        {"category": "repairs", "description": "楼道灯坏了", "private": False},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert set(response.json()) >= {
        "id",
        "status",
        "category",
        "description",
        "private",
        "community",
    }
    response = client.post(
        "/api/v1/communities/987654/needs",
        {"category": "repairs", "description": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_staff_do_not_accept_their_own_request_for_help(world):
    # Issue #22: nobody approves their own work.
    from django.urls import reverse

    own = services.file_need(
        actor=world.staff, community=world.yuling, category="repairs", description="水管漏水"
    )
    assert not perms.can_decide_need(world.staff, own)
    with pytest.raises(NotAllowed):
        services.accept_need(actor=world.staff, need=own)
    with pytest.raises(NotAllowed):
        services.decline_need(actor=world.staff, need=own, reason="不需要")
    page = client_for(world.staff).get(reverse("teams:dispatch")).content.decode()
    assert reverse("teams:need_accept", args=[own.pk]) not in page
    assert services.accept_need(actor=world.street_staff, need=own).need_id == own.pk
