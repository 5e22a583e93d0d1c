"""Every proposal transition, allowed and refused, by role (services)."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import Conflict, NotAllowed
from deliberation import permissions as perms
from deliberation import services
from deliberation.models import Proposal

from .conftest import make_proposal

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "author",
    "resident2",
    "rep",
    "pending",
    "outsider",
    "staff",
    "street_staff",
    "other_staff",
    "superuser",
]
STAFF = {"staff", "street_staff", "superuser"}


def actor(world, role):
    return world.resident if role == "author" else getattr(world, role)


def attempt(fn):
    try:
        fn()
    except NotAllowed:
        return "forbidden"
    except Conflict:
        return "conflict"
    except ValidationError:
        return "invalid"
    return "ok"


@pytest.mark.parametrize("role", ROLES)
def test_create(world, role):
    allowed = {"author", "resident2", "rep", "staff", "street_staff", "superuser"}
    result = attempt(
        lambda: services.create_proposal(
            actor=actor(world, role),
            community=world.yuling,
            title="楼道灯坏了",
            body="3栋2单元楼道灯不亮。",
            category="facilities",
        )
    )
    assert result == ("ok" if role in allowed else "forbidden")
    assert perms.can_propose(actor(world, role), world.yuling) is (role in allowed)


def test_create_without_a_council_is_a_conflict(world):
    from communities.models import Community, Membership

    village = Community.objects.create(name="同心村", kind="community", parent=world.street)
    Membership.objects.create(user=world.resident, community=village, status="verified")
    with pytest.raises(Conflict):
        services.create_proposal(actor=world.resident, community=village, title="t", body="b")


def test_create_checks_fields(world):
    with pytest.raises(ValidationError) as exc:
        services.create_proposal(
            actor=world.resident, community=world.yuling, title="  ", body="b", category="x"
        )
    assert "title" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_proposal(
            actor=world.resident, community=world.yuling, title="t", body="b", category="nope"
        )
    assert "category" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_proposal(
            actor=world.resident, community=world.yuling, title="t\x00", body="b"
        )
    assert "title" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.create_proposal(
            actor=world.resident, community=world.yuling, title="t" * 121, body="b"
        )


def test_draft_then_submit_and_author_follows(world):
    proposal = services.create_proposal(
        actor=world.resident, community=world.yuling, title="t", body="b", submit=False
    )
    assert proposal.status == "draft"
    assert proposal.follows.filter(user=world.resident).exists()
    services.submit_proposal(actor=world.resident, proposal=proposal)
    assert Proposal.objects.get(pk=proposal.pk).status == "submitted"
    with pytest.raises(Conflict):
        services.submit_proposal(actor=world.resident, proposal=proposal)


@pytest.mark.parametrize("role", ROLES)
def test_submit_only_by_the_author(world, role):
    proposal = make_proposal(world, status="draft")
    result = attempt(lambda: services.submit_proposal(actor=actor(world, role), proposal=proposal))
    assert result == ("ok" if role == "author" else "forbidden")


@pytest.mark.parametrize("status", ["draft", "submitted", "discussion", "voting", "accepted"])
@pytest.mark.parametrize("role", ["author", "resident2", "staff"])
def test_edit(world, role, status):
    proposal = make_proposal(world, status=status)
    result = attempt(
        lambda: services.edit_proposal(
            actor=actor(world, role), proposal=proposal, title="新标题", location="西门"
        )
    )
    if role != "author":
        assert result == "forbidden"
    elif status in ("draft", "submitted"):
        assert result == "ok"
        proposal.refresh_from_db()
        assert (proposal.title, proposal.location) == ("新标题", "西门")
    else:
        assert result == "conflict"


def test_edit_refuses_unknown_fields(world):
    proposal = make_proposal(world, status="draft")
    with pytest.raises(ValidationError):
        services.edit_proposal(actor=world.resident, proposal=proposal, status="accepted")


@pytest.mark.parametrize("role", ROLES)
def test_publish(world, role):
    proposal = make_proposal(world, status="submitted")
    result = attempt(lambda: services.publish_proposal(actor=actor(world, role), proposal=proposal))
    assert result == ("ok" if role in STAFF else "forbidden")
    if role in STAFF:
        proposal.refresh_from_db()
        assert proposal.status == "discussion"
        assert proposal.published_at is not None


@pytest.mark.parametrize("status", ["draft", "discussion", "voting", "rejected", "withdrawn"])
def test_publish_refused_outside_submitted(world, status):
    proposal = make_proposal(world, status=status)
    with pytest.raises(Conflict):
        services.publish_proposal(actor=world.staff, proposal=proposal)


@pytest.mark.parametrize("role", ROLES)
def test_return_with_a_reason(world, role):
    proposal = make_proposal(world, status="submitted")
    result = attempt(
        lambda: services.return_proposal(
            actor=actor(world, role), proposal=proposal, reason="请补充具体位置"
        )
    )
    assert result == ("ok" if role in STAFF else "forbidden")
    if role in STAFF:
        proposal.refresh_from_db()
        assert proposal.status == "draft"
        assert proposal.return_reason == "请补充具体位置"
        # the author fixes it and submits again
        services.edit_proposal(actor=world.resident, proposal=proposal, location="东门")
        services.submit_proposal(actor=world.resident, proposal=proposal)
        assert Proposal.objects.get(pk=proposal.pk).status == "submitted"


def test_return_needs_a_reason_and_a_submitted_proposal(world):
    proposal = make_proposal(world, status="submitted")
    with pytest.raises(ValidationError):
        services.return_proposal(actor=world.staff, proposal=proposal, reason=" ")
    discussion = make_proposal(world, status="discussion")
    with pytest.raises(Conflict):
        services.return_proposal(actor=world.staff, proposal=discussion, reason="x")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", "ok"),
        ("submitted", "ok"),
        ("discussion", "ok"),
        ("voting", "conflict"),
        ("accepted", "conflict"),
        ("rejected", "conflict"),
        ("withdrawn", "conflict"),
    ],
)
def test_withdraw_by_author_before_voting(world, status, expected):
    proposal = make_proposal(world, status=status)
    assert perms.can_withdraw(world.resident, proposal) is (expected == "ok")
    result = attempt(lambda: services.withdraw_proposal(actor=world.resident, proposal=proposal))
    assert result == expected


@pytest.mark.parametrize("role", ROLES)
def test_withdraw_only_by_the_author(world, role):
    proposal = make_proposal(world, status="discussion")
    result = attempt(
        lambda: services.withdraw_proposal(actor=actor(world, role), proposal=proposal)
    )
    assert result == ("ok" if role == "author" else "forbidden")


@pytest.mark.parametrize("role", ROLES)
def test_hide_and_restore(world, role):
    proposal = make_proposal(world, status="discussion")
    who = actor(world, role)
    result = attempt(lambda: services.hide_proposal(actor=who, proposal=proposal, reason="广告"))
    assert result == ("ok" if role in STAFF else "forbidden")
    if role in STAFF:
        proposal.refresh_from_db()
        assert proposal.hidden and proposal.hidden_reason == "广告" and proposal.hidden_by == who
        assert not perms.can_view_proposal(world.resident2, proposal)
        assert not perms.can_view_proposal(world.anonymous, proposal)
        assert perms.can_view_proposal(world.resident, proposal)  # the author
        services.restore_proposal(actor=who, proposal=proposal)
        proposal.refresh_from_db()
        assert not proposal.hidden
        with pytest.raises(Conflict):
            services.restore_proposal(actor=who, proposal=proposal)


def test_hide_needs_a_reason(world):
    proposal = make_proposal(world, status="discussion")
    with pytest.raises(ValidationError):
        services.hide_proposal(actor=world.staff, proposal=proposal, reason="")


@pytest.mark.parametrize("role", ROLES)
def test_open_voting(world, role):
    proposal = make_proposal(world, status="discussion")
    result = attempt(lambda: services.open_voting(actor=actor(world, role), proposal=proposal))
    assert result == ("ok" if role in STAFF else "forbidden")


@pytest.mark.parametrize("status", ["draft", "submitted", "voting", "accepted", "withdrawn"])
def test_open_voting_only_from_discussion(world, status):
    proposal = make_proposal(world, status=status)
    with pytest.raises(Conflict):
        services.open_voting(actor=world.staff, proposal=proposal)


def test_open_voting_refused_while_hidden(world):
    proposal = make_proposal(world, status="discussion", hidden=True)
    with pytest.raises(Conflict):
        services.open_voting(actor=world.staff, proposal=proposal)


def test_open_voting_uses_the_council_default_or_the_given_close(world):
    from datetime import timedelta

    from django.utils import timezone

    proposal = make_proposal(world, status="discussion")
    services.open_voting(actor=world.staff, proposal=proposal)
    span = proposal.voting_closes_at - proposal.voting_opens_at
    assert span == timedelta(days=world.council.voting_days)

    other = make_proposal(world, status="discussion")
    closes = timezone.now() + timedelta(days=2)
    services.open_voting(actor=world.staff, proposal=other, closes_at=closes)
    assert other.voting_closes_at == closes

    for bad in (timezone.now() - timedelta(hours=1), timezone.now() + timedelta(days=365)):
        third = make_proposal(world, status="discussion")
        with pytest.raises(ValidationError):
            services.open_voting(actor=world.staff, proposal=third, closes_at=bad)


@pytest.mark.parametrize("role", ROLES)
def test_vote_by_role(world, role):
    proposal = make_proposal(world, status="voting")
    result = attempt(
        lambda: services.cast_vote(actor=actor(world, role), proposal=proposal, choice="support")
    )
    # staff run the vote, they are not voters; pending and other communities' members neither
    assert result == ("ok" if role in {"author", "resident2", "rep"} else "forbidden")


@pytest.mark.parametrize("role", ROLES)
def test_decide(world, role):
    proposal = make_proposal(world, status="voting")
    result = attempt(lambda: services.decide_proposal(actor=actor(world, role), proposal=proposal))
    assert result == ("ok" if role in STAFF else "forbidden")


@pytest.mark.parametrize("status", ["draft", "submitted", "discussion", "accepted", "rejected"])
def test_decide_only_while_voting(world, status):
    proposal = make_proposal(world, status=status)
    with pytest.raises(Conflict):
        services.decide_proposal(actor=world.staff, proposal=proposal)
