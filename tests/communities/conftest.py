from types import SimpleNamespace

import pytest

from communities.models import Membership
from communities.services import sync_staff_access
from tests.factories import MembershipFactory, UserFactory, community_tree


@pytest.fixture
def make_user(db):
    def make(email=None, **extra):
        if email is not None:
            extra["email"] = email
        return UserFactory(password="pw-12345", email_verified=None, **extra)

    return make


@pytest.fixture
def tree(district, street, yuling):
    """松滋市 > 新江口街道 > 玉岭社区, and 沙市区 > 解放路街道 > 十方庵社区."""
    shashi, jiefanglu, shifangan = community_tree("沙市区", "解放路街道", "十方庵社区")
    return SimpleNamespace(
        songzi=district,
        xinjiangkou=street,
        yuling=yuling,
        shashi=shashi,
        jiefanglu=jiefanglu,
        shifangan=shifangan,
    )


@pytest.fixture
def make_member(db):
    def make(user, community, role="resident", status="verified", **extra):
        membership = MembershipFactory(
            user=user, community=community, role=role, status=status, **extra
        )
        if role == Membership.Role.STAFF:
            sync_staff_access(user)
        return membership

    return make


@pytest.fixture
def street_staff(tree, make_user, make_member):
    """Verified staff of 新江口街道 (and so of 玉岭社区), nothing in 沙市区."""
    user = make_user("street-staff@example.com", display_name="街道社工")
    make_member(user, tree.xinjiangkou, role="staff")
    return user


@pytest.fixture
def applicant(make_user):
    return make_user("applicant@example.com", display_name="申请人")


@pytest.fixture
def pending_yuling(tree, applicant, make_member):
    return make_member(applicant, tree.yuling, status="pending", note="3栋")


@pytest.fixture
def pending_shifangan(tree, make_user, make_member):
    other = make_user("elsewhere@example.com", display_name="沙市居民")
    return make_member(other, tree.shifangan, status="pending")
