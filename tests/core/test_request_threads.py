"""config.handlers: every request's sync work on one long-lived thread, kept for the next
request together with its database connection; concurrent requests on threads of their own."""

import asyncio
import hashlib
import inspect
import json
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.testing import HttpCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.db import connection, connections
from django.db.backends.signals import connection_created

from config.handlers import DJANGO_HANDLE_SOURCE_SHA256, SyncChainASGIHandler

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


@pytest.fixture
def signals_seen():
    """request_started / request_finished as they are sent, with the sending thread, beside
    the views' own entries (request_threads_urls.seen)."""
    seen = request_threads_urls.seen
    seen.clear()

    def started(sender, **kwargs):
        seen.append(("started", threading.get_ident()))

    def finished(sender, **kwargs):
        seen.append(("finished", threading.get_ident()))

    request_started.connect(started)
    request_finished.connect(finished)
    yield seen
    request_started.disconnect(started)
    request_finished.disconnect(finished)


async def test_request_started_is_sent_once_in_the_request_thread_before_the_view(
    handler, signals_seen
):
    communicator = HttpCommunicator(handler, "GET", "/recorded")
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)  # request_finished comes with response.close()
    thread = json.loads(response["body"])["thread"]
    assert signals_seen == [("started", thread), ("view", thread), ("finished", thread)]


async def test_a_request_refused_before_the_chain_still_gets_both_signals(handler, signals_seen):
    """A query string that is not UTF-8: Django answers 400 without building a request."""
    communicator = ApplicationCommunicator(
        handler,
        {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/recorded",
            "raw_path": b"/recorded",
            "query_string": b"q=\xff",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 1234),
            "server": ("testserver", 80),
        },
    )
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=10)
    await communicator.receive_output(timeout=10)
    await communicator.wait(timeout=10)
    assert start["status"] == 400
    assert [name for name, _thread in signals_seen] == ["started", "finished"]


async def test_a_request_crosses_into_its_thread_twice(handler, monkeypatch):
    """Once for request_started, the middleware and the view together; once for
    response.close() (request_finished). Django's own handle crosses once more, for
    request_started alone."""
    calls = []
    borrow = handler.threads.borrow

    def counting_borrow():
        executor = borrow()
        submit = executor.submit

        def counted(fn, /, *args, **kwargs):
            calls.append(fn)
            return submit(fn, *args, **kwargs)

        monkeypatch.setattr(executor, "submit", counted)
        return executor

    monkeypatch.setattr(handler.threads, "borrow", counting_borrow)
    communicator = HttpCommunicator(handler, "GET", "/whoami")
    assert (await communicator.get_response(timeout=10))["status"] == 200
    await communicator.wait(timeout=10)
    assert len(calls) == 2


def test_handle_is_taken_from_the_installed_django():
    """SyncChainASGIHandler.handle is Django's own with request_started moved; a Django whose
    handle differs must be compared with it again before the pin is moved."""
    source = inspect.getsource(ASGIHandler.handle)
    assert hashlib.sha256(source.encode()).hexdigest() == DJANGO_HANDLE_SOURCE_SHA256
