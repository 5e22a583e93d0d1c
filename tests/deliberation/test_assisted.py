"""Assisted participation: staff file a proposal for a resident at the service station."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from communities.services import sync_staff_access
from core.errors import NotAllowed
from deliberation import permissions as perms
from deliberation import services
from deliberation.models import Follow, Proposal
from live.models import Event

from .conftest import client_for

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _file(world, actor, resident, **extra):
    return services.create_proposal(
        actor=actor,
        community=world.yuling,
        title="Broken street light",
        body="The light at the east gate is out.",
        category="safety",
        on_behalf_of=resident,
        **extra,
    )


def test_staff_file_for_a_resident_who_becomes_author_and_follower(world):
    proposal = _file(world, world.staff, world.resident2)
    proposal.refresh_from_db()
    assert proposal.author == world.resident2
    assert proposal.assisted and proposal.recorded_by == world.staff
    assert proposal.status == "submitted"
    assert Follow.objects.filter(proposal=proposal, user=world.resident2).exists()
    assert not Follow.objects.filter(proposal=proposal, user=world.staff).exists()
    entry = ModelLogEntry.objects.get(action="linli.proposal.assisted")
    assert entry.user == world.staff
    assert entry.data["resident"] == world.resident2.pk
    assert not ModelLogEntry.objects.filter(action="linli.proposal.create").exists()
    # the resident is told on their own topic
    assert Event.objects.filter(
        topic=f"user:{world.resident2.pk}", type="proposal.assisted"
    ).exists()
    from django.utils import translation

    from live.topics import event_label

    with translation.override("en"):
        assert event_label("proposal.assisted") == "Proposal filed for you"


def test_a_proposal_of_ones_own_is_not_assisted(world):
    proposal = services.create_proposal(
        actor=world.resident, community=world.yuling, title="t", body="b"
    )
    assert not proposal.assisted and proposal.recorded_by is None
    assert ModelLogEntry.objects.filter(action="linli.proposal.create").exists()
    # staff naming themselves file an ordinary proposal
    proposal = _file(world, world.staff, world.staff)
    assert proposal.author == world.staff and not proposal.assisted


def test_street_staff_may_file_for_residents_below(world):
    proposal = _file(world, world.street_staff, world.resident3)
    assert proposal.author == world.resident3 and proposal.recorded_by == world.street_staff


@pytest.mark.parametrize(
    "actor,resident,error",
    [
        ("resident", "resident2", NotAllowed),  # a resident cannot file for another
        ("rep", "resident2", NotAllowed),
        ("other_staff", "resident2", NotAllowed),  # staff of another community
        ("outsider", "resident2", NotAllowed),
        ("staff", "pending", "on_behalf_of"),  # a pending member cannot be filed for
        ("staff", "outsider", "on_behalf_of"),  # nor a member of another community
    ],
)
def test_permission_matrix(world, actor, resident, error):
    from django.core.exceptions import ValidationError

    actor, resident = getattr(world, actor), getattr(world, resident)
    if error is NotAllowed:
        with pytest.raises(NotAllowed):
            _file(world, actor, resident)
    else:
        with pytest.raises(ValidationError) as info:
            _file(world, actor, resident)
        assert error in info.value.message_dict
    assert not Proposal.objects.exists()
    assert perms.may_file_for(actor, world.yuling, resident) is False


def test_inactive_resident_cannot_be_filed_for(world):
    world.resident2.is_active = False
    world.resident2.save(update_fields=["is_active"])
    assert not perms.may_file_for(world.staff, world.yuling, world.resident2)


def test_the_recorder_may_edit_and_submit_a_draft_filed_for_a_resident(world):
    proposal = _file(world, world.staff, world.resident2, submit=False)
    assert perms.can_edit(world.staff, proposal) and perms.can_submit(world.staff, proposal)
    assert perms.can_edit(world.resident2, proposal)
    assert not perms.can_edit(world.other_staff, proposal)
    services.submit_proposal(actor=world.staff, proposal=proposal)
    assert Proposal.objects.get(pk=proposal.pk).status == "submitted"


# --- pages ---------------------------------------------------------------------------------------


def test_the_form_shows_the_resident_section_to_staff_only(world):
    path = reverse("deliberation:proposal_create", args=[world.yuling.pk])
    html = client_for(world.staff).get(path).content.decode()
    assert 'name="on_behalf_of"' in html and 'name="find_resident"' in html
    assert f'<option value="{world.resident2.pk}"' in html
    assert f'<option value="{world.pending.pk}"' not in html  # pending members are not listed
    assert f'<option value="{world.outsider.pk}"' not in html
    html = client_for(world.resident).get(path).content.decode()
    assert 'name="on_behalf_of"' not in html and 'name="title"' in html


def test_find_narrows_the_list_and_keeps_what_was_typed(world):
    world.resident3.phone = "+8613800001234"
    world.resident3.save(update_fields=["phone"])
    path = reverse("deliberation:proposal_create", args=[world.yuling.pk])
    response = client_for(world.staff).post(
        path,
        {
            "title": "Kept title",
            "body": "Kept body",
            "resident_q": "0000 1234",
            "find_resident": "1",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{world.resident3.pk}"' in html
    assert f'<option value="{world.resident2.pk}"' not in html
    assert "Kept title" in html and "Kept body" in html
    assert "…1234" in html
    assert not Proposal.objects.exists()


def test_page_flow_files_for_the_resident_and_the_page_says_so(world):
    path = reverse("deliberation:proposal_create", args=[world.yuling.pk])
    response = client_for(world.staff).post(
        path,
        {
            "title": "Bench for the elderly",
            "body": "Please put a bench by the gate.",
            "category": "elderly-care",
            "on_behalf_of": str(world.resident2.pk),
            "submit_proposal": "1",
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"] == proposal.get_absolute_url()
    assert proposal.author == world.resident2 and proposal.assisted
    for user in (world.staff, world.resident2):
        html = client_for(user).get(proposal.get_absolute_url()).content.decode()
        assert 'class="assisted-note"' in html
        assert world.staff.get_display_name() in html


def test_page_refuses_a_pending_member_on_the_field(world):
    path = reverse("deliberation:proposal_create", args=[world.yuling.pk])
    response = client_for(world.staff).post(
        path,
        {
            "title": "t",
            "body": "b",
            "category": "other",
            "on_behalf_of": str(world.pending.pk),
        },
    )
    assert response.status_code == 400
    assert 'id="id_on_behalf_of_error"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_resident_posting_on_behalf_of_is_ignored(world):
    """The field is not on a resident's form: a forged value files their own proposal."""
    path = reverse("deliberation:proposal_create", args=[world.yuling.pk])
    client_for(world.resident).post(
        path,
        {"title": "t", "body": "b", "category": "other", "on_behalf_of": world.resident2.pk},
    )
    proposal = Proposal.objects.get()
    assert proposal.author == world.resident and not proposal.assisted


# --- API -----------------------------------------------------------------------------------------


def _api(world, user, **payload):
    body = {"title": "From the API", "body": "b", "category": "other", **payload}
    return client_for(user).post(
        f"/api/v1/communities/{world.yuling.pk}/proposals", body, content_type=JSON
    )


def test_api_files_for_a_resident(world):
    response = _api(world, world.staff, on_behalf_of=world.resident2.pk)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["author"]["id"] == world.resident2.pk and data["assisted"] is True
    assert Proposal.objects.get().recorded_by == world.staff


@pytest.mark.parametrize(
    "actor,resident,status,field",
    [
        ("resident", "resident2", 403, None),
        ("other_staff", "resident2", 403, None),
        ("staff", "pending", 400, "on_behalf_of"),
        ("staff", "outsider", 400, "on_behalf_of"),
    ],
)
def test_api_errors(world, actor, resident, status, field):
    response = _api(world, getattr(world, actor), on_behalf_of=getattr(world, resident).pk)
    assert response.status_code == status
    data = response.json()
    assert data["detail"] and data["code"]
    if field:
        assert field in str(data)
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("bad", [0, -1, 999999, 2**63, 2**70])
def test_api_unknown_people_are_400(world, bad):
    response = _api(world, world.staff, on_behalf_of=bad)
    assert response.status_code in (400, 422) and response.status_code != 500
    assert "detail" in response.json()


# --- admin ---------------------------------------------------------------------------------------


def test_admin_lists_and_filters_assisted(world):
    sync_staff_access(world.staff)
    assisted = _file(world, world.staff, world.resident2)
    own = services.create_proposal(
        actor=world.resident, community=world.yuling, title="Own proposal", body="b"
    )
    assisted.title = "Assisted proposal"
    assisted.save(update_fields=["title"])
    url = reverse("council_proposal:index")
    client = client_for(world.staff)
    html = client.get(url).content.decode()
    assert "Assisted proposal" in html and "Own proposal" in html
    html = client.get(url, {"assisted": "true"}).content.decode()
    assert "Assisted proposal" in html and "Own proposal" not in html
    html = client.get(url, {"assisted": "false"}).content.decode()
    assert "Assisted proposal" not in html and "Own proposal" in html
    assert own.pk
    # the history shows the assisted entry
    from django.test import Client

    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world.staff)
    history = english.get(reverse("council_proposal:history", args=[assisted.pk]))
    assert history.status_code == 200
    assert "Proposal filed by staff for a resident at the service station" in (
        history.content.decode()
    )


def test_the_resident_list_costs_the_same_for_many_residents(world, django_assert_max_num_queries):
    from communities.models import Membership

    from .conftest import make_user

    path = reverse("deliberation:proposal_create", args=[world.yuling.pk])
    client = client_for(world.staff)
    client.get(path)  # warm up the session
    with django_assert_max_num_queries(20) as few:
        client.get(path)
    for i in range(40):
        user = make_user(f"many{i}@example.com", display_name=f"Resident {i:02d}")
        Membership.objects.create(user=user, community=world.yuling, status="verified")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(path).content.decode()
    assert "Resident 39" in html


# --- an assisted vote never overwrites the resident's own (issue #22) ---------------------------


def test_vote_page_leaves_out_residents_who_voted_and_says_why_it_refuses(world):
    from deliberation.models import Vote

    from .conftest import make_proposal

    proposal = make_proposal(world, status="voting")
    services.cast_vote(actor=world.resident2, proposal=proposal, choice="oppose")
    client = client_for(world.staff)
    page = client.get(proposal.get_absolute_url()).content.decode()
    picker = page[page.index('id="assisted-vote"') :]
    assert f'value="{world.resident3.pk}"' in picker
    assert f'value="{world.resident2.pk}"' not in picker  # voted themselves
    response = client.post(
        reverse("deliberation:proposal_assisted_vote", args=[proposal.pk]),
        {"assisted-voter": world.resident2.pk, "assisted-choice": "support"},
        follow=True,
    )
    said = [str(m) for m in response.context["messages"]]
    assert any(world.resident2.get_display_name() in m for m in said), said
    assert Vote.objects.get(proposal=proposal, voter=world.resident2).choice == "oppose"
    # A vote staff record is told to the resident, live.
    client.post(
        reverse("deliberation:proposal_assisted_vote", args=[proposal.pk]),
        {"assisted-voter": world.resident3.pk, "assisted-choice": "support"},
    )
    notice = Event.objects.get(topic=f"user:{world.resident3.pk}", type="proposal.vote_recorded")
    assert notice.data["choice"] == "support"
