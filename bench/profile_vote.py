"""Where the server's CPU goes on a vote, against the floor endpoint.

    python -m bench.profile_vote [--voters 200] [--proposals 5] [--votes 1000] [--top 25]

In one process, no server and no network: a throwaway PostgreSQL database
`linli_profile_<pid>` on the server DATABASE_URL names (default
postgres://postgres@127.0.0.1:5432/linli_bench; only its server is used), migrated and filled
as bench.votes fills its own (a council, verified residents with app session tokens,
proposals open for voting). Django's WSGI handler (the whole middleware stack, bench.settings:
DEBUG off, in-memory cache and channel layer) is called directly with a WSGI environ, as
gunicorn would call it:

  1. queries of one vote and of one floor request (GET /api/v1/communities), with their SQL;
  2. CPU ms per request (time.process_time, no profiler) over --votes votes, each voter in
     turn, every round changing the vote (the upsert path), and as many floor requests, in
     alternating batches (the median batch);
  3. the same requests again under cProfile (timer: this process's CPU time): CPU by
     package (own code, Django, allauth, Ninja, Wagtail, psycopg, ...) and the top functions
     by cumulative and by own time.

The database is dropped at the end (unless --keep). Not a test; the figures are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench.servers import (
    ROOT,
    create_database,
    django_env,
    drop_database,
    migrate,
    pg_params,
    postgres_server,
)
from bench.votes import CHOICES, populate

BATCHES = 10
SITE_PACKAGES = f"{os.sep}site-packages{os.sep}"

# (label, path fragment): the first that matches a function's file names its package.
PACKAGES = (
    ("allauth", f"{SITE_PACKAGES}allauth{os.sep}"),
    ("ninja", f"{SITE_PACKAGES}ninja{os.sep}"),
    ("pydantic", f"{SITE_PACKAGES}pydantic"),
    ("wagtail", f"{SITE_PACKAGES}wagtail{os.sep}"),
    ("modelcluster/taggit", f"{SITE_PACKAGES}modelcluster{os.sep}"),
    ("modelcluster/taggit", f"{SITE_PACKAGES}taggit{os.sep}"),
    ("psycopg", f"{SITE_PACKAGES}psycopg"),
    ("django", f"{SITE_PACKAGES}django{os.sep}"),
    ("channels/asgiref", f"{SITE_PACKAGES}channels{os.sep}"),
    ("channels/asgiref", f"{SITE_PACKAGES}asgiref{os.sep}"),
    ("other packages", SITE_PACKAGES),
    ("linli", str(ROOT) + os.sep),
)


def package_of(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    for label, fragment in PACKAGES:
        if fragment in filename:
            return label
    return "stdlib"


def short_name(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    for marker in (SITE_PACKAGES, str(ROOT) + os.sep):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    else:
        filename = Path(filename).name
    return f"{filename}:{line}({name})"


def wsgi_environ(method: str, path: str, body: bytes = b"", token: str | None = None) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    if token:
        environ["HTTP_X_SESSION_TOKEN"] = token
    return environ


class Caller:
    """Calls the WSGI application as a server would, checking each status."""

    def __init__(self):
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()

    def __call__(self, method: str, path: str, body: bytes = b"", token: str | None = None):
        status_line = []

        def start_response(status, headers, exc_info=None):
            status_line.append(status)

        result = self.app(wsgi_environ(method, path, body, token), start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not status_line or not status_line[0].startswith("200"):
            raise SystemExit(f"{method} {path}: {status_line} {content[:300]!r}")
        return content


def vote_jobs(proposal_ids, voters, count: int, round_offset: int):
    """`count` votes: voter by voter, proposal by proposal, each later pass another choice."""
    jobs = []
    pairs = [(v, p) for p in range(len(proposal_ids)) for v in range(len(voters))]
    for n in range(count):
        v, p = pairs[n % len(pairs)]
        round_index = round_offset + n // len(pairs)
        choice = CHOICES[(v * 7 + p * 3 + round_index) % 3]
        body = json.dumps({"choice": choice}).encode()
        jobs.append(("PUT", f"/api/v1/proposals/{proposal_ids[p]}/vote", body, voters[v][1]))
    return jobs


def cpu_per_request(call, jobs) -> float:
    start = time.process_time()
    for job in jobs:
        call(*job)
    return 1000 * (time.process_time() - start) / len(jobs)


def queries_of(call, job) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call(*job)
    return [q["sql"] for q in captured.captured_queries]


def profile(call, jobs) -> pstats.Stats:
    # CPU time, not wall time: waits for PostgreSQL are the database's cost, not this process's.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for job in jobs:
        call(*job)
    profiler.disable()
    return pstats.Stats(profiler)


def print_profile(title: str, stats: pstats.Stats, requests: int, top: int) -> None:
    entries = stats.stats  # {func: (primitive calls, calls, own time, cumulative, callers)}
    total = sum(own for _cc, _nc, own, _cum, _callers in entries.values())
    per_package: dict[str, float] = {}
    for func, (_cc, _nc, own, _cum, _callers) in entries.items():
        label = package_of(func[0])
        per_package[label] = per_package.get(label, 0.0) + own
    print(
        f"\n### {title}: {requests} requests, {1000 * total / requests:.2f} ms CPU each "
        "under the profiler"
    )
    print("\nOwn time by package (ms per request, share):")
    for label, own in sorted(per_package.items(), key=lambda item: -item[1]):
        print(f"  {label:22} {1000 * own / requests:7.3f}  {100 * own / total:5.1f} %")

    def table(key_index: int, heading: str, only: str | None = None) -> None:
        print(f"\nTop {top} by {heading} (ms per request; calls per request):")
        chosen = [e for e in entries.items() if only is None or package_of(e[0][0]) == only]
        ranked = sorted(chosen, key=lambda item: -item[1][key_index])[:top]
        for func, (_cc, calls, own, cum, _callers) in ranked:
            print(
                f"  {1000 * cum / requests:7.3f} cum {1000 * own / requests:7.3f} own "
                f"{calls / requests:6.1f}x  [{package_of(func[0])}] {short_name(func)}"
            )

    table(3, "cumulative time")
    table(2, "own time")
    table(3, "cumulative time, Linli's own functions", only="linli")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile_vote",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--proposals", type=int, default=5)
    parser.add_argument("--votes", type=int, default=1000, help="votes timed and profiled")
    parser.add_argument("--top", type=int, default=25, help="functions listed per table")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    args.voters = max(1, min(args.voters, 5000))
    args.proposals = max(1, min(args.proposals, 50))
    args.votes = max(10, min(args.votes, 20000))
    return args


def measure(args, call, proposal_ids, voters) -> None:
    floor_job = ("GET", "/api/v1/communities", b"", None)
    warm = vote_jobs(proposal_ids, voters, min(200, args.votes), round_offset=0)
    for job in warm:
        call(*job)
    for _ in range(len(warm)):
        call(*floor_job)

    vote_sql = queries_of(call, vote_jobs(proposal_ids, voters, 1, round_offset=1)[0])
    floor_sql = queries_of(call, floor_job)
    print(f"\nQueries of one vote (a changed vote): {len(vote_sql)}")
    for n, sql in enumerate(vote_sql, 1):
        print(f"  {n}. {' '.join(sql.split())[:240]}")
    print(f"Queries of one floor request: {len(floor_sql)}")
    for n, sql in enumerate(floor_sql, 1):
        print(f"  {n}. {' '.join(sql.split())[:240]}")

    # Batches of votes and floor requests take turns, so that a change of the machine's load
    # hits both alike; the median batch is reported.
    timed = vote_jobs(proposal_ids, voters, args.votes, round_offset=2)
    size = max(1, args.votes // BATCHES)
    vote_batches, floor_batches = [], []
    for start in range(0, size * BATCHES, size):
        floor_batches.append(cpu_per_request(call, [floor_job] * size))
        vote_batches.append(cpu_per_request(call, timed[start : start + size]))
    vote_ms, floor_ms = statistics.median(vote_batches), statistics.median(floor_batches)
    print(
        f"\nCPU per request, no profiler ({BATCHES} alternating batches of {size} each, median "
        "batch; this process: WSGI handler, psycopg's client side):"
    )
    print(f"  vote  {vote_ms:6.2f} ms  (batches {min(vote_batches):.2f}-{max(vote_batches):.2f})")
    print(
        f"  floor {floor_ms:6.2f} ms  (batches {min(floor_batches):.2f}-{max(floor_batches):.2f})"
    )
    print(f"  floor / vote = {100 * floor_ms / vote_ms:.0f} %")

    offset = 2 + -(-args.votes // (len(proposal_ids) * len(voters)))
    profiled = vote_jobs(proposal_ids, voters, args.votes, round_offset=offset)
    print_profile("PUT /api/v1/proposals/{id}/vote", profile(call, profiled), args.votes, args.top)
    print_profile(
        "GET /api/v1/communities (floor)",
        profile(call, [floor_job] * args.votes),
        args.votes,
        args.top,
    )


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server_url = postgres_server()
    if pg_params(server_url) is None:
        raise SystemExit(
            "bench.profile_vote measures PostgreSQL: set DATABASE_URL to a postgres:// URL"
        )
    name = f"linli_profile_{os.getpid()}"
    workdir = ROOT / "var" / "bench" / "profile_vote"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = create_database(server_url, name)
    try:
        env = django_env(var_dir=workdir, database_url=database_url, redis_url=None, prefix=name)
        print(f"migrating the throwaway database {name} ...", flush=True)
        migrate(env)
        os.environ.update(env)
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        _community, proposal_ids, voters = populate(args.voters, args.proposals)
        print(
            f"{args.voters} voters, {args.proposals} proposals; PostgreSQL {name}; "
            "bench.settings (DEBUG off), Django's WSGI handler called in process"
        )
        measure(args, Caller(), proposal_ids, voters)
    finally:
        from contextlib import suppress

        with suppress(Exception):
            from django.db import connections

            connections.close_all()
        if args.keep:
            print(f"kept database {name}")
        else:
            drop_database(server_url, name)
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
