"""The cache while Redis is down: django-redis with IGNORE_EXCEPTIONS (config/settings/base.py)
answers like an empty cache and works again once Redis is back; the rate limits (django-ratelimit
with RATELIMIT_FAIL_OPEN, allauth's) let requests through meanwhile.

Redis here is a private redis-server (the `redis_servers` fixture of tests/services/conftest.py)
that the test stops and starts again on the same port; the machine's own is never stopped.
"""

import json
import time

import pytest
from django.core.cache import caches

from core import ratelimit

# An operation on a stopped Redis on this machine is refused at once; well within the socket
# timeouts, which are what an unreachable host would cost.
PROMPT = 1.0


@pytest.fixture
def private_redis(redis_servers, settings):
    """The site's cache configuration, on a private redis-server: (cache, stop, start)."""
    proc, port = redis_servers.redis()
    site_cache = settings.CACHES["default"]
    assert site_cache["BACKEND"] == "django_redis.cache.RedisCache"
    settings.CACHES = {
        "default": {
            **site_cache,
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "outage",
        }
    }
    state = {"proc": proc}

    def stop():
        redis_servers.stop(state["proc"])

    def start():
        state["proc"], _ = redis_servers.redis(port=port)

    return caches["default"], stop, start


def timed(operation):
    started = time.monotonic()
    result = operation()
    assert time.monotonic() - started < PROMPT
    return result


def wait_until_redis_answers(cache, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        cache.set("probe", 1)
        if cache.get("probe") == 1:
            return
        assert time.monotonic() < deadline, "the cache did not reconnect to Redis"
        time.sleep(0.05)


def test_the_cache_answers_like_an_empty_cache_while_redis_is_down(private_redis):
    cache, stop, start = private_redis
    cache.set("figures", {"tasks": 3})
    assert cache.get("figures") == {"tasks": 3}

    stop()
    assert timed(lambda: cache.get("figures", "missing")) == "missing"
    assert timed(lambda: cache.get_many(["figures"])) == {}
    assert not timed(lambda: cache.has_key("figures"))
    assert not timed(lambda: cache.set("figures", {"tasks": 4}))
    timed(lambda: cache.delete("figures"))
    # add() adds, as on an empty cache: cache-based locks are taken, counters start from one.
    assert timed(lambda: cache.add("lock", True)) is True
    assert timed(lambda: cache.get_or_set("computed", lambda: 7)) == 7

    start()
    wait_until_redis_answers(cache)
    cache.set("figures", {"tasks": 5})
    assert cache.get("figures") == {"tasks": 5}
    assert cache.add("lock", True) is True
    assert cache.add("lock", True) is False  # Redis counts again: the key is there now


@pytest.mark.django_db
def test_rate_limited_writes_go_through_while_redis_is_down(private_redis, settings, client):
    cache, stop, start = private_redis
    settings.WRITE_RATE_LIMITS = {"user": None, "anonymous": (2, 60)}

    def claims(count):
        return [
            client.post("/api/v1/tasks/1/claim", {}, content_type="application/json").status_code
            for _ in range(count)
        ]

    assert claims(3) == [401, 401, 429]  # counted in Redis

    stop()
    assert claims(5) == [401] * 5  # nothing can be counted: nobody is held back
    for _ in range(5):
        timed(lambda: ratelimit.hit(key="outage", limit=(1, 60)))

    start()
    wait_until_redis_answers(cache)
    assert claims(3) == [401, 401, 429]  # counted again (the new Redis starts empty)


@pytest.mark.django_db
def test_signing_in_works_while_redis_is_down(private_redis, django_user_model):
    """allauth counts sign-ins in the cache under a cache-based lock (ACCOUNT_RATE_LIMITS)."""
    from allauth.account.models import EmailAddress
    from django.test import Client

    _cache, stop, _start = private_redis
    password = "outage-pass-2026"
    user = django_user_model.objects.create_user(email="outage@example.com", password=password)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    stop()
    started = time.monotonic()
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": user.email, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:300]
    assert response.json()["data"]["user"]["id"] == user.pk
    assert time.monotonic() - started < 2 * PROMPT
