"""Two daphne processes, one site: a claim made through process A reaches a client on B.

Both processes share the PostgreSQL database of the `xproc_db` fixture and one Redis (a
private redis-server, or REDIS_URL under a key prefix of their own), exactly as behind nginx in
production (site/deploy/). The client talks only to B and the claim goes only to A, so the event
can reach the client only through the Redis channel layer. Fixtures: tests/services/conftest.py.
"""

from websockets.exceptions import ConnectionClosed


def test_claim_through_a_reaches_client_on_b(servers):
    port_a, port_b = servers.daphne(2, redis_url=servers.redis_url())
    data = servers.seed("cross")
    task, team = data["tasks"][0], data["team"]
    topic = f"task:{task}"
    token = servers.login(port_a, data["leader"])

    client = servers.live(port_b)
    client.subscribe(topic, since=data["last_event"])
    assert client.events == []  # nothing happened to the task since

    reply = servers.post(port_a, f"/api/v1/tasks/{task}/claim", {"team": team}, token=token)
    assert reply.status == 200, reply.text[:500]
    assert reply.json()["status"] == "claimed"

    logged = servers.db.events(topic, after=data["last_event"])
    assert [kind for _, kind in logged] == ["task.claimed"]
    try:
        client.wait_for_ids([event_id for event_id, _ in logged], timeout=10)
    except (TimeoutError, ConnectionClosed) as exc:
        raise AssertionError(f"process B never pushed task.claimed: {exc}") from exc
    (event,) = client.events
    assert event["id"] == logged[0][0]
    assert event["topic"] == topic
    assert event["type"] == "task.claimed"
    assert event["data"]["status"] == "claimed"
    assert event["data"]["team"]["id"] == team
