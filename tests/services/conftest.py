"""Real servers for the multi-process tests (test_cross_process.py, test_faults.py).

Fixtures, used only by the tests that ask for them (the other tests here use pytest-django's
database as usual):

- `xproc_db` (session): a PostgreSQL database of its own, `linli_xproc_<pid>`, on the server
  DATABASE_URL names, migrated once with `manage.py migrate` in a subprocess and dropped at the
  end. The servers the tests start and the seeding subprocess use it; the test process only
  reads it with psycopg (`xproc_db.query`).
- `servers` (function): starts private redis-server and daphne processes on spare loopback ports
  (with bench.servers.Stack) and stops all of them afterwards, whatever happens. Server logs go to
  the test's tmp_path and are printed when the test ends (pytest shows them on failure).
- `redis_servers` (function): the same without the database, for private redis-servers only.
- `servers.live(port)` opens a `LiveClient`, a `websockets` (sync API) client for /ws/live/.
- `proxy` (function): a `TcpProxy` on a spare loopback port whose `cut()` drops every connection
  through it and refuses new ones until `restore()`: a network cut between one client and a
  server that others still reach.

Every wait is bounded: subprocesses have timeouts, sockets have timeouts, loops have deadlines.
The machine's own PostgreSQL and Redis are never stopped: only processes started here are.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.servers import HOST, ROOT, VENV_BIN, Stack, free_port, wait_for_port

PASSWORD = "xproc-pass-2026"  # throwaway accounts in a throwaway database
SETTINGS = "config.settings.test"

SEED = r"""
import json
import sys

import django

django.setup()

from allauth.account.models import EmailAddress

from accounts.models import User
from communities.models import Community, Membership
from live.models import Event
from teams import services
from teams.models import Skill, Team, TeamMembership

label, count, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
district, _ = Community.objects.get_or_create(name="松滋市", kind="district", parent=None)
street, _ = Community.objects.get_or_create(name="新江口街道", kind="street", parent=district)
yuling, _ = Community.objects.get_or_create(name="玉岭社区", kind="community", parent=street)
Skill.objects.get_or_create(slug="sanitation", defaults={"name": "环境卫生"})
staff = User.objects.create_user(email=f"staff-{label}@example.com", password=password)
Membership.objects.create(user=staff, community=yuling, role="staff", status="verified")
leader = User.objects.create_user(
    email=f"leader-{label}@example.com", password=password, display_name=f"队长 {label}"
)
Membership.objects.create(user=leader, community=yuling, role="resident", status="verified")
for person in (staff, leader):  # only a verified address signs in
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
team = Team.objects.create(name=f"玉岭社区环境志愿服务队 {label}")
team.skills.add(Skill.objects.get(slug="sanitation"))
team.communities.add(yuling)
TeamMembership.objects.create(team=team, user=leader, role="leader", status="active")
tasks = [
    services.create_task(
        actor=staff,
        community=yuling,
        title=f"清理楼道杂物 {label} {i + 1}",
        required_skills=["sanitation"],
    ).pk
    for i in range(count)
]
print(json.dumps({
    "community": yuling.pk,
    "team": team.pk,
    "leader": leader.email,
    "staff": staff.email,
    "tasks": tasks,
    "last_event": Event.objects.order_by("-id").values_list("id", flat=True).first() or 0,
}))
"""


# --- the database ----------------------------------------------------------------------------


def _server_params(url: str) -> dict:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    return {k: v for k, v in params.items() if v}


@dataclass
class XprocDatabase:
    name: str
    url: str
    server: dict

    def connect(self, dbname: str | None = None, **kwargs):
        import psycopg

        return psycopg.connect(
            **self.server, dbname=dbname or self.name, connect_timeout=10, **kwargs
        )

    def admin(self):
        """An autocommit connection to the maintenance database `postgres`."""
        return self.connect("postgres", autocommit=True)

    def query(self, sql: str, params=()) -> list[tuple]:
        with self.connect(autocommit=True) as conn:
            conn.execute("SET statement_timeout = '10s'")
            return conn.execute(sql, params).fetchall()

    def backends(self, *, exclude=()) -> list[int]:
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            ).fetchall()
        return [pid for (pid,) in rows if pid not in exclude]

    def terminate_backends(self, *, exclude=()) -> list[int]:
        """pg_terminate_backend on every connection to this database but ours and `exclude`."""
        pids = self.backends(exclude=exclude)
        with self.admin() as conn:
            for pid in pids:
                conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        return pids

    def allow_connections(self, allowed: bool) -> None:
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                    sql.Identifier(self.name), sql.Literal(allowed)
                )
            )

    def events(self, topic: str, after: int = 0) -> list[tuple[int, str]]:
        return self.query(
            "SELECT id, type FROM live_event WHERE topic = %s AND id > %s ORDER BY id",
            [topic, after],
        )


@pytest.fixture(scope="session")
def xproc_db(tmp_path_factory):
    """A fresh, migrated PostgreSQL database for servers started by the tests; dropped after."""
    from psycopg import sql

    base_url = os.environ["DATABASE_URL"]
    name = f"linli_xproc_{os.getpid()}"
    server = _server_params(base_url)
    url = base_url.rsplit("/", 1)[0] + "/" + name
    db = XprocDatabase(name=name, url=url, server=server)
    with db.admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        env = django_env(
            database_url=url, redis_url="", var_dir=tmp_path_factory.mktemp("xproc-migrate")
        )
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        yield db
    finally:
        with contextlib.suppress(Exception):
            db.allow_connections(True)
        with db.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def django_env(*, database_url: str, redis_url: str, var_dir: Path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=database_url,
        LINLI_VAR_DIR=str(var_dir),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["REDIS_PREFIX"] = f"{os.environ.get('REDIS_PREFIX', 'linli')}_xproc{os.getpid()}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --- HTTP and WebSocket clients --------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict
    text: str

    def json(self):
        return json.loads(self.text)


def http(method: str, url: str, body=None, *, token=None, headers=None, timeout=30.0) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    wants_json = "/api/" in url or "/_allauth/" in url
    request.add_header("Accept", "application/json" if wants_json else "text/html")
    request.add_header("Accept-Language", "en")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Session-Token", token)
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace"))


class LiveClient:
    """A /ws/live/ client on the `websockets` sync API; events are kept in `events`."""

    def __init__(self, port: int, *, open_timeout: float = 10.0):
        from websockets.sync.client import connect

        self.port = port
        self.events: list[dict] = []
        self.messages: list[dict] = []
        self.ws = connect(
            f"ws://{HOST}:{port}/ws/live/",
            origin=f"http://{HOST}:{port}",
            open_timeout=open_timeout,
            close_timeout=5,
            ping_interval=None,
            proxy=None,
            legacy=True,  # connect now; close() is called by the servers fixture
        )

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def recv(self, timeout: float) -> dict:
        """The next message (events also land in `events`). TimeoutError, ConnectionClosed."""
        message = json.loads(self.ws.recv(timeout=max(timeout, 0.01)))
        self.messages.append(message)
        if isinstance(message.get("id"), int):
            self.events.append(message)
        return message

    def subscribe(self, topic: str, since: int | None = None, timeout: float = 10.0) -> None:
        message = {"action": "subscribe", "topic": topic}
        if since is not None:
            message["since"] = since
        self.send(message)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.recv(deadline - time.monotonic())
            if reply.get("type") == "subscribed" and reply.get("topic") == topic:
                return
            assert reply.get("type") != "error", reply

    def wait_for_ids(self, ids, timeout: float = 15.0) -> None:
        """Receive until every id in `ids` has arrived (TimeoutError after `timeout`)."""
        wanted = set(ids)
        deadline = time.monotonic() + timeout
        while not wanted <= {e["id"] for e in self.events}:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = sorted(wanted - {e["id"] for e in self.events})
                raise TimeoutError(f"events never arrived: {missing}")
            with contextlib.suppress(TimeoutError):
                self.recv(min(remaining, 1.0))

    def wait_closed(self, timeout: float = 15.0):
        """Receive until the server closes; returns the close frame's code (None if none)."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.recv(min(deadline - time.monotonic(), 1.0))
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd is not None else None
        raise TimeoutError(f"the server did not close the connection in {timeout:.0f} s")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


# --- the servers -----------------------------------------------------------------------------


@dataclass
class Servers:
    """Processes started by one test; everything is stopped by `close()`."""

    stack: Stack
    db: XprocDatabase | None
    workdir: Path
    daphnes: dict = field(default_factory=dict)  # port -> Popen
    clients: list = field(default_factory=list)

    # Redis: a private redis-server that a test may stop and start again on the same port.

    def redis(self, port: int | None = None) -> tuple[subprocess.Popen, int]:
        binary = shutil.which("redis-server")
        if not binary:
            if os.environ.get("REQUIRE_SERVICES") == "1":
                pytest.fail("REQUIRE_SERVICES=1 but redis-server is not installed")
            pytest.skip("redis-server is not installed")
        port = port or free_port()
        args = [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
        proc = self.stack.spawn(f"redis-{port}", args + ["--dir", str(self.workdir)])
        wait_for_port(port, proc=proc, timeout=20)
        return proc, port

    def redis_url(self) -> str:
        """A private redis-server if there is one, else REDIS_URL (daphne then uses a key
        prefix of its own, see django_env)."""
        if shutil.which("redis-server"):
            _, port = self.redis()
            return f"redis://{HOST}:{port}/0"
        return os.environ["REDIS_URL"]

    def stop(self, proc: subprocess.Popen) -> None:
        self.stack.stop(proc, timeout=10)

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the process group: no clean shutdown, as when a worker crashes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.stack.stop(proc)

    # Daphne: N processes of config.asgi:application on spare ports.

    def daphne(self, count: int = 1, *, redis_url: str = "", **env_extra) -> list[int]:
        env = django_env(
            database_url=self.db.url, redis_url=redis_url, var_dir=self.workdir, **env_extra
        )
        started = []
        for _ in range(count):
            port = free_port()
            args = [
                str(VENV_BIN / "daphne"),
                "-b",
                HOST,
                "-p",
                str(port),
                "config.asgi:application",
            ]
            started.append((port, self.stack.spawn(f"daphne-{port}", args, env=env)))
        for port, proc in started:
            wait_for_port(port, proc=proc, timeout=90)
            self.daphnes[port] = proc
            deadline = time.monotonic() + 60
            while http("GET", self.url(port, "/api/v1/teams")).status != 200:
                assert time.monotonic() < deadline, f"daphne on {port} does not answer"
                assert proc.poll() is None, f"daphne on {port} exited"
                time.sleep(0.2)
        return [port for port, _ in started]

    def url(self, port: int, path: str) -> str:
        return f"http://{HOST}:{port}{path}"

    def get(self, port: int, path: str, **kwargs) -> Reply:
        return http("GET", self.url(port, path), **kwargs)

    def post(self, port: int, path: str, body=None, **kwargs) -> Reply:
        return http("POST", self.url(port, path), body, **kwargs)

    # Data and sign-in.

    def seed(self, label: str, tasks: int = 1, *, redis_url: str = "") -> dict:
        """Community, staff, a team with its leader and `tasks` open tasks, in a subprocess."""
        env = django_env(database_url=self.db.url, redis_url=redis_url, var_dir=self.workdir)
        done = subprocess.run(
            [sys.executable, "-c", SEED, label, str(tasks), PASSWORD],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def login(self, port: int, email: str) -> str:
        """An allauth headless app session token from the server on `port`."""
        reply = http(
            "POST",
            self.url(port, "/_allauth/app/v1/auth/login"),
            {"email": email, "password": PASSWORD},
        )
        assert reply.status == 200, (reply.status, reply.text[:500])
        return reply.json()["meta"]["session_token"]

    def live(self, port: int, **kwargs) -> LiveClient:
        client = LiveClient(port, **kwargs)
        self.clients.append(client)
        return client

    def logs(self) -> str:
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} (last 4000 characters)\n{text[-4000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.stack.close()


@pytest.fixture
def servers(xproc_db, tmp_path):
    stack = Stack(workdir=tmp_path)
    servers = Servers(stack=stack, db=xproc_db, workdir=tmp_path)
    try:
        yield servers
    finally:
        servers.close()
        print(servers.logs())


@pytest.fixture
def redis_servers(tmp_path):
    """`servers` without the database: for tests that need only a private redis-server."""
    servers = Servers(stack=Stack(workdir=tmp_path), db=None, workdir=tmp_path)
    try:
        yield servers
    finally:
        servers.close()
        print(servers.logs())


# --- a TCP proxy that can cut the line ---------------------------------------------------------


class TcpProxy:
    """Forwards connections from `port` to `target_port` on loopback until `cut()`."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.closed = False
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def cut(self) -> None:
        with self.lock:
            self.open = False
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        with self.lock:
            self.open = True

    def close(self) -> None:
        self.closed = True
        self.cut()
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            with self.lock:
                if not self.open:
                    client.close()
                    continue
                try:
                    upstream = socket.create_connection((HOST, self.target_port), timeout=5)
                except OSError:
                    client.close()
                    continue
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                self.threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            source.settimeout(None)
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy():
    """`make(target_port)` starts a TcpProxy; every proxy is closed after the test."""
    proxies = []

    def make(target_port: int) -> TcpProxy:
        proxies.append(TcpProxy(target_port))
        return proxies[-1]

    try:
        yield make
    finally:
        for item in proxies:
            item.close()
