"""Vote throughput: many residents voting at once through the JSON API, on PostgreSQL.

    python -m bench.votes [--voters 200] [--proposals 5] [--rounds 2] [--concurrency 32]

One run:
  1. creates a throwaway PostgreSQL database `linli_bench_votes_<pid>` on the server that
     DATABASE_URL names (default postgres://postgres@127.0.0.1:5432/linli_bench: only its
     server is used), migrates it and fills it through the ORM: one council, N verified
     residents with app session tokens, P proposals open for voting (and one for the warm-up);
  2. starts one daphne process of config.asgi:application (bench.settings: DEBUG off) on a
     spare loopback port;
  3. warms up: as many requests as there are client threads (at least 50) of each kind;
  4. for each round: as many requests to a trivial endpoint (GET /api/v1/communities, no
     session: the framework floor) as there are votes, then every resident votes on every
     proposal (PUT /api/v1/proposals/<id>/vote); each further round changes every vote (the
     upsert path). Both from the same C client threads with keep-alive connections, floor and
     votes interleaved, so that a change of the (shared) machine's load hits both alike;
  5. checks correctness: one row per voter and proposal, every row holds the last round's
     choice, and the tally the API shows equals the rows;
  6. prints a table, stops daphne and drops the database (unless --keep).

Throughput is requests / wall time of the phases; latency is measured per request in the
client (send to full response). Target: votes at 60 % or more of the floor's throughput. Not
a test: it exits non-zero only when the correctness check fails (or PostgreSQL is
unreachable); the target is reported, not enforced.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import HOST, ROOT, Stack, django_env, migrate

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/linli_bench"
CHOICES = ("support", "oppose", "abstain")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class Run:
    label: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0  # seconds of CPU the daphne process used during the phases

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")

    @property
    def cpu_ms(self) -> float:
        """The server's CPU time per request (ms)."""
        return 1000 * self.server_cpu / self.requests if self.requests else float("nan")

    def add(self, other: Run) -> None:
        self.server_cpu += other.server_cpu
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies_ms += other.latencies_ms
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n


# --- the throwaway database -----------------------------------------------------------------


def _pg_params(url: str) -> tuple[dict, str]:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        raise SystemExit("bench.votes measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    return {k: v for k, v in params.items() if v}, cfg["NAME"]


def create_database(server_url: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    params, _ = _pg_params(server_url)
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    user = params.get("user", "")
    password = f":{params['password']}" if params.get("password") else ""
    at = f"{user}{password}@" if user else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgres://{at}{params.get('host', '127.0.0.1')}{port}/{name}"


def drop_database(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    params, _ = _pg_params(server_url)
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --- setup through the ORM ------------------------------------------------------------------


def populate(voters: int, proposals: int):
    """A council, `voters` verified residents with app session tokens, open proposals."""
    from datetime import timedelta

    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from communities.models import Community, Membership
    from deliberation.models import Council, Proposal

    district = Community.objects.create(name="松滋市", kind="district")
    street = Community.objects.create(name="新江口街道", kind="street", parent=district)
    community = Community.objects.create(name="玉岭社区", kind="community", parent=street)
    council = Council.objects.create(community=community, name="玉岭社区居民议事会")
    User = get_user_model()
    users = [User(email=f"voter{i}@bench.example", display_name=f"居民{i}") for i in range(voters)]
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        [Membership(user=u, community=community, status="verified") for u in users]
    )
    author = users[0]
    now = timezone.now()
    items = [
        Proposal.objects.create(
            council=council,
            author=author,
            title=f"议题 {n + 1}",
            body="投票基准测试。",
            category="sanitation",
            status="voting",
            submitted_at=now,
            published_at=now,
            voting_opens_at=now - timedelta(minutes=1),
            voting_closes_at=now + timedelta(days=1),
        )
        for n in range(proposals)
    ]
    tokens = {}
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        tokens[user.pk] = session.session_key
    return community, [p.pk for p in items], [(u.pk, tokens[u.pk]) for u in users]


def choice_for(voter_index: int, proposal_index: int, round_index: int) -> str:
    return CHOICES[(voter_index * 7 + proposal_index * 3 + round_index) % 3]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, port: int, jobs, concurrency: int, label: str) -> Run:
    """drive(), also counting the server process's CPU time during it."""
    before = process_cpu(pid)
    run = drive(port, jobs, concurrency, label)
    run.server_cpu = process_cpu(pid) - before
    return run


# --- HTTP clients -----------------------------------------------------------------------------


def drive(port: int, jobs: list[tuple], concurrency: int, label: str) -> Run:
    """Run the (method, path, body, token) jobs from `concurrency` keep-alive client threads."""
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    lock = threading.Lock()
    run = Run(label)
    start = threading.Barrier(concurrency + 1)

    def client():
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        latencies, statuses, errors = [], {}, 0
        start.wait()
        while True:
            try:
                method, path, body, token = work.get_nowait()
            except queue.Empty:
                break
            headers = {"Accept": "application/json"}
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            if token:
                headers["X-Session-Token"] = token
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status = 0
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                errors += 1
        conn.close()
        with lock:
            run.latencies_ms += latencies
            run.errors += errors
            for status, n in statuses.items():
                run.statuses[status] = run.statuses.get(status, 0) + n

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    run.seconds = time.perf_counter() - t0
    run.requests = len(run.latencies_ms)
    return run


def get_json(port: int, path: str, token: str | None = None):
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path, headers={"X-Session-Token": token} if token else {})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


# --- correctness ------------------------------------------------------------------------------


def check(port: int, proposal_ids: list[int], voters: list[tuple[int, str]], last_round: int):
    from django.db.models import Count

    from deliberation.models import Vote

    lines, ok = [], True
    rows = Vote.objects.filter(proposal_id__in=proposal_ids)
    total = rows.count()
    expected_total = len(proposal_ids) * len(voters)
    duplicates = (
        rows.values("proposal_id", "voter_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    ok &= total == expected_total and duplicates == 0
    lines.append(
        f"rows: {total} (expected {expected_total}: one per voter and proposal), "
        f"duplicates: {duplicates}"
    )
    index = {voter_id: i for i, (voter_id, _) in enumerate(voters)}
    wrong = 0
    for p_index, proposal_id in enumerate(proposal_ids):
        for voter_id, choice in Vote.objects.filter(proposal_id=proposal_id).values_list(
            "voter_id", "choice"
        ):
            if choice != choice_for(index[voter_id], p_index, last_round):
                wrong += 1
    ok &= wrong == 0
    lines.append(f"rows holding a choice other than the last round's: {wrong}")
    matching = 0
    for p_index, proposal_id in enumerate(proposal_ids):
        counts = dict(
            Vote.objects.filter(proposal_id=proposal_id)
            .values_list("choice")
            .annotate(n=Count("id"))
            .values_list("choice", "n")
        )
        from_rows = {c: counts.get(c, 0) for c in CHOICES}
        expected = dict.fromkeys(CHOICES, 0)
        for v_index in range(len(voters)):
            expected[choice_for(v_index, p_index, last_round)] += 1
        status, data = get_json(port, f"/api/v1/proposals/{proposal_id}", voters[0][1])
        tally = (data or {}).get("tally") or {}
        from_api = {c: tally.get(c) for c in CHOICES}
        if status == 200 and from_api == from_rows == expected:
            matching += 1
    ok &= matching == len(proposal_ids)
    lines.append(
        f"tallies where API = rows = expected: {matching} of {len(proposal_ids)} proposals"
    )
    return ok, lines


# --- report -----------------------------------------------------------------------------------


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def text_table(head, rows) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells):
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [
        line(r) for r in rows
    ]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.votes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--voters", type=int, default=200, help="residents voting")
    parser.add_argument("--proposals", type=int, default=5, help="proposals open for voting")
    parser.add_argument("--rounds", type=int, default=2, help="votes per voter and proposal")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--settings",
        default="bench.settings",
        help="settings module of the server (to try another session engine, say)",
    )
    args = parser.parse_args(argv)
    args.voters = max(1, min(args.voters, 5000))
    args.proposals = max(1, min(args.proposals, 50))
    args.rounds = max(1, min(args.rounds, 10))
    args.concurrency = max(1, min(args.concurrency, 256))
    return args


def postgres_reachable(server_url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    import psycopg

    params, _ = _pg_params(server_url)
    try:
        with psycopg.connect(**params, dbname="postgres", connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def run(args) -> dict:
    """Measure; returns the figures (see bench.report for the shape)."""
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    figures = {
        "name": "votes",
        "title": "Vote throughput against the trivial-endpoint floor",
        "ok": False,
        "targets": [
            {
                "target": f"vote throughput at least {TARGET_PERCENT} % of the floor's",
                "measured": "-",
                "met": None,
            }
        ],
    }
    try:
        _pg_params(server_url)  # refuses anything but PostgreSQL
    except SystemExit as exc:
        figures["error"] = str(exc)
        return figures
    problem = postgres_reachable(server_url)
    if problem:
        figures["error"] = (
            f"PostgreSQL is unreachable ({problem}); set DATABASE_URL to a PostgreSQL server "
            "(a throwaway database is created next to the one it names)"
        )
        figures["skipped"] = True  # python -m bench reports it and goes on
        return figures
    name = f"linli_bench_votes_{os.getpid()}"
    workdir = ROOT / "var" / "bench" / "votes"
    shutil.rmtree(workdir, ignore_errors=True)
    database_url = create_database(server_url, name)
    ok = False
    try:
        with Stack(workdir=workdir) as stack:
            env = django_env(
                var_dir=workdir,
                database_url=database_url,
                redis_url=None,
                prefix=name,
                settings=args.settings,
            )
            print(f"migrating the throwaway database {name} ...", flush=True)
            migrate(env)
            os.environ.update(env)
            os.environ.pop("REDIS_URL", None)
            import django

            django.setup()
            # one more proposal than measured: the warm-up votes go there
            community, proposal_ids, voters = populate(args.voters, args.proposals + 1)
            warm_proposal, proposal_ids = proposal_ids[0], proposal_ids[1:]
            print("starting daphne ...", flush=True)
            port = stack.daphne(env=env)
            server_pid = stack.procs[-1].pid

            # Warm-up, uncounted: each client thread's connection, both request paths, the
            # server's per-process caches and the database's.
            warm_n = min(len(voters), max(2 * args.concurrency, 50))
            drive(
                port,
                [("GET", "/api/v1/communities", None, None)] * warm_n,
                args.concurrency,
                "warm-up",
            )
            drive(
                port,
                [
                    ("PUT", f"/api/v1/proposals/{warm_proposal}/vote", {"choice": "abstain"}, t)
                    for _voter_id, t in voters[:warm_n]
                ],
                args.concurrency,
                "warm-up",
            )

            # The same client threads and connections settings for both; the floor's requests
            # are interleaved with the vote rounds (floor, round, floor, round ...), so that a
            # change of the machine's load during the run affects both alike.
            votes = Run("PUT /api/v1/proposals/{id}/vote")
            floor = Run("GET /api/v1/communities (floor)")
            per_round = args.voters * len(proposal_ids)
            for r in range(args.rounds):
                floor_jobs = [("GET", "/api/v1/communities", None, None)] * per_round
                print(f"floor {r + 1}: {len(floor_jobs)} requests ...", flush=True)
                floor.add(measured(server_pid, port, floor_jobs, args.concurrency, floor.label))
                jobs = [
                    (
                        "PUT",
                        f"/api/v1/proposals/{proposal_id}/vote",
                        {"choice": choice_for(v, p, r)},
                        token,
                    )
                    for v, (_voter_id, token) in enumerate(voters)
                    for p, proposal_id in enumerate(proposal_ids)
                ]
                print(f"round {r + 1}: {len(jobs)} votes ...", flush=True)
                votes.add(measured(server_pid, port, jobs, args.concurrency, votes.label))
            ok, lines = check(port, proposal_ids, voters, args.rounds - 1)
            ok = ok and votes.errors == 0 and floor.errors == 0
    finally:
        if args.keep:
            print(f"kept database {name} and {workdir}")
        else:
            from contextlib import suppress

            with suppress(Exception):
                from django.db import connections

                connections.close_all()
            drop_database(server_url, name)
            shutil.rmtree(workdir, ignore_errors=True)

    percent = 100 * votes.rate / floor.rate if floor.rate else float("nan")
    cpu_percent = 100 * floor.cpu_ms / votes.cpu_ms if votes.cpu_ms else float("nan")
    met = percent >= TARGET_PERCENT
    statuses = dict(sorted(votes.statuses.items()))
    figures.update(
        {
            "ok": ok,
            "setup": (
                f"{args.voters} voters x {len(proposal_ids)} proposals x {args.rounds} rounds "
                f"= {votes.requests} votes (each round after the first changes every vote), "
                f"and as many floor requests, interleaved round by round; {args.concurrency} "
                "client threads with keep-alive connections for both; one daphne process "
                f"({args.settings}: DEBUG off), in-memory channel layer, PostgreSQL "
                f"(throwaway database {name}); warm-up of {warm_n} requests of each kind first"
            ),
            "tables": [{"head": list(HEAD), "rows": [cells(votes), cells(floor)]}],
            "targets": [
                {
                    "target": f"vote throughput at least {TARGET_PERCENT} % of the floor's",
                    "measured": f"{fmt(percent, 0)} % ({fmt(votes.rate)} vs "
                    f"{fmt(floor.rate)} req/s)",
                    "met": met,
                }
            ],
            "percent": round(percent, 1) if percent == percent else None,
            "cpu_percent": round(cpu_percent, 1) if cpu_percent == cpu_percent else None,
            "votes_rate": round(votes.rate, 1),
            "floor_rate": round(floor.rate, 1),
            "correctness": ["Correctness: " + ("OK" if ok else "FAILED"), *lines],
            "notes": [
                "Throughput = requests / wall time of the phase, measured in the client; "
                "latency per request from send to full response.",
                "The floor (GET /api/v1/communities, no session) is the framework's cost: "
                "daphne, middleware, Ninja, one query. A vote also authenticates the app "
                "session (X-Session-Token) and writes in a transaction.",
                "server CPU ms/req: CPU time (user + system) of the daphne process during "
                "the phase divided by its requests (from /proc): less sensitive to other "
                "load on the machine than throughput. Floor / vote CPU per request = "
                f"{fmt(cpu_percent, 0)} %: the throughput ratio if the server process's CPU "
                "were the only limit (PostgreSQL and the clients share the machine too).",
                "Correctness is checked afterwards: one row per voter and proposal, each "
                "holding the last round's choice, and the API's tally equal to the rows.",
            ]
            + ([f"vote statuses: {statuses}"] if statuses.keys() - {200} else []),
        }
    )
    return figures


HEAD = (
    "endpoint",
    "requests",
    "non-200",
    "req/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "server CPU ms/req",
)
TARGET_PERCENT = 60


def cells(run: Run) -> list[str]:
    lat = sorted(run.latencies_ms)
    return [
        run.label,
        str(run.requests),
        str(run.errors),
        fmt(run.rate),
        fmt(percentile(lat, 50)),
        fmt(percentile(lat, 99)),
        fmt(lat[-1] if lat else float("nan")),
        fmt(run.cpu_ms, 2),
    ]


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    figures = run(args)
    print()
    if figures.get("error"):
        print(f"Vote throughput: not measured: {figures['error']}")
        return 1
    print(f"Vote throughput: {figures['setup']}")
    print()
    for row in text_table(figures["tables"][0]["head"], figures["tables"][0]["rows"]):
        print(row)
    print()
    for target in figures["targets"]:
        print(
            f"target: {target['target']}: {target['measured']}: "
            + ("met" if target["met"] else "NOT met")
        )
    print()
    for n, line in enumerate(figures["correctness"]):
        print(("  " if n else "") + line)
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
