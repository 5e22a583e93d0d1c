"""Vote throughput: many residents voting at once through the JSON API, on PostgreSQL.

    python -m bench.votes [--voters 200] [--proposals 5] [--rounds 2] [--concurrency 32]

One run:
  1. creates a throwaway PostgreSQL database next to the one DATABASE_URL names (default
     postgres://postgres@127.0.0.1:5432/postgres), migrates it and fills it through the ORM:
     one council, N verified residents with app session tokens, P proposals open for voting;
  2. starts one daphne process of config.asgi:application on a spare loopback port;
  3. every resident votes on every proposal (PUT /api/v1/proposals/<id>/vote), from C client
     threads with keep-alive connections; each further round changes every vote (the upsert
     path), rounds one after the other;
  4. in the same run, against the same server, the same number of requests to a trivial
     endpoint (GET /api/v1/communities, no session) from the same client threads: the
     framework floor;
  5. checks correctness: one row per voter and proposal, every row holds the last round's
     choice, and the tally the API shows equals the rows;
  6. prints a table, stops daphne and drops the database (unless --keep).

Latency is measured per request in the client (send to full response). Not a test: it asserts
nothing about time, and exits non-zero only when the correctness check fails.
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

from bench.servers import HOST, ROOT, Stack, django_env, migrate

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
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

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")

    def add(self, other: Run) -> None:
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


def table(runs: list[Run]) -> list[str]:
    head = ("endpoint", "requests", "non-200", "req/s", "p50 ms", "p99 ms", "max ms")
    rows = []
    for run in runs:
        lat = sorted(run.latencies_ms)
        rows.append(
            (
                run.label,
                str(run.requests),
                str(run.errors),
                fmt(run.rate),
                fmt(percentile(lat, 50)),
                fmt(percentile(lat, 99)),
                fmt(lat[-1] if lat else float("nan")),
            )
        )
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
    parser = argparse.ArgumentParser(prog="python -m bench.votes", description=__doc__)
    parser.add_argument("--voters", type=int, default=200, help="residents voting")
    parser.add_argument("--proposals", type=int, default=5, help="proposals open for voting")
    parser.add_argument("--rounds", type=int, default=2, help="votes per voter and proposal")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    args.voters = max(1, min(args.voters, 5000))
    args.proposals = max(1, min(args.proposals, 50))
    args.rounds = max(1, min(args.rounds, 10))
    args.concurrency = max(1, min(args.concurrency, 256))
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    _pg_params(server_url)  # refuses anything but PostgreSQL
    name = f"linli_bench_votes_{os.getpid()}"
    workdir = ROOT / "var" / "bench" / "votes"
    shutil.rmtree(workdir, ignore_errors=True)
    database_url = create_database(server_url, name)
    ok = False
    try:
        with Stack(workdir=workdir) as stack:
            env = django_env(
                var_dir=workdir, database_url=database_url, redis_url=None, prefix=name
            )
            print(f"migrating the throwaway database {name} ...", flush=True)
            migrate(env)
            os.environ.update(env)
            os.environ.pop("REDIS_URL", None)
            import django

            django.setup()
            community, proposal_ids, voters = populate(args.voters, args.proposals)
            print("starting daphne ...", flush=True)
            port = stack.daphne(env=env)

            # warm up: every client thread's first request, and the vote path once
            warm = [("GET", "/api/v1/communities", None, None)] * args.concurrency
            drive(port, warm, args.concurrency, "warm-up")

            votes = Run("PUT /api/v1/proposals/{id}/vote")
            for r in range(args.rounds):
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
                votes.add(drive(port, jobs, args.concurrency, votes.label))
            floor_jobs = [("GET", "/api/v1/communities", None, None)] * votes.requests
            print(f"floor: {len(floor_jobs)} requests ...", flush=True)
            floor = drive(port, floor_jobs, args.concurrency, "GET /api/v1/communities (floor)")
            ok, lines = check(port, proposal_ids, voters, args.rounds - 1)
            ok = ok and votes.errors == 0

        print()
        print(
            f"Vote throughput: {args.voters} voters x {args.proposals} proposals x "
            f"{args.rounds} rounds = {votes.requests} votes, {args.concurrency} client threads "
            f"(keep-alive), 1 daphne, PostgreSQL (throwaway database {name}), "
            "in-memory channel layer"
        )
        print()
        for row in table([votes, floor]):
            print(row)
        print()
        ratio = floor.rate / votes.rate if votes.rate else float("nan")
        print(f"floor / votes throughput: {fmt(ratio, 2)}x")
        if votes.statuses.keys() - {200}:
            print(f"vote statuses: {dict(sorted(votes.statuses.items()))}")
        print()
        print("Correctness: " + ("OK" if ok else "FAILED"))
        for line in lines:
            print(f"  {line}")
    finally:
        if args.keep:
            print(f"kept database {name} and {workdir}")
        else:
            drop_database(server_url, name)
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
