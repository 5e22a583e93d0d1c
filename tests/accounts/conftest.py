import pytest

from tests.factories import UserFactory

from .helpers import PASSWORD


@pytest.fixture
def make_user(db):
    """A person who signed up and verified their e-mail address (unless email_verified=False)."""

    def make(email="resident@example.com", password=PASSWORD, email_verified=True, **extra):
        extra.setdefault("display_name", "王阿姨")
        return UserFactory(email=email, password=password, email_verified=email_verified, **extra)

    return make


@pytest.fixture
def resident(make_user):
    return make_user(phone="+8613800138000", phone_verified=True)


@pytest.fixture
def private_cache(settings):
    """A cache of this test's own, for tests that count on allauth's rate-limit counters.

    With REDIS_URL set, every test run on the machine shares one Redis database, and
    tests/conftest.py's cache.clear() flushes all of it, so counters could vanish mid-test.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "accounts-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
