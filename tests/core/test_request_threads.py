"""config.handlers: every request's sync work on one long-lived thread, kept for the next
request together with its database connection; concurrent requests on threads of their own."""

import asyncio
import json
import threading

import pytest
from channels.testing import HttpCommunicator
from django.db import connection, connections
from django.db.backends.signals import connection_created

from config.handlers import SyncChainASGIHandler

from . import request_threads_urls

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.core.request_threads_urls"),
]


@pytest.fixture
def handler(settings):
    settings.REQUEST_THREADS = 2
    settings.ALLOWED_HOSTS = ["*"]
    handler = SyncChainASGIHandler()
    yield handler
    # The kept threads' connections must not outlive the test (the test database is dropped).
    for executor in handler.threads._idle:
        executor.submit(connections.close_all).result()


@pytest.fixture
def persistent_connections():
    settings_dict = connection.settings_dict  # shared by every thread's connection
    before = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = 60
    yield
    settings_dict["CONN_MAX_AGE"] = before


@pytest.fixture
def opened():
    """How many database connections were opened, by thread."""
    counts: dict[int, int] = {}

    def count(sender, **kwargs):
        counts[threading.get_ident()] = counts.get(threading.get_ident(), 0) + 1

    connection_created.connect(count, weak=False)
    yield counts
    connection_created.disconnect(count)


async def _get(handler, path):
    response = await HttpCommunicator(handler, "GET", path).get_response(timeout=10)
    assert response["status"] == 200, response
    return json.loads(response["body"])


async def test_sequential_requests_share_a_thread_and_its_connection(
    handler, persistent_connections, opened
):
    first = await _get(handler, "/whoami")
    second = await _get(handler, "/whoami")
    third = await _get(handler, "/whoami")
    assert first["thread"] == second["thread"] == third["thread"]
    assert first["thread"] != threading.get_ident()
    assert first["connection"] == second["connection"] == third["connection"]
    assert opened == {first["thread"]: 1}


async def test_concurrent_requests_run_on_threads_of_their_own(handler, monkeypatch):
    closed_in = []

    class Recording:
        def close_all(self):
            closed_in.append(threading.get_ident())
            connections.close_all()

    monkeypatch.setattr("config.handlers.connections", Recording())
    request_threads_urls.gates.update(a=threading.Event(), b=threading.Event(), c=threading.Event())
    waiting = [asyncio.create_task(_get(handler, f"/wait/{name}")) for name in "abc"]
    await asyncio.sleep(0.2)
    # All three are in their views at once: nobody waits for a thread.
    assert not any(task.done() for task in waiting)
    for gate in request_threads_urls.gates.values():
        gate.set()
    threads = {reply["thread"] for reply in await asyncio.gather(*waiting)}
    assert len(threads) == 3
    # Afterwards REQUEST_THREADS (2) are kept; the third closed its connections and ended.
    assert handler.threads.idle == 2
    await asyncio.sleep(0.2)
    assert len(closed_in) == 1 and closed_in[0] in threads
    after = await _get(handler, "/whoami")
    assert after["thread"] in threads - set(closed_in)
