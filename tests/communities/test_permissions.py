import pytest

from communities import permissions, services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_member_who_is_not_verified_cannot_act(tree, make_user, make_member, status):
    user = make_user()
    make_member(user, tree.yuling, role="representative", status=status)
    make_member(user, tree.xinjiangkou, role="staff", status=status)
    assert not permissions.is_verified_member(user, tree.yuling)
    assert not permissions.is_representative(user, tree.yuling)
    assert not permissions.is_staff_of(user, tree.yuling)
    assert not permissions.is_staff_of(user, tree.xinjiangkou)
    assert not permissions.staffed_communities(user).exists()


def test_verification_is_what_lets_a_member_act(street_staff, pending_yuling, applicant):
    assert not permissions.is_verified_member(applicant, pending_yuling.community)
    services.verify_membership(actor=street_staff, membership=pending_yuling)
    assert permissions.is_verified_member(applicant, pending_yuling.community)


def test_street_staff_act_in_the_communities_below(tree, street_staff):
    assert permissions.is_staff_of(street_staff, tree.xinjiangkou)
    assert permissions.is_staff_of(street_staff, tree.yuling)
    assert not permissions.is_staff_of(street_staff, tree.songzi)
    assert not permissions.is_staff_of(street_staff, tree.shifangan)
    assert set(permissions.staffed_communities(street_staff)) == {tree.xinjiangkou, tree.yuling}


def test_staff_of_a_community_are_not_staff_of_the_street(tree, make_user, make_member):
    user = make_user()
    make_member(user, tree.yuling, role="staff")
    assert permissions.is_staff_of(user, tree.yuling)
    assert not permissions.is_staff_of(user, tree.xinjiangkou)


def test_inactive_staff_cannot_act(tree, street_staff):
    street_staff.is_active = False
    street_staff.save()
    assert not permissions.is_staff_of(street_staff, tree.yuling)
    assert not permissions.staffed_communities(street_staff).exists()


def test_only_signed_in_people_may_ask_and_only_for_communities(tree, applicant):
    from django.contrib.auth.models import AnonymousUser

    assert permissions.can_request_membership(applicant, tree.yuling)
    assert not permissions.can_request_membership(applicant, tree.xinjiangkou)
    assert not permissions.can_request_membership(AnonymousUser(), tree.yuling)
