"""The two ways Linli is served that the benchmarks measure, each started on a Stack.

- Embedded default (`make run`): one daphne process of config.asgi:application serving HTTP
  and /ws/, a SQLite file, Channels' in-memory channel layer, the local-memory cache.
- Production layout (Channels' deployment docs): gunicorn serving HTTP
  (config.wsgi:application, gthread workers), daphne processes serving only /ws/, all of them
  sharing PostgreSQL (a throwaway database) and Redis (channels_redis' layer and the cache,
  REDIS_URL): an event published by a gunicorn worker reaches the daphne processes through
  Redis.

Both run with bench.settings (the base settings, DEBUG off) unless told otherwise, and each
comes with an OrmProcess on its database for the benchmark's setup and checks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bench.orm import OrmProcess
from bench.servers import (
    HOST,
    Stack,
    database_name,
    django_env,
    migrate,
    postgres_problem,
    postgres_server,
    throwaway_postgres,
)

EMBEDDED = "embedded"
PRODUCTION = "production"
LABELS = {
    EMBEDDED: "Linli, embedded default",
    PRODUCTION: "Linli, production layout",
}


@dataclass
class Layout:
    key: str
    label: str
    description: str
    env: dict
    orm: OrmProcess
    http_port: int = 0
    ws_ports: list[int] = field(default_factory=list)
    # process groups of the processes serving HTTP (a daphne, or gunicorn and its workers)
    http_process_groups: list[int] = field(default_factory=list)
    redis: str = "-"  # which Redis the production layout uses, for the report

    @property
    def http_base(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://{HOST}:{port}/ws/live/" for port in self.ws_ports]


def production_problem() -> str | None:
    """Why the production layout cannot run here, or None."""
    problem = postgres_problem(postgres_server())
    if problem:
        return problem + " (set DATABASE_URL to a PostgreSQL server)"
    if not os.environ.get("REDIS_URL") and not shutil.which("redis-server"):
        return "redis-server is not installed (or set REDIS_URL)"
    return None


def drop_unavailable(keys) -> dict[str, str]:
    """Take the production layout out of `keys` (a list or set of layout keys) when it cannot
    run here, saying so; returns {key: why} of what was taken out."""
    if PRODUCTION not in keys:
        return {}
    problem = production_problem()
    if not problem:
        return {}
    keys.remove(PRODUCTION)
    print(f"{LABELS[PRODUCTION]}: not measured: {problem}", flush=True)
    return {PRODUCTION: problem}


@contextlib.contextmanager
def stack_for(keys, purpose: str, *, workdir: Path, keep: bool):
    """Yields (a Stack on workdir, the URL of a throwaway PostgreSQL database
    `<name>_<purpose>_<pid>` when the production layout is among `keys`, else None)."""
    database = (
        throwaway_postgres(postgres_server(), purpose, keep=keep)
        if PRODUCTION in keys
        else contextlib.nullcontext()
    )
    # The database is entered first and left last: it is dropped once every server has stopped.
    with database as database_url, Stack(workdir=workdir) as stack:
        yield stack, database_url


def prepare(
    key: str, stack: Stack, *, var_dir: Path, settings: str, database_url: str | None = None
) -> Layout:
    """Migrate the layout's database and start its ORM process; no server yet.

    For PRODUCTION: database_url (a throwaway PostgreSQL database) and Redis: REDIS_URL under
    the key prefix `bench<pid>`, else a private redis-server started on the stack."""
    var_dir.mkdir(parents=True, exist_ok=True)
    redis = "-"
    if key == EMBEDDED:
        env = django_env(
            var_dir=var_dir, database_url=None, redis_url=None, prefix="", settings=settings
        )
        description = (
            "one daphne process serving HTTP and /ws/, SQLite (throwaway file), in-memory "
            "channel layer"
        )
    else:
        external_redis = os.environ.get("REDIS_URL") or None
        prefix = f"bench{os.getpid()}"
        redis = f"REDIS_URL, prefix {prefix}" if external_redis else "private redis-server"
        env = django_env(
            var_dir=var_dir,
            database_url=database_url,
            redis_url=external_redis or stack.redis(),
            prefix=prefix,
            settings=settings,
        )
        description = f"PostgreSQL (throwaway database {database_name(database_url)}), Redis"
    migrate(env)
    orm = OrmProcess(env, name=f"orm-{key}")
    stack.closers.append(orm)
    return Layout(
        key=key, label=LABELS[key], description=description, env=env, orm=orm, redis=redis
    )


def serve(layout: Layout, stack: Stack, *, daphnes: int, workers: int, threads: int) -> None:
    """Start the layout's servers: the embedded default one daphne for everything; the
    production layout gunicorn for HTTP and `daphnes` daphne processes for /ws/ (none when
    the benchmark opens no WebSocket)."""
    if layout.key == EMBEDDED:
        port = stack.daphne(env=layout.env)
        layout.http_port, layout.ws_ports = port, [port]
        layout.http_process_groups = [stack.procs[-1].pid]
        return
    layout.http_port = stack.gunicorn(env=layout.env, workers=workers, threads=threads)
    layout.http_process_groups = [stack.procs[-1].pid]
    layout.ws_ports = [stack.daphne(env=layout.env) for _ in range(daphnes)]
    servers = f"gunicorn ({workers} gthread workers x {threads} threads) serving HTTP"
    if daphnes:
        servers += f", {daphnes} daphne process{'es' if daphnes > 1 else ''} serving /ws/"
    layout.description = f"{servers}; {layout.description}"


def add_layout_options(parser, *, settings_to_try: str) -> None:
    """The options of every benchmark of the layouts: the production layout's gunicorn and the
    servers' settings module (help: what another one would let you try)."""
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers of the production layout"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="threads of each gunicorn worker (gthread)"
    )
    parser.add_argument(
        "--settings",
        default="bench.settings",
        help=f"settings module of the servers (to try another {settings_to_try}, say)",
    )


def clamp_layout_options(args) -> None:
    """Keep add_layout_options' numbers within what one machine can run."""
    args.workers = max(1, min(args.workers, 16))
    args.threads = max(1, min(args.threads, 64))
