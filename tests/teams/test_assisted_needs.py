"""Assisted participation: staff ask for help for a resident at the service station."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import ModelLogEntry

from communities.services import sync_staff_access
from core.errors import NotAllowed
from live.models import Event
from teams import permissions as perms
from teams import services
from teams.models import Need

from .conftest import client_for

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _file(world, actor, resident, **extra):
    return services.file_need(
        actor=actor,
        community=world.yuling,
        category="elderly-care",
        description="Needs a lift to the clinic on Tuesdays.",
        on_behalf_of=resident,
        **extra,
    )


def test_staff_file_for_a_resident_who_is_the_requester_and_is_told(world):
    need = _file(world, world.staff, world.resident)
    need.refresh_from_db()
    assert need.requester == world.resident
    assert need.assisted and need.recorded_by == world.staff
    entry = ModelLogEntry.objects.get(action="linli.need.assisted")
    assert entry.user == world.staff and entry.data["resident"] == world.resident.pk
    assert not ModelLogEntry.objects.filter(action="linli.need.file").exists()
    event = Event.objects.get(topic=f"user:{world.resident.pk}", type="need.filed")
    assert event.data["requester"]["id"] == world.resident.pk
    # the resident can see it and its task later, like one they filed themselves
    assert perms.can_see_need(world.resident, need)


def test_own_need_is_not_assisted(world):
    need = services.file_need(
        actor=world.resident, community=world.yuling, category="other", description="help"
    )
    assert not need.assisted and need.recorded_by is None
    need = _file(world, world.staff, world.staff)  # naming oneself: an ordinary need
    assert need.requester == world.staff and not need.assisted


@pytest.mark.parametrize(
    "actor,resident,error",
    [
        ("resident", "volunteer", NotAllowed),  # a resident cannot file for another
        ("leader", "resident", NotAllowed),
        ("other_staff", "resident", NotAllowed),  # staff of another community
        ("staff", "pending", "on_behalf_of"),  # a pending member cannot be filed for
        ("staff", "outsider", "on_behalf_of"),
    ],
)
def test_permission_matrix(world, actor, resident, error):
    actor, resident = getattr(world, actor), getattr(world, resident)
    if error is NotAllowed:
        with pytest.raises(NotAllowed):
            _file(world, actor, resident)
    else:
        with pytest.raises(ValidationError) as info:
            _file(world, actor, resident)
        assert error in info.value.message_dict
    assert not Need.objects.exists()
    assert perms.may_file_for(actor, world.yuling, resident) is False


def test_street_staff_may_file_below(world):
    need = _file(world, world.street_staff, world.resident)
    assert need.recorded_by == world.street_staff


# --- pages ---------------------------------------------------------------------------------------


def test_need_form_resident_section_for_staff_only(world):
    path = reverse("teams:my_needs")
    html = client_for(world.staff).get(path).content.decode()
    assert 'name="on_behalf_of"' in html and f'<option value="{world.resident.pk}"' in html
    assert f'<option value="{world.pending.pk}"' not in html
    html = client_for(world.resident).get(path).content.decode()
    assert 'name="on_behalf_of"' not in html and 'name="description"' in html


def test_need_page_flow(world):
    path = reverse("teams:my_needs")
    staff = client_for(world.staff)
    response = staff.post(
        path,
        {
            "community": world.yuling.pk,
            "category": "repairs",
            "description": "The tap in her kitchen leaks.",
            "on_behalf_of": world.resident.pk,
        },
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert need.requester == world.resident and need.assisted
    # the staff member sees what they filed; the resident sees who helped
    html = staff.get(path).content.decode()
    assert "The tap in her kitchen leaks." in html and world.resident.get_display_name() in html
    html = client_for(world.resident).get(path).content.decode()
    assert 'class="assisted-note"' in html and world.staff.get_display_name() in html
    html = staff.get(reverse("teams:dispatch")).content.decode()
    assert 'class="assisted-note"' in html


def test_need_page_find_and_refusal(world):
    world.volunteer.phone = "+8613900005678"
    world.volunteer.save(update_fields=["phone"])
    path = reverse("teams:my_needs")
    staff = client_for(world.staff)
    html = staff.post(
        path, {"description": "Kept text", "resident_q": "5678", "find_resident": "1"}
    ).content.decode()
    assert f'<option value="{world.volunteer.pk}"' in html
    assert f'<option value="{world.resident.pk}"' not in html
    assert "Kept text" in html
    response = staff.post(
        path,
        {
            "community": world.yuling.pk,
            "category": "repairs",
            "description": "x",
            "on_behalf_of": world.pending.pk,
        },
    )
    assert 'id="id_on_behalf_of_error"' in response.content.decode()
    assert not Need.objects.exists()


# --- API -----------------------------------------------------------------------------------------


def _api(world, user, **payload):
    body = {"category": "repairs", "description": "From the API", **payload}
    return client_for(user).post(
        f"/api/v1/communities/{world.yuling.pk}/needs", body, content_type=JSON
    )


def test_api_files_for_a_resident(world):
    response = _api(world, world.staff, on_behalf_of=world.resident.pk)
    assert response.status_code == 201, response.content
    assert response.json()["assisted"] is True
    need = Need.objects.get()
    assert need.requester == world.resident and need.recorded_by == world.staff


@pytest.mark.parametrize(
    "actor,resident,status",
    [
        ("resident", "volunteer", 403),
        ("other_staff", "resident", 403),
        ("staff", "pending", 400),
        ("staff", "outsider", 400),
    ],
)
def test_api_errors(world, actor, resident, status):
    response = _api(world, getattr(world, actor), on_behalf_of=getattr(world, resident).pk)
    assert response.status_code == status
    data = response.json()
    assert data["detail"] and data["code"]
    assert not Need.objects.exists()


@pytest.mark.parametrize("bad", [0, 999999, 2**63])
def test_api_unknown_people(world, bad):
    response = _api(world, world.staff, on_behalf_of=bad)
    assert response.status_code in (400, 422)


# --- admin ---------------------------------------------------------------------------------------


def test_admin_lists_and_filters_assisted(world):
    sync_staff_access(world.staff)
    _file(world, world.staff, world.resident)
    services.file_need(
        actor=world.volunteer, community=world.yuling, category="other", description="own"
    )
    client = client_for(world.staff)
    url = reverse("teams_need:index")
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 2
    response = client.get(url, {"assisted": "true"})
    assert [n.requester_id for n in response.context["object_list"]] == [world.resident.pk]
    response = client.get(url, {"assisted": "false"})
    assert [n.requester_id for n in response.context["object_list"]] == [world.volunteer.pk]
    need = Need.objects.get(assisted=True)
    from django.test import Client

    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world.staff)
    html = english.get(url).content.decode()
    assert "Assisted" in html or "assisted" in html
    history = english.get(reverse("teams_need:history", args=[need.pk]))
    assert history.status_code == 200
    assert "Need filed by staff for a resident at the service station" in history.content.decode()
