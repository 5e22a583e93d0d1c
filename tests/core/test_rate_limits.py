"""A general ceiling on every write (core/ratelimit.py): 429 with Retry-After, per person, per
app session and per address."""

import pytest

from core import ratelimit
from core.errors import RateLimited
from tests.teams.conftest import client_for, make_task, world  # noqa: F401


@pytest.fixture
def tight(settings):
    settings.WRITE_RATE_LIMITS = {"user": (3, 60), "anonymous": (2, 60)}


def test_hit_counts_in_a_window_and_names_the_wait(db):
    for _ in range(2):
        ratelimit.hit(key="t", limit=(2, 60))
    with pytest.raises(RateLimited) as info:
        ratelimit.hit(key="t", limit=(2, 60))
    assert 1 <= info.value.retry_after <= 60
    ratelimit.hit(key="other", limit=(2, 60))  # a different key has its own budget
    ratelimit.hit(key="t", limit=None)  # None switches the limit off


def test_teams_api_writes_get_429_with_retry_after(world, tight):  # noqa: F811
    client = client_for(world.resident)
    url = f"/api/v1/teams/{world.team.pk}/join"
    codes = [
        client.post(url, {"note": "想参加"}, content_type="application/json").status_code
        for _ in range(3)
    ]
    assert 429 not in codes
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Someone else is not slowed down by it.
    other = client_for(world.volunteer).post(
        f"/api/v1/tasks/{make_task(world.yuling).pk}/claim",
        {"team": world.team.pk},
        content_type="application/json",
    )
    assert other.status_code != 429


def test_every_write_method_counts_and_reads_do_not(world, tight):  # noqa: F811
    client = client_for(world.leader)
    for _ in range(10):
        assert client.get("/api/v1/tasks").status_code == 200
    task = make_task(world.yuling)
    for _ in range(3):
        client.post(f"/api/v1/tasks/{task.pk}/release", {}, content_type="application/json")
    assert (
        client.put("/api/v1/proposals/999999/vote", {}, content_type="application/json")
    ).status_code == 429


def test_html_forms_get_the_429_page(world, tight):  # noqa: F811
    client = client_for(world.resident)
    url = f"/teams/{world.team.pk}/join/"
    for _ in range(3):
        assert client.post(url, {"note": ""}).status_code != 429
    response = client.post(url, {"note": ""})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "text/html" in response["Content-Type"]


def test_app_sessions_are_counted_per_token(world, tight):  # noqa: F811
    from django.test import Client

    client = Client()
    headers = {"HTTP_X_SESSION_TOKEN": "not-a-real-token"}
    codes = [
        client.post(
            "/api/v1/tasks/1/claim", {"team": 1}, content_type="application/json", **headers
        ).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429


def test_anonymous_writes_are_counted_per_address(db, tight, client):
    codes = [
        client.post("/api/v1/tasks/1/claim", {}, content_type="application/json").status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]
    other = client.post(
        "/api/v1/tasks/1/claim", {}, content_type="application/json", REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 401


def test_admin_and_allauth_keep_their_own_limits(world, tight):  # noqa: F811
    client = client_for(world.superuser)
    for _ in range(5):
        response = client.post("/admin/login/", {})
        assert response.status_code != 429


def test_counts_are_django_ratelimits(db, settings):
    """The counting is django-ratelimit's: its RATELIMIT_ENABLE switch turns every limit off."""
    settings.RATELIMIT_ENABLE = False
    for _ in range(5):
        ratelimit.hit(key="off", limit=(1, 60))


def test_the_wait_is_the_rest_of_the_window(db):
    ratelimit.hit(key="window", limit=(1, 3600))
    with pytest.raises(RateLimited) as info:
        ratelimit.hit(key="window", limit=(1, 3600))
    assert 1 <= info.value.retry_after <= 3600


@pytest.fixture
def unreachable_cache(settings):
    """django-ratelimit's cache is a Redis nobody listens on (django-redis, fail-safe)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "unreachable": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        },
    }
    settings.RATELIMIT_USE_CACHE = "unreachable"


def test_limits_let_requests_through_while_the_cache_is_unreachable(
    world,  # noqa: F811
    tight,
    unreachable_cache,
    settings,
):
    for _ in range(5):
        ratelimit.hit(key="t", limit=(1, 60))
    client = client_for(world.resident)
    url = f"/api/v1/teams/{world.team.pk}/join"
    codes = [
        client.post(url, {"note": "想参加"}, content_type="application/json").status_code
        for _ in range(5)
    ]
    assert 429 not in codes
    # Failing closed instead (django-ratelimit's default) would refuse every write.
    settings.RATELIMIT_FAIL_OPEN = False
    with pytest.raises(RateLimited):
        ratelimit.hit(key="t", limit=(1, 60))


def test_system_checks_of_the_embedded_default_are_honest(settings):
    """django-ratelimit checks its cache; the local-memory one is silenced for the one-process
    embedded default only, with its reason in the settings."""
    from django.core import checks

    assert "django_ratelimit" in settings.INSTALLED_APPS
    silenced = "django_ratelimit.E003" in settings.SILENCED_SYSTEM_CHECKS
    assert silenced == (not settings.REDIS_URL)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    found = {e.id for e in checks.run_checks(tags=[checks.Tags.caches])}
    assert {"django_ratelimit.E003", "django_ratelimit.W001"} <= found
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": ""}}
    found = {e.id for e in checks.run_checks(tags=[checks.Tags.caches])}
    assert not any(check.startswith("django_ratelimit.") for check in found)
