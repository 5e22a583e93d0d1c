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
        self.log_paths: dict[int, Path] = {}
        self.closers: list = []  # other things to stop first (bench.orm.OrmProcess)
        workdir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.close)

    def spawn(self, name: str, args: list[str], *, env: dict | None = None) -> subprocess.Popen:
        log_path = self.workdir / f"{name}.log"
        log = open(log_path, "ab")  # noqa: SIM115 (closed in close())
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
        self.log_paths[proc.pid] = log_path
        return proc

    def log_tail(self, proc: subprocess.Popen, lines: int = 15) -> str:
        """The end of a process's log, to say why it did not start."""
        path = self.log_paths.get(proc.pid)
        if path is None or not path.exists():
            return ""
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        return f"\n--- {path} (last lines) ---\n" + "\n".join(tail)

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
        for closer in reversed(self.closers):
            with contextlib.suppress(Exception):
                closer.close()
        self.closers.clear()
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
            [str(VENV_BIN / "daphne"), "-b", HOST, "-p", str(port), "config.asgi:application"],
            env=env,
        )
        self.wait_until_served(proc, port)
        return port

    def gunicorn(self, *, env: dict, workers: int, threads: int) -> int:
        """gunicorn serving config.wsgi:application with gthread workers; returns its port once
        it answers."""
        port = free_port()
        proc = self.spawn(
            f"gunicorn-{port}",
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi:application",
                "--worker-class",
                "gthread",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"{HOST}:{port}",
                # The benchmarks' clients keep their connections open between requests, as an
                # app's to the front web server; gunicorn's default (2 s) would close the
                # fan-out driver's while the other scenarios take their turn.
                "--keep-alive",
                "60",
                # no control interface: its default socket is one per user, shared with any
                # other gunicorn running on the machine
                "--no-control-socket",
            ],
            env=env,
        )
        self.wait_until_served(proc, port)
        return port

    def wait_until_served(self, proc: subprocess.Popen, port: int, *, timeout: float = 90) -> None:
        """Until the server answers an HTTP request (the first one imports the URLconf), or
        RuntimeError with the end of its log."""
        deadline = time.monotonic() + timeout
        url = f"http://{HOST}:{port}/api/v1/openapi.json"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{Path(proc.args[0]).name} exited with {proc.returncode}" + self.log_tail(proc)
                )
            try:
                with urllib.request.urlopen(url, timeout=30):
                    return
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{url} did not answer within {timeout:.0f} s ({exc})" + self.log_tail(proc)
                    ) from exc
                time.sleep(0.2)

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


DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/linli_bench"


def postgres_server() -> str:
    """The PostgreSQL server the benchmarks create their throwaway databases on: the one
    DATABASE_URL names (its database is never touched), else DEFAULT_POSTGRES."""
    return os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES


def pg_params(url: str) -> tuple[dict, str] | None:
    """(psycopg connection keywords, database name) of a postgres:// URL; None for another."""
    import dj_database_url

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        return None
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    return {k: v for k, v in params.items() if v}, cfg["NAME"]


def postgres_problem(server_url: str) -> str | None:
    """None when PostgreSQL answers at server_url, else why it cannot be used."""
    import psycopg

    parsed = pg_params(server_url)
    if parsed is None:
        return "DATABASE_URL does not name a PostgreSQL server"
    try:
        with psycopg.connect(**parsed[0], dbname="postgres", connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL is unreachable ({first})"
    return None


def create_database(server_url: str, name: str) -> str:
    """A new PostgreSQL database `name` on server_url's server (replacing a leftover of that
    name); returns its URL."""
    import psycopg
    from psycopg import sql

    params, _ = pg_params(server_url)
    drop_database(server_url, name)
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    user = params.get("user", "")
    password = f":{params['password']}" if params.get("password") else ""
    at = f"{user}{password}@" if user else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgres://{at}{params.get('host', HOST)}{port}/{name}"


def drop_database(server_url: str, name: str) -> None:
    """Drop the database `name` on server_url's server, if it is there, whoever is connected."""
    import psycopg
    from psycopg import sql

    params, _ = pg_params(server_url)
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextlib.contextmanager
def throwaway_postgres(server_url: str, purpose: str, *, keep: bool = False):
    """A new PostgreSQL database `<name>_<purpose>_<pid>` (name: the database server_url names)
    on server_url's server; yields its URL and drops it afterwards (unless keep)."""
    base = pg_params(server_url)[1]
    name = f"{base or 'linli_bench'}_{purpose}_{os.getpid()}"
    url = create_database(server_url, name)
    try:
        yield url
    finally:
        if keep:
            print(f"kept the database {name}", flush=True)
        else:
            drop_database(server_url, name)


def database_name(url: str) -> str:
    parsed = pg_params(url)
    return parsed[1] if parsed else url


def process_group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group (a
    server started by Stack.spawn and its workers); NaN without /proc."""
    total, found = 0.0, False
    try:
        entries = os.listdir("/proc")
    except OSError:
        return float("nan")
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else float("nan")


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
