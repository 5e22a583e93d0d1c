"""Django's ASGI handler for daphne, with the request's sync work on long-lived threads.

Two things about Django's own ASGIHandler cost every request several milliseconds:

1. A new thread, and so a new database connection. Django runs each request in a fresh
   `ThreadSensitiveContext`, for which asgiref starts a new worker thread (and, when the
   request ends, another thread to join it). Database connections belong to a thread, so
   every request opened a new one: a new SQLite connection with its set-up (WAL pragma, the
   functions Django registers) or a new PostgreSQL backend, ~3 ms before the first query even
   on an idle machine, and persistent connections (CONN_MAX_AGE) could not work at all.
   Here each request borrows a long-lived single-thread executor from `RequestThreads` and
   runs ALL its thread-sensitive work on it (the request_started / request_finished signals,
   middleware, view, response.close()), exactly as a threaded WSGI server reuses its threads.
   So a thread's connection lives on between requests, for CONN_MAX_AGE seconds
   (DATABASE_CONN_MAX_AGE), checked before reuse (CONN_HEALTH_CHECKS), and closed by Django's
   usual `close_old_connections` in that same thread. Requests still run side by side: a
   request that finds no idle thread gets a new one, and up to settings.REQUEST_THREADS idle
   threads are kept (the most recently used first: its caches are warm); a thread beyond
   that closes its connections and ends.

2. Thread crossings. Django builds the ASGI chain in async mode: its last handler
   (`_get_response_async`) is a coroutine, so a chain of sync middleware (all of ours) goes
   into the worker thread for the middleware, back to the event loop (`async_to_sync`) for
   `_get_response_async`, and into the thread again for the sync view; and as many times on
   the way out. Each crossing is a thread wake-up and a turn of the event loop, which may be
   busy with WebSocket traffic (a live fan-out to a thousand sockets, say). Built in sync
   mode, the chain (middleware and view, exception middleware included) runs in one call in
   the request's thread, as under WSGI. An async view would still work (Django runs it with
   `async_to_sync`); the project has none.
   Before that call Django sends `request_started` with `asend`, which is one more crossing
   (its receivers, close_old_connections and reset_queries, are sync) and two more tasks;
   here the same thread call sends it first, then runs the chain: the receivers run in the
   same thread as before, before any middleware, just no longer before `create_request`
   (which reads no database). Measured against one daphne, plain task updates 200 at a
   time: from the request leaving the client to the first middleware 1.5-2.2 ms at p50
   before, 1.0-1.1 ms after. Only a request Django refuses before the chain (a scope it
   cannot turn into a request) still gets `asend`, as in Django.

Nothing else changes: body reading, request_finished, response streaming and disconnects are
the base class's. `handle` is Django 5.2's with that one move (DJANGO_HANDLE_SOURCE_SHA256
pins the version it was taken from; tests/core/test_request_threads.py checks it).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.urls import set_script_prefix

DEFAULT_REQUEST_THREADS = 8
#: sha256 of the source of django.core.handlers.asgi.ASGIHandler.handle that `handle` below
#: was taken from (Django 5.2.19).
DJANGO_HANDLE_SOURCE_SHA256 = "98faeb5bef800331e6a8002fbc96b30e4122a23438ae45a047190a531ea11323"


class RequestThreads:
    """Single-thread executors lent to one request at a time and kept for the next."""

    def __init__(self, keep: int):
        self.keep = keep
        self._idle: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()

    def borrow(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(executor)
                return
        # The thread's database connections go with it (nothing else would close them), then
        # the thread ends; neither is waited for.
        executor.submit(connections.close_all)
        executor.shutdown(wait=False)

    @property
    def idle(self) -> int:
        return len(self._idle)


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler: long-lived request threads, and one thread call per request."""

    def __init__(self):
        super().__init__()
        self.threads = RequestThreads(getattr(settings, "REQUEST_THREADS", DEFAULT_REQUEST_THREADS))

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        chain = self._middleware_chain

        def started_then_served(request):
            signals.request_started.send(sender=self.__class__, scope=request.scope)
            return chain(request)

        self._middleware_chain = sync_to_async(started_then_served, thread_sensitive=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # Django refuses it
            return
        executor = self.threads.borrow()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)

    async def handle(self, scope, receive, send):
        """Django's ASGIHandler.handle, but `request_started` is sent in the request's thread
        call (load_middleware) rather than with `asend` before it."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            await signals.request_started.asend(sender=self.__class__, scope=scope)
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request, send):
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client disconnected
                await self.send_response(response, send)
            return response

        # listen_for_disconnect first: it is cancelled first and raises nothing unexpected.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass  # the client disconnected
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()  # views may handle the cancellation
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            await sync_to_async(response.close)()
        body_file.close()
