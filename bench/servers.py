"""Start and stop the processes a benchmark needs, on loopback spare ports.

Everything started here is remembered in a `Stack` and killed by `Stack.close()` (also on
Ctrl-C and at interpreter exit). The machine's own services are never touched.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 30.0, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout:.0f} s")


def raise_fd_limit(wanted: int = 16384) -> None:
    """1000 sockets per process need more than the usual soft limit of 1024."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
        if soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass


class Stack:
    """The processes of one benchmark run; `close()` stops them in reverse order."""

    def __init__(self, *, workdir: Path, quiet: bool = True):
        self.workdir = workdir
        self.quiet = quiet
        self.procs: list[subprocess.Popen] = []
        self.logs: list = []
        self._closed = False
        workdir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.close)

    def spawn(self, name: str, args: list[str], *, env: dict | None = None) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (closed in close())
        self.logs.append(log)
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so that we can stop all of it
        )
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, *, timeout: float = 10.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        if proc in self.procs:
            self.procs.remove(proc)

    def close(self) -> None:
        for proc in reversed(list(self.procs)):
            self.stop(proc)
        for log in self.logs:
            with contextlib.suppress(Exception):
                log.close()
        self.logs.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the services -------------------------------------------------------------------

    def redis(self) -> str:
        """A private redis-server on a spare port, nothing saved to disk. Returns its URL."""
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed; set REDIS_URL to use another one")
        port = free_port()
        proc = self.spawn(
            f"redis-{port}",
            [
                binary,
                "--bind",
                HOST,
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--maxclients",
                "10000",
            ],
        )
        wait_for_port(port, proc=proc)
        return f"redis://{HOST}:{port}/0"

    def daphne(self, *, env: dict) -> int:
        """One daphne process of config.asgi:application; returns its port once it answers."""
        port = free_port()
        proc = self.spawn(
            f"daphne-{port}",
            [
                str(VENV_BIN / "daphne"),
                "-b",
                HOST,
                "-p",
                str(port),
                "config.asgi:application",
            ],
            env=env,
        )
        wait_for_port(port, proc=proc, timeout=60)
        # The first request imports the URLconf; do it before measuring anything.
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"http://{HOST}:{port}/api/v1/openapi.json"
                with urllib.request.urlopen(url, timeout=10):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        return port

    def python_module(self, name: str, module: str, *args: str, env: dict | None = None):
        return self.spawn(name, [sys.executable, "-m", module, *args], env=env)


def django_env(
    *,
    var_dir: Path,
    database_url: str | None,
    redis_url: str | None,
    prefix: str,
    settings: str = "bench.settings",
):
    """The environment of the Django processes of a run (servers and the setup code)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = settings
    env["LINLI_VAR_DIR"] = str(var_dir)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["REDIS_PREFIX"] = prefix
    return env


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database named in DATABASE_URL if it is missing."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        return
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if exists.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
