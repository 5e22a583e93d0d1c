import pytest

from tests.factories import UserFactory

from .helpers import PASSWORD


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", password=PASSWORD, email_verified=None)


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.com", password=PASSWORD, email_verified=None)


@pytest.fixture
def community(district):
    return district
