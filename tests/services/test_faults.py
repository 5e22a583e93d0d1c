"""Faults, each against servers the test starts itself (fixtures: tests/services/conftest.py).

(a) Redis stops while the site runs: pages and API keep answering, writes commit, live clients
    are told to reconnect (close 4012), and after Redis returns they get every missed event by
    replay (`since`). Redis here is a private redis-server that the test stops and starts again.
(b) A daphne worker is killed (SIGKILL) while it streams: the client reconnects to the other
    process with `since` and catches up; no event is lost or repeated.
(c) The database connection drops (pg_terminate_backend on the backends of the test's own
    database; ALTER DATABASE ... ALLOW_CONNECTIONS false for an outage): idle connections are
    reopened, a request whose connection dies mid-write gets 503 JSON and leaves nothing behind,
    and while the database refuses connections pages answer 503 HTML and the API 503 JSON.

The machine's own PostgreSQL and Redis are never stopped.
"""

import json
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake

PAGES = ["/teams/", "/communities/", "/council/"]


def _ids(client, topic=None) -> list[int]:
    return [e["id"] for e in client.events if topic is None or e["topic"] == topic]


def _last_seen(clients, topic: str, floor: int) -> int:
    return max([floor] + [i for client in clients for i in _ids(client, topic)])


def _reconnect(servers, port, since: dict, *, timeout: float = 30.0):
    """What the browser client does: connect again with backoff and resubscribe every topic
    with the last id it saw. Returns the client once every topic is subscribed."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    errors = []
    while time.monotonic() < deadline:
        try:
            client = servers.live(port, open_timeout=5)
            for topic, last in since.items():
                client.subscribe(topic, since=last, timeout=5)
            return client
        except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
            errors.append(repr(exc))
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError(f"could not resubscribe in {timeout:.0f} s: {errors[-3:]}")


# --- (a) Redis stops -------------------------------------------------------------------------


def test_redis_outage_pages_answer_writes_commit_clients_catch_up(servers):
    redis_proc, redis_port = servers.redis()
    (port,) = servers.daphne(1, redis_url=f"redis://127.0.0.1:{redis_port}/0")
    data = servers.seed("redis", tasks=2)
    t1, t2 = data["tasks"]
    team, base = data["team"], data["last_event"]
    topics = [f"task:{t1}", f"task:{t2}"]
    token = servers.login(port, data["leader"])

    client = servers.live(port)
    for topic in topics:
        client.subscribe(topic, since=base)
    # Live while Redis is up.
    assert (
        servers.post(port, f"/api/v1/tasks/{t1}/claim", {"team": team}, token=token).status == 200
    )
    client.wait_for_ids([i for i, _ in servers.db.events(topics[0], after=base)], timeout=10)

    servers.stop(redis_proc)

    # Live clients are told to reconnect: the stream may have holes from now on.
    assert client.wait_closed(timeout=15) == 4012

    # Pages and API keep answering (the cache is skipped, pushes are queued).
    for path in PAGES + [
        f"/teams/{team}/",
        f"/teams/tasks/{t1}/",
        f"/communities/{data['community']}/",
    ]:
        reply = servers.get(port, path)
        assert reply.status == 200, (path, reply.status, reply.text[:300])
    for path in ["/api/v1/tasks", f"/api/v1/tasks/{t2}", "/api/v1/teams", "/api/v1/me"]:
        reply = servers.get(port, path, token=token)
        assert reply.status == 200, (path, reply.status, reply.text[:300])
    assert servers.get(port, "/").status < 500
    # Signing in works without Redis too (allauth's rate limits live in the cache).
    token = servers.login(port, data["leader"])

    # Writes commit: in the database and in the event log.
    reply = servers.post(port, f"/api/v1/tasks/{t2}/claim", {"team": team}, token=token)
    assert reply.status == 200, reply.text[:500]
    reply = servers.post(
        port,
        f"/api/v1/tasks/{t1}/updates",
        {"text": "垃圾桶已清理，明天继续。", "status": "in_progress"},
        token=token,
    )
    assert reply.status == 201, reply.text[:500]
    assert servers.db.query("SELECT status, team_id FROM teams_task WHERE id = %s", [t2]) == [
        ("claimed", team)
    ]
    assert servers.db.query("SELECT status FROM teams_task WHERE id = %s", [t1]) == [
        ("in_progress",)
    ]
    since = {topic: _last_seen([client], topic, base) for topic in topics}
    missed = {topic: servers.db.events(topic, after=since[topic]) for topic in topics}
    assert [kind for _, kind in missed[topics[1]]] == ["task.claimed"]
    assert {"task.updated", "task.status"} <= {kind for _, kind in missed[topics[0]]}

    # While Redis is down no connection may pretend to be live.
    with pytest.raises((OSError, TimeoutError, InvalidHandshake, ConnectionClosed, AssertionError)):
        probe = servers.live(port, open_timeout=5)
        probe.subscribe(topics[0], since=since[topics[0]], timeout=5)

    # Redis returns (same port): the client reconnects and every missed event is replayed.
    servers.redis(port=redis_port)
    again = _reconnect(servers, port, since)
    expected = [i for topic in topics for i, _ in missed[topic]]
    again.wait_for_ids(expected, timeout=15)
    assert sorted(_ids(again)) == sorted(expected)  # all of them, each once

    # And pushes flow again.
    reply = servers.post(port, f"/api/v1/tasks/{t2}/updates", {"text": "已到现场。"}, token=token)
    assert reply.status == 201, reply.text[:500]
    fresh = [i for i, _ in servers.db.events(topics[1], after=max(expected))]
    assert fresh
    again.wait_for_ids(fresh, timeout=10)


# --- (b) a daphne worker dies ----------------------------------------------------------------


def test_worker_killed_mid_stream_client_catches_up_on_the_other(servers):
    port_a, port_b = servers.daphne(2, redis_url=servers.redis_url())
    data = servers.seed("kill")
    (task,) = data["tasks"]
    topic, base = f"task:{task}", data["last_event"]
    token = servers.login(port_a, data["leader"])

    client = servers.live(port_b)
    client.subscribe(topic, since=base)
    reply = servers.post(port_a, f"/api/v1/tasks/{task}/claim", {"team": data["team"]}, token=token)
    assert reply.status == 200, reply.text[:500]

    # A steady stream of updates through A while the client listens on B.
    statuses = []

    def drive():
        for k in range(12):
            text = f"第{k + 1}次进展：楼道已清理{k + 1}层。"
            statuses.append(
                servers.post(port_a, f"/api/v1/tasks/{task}/updates", {"text": text}, token=token)
            )
            time.sleep(0.25)

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    deadline = time.monotonic() + 20
    while sum(e["type"] == "task.updated" for e in client.events) < 3:
        assert time.monotonic() < deadline, "no updates reached the client on B"
        try:
            client.recv(1.0)
        except TimeoutError:
            continue

    servers.kill(servers.daphnes[port_b])
    client.wait_closed(timeout=10)

    # The client reconnects to the other process with the last id it saw.
    last = max(_ids(client))
    other = _reconnect(servers, port_a, {topic: last})
    driver.join(timeout=60)
    assert not driver.is_alive()
    assert [r.status for r in statuses] == [201] * 12, [r.text[:200] for r in statuses]

    logged = [i for i, _ in servers.db.events(topic, after=base)]
    assert sum(kind == "task.updated" for _, kind in servers.db.events(topic, after=base)) == 12
    other.wait_for_ids([i for i in logged if i > last], timeout=15)
    received = _ids(client) + _ids(other)
    assert sorted(received) == logged  # nothing lost, nothing twice


# --- (c) the database connection drops -------------------------------------------------------


def _claim_writes(db, task: int) -> dict:
    return {
        "task": db.query("SELECT status, team_id FROM teams_task WHERE id = %s", [task]),
        "events": [k for _, k in db.events(f"task:{task}") if k == "task.claimed"],
        "audit": db.query(
            "SELECT count(*) FROM wagtailcore_modellogentry "
            "WHERE action = 'linli.task.claim' AND object_id = %s",
            [str(task)],
        )[0][0],
    }


def _assert_503_json(reply):
    assert reply.status == 503, (reply.status, reply.text[:300])
    body = reply.json()
    assert body["code"] == "service_unavailable"
    assert "unavailable" in body["detail"]
    assert int(reply.headers["Retry-After"]) > 0


def test_database_connection_dropped(servers):
    # Persistent connections, as in production, so that idle ones can be cut between requests.
    (port,) = servers.daphne(1, redis_url=servers.redis_url(), DATABASE_CONN_MAX_AGE=60)
    data = servers.seed("db", tasks=3)
    t1, t2, t3 = data["tasks"]
    team = data["team"]
    token = servers.login(port, data["leader"])
    db = servers.db

    # 1. Idle connections cut between requests: the next request reconnects and succeeds.
    for _ in range(3):
        assert servers.get(port, f"/api/v1/tasks/{t1}", token=token).status == 200
    assert db.terminate_backends()
    reply = servers.post(port, f"/api/v1/tasks/{t1}/claim", {"team": team}, token=token)
    assert reply.status == 200, reply.text[:500]
    assert servers.get(port, "/teams/").status == 200

    # 2. The connection dies in the middle of a write: 503, and nothing of it is kept.
    #    Holding a lock on the event log stops the claim after it has updated the task and
    #    written the audit entry, inside its transaction; then its backend is terminated.
    before = _claim_writes(db, t2)
    assert before == {"task": [("open", None)], "events": [], "audit": 0}
    with db.connect() as locker:
        locker.execute("SET lock_timeout = '30s'")
        locker.execute("LOCK TABLE live_event IN SHARE ROW EXCLUSIVE MODE")
        replies = []
        claim = threading.Thread(
            target=lambda: replies.append(
                servers.post(port, f"/api/v1/tasks/{t2}/claim", {"team": team}, token=token)
            ),
            daemon=True,
        )
        claim.start()
        deadline = time.monotonic() + 20
        while True:
            waiting = db.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                [db.name],
            )
            if waiting:
                break
            assert time.monotonic() < deadline, "the claim never reached the event log"
            time.sleep(0.05)
        killed = db.terminate_backends(exclude={locker.info.backend_pid})
        assert waiting[0][0] in killed
        claim.join(timeout=30)
        assert not claim.is_alive()
        _assert_503_json(replies[0])
        locker.rollback()
    assert _claim_writes(db, t2) == before  # no partial write
    # Sent again, it goes through once.
    reply = servers.post(port, f"/api/v1/tasks/{t2}/claim", {"team": team}, token=token)
    assert reply.status == 200, reply.text[:500]
    after = _claim_writes(db, t2)
    assert after["task"] == [("claimed", team)]
    assert len(after["events"]) == 1
    assert after["audit"] == 1

    # 3. The database refuses connections for a while: 503 everywhere, never a 500.
    db.allow_connections(False)
    try:
        db.terminate_backends()
        _assert_503_json(servers.get(port, "/api/v1/tasks", token=token))
        _assert_503_json(
            servers.post(port, f"/api/v1/tasks/{t3}/claim", {"team": team}, token=token)
        )
        _assert_503_json(
            servers.post(
                port,
                "/_allauth/app/v1/auth/login",
                {"email": data["leader"], "password": "whatever-it-is"},
            )
        )
        for path in PAGES + ["/"]:
            reply = servers.get(port, path)
            assert reply.status == 503, (path, reply.status, reply.text[:300])
            assert reply.headers["Content-Type"].startswith("text/html")
            assert "Briefly unavailable" in reply.text
    finally:
        db.allow_connections(True)
    assert _claim_writes(db, t3)["task"] == [("open", None)]
    reply = servers.post(port, f"/api/v1/tasks/{t3}/claim", {"team": team}, token=token)
    assert reply.status == 200, reply.text[:500]
    for path in PAGES:
        assert servers.get(port, path).status == 200


# --- the pieces: the fail-safe cache and the 500 handler -------------------------------------


def test_cache_objects_of_one_location_share_their_connections(redis_servers):
    """Django makes a cache object per request under ASGI; they must not each connect."""
    import threading

    from config.cache import FailSafeRedisCache

    _proc, port = redis_servers.redis()
    params = {"KEY_PREFIX": "pools", "OPTIONS": {"socket_connect_timeout": 1}}
    first = FailSafeRedisCache(f"redis://127.0.0.1:{port}/0", params)
    first.set("figures", 1)
    seen = []
    for _ in range(5):  # as five requests would, each on a cache object of its own
        thread = threading.Thread(
            target=lambda: seen.append(
                FailSafeRedisCache(f"redis://127.0.0.1:{port}/0", params).get("figures")
            )
        )
        thread.start()
        thread.join()
    assert seen == [1] * 5
    pool = first._cache._get_connection_pool(write=True)
    assert pool._created_connections == 1
    other = FailSafeRedisCache(f"redis://127.0.0.1:{port}/1", params)
    assert other._cache._get_connection_pool(write=True) is not pool


def test_cache_counts_in_one_round_trip_with_a_time_to_live(redis_servers):
    """The rate limiter's counter (config.ratelimit.hit) on Redis."""
    from config.cache import FailSafeRedisCache
    from config.errors import RateLimited
    from config.ratelimit import hit

    _proc, port = redis_servers.redis()
    cache = FailSafeRedisCache(f"redis://127.0.0.1:{port}/0", {"KEY_PREFIX": "counts"})
    assert [cache.count("rate:a", timeout=60) for _ in range(3)] == [1, 2, 3]
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("rate:a")
    assert 55 <= client.ttl(key) <= 60
    assert cache.get("rate:a") == 3  # an ordinary integer for the rest of the cache API
    sent = []
    execute = type(client.pipeline()).execute

    def counting_execute(pipeline, *args, **kwargs):
        sent.append(len(pipeline.command_stack))
        return execute(pipeline, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(client.pipeline()), "execute", counting_execute)
        patch.setattr("config.ratelimit.cache", cache)
        hit(key="write:user:1", limit=(2, 60))
        hit(key="write:user:1", limit=(2, 60))
        with pytest.raises(RateLimited):
            hit(key="write:user:1", limit=(2, 60))
    assert sent == [2, 2, 2]  # one pipeline (SET NX EX + INCR) per count


def test_cache_answers_like_an_empty_cache_while_redis_is_down(redis_servers):
    from config.cache import FailSafeRedisCache

    proc, port = redis_servers.redis()
    cache = FailSafeRedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"KEY_PREFIX": "faults", "OPTIONS": {"socket_connect_timeout": 1, "PAUSE_SECONDS": 0.5}},
    )
    cache.set("figures", {"tasks": 3})
    assert cache.get("figures") == {"tasks": 3}
    assert cache.available

    redis_servers.stop(proc)
    assert cache.get("figures", "missing") == "missing"
    assert not cache.available  # Redis is skipped for a while instead of tried on every call
    assert cache.get_many(["figures"]) == {}
    assert cache.has_key("figures") is False
    assert cache.add("rate:lock", True) is True  # cache-based locks let the request through
    assert cache.set("figures", {"tasks": 4}) is None
    assert cache.delete("figures") is False
    with pytest.raises(ValueError):
        cache.incr("rate:count")  # like a key that expired: callers count from one
    assert cache.count("rate:count", timeout=60) is None  # the rate limiter lets it through

    redis_servers.redis(port=port)
    deadline = time.monotonic() + 10
    while not cache.available:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cache.set("figures", {"tasks": 5})
    assert cache.get("figures") == {"tasks": 5}


def test_server_error_handler_gives_503_for_database_errors_only(rf):
    from django.db import InterfaceError, OperationalError
    from django.urls import get_resolver
    from django.utils import translation

    from config.middleware import server_error

    assert get_resolver().resolve_error_handler(500) is server_error

    def handle(path, exc):
        request = rf.get(path)
        with translation.override("en"):
            try:
                raise exc
            except Exception:
                return server_error(request)

    reply = handle("/api/v1/tasks", OperationalError("terminating connection"))
    assert reply.status_code == 503
    assert reply["Content-Type"] == "application/json"
    assert reply["Retry-After"]
    assert json.loads(reply.content)["code"] == "service_unavailable"
    reply = handle("/_allauth/app/v1/auth/session", InterfaceError("connection already closed"))
    assert reply.status_code == 503
    reply = handle("/teams/", OperationalError("the database system is shutting down"))
    assert reply.status_code == 503
    assert reply["Content-Type"].startswith("text/html")
    assert b"Briefly unavailable" in reply.content
    reply = handle("/api/v1/tasks", RuntimeError("a bug"))
    assert reply.status_code == 500
    assert json.loads(reply.content)["code"] == "server_error"
    assert handle("/teams/", RuntimeError("a bug")).status_code == 500
