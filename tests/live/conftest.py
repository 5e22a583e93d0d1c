import pytest

from accounts.models import User
from communities.models import Community

from .helpers import PASSWORD


@pytest.fixture
def alice(db):
    return User.objects.create_user(email="alice@example.com", password=PASSWORD)


@pytest.fixture
def bob(db):
    return User.objects.create_user(email="bob@example.com", password=PASSWORD)


@pytest.fixture
def community(db):
    return Community.objects.create(name="松滋市", kind=Community.Kind.DISTRICT)
