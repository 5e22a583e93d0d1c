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
    # The database URL is PostgreSQL's, so the server keeps idle connections in its pool, as in
    # production: they can be cut between requests.
    (port,) = servers.daphne(1, redis_url=servers.redis_url())
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


# --- the pieces: the Redis watch of the live hub, and the 500 handler ------------------------


class Follower:
    """Stands in for a LiveConsumer on the hub: collects event ids and resets; one that
    `leaves` on a reset forgets its topics as a closing consumer does."""

    def __init__(self, hub, *, leaves: bool):
        self.hub = hub
        self.leaves = leaves
        self.ids: list[int] = []
        self.resets = 0

    def hub_event(self, topic, batch):
        self.ids += [event_id for event_id, _outgoing in batch.events]

    def hub_reset(self):
        self.resets += 1
        if self.leaves:
            self.hub.forget(self)


async def _until(condition, timeout: float = 20.0) -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_hub_tells_followers_once_when_redis_drops_and_follows_again_once_back(
    redis_servers, settings, caplog
):
    """channels_redis' pub/sub layer as configured for production, on a private redis-server
    that stops and starts again: the hub's followers are told once per outage, the hub
    refuses follows meanwhile, leaving a group while Redis is down is logged, and after Redis
    returns follows and pushes work again."""
    import asyncio
    import logging
    import os

    from channels.layers import get_channel_layer

    from live import services
    from live.hub import get_hub

    proc, port = redis_servers.redis()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [f"redis://127.0.0.1:{port}/0"],
                "prefix": f"watch{os.getpid()}x{time.monotonic_ns()}",
            },
        }
    }
    hub = get_hub(get_channel_layer())
    leaving = Follower(hub, leaves=True)
    staying = Follower(hub, leaves=False)
    await hub.follow("task:1", leaving)
    await hub.follow("task:9", leaving)  # its only follower: the hub leaves the group with it
    await hub.follow("task:1", staying)
    (watch,) = hub._watches
    await asyncio.to_thread(services._push, "task:1", [(1, "{}")])
    await _until(lambda: staying.ids == [1] and leaving.ids == [1])

    with caplog.at_level(logging.WARNING):
        redis_servers.stop(proc)
        await _until(lambda: staying.resets == 1 and leaving.resets == 1)
        assert watch.down
        # No new follower may believe it is live while Redis is down.
        with pytest.raises(ConnectionError):
            await hub.follow("task:2", Follower(hub, leaves=True))
        await _until(lambda: any("group_discard failed" in r.getMessage() for r in caplog.records))

        redis_servers.redis(port=port)
        newcomer = Follower(hub, leaves=False)
        deadline = time.monotonic() + 20
        while True:
            try:
                await hub.follow("task:3", newcomer)
                break
            except ConnectionError:
                assert time.monotonic() < deadline, "following never worked again"
                await asyncio.sleep(0.2)
        assert not watch.down
        # Pushes flow again, to the new follower and to the one that stayed (redis-py
        # subscribed its connection again); the 5 is a marker that all of them went out.
        for n in (2, 3, 4):
            await asyncio.to_thread(services._push, "task:3", [(n, "{}")])
        deadline = time.monotonic() + 20
        while 5 not in staying.ids:
            assert time.monotonic() < deadline, "pushes never reached the follower that stayed"
            await asyncio.to_thread(services._push, "task:1", [(5, "{}")])
            await asyncio.sleep(0.2)
        await _until(lambda: newcomer.ids == [2, 3, 4])
    assert (staying.resets, leaving.resets, newcomer.resets) == (1, 1, 0)  # once per outage
    assert [r.getMessage() for r in caplog.records].count("Redis connection restored") == 1

    await hub.unfollow("task:1", staying)
    await hub.unfollow("task:3", newcomer)
    await asyncio.gather(watch.task, return_exceptions=True)


def test_server_error_handler_gives_503_for_database_errors_only(rf):
    from django.db import InterfaceError, OperationalError
    from django.urls import get_resolver
    from django.utils import translation

    from core.middleware import server_error

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
