import contextlib
import os

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connections

from accounts.sms import ConsoleSmsSender
from tests.factories import CommunityFactory


@pytest.fixture(autouse=True)
def _clean_outboxes(settings):
    ConsoleSmsSender.outbox.clear()
    cache.clear()
    yield
    ConsoleSmsSender.outbox.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, ending first the connections that threads of the suite left open.

    PostgreSQL refuses to drop a database that another session is using, and pytest-django
    then only warns and leaves the test database behind. A thread that a test started (a
    request thread, a worker, a race) may still hold its connection when the session ends.
    """
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor != "postgresql":
                continue
            # Without the right to signal them, pytest-django's warning says what is left.
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


# The demo's tree, which most worlds start from: 松滋市 > 新江口街道 > 玉岭社区 and 白云社区.


@pytest.fixture
def district(db):
    return CommunityFactory(name="松滋市", kind="district")


@pytest.fixture
def street(district):
    return CommunityFactory(name="新江口街道", kind="street", parent=district)


@pytest.fixture
def yuling(street):
    return CommunityFactory(name="玉岭社区", kind="community", parent=street)


@pytest.fixture
def baiyun(street):
    """玉岭社区's neighbour, in the same street."""
    return CommunityFactory(name="白云社区", kind="community", parent=street)


def services_available() -> bool:
    return bool(os.environ.get("DATABASE_URL", "").startswith("postgres")) and bool(
        os.environ.get("REDIS_URL")
    )


def pytest_collection_modifyitems(config, items):
    require_services = os.environ.get("REQUIRE_SERVICES") == "1"
    require_browser = os.environ.get("REQUIRE_BROWSER") == "1"
    for item in items:
        if "tests/services/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.services)
            if not services_available():
                if require_services:
                    raise pytest.UsageError(
                        "REQUIRE_SERVICES=1 but DATABASE_URL (PostgreSQL) and REDIS_URL are not set"
                    )
                else:
                    item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL and REDIS_URL"))
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if not os.path.exists("/usr/bin/chromium"):
                if require_browser:
                    raise pytest.UsageError("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
                item.add_marker(pytest.mark.skip(reason="needs /usr/bin/chromium"))
    # Playwright's sync API keeps an event loop marked running in the main thread until the
    # session ends, so browser tests go last: no asyncio test runs after them.
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath).replace(os.sep, "/"))
