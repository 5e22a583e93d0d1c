"""Django's ORM on one layout's database, in a process of its own.

A benchmark that compares the embedded default (SQLite) with the production layout
(PostgreSQL) sets both up, and checks both, through the ORM; a Python process sets Django up
once, for one database. So each layout gets a child process (`OrmProcess`) with its
environment, in which the benchmark's module-level functions run: `orm.call(function,
**kwargs)` sends the function's module and name, and gets back what it returned (plain data:
ids, dicts, lists) or RuntimeError with the child's traceback. The driver's own process never
sets Django up, so its timing is not shared with the ORM.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing as mp
import sys
import traceback

START_TIMEOUT = 120.0
CALL_TIMEOUT = 900.0


def _module_name(function) -> str:
    module = function.__module__
    if module == "__main__":  # a benchmark run as `python -m bench.<name>`
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec else module
    return module


def _serve(conn, env: dict) -> None:
    import os

    os.environ.clear()
    os.environ.update(env)
    try:
        import django

        django.setup()
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        conn.close()
        return
    conn.send(("ok", None))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            break
        if message is None:
            break
        module, name, kwargs = message
        try:
            value = getattr(importlib.import_module(module), name)(**kwargs)
        except BaseException:
            conn.send(("error", traceback.format_exc()))
        else:
            conn.send(("ok", value))
    from django.db import connections

    connections.close_all()
    conn.close()


class OrmProcess:
    def __init__(self, env: dict, *, name: str):
        context = mp.get_context("spawn")
        self.name = name
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=_serve, args=(child, env), name=name, daemon=True)
        self.proc.start()
        child.close()
        self._receive(START_TIMEOUT, "set Django up")

    def _receive(self, timeout: float, what: str):
        if not self.conn.poll(timeout):
            raise RuntimeError(f"{self.name}: no answer within {timeout:.0f} s to {what}")
        try:
            status, value = self.conn.recv()
        except EOFError as exc:
            raise RuntimeError(f"{self.name}: the process ended during {what}") from exc
        if status == "error":
            raise RuntimeError(f"{self.name}: {what} failed:\n{value}")
        return value

    def call(self, function, /, **kwargs):
        """function(**kwargs) in the child process; its return value."""
        self.conn.send((_module_name(function), function.__name__, kwargs))
        return self._receive(CALL_TIMEOUT, function.__name__)

    def close(self) -> None:
        if self.proc.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.conn.close()
