import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from wagtail.models import ModelLogEntry

from communities import permissions, services
from communities.models import Membership
from communities.services import STAFF_GROUP_NAME
from core.errors import Conflict, NotAllowed, ServiceError

pytestmark = pytest.mark.django_db


def actions_for(membership):
    return list(
        ModelLogEntry.objects.filter(object_id=str(membership.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_request_creates_a_pending_membership_and_logs_it(tree, applicant):
    membership = services.request_membership(user=applicant, community=tree.yuling, note=" 3栋 ")
    assert membership.status == Membership.Status.PENDING
    assert membership.role == Membership.Role.RESIDENT
    assert membership.note == "3栋"
    assert actions_for(membership) == ["linli.membership.request"]
    entry = ModelLogEntry.objects.get(object_id=str(membership.pk))
    assert entry.user_id == applicant.pk
    assert entry.data["community"] == tree.yuling.pk


def test_asking_twice_is_idempotent(tree, applicant):
    first = services.request_membership(user=applicant, community=tree.yuling)
    second = services.request_membership(user=applicant, community=tree.yuling, note="again")
    assert first.pk == second.pk
    assert Membership.objects.filter(user=applicant).count() == 1
    assert actions_for(first) == ["linli.membership.request"]


def test_a_lost_race_returns_the_winners_row(tree, applicant, make_member, monkeypatch):
    existing = make_member(applicant, tree.yuling, status="pending")
    original_first = QuerySet.first
    calls = []

    def first_sees_nothing_once(self):
        if not calls:
            calls.append(1)
            return None  # as if the other request had not committed yet
        return original_first(self)

    monkeypatch.setattr(QuerySet, "first", first_sees_nothing_once)
    membership = services.request_membership(user=applicant, community=tree.yuling)
    assert membership.pk == existing.pk
    assert Membership.objects.filter(user=applicant).count() == 1


def test_only_communities_can_be_joined(tree, applicant):
    with pytest.raises(ServiceError) as exc:
        services.request_membership(user=applicant, community=tree.xinjiangkou)
    assert exc.value.code == "not_joinable"
    assert not Membership.objects.exists()


def test_anonymous_cannot_ask(tree):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        services.request_membership(user=AnonymousUser(), community=tree.yuling)


def test_note_too_long_is_invalid(tree, applicant):
    with pytest.raises(ValidationError):
        services.request_membership(user=applicant, community=tree.yuling, note="x" * 201)


def test_street_staff_verify_in_their_community(street_staff, pending_yuling):
    membership = services.verify_membership(
        actor=street_staff, membership=pending_yuling, role="representative"
    )
    assert membership.status == Membership.Status.VERIFIED
    assert membership.role == Membership.Role.REPRESENTATIVE
    assert membership.decided_by == street_staff
    assert membership.decided_at is not None
    assert actions_for(membership)[-1] == "linli.membership.verify"
    assert permissions.is_representative(membership.user, membership.community)


def test_verify_keeps_the_role_when_none_given(street_staff, pending_yuling):
    membership = services.verify_membership(actor=street_staff, membership=pending_yuling)
    assert membership.role == Membership.Role.RESIDENT


def test_street_staff_cannot_verify_elsewhere(street_staff, pending_shifangan):
    with pytest.raises(NotAllowed):
        services.verify_membership(actor=street_staff, membership=pending_shifangan)
    with pytest.raises(NotAllowed):
        services.reject_membership(actor=street_staff, membership=pending_shifangan, reason="no")
    pending_shifangan.refresh_from_db()
    assert pending_shifangan.status == Membership.Status.PENDING
    assert actions_for(pending_shifangan) == []


def test_a_resident_cannot_verify(tree, make_user, make_member, pending_yuling):
    neighbour = make_user()
    make_member(neighbour, tree.yuling, role="representative")
    with pytest.raises(NotAllowed):
        services.verify_membership(actor=neighbour, membership=pending_yuling)


def test_pending_staff_cannot_act(tree, make_user, make_member, pending_yuling):
    hopeful = make_user()
    make_member(hopeful, tree.xinjiangkou, role="staff", status="pending")
    with pytest.raises(NotAllowed):
        services.verify_membership(actor=hopeful, membership=pending_yuling)
    with pytest.raises(NotAllowed):
        services.reject_membership(actor=hopeful, membership=pending_yuling, reason="no")


def test_superuser_can_verify_anywhere(make_user, pending_shifangan):
    root = make_user(is_superuser=True, is_staff=True)
    membership = services.verify_membership(actor=root, membership=pending_shifangan)
    assert membership.is_verified


def test_verifying_twice_conflicts(street_staff, pending_yuling):
    services.verify_membership(actor=street_staff, membership=pending_yuling)
    with pytest.raises(Conflict) as exc:
        services.verify_membership(actor=street_staff, membership=pending_yuling)
    assert exc.value.code == "already_verified"


def test_bad_role_is_invalid(street_staff, pending_yuling):
    with pytest.raises(ValidationError):
        services.verify_membership(actor=street_staff, membership=pending_yuling, role="mayor")


def test_reject_with_reason(street_staff, pending_yuling):
    membership = services.reject_membership(
        actor=street_staff, membership=pending_yuling, reason="  查无此人  "
    )
    assert membership.status == Membership.Status.REJECTED
    assert membership.decision_reason == "查无此人"
    assert membership.decided_by == street_staff
    entry = ModelLogEntry.objects.filter(object_id=str(membership.pk)).latest("id")
    assert entry.action == "linli.membership.reject"
    assert entry.data["reason"] == "查无此人"
    assert "查无此人" in entry.message


def test_reject_needs_a_reason(street_staff, pending_yuling):
    with pytest.raises(ValidationError) as exc:
        services.reject_membership(actor=street_staff, membership=pending_yuling, reason="  ")
    assert "reason" in exc.value.message_dict
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == Membership.Status.PENDING


def test_rejecting_twice_conflicts(street_staff, pending_yuling):
    services.reject_membership(actor=street_staff, membership=pending_yuling, reason="no")
    with pytest.raises(Conflict):
        services.reject_membership(actor=street_staff, membership=pending_yuling, reason="no")


def test_re_request_after_rejection_is_pending_again(street_staff, pending_yuling, applicant):
    services.reject_membership(actor=street_staff, membership=pending_yuling, reason="请补充门牌号")
    membership = services.request_membership(
        user=applicant, community=pending_yuling.community, note="3栋2单元501"
    )
    assert membership.pk == pending_yuling.pk
    assert membership.status == Membership.Status.PENDING
    assert membership.decision_reason == ""
    assert membership.decided_by is None
    assert membership.note == "3栋2单元501"
    assert actions_for(membership)[-2:] == ["linli.membership.reject", "linli.membership.request"]
    # and it can be verified this time
    assert services.verify_membership(actor=street_staff, membership=membership).is_verified


def test_set_role_and_staff_access(street_staff, pending_yuling, applicant):
    membership = services.verify_membership(actor=street_staff, membership=pending_yuling)
    assert not applicant.groups.filter(name=STAFF_GROUP_NAME).exists()

    membership = services.set_role(actor=street_staff, membership=membership, role="staff")
    applicant.refresh_from_db()
    assert membership.role == Membership.Role.STAFF
    assert applicant.is_staff
    assert applicant.has_perm("wagtailadmin.access_admin")
    assert permissions.is_staff_of(applicant, membership.community)
    assert actions_for(membership)[-1] == "linli.membership.set_role"

    services.set_role(actor=street_staff, membership=membership, role="resident")
    applicant.refresh_from_db()
    assert not applicant.is_staff
    assert not applicant.groups.filter(name=STAFF_GROUP_NAME).exists()


def test_set_role_needs_a_verified_membership(street_staff, pending_yuling):
    with pytest.raises(Conflict):
        services.set_role(actor=street_staff, membership=pending_yuling, role="representative")


def test_set_role_outside_the_area_is_refused(street_staff, pending_shifangan, make_user):
    root = make_user(is_superuser=True)
    verified = services.verify_membership(actor=root, membership=pending_shifangan)
    with pytest.raises(NotAllowed):
        services.set_role(actor=street_staff, membership=verified, role="staff")


def test_nobody_decides_on_their_own_membership(tree, street_staff, make_member):
    own = make_member(street_staff, tree.yuling, status="pending")
    with pytest.raises(NotAllowed):
        services.verify_membership(actor=street_staff, membership=own, role="staff")


def test_grant_makes_street_staff(tree, make_user):
    root = make_user(is_superuser=True)
    person = make_user()
    membership = services.grant_membership(
        actor=root, user=person, community=tree.xinjiangkou, role="staff"
    )
    assert membership.is_verified and membership.role == "staff"
    assert permissions.is_staff_of(person, tree.yuling)
    assert not permissions.is_staff_of(person, tree.shifangan)
    assert actions_for(membership) == ["linli.membership.grant"]


def test_grant_outside_the_area_is_refused(tree, street_staff, make_user):
    with pytest.raises(NotAllowed):
        services.grant_membership(
            actor=street_staff, user=make_user(), community=tree.shifangan, role="resident"
        )


# --- nobody verifies their own membership (issue #22) --------------------------------------------


@pytest.mark.parametrize("superuser", [False, True])
def test_nobody_verifies_sets_the_role_of_or_grants_their_own_membership(
    tree, make_user, make_member, superuser
):
    person = make_user(is_superuser=superuser, is_staff=superuser)
    make_member(person, tree.xinjiangkou, role="staff")  # staff of the street above
    own = make_member(person, tree.yuling, status="pending")
    assert not permissions.can_decide_membership(person, own)
    assert not permissions.can_grant_membership(person, tree.yuling, person)
    calls = [
        lambda: services.verify_membership(actor=person, membership=own, role="staff"),
        lambda: services.reject_membership(actor=person, membership=own, reason="不符"),
        lambda: services.grant_membership(
            actor=person, user=person, community=tree.yuling, role="staff"
        ),
    ]
    for call in calls:
        with pytest.raises(NotAllowed) as info:
            call()
        assert info.value.code == "own_work"
    street = Membership.objects.get(user=person, community=tree.xinjiangkou)
    with pytest.raises(NotAllowed):
        services.set_role(actor=person, membership=street, role="resident")
    own.refresh_from_db()
    assert own.status == "pending"
    # Someone else decides: allowed.
    other = make_user()
    make_member(other, tree.xinjiangkou, role="staff")
    assert services.verify_membership(actor=other, membership=own).is_verified
