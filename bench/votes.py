"""Vote throughput: many residents voting at once through the JSON API, against a floor.

    python -m bench.votes [--voters 200] [--proposals 5] [--rounds 2] [--concurrency 32]

Two layouts (bench.layouts), each measured against a floor of its own in the same stack:
  - production layout: gunicorn (config.wsgi:application, `--workers` gthread workers x
    `--threads` threads) serving HTTP, a throwaway PostgreSQL database
    `<name>_votes_<pid>` on the server DATABASE_URL names (default
    postgres://postgres@127.0.0.1:5432/linli_bench: only its server is used), Redis (a
    private redis-server, or REDIS_URL under a private prefix);
  - embedded default (`make run`): one daphne process of config.asgi:application, a SQLite
    file under var/bench/votes/, the in-memory channel layer.
Both with bench.settings (DEBUG off). One run:
  1. migrates each layout's database and fills it through the ORM (in a process of its own,
     bench.orm): one council, N verified residents with app session tokens, P proposals open
     for voting (and one for the warm-up); starts the servers on spare loopback ports;
  2. warms up each layout: as many requests as there are client threads (at least 50) of
     each kind;
  3. for each round and each layout: as many requests to a trivial endpoint
     (GET /api/v1/communities, no session: the framework floor) as there are votes, then
     every resident votes on every proposal (PUT /api/v1/proposals/<id>/vote); each further
     round changes every vote (the upsert path). Both from the same C client threads with
     keep-alive connections, floor and votes and the layouts interleaved, so that a change
     of the (shared) machine's load hits all of them alike;
  4. checks correctness in each layout: one row per voter and proposal, every row holds the
     last round's choice, and the tally the API shows equals the rows;
  5. prints a table, stops the servers and drops the database (unless --keep).

Throughput is requests / wall time of the phases; latency is measured per request in the
client (send to full response). Target, per layout: votes at 60 % or more of that layout's
floor throughput. Not a test: it exits non-zero only when the correctness check fails (or no
layout could run); the target is reported, not enforced. Without a reachable PostgreSQL the
production layout is reported as not measured.
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field

from bench.layouts import (
    EMBEDDED,
    LABELS,
    PRODUCTION,
    Layout,
    add_layout_options,
    clamp_layout_options,
    drop_unavailable,
    prepare,
    serve,
    stack_for,
)
from bench.servers import HOST, ROOT, process_group_cpu
from bench.stats import percentile, text_table

LAYOUTS = (PRODUCTION, EMBEDDED)
CHOICES = ("support", "oppose", "abstain")
TARGET_PERCENT = 60


@dataclass
class Run:
    label: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0  # CPU seconds of the processes serving HTTP during the phases

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


# --- setup through the ORM ------------------------------------------------------------------


def populate(voters: int, proposals: int) -> tuple[int, list[int], list[tuple[int, str]]]:
    """A council, `voters` verified residents with app session tokens, open proposals:
    (community id, proposal ids, [(voter id, session token)])."""
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.utils import timezone

    from communities.models import Community, Membership
    from deliberation.models import Council, Proposal

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
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
    voter_tokens = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        voter_tokens.append((user.pk, session.session_key))
    return community.pk, [p.pk for p in items], voter_tokens


def choice_for(voter_index: int, proposal_index: int, round_index: int) -> str:
    return CHOICES[(voter_index * 7 + proposal_index * 3 + round_index) % 3]


def measured(layout: Layout, jobs, concurrency: int, label: str) -> Run:
    """drive() against the layout's HTTP server, also counting the CPU time of the processes
    serving HTTP (a daphne; gunicorn and its workers) during it."""

    def cpu() -> float:
        return sum(process_group_cpu(pgid) for pgid in layout.http_process_groups)

    before = cpu()
    run = drive(layout.http_port, jobs, concurrency, label)
    run.server_cpu = cpu() - before
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


def check(
    *, port: int, proposal_ids: list[int], voters: list[tuple[int, str]], last_round: int
) -> tuple[bool, list[str]]:
    """In the layout's ORM process: the rows and the API's tallies against the last round."""
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
    parser.add_argument(
        "--layouts",
        default=",".join(LAYOUTS),
        help="comma list of layouts: production, embedded",
    )
    add_layout_options(parser, settings_to_try="session engine")
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases (and var/bench/votes) afterwards"
    )
    args = parser.parse_args(argv)
    args.voters = max(1, min(args.voters, 5000))
    args.proposals = max(1, min(args.proposals, 50))
    args.rounds = max(1, min(args.rounds, 10))
    args.concurrency = max(1, min(args.concurrency, 256))
    clamp_layout_options(args)
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    unknown = set(layouts) - set(LAYOUTS)
    if unknown or not layouts:
        parser.error(f"--layouts: choose from {', '.join(LAYOUTS)}")
    args.layouts = [key for key in LAYOUTS if key in layouts]
    return args


def target_text(key: str) -> str:
    return f"{LABELS[key]}: vote throughput at least {TARGET_PERCENT} % of its floor's"


@dataclass
class Measured:
    """One layout's figures over the whole run."""

    layout: Layout
    proposal_ids: list[int]
    voters: list[tuple[int, str]]
    warm_proposal: int
    votes: Run = field(default_factory=lambda: Run("PUT /api/v1/proposals/{id}/vote"))
    floor: Run = field(default_factory=lambda: Run("GET /api/v1/communities (floor)"))
    ok: bool = False
    lines: list[str] = field(default_factory=list)


def run(args) -> dict:
    """Measure; returns the figures (see bench.report for the shape)."""
    figures = {
        "name": "votes",
        "title": "Vote throughput against the trivial-endpoint floor",
        "ok": False,
        "targets": [{"target": target_text(key), "measured": "-", "met": None} for key in LAYOUTS],
    }
    wanted = list(args.layouts)
    not_measured = drop_unavailable(wanted)
    if not wanted:
        figures["error"] = "; ".join(not_measured.values())
        figures["skipped"] = True  # python -m bench reports it and goes on
        return figures

    workdir = ROOT / "var" / "bench" / "votes"
    shutil.rmtree(workdir, ignore_errors=True)
    warm_n = min(args.voters, max(2 * args.concurrency, 50))
    per_round = args.voters * args.proposals
    with stack_for(wanted, "votes", workdir=workdir, keep=args.keep) as (stack, database_url):
        measuring: dict[str, Measured] = {}
        for key in wanted:
            print(f"{LABELS[key]}: migrating and filling its database ...", flush=True)
            layout = prepare(
                key, stack, var_dir=workdir / key, settings=args.settings, database_url=database_url
            )
            # one more proposal than measured: the warm-up votes go there
            _community, proposal_ids, voters = layout.orm.call(
                populate, voters=args.voters, proposals=args.proposals + 1
            )
            print(f"{layout.label}: starting its server ...", flush=True)
            serve(layout, stack, daphnes=0, workers=args.workers, threads=args.threads)
            measuring[key] = Measured(
                layout=layout,
                proposal_ids=proposal_ids[1:],
                voters=voters,
                warm_proposal=proposal_ids[0],
            )

        # Warm-up, uncounted: each client thread's connection, both request paths, the
        # servers' per-process caches and the databases'.
        for m in measuring.values():
            drive(
                m.layout.http_port,
                [("GET", "/api/v1/communities", None, None)] * warm_n,
                args.concurrency,
                "warm-up",
            )
            drive(
                m.layout.http_port,
                [
                    ("PUT", f"/api/v1/proposals/{m.warm_proposal}/vote", {"choice": "abstain"}, t)
                    for _voter_id, t in m.voters[:warm_n]
                ],
                args.concurrency,
                "warm-up",
            )

        # The same client threads and connection settings for both; the floor's requests are
        # interleaved with the vote rounds, and the layouts with each other (floor, votes of
        # one, floor, votes of the other, round after round), so that a change of the
        # machine's load during the run affects all of them alike.
        for r in range(args.rounds):
            for m in measuring.values():
                floor_jobs = [("GET", "/api/v1/communities", None, None)] * per_round
                print(f"{m.layout.label}, floor {r + 1}: {per_round} requests ...", flush=True)
                m.floor.add(measured(m.layout, floor_jobs, args.concurrency, m.floor.label))
                jobs = [
                    (
                        "PUT",
                        f"/api/v1/proposals/{proposal_id}/vote",
                        {"choice": choice_for(v, p, r)},
                        token,
                    )
                    for v, (_voter_id, token) in enumerate(m.voters)
                    for p, proposal_id in enumerate(m.proposal_ids)
                ]
                print(f"{m.layout.label}, round {r + 1}: {len(jobs)} votes ...", flush=True)
                m.votes.add(measured(m.layout, jobs, args.concurrency, m.votes.label))
        for m in measuring.values():
            ok, lines = m.layout.orm.call(
                check,
                port=m.layout.http_port,
                proposal_ids=m.proposal_ids,
                voters=m.voters,
                last_round=args.rounds - 1,
            )
            m.ok = ok and m.votes.errors == 0 and m.floor.errors == 0
            m.lines = lines
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)

    targets, per_layout, rows, correctness, statuses = [], {}, [], [], []
    for key in LAYOUTS:
        if key not in args.layouts:
            continue
        if key in not_measured:
            targets.append(
                {
                    "target": target_text(key),
                    "measured": f"not measured: {not_measured[key]}",
                    "met": None,
                }
            )
            continue
        m = measuring[key]
        percent = 100 * m.votes.rate / m.floor.rate if m.floor.rate else float("nan")
        cpu_percent = 100 * m.floor.cpu_ms / m.votes.cpu_ms if m.votes.cpu_ms else float("nan")
        targets.append(
            {
                "target": target_text(key),
                "measured": f"{fmt(percent, 0)} % ({fmt(m.votes.rate)} vs "
                f"{fmt(m.floor.rate)} req/s)",
                "met": percent >= TARGET_PERCENT,
            }
        )
        per_layout[key] = {
            "label": m.layout.label,
            "description": m.layout.description,
            "ok": m.ok,
            "percent": round(percent, 1) if percent == percent else None,
            "cpu_percent": round(cpu_percent, 1) if cpu_percent == cpu_percent else None,
            "votes_rate": round(m.votes.rate, 1),
            "floor_rate": round(m.floor.rate, 1),
        }
        rows += [cells(m.layout.label, m.votes), cells(m.layout.label, m.floor)]
        correctness += [
            f"{m.layout.label}: " + ("OK" if m.ok else "FAILED"),
            *(f"{m.layout.label}: {line}" for line in m.lines),
        ]
        if m.votes.statuses.keys() - {200}:
            statuses.append(
                f"{m.layout.label}: vote statuses {dict(sorted(m.votes.statuses.items()))}"
            )
    ok = all(m.ok for m in measuring.values())
    any_m = next(iter(measuring.values()))
    figures.update(
        {
            "ok": ok,
            "setup": (
                f"{args.voters} voters x {args.proposals} proposals x {args.rounds} rounds = "
                f"{any_m.votes.requests} votes per layout (each round after the first changes "
                "every vote), and as many floor requests in the same layout, interleaved "
                f"round by round and layout by layout; {args.concurrency} client threads with "
                f"keep-alive connections for both; warm-up of {warm_n} requests of each kind "
                f"first; {args.settings} (DEBUG off). "
                + " ".join(f"{m.layout.label}: {m.layout.description}." for m in measuring.values())
            ),
            "tables": [{"head": list(HEAD), "rows": rows}],
            "targets": targets,
            "layouts": per_layout,
            "not_measured": not_measured,
            "correctness": ["Correctness: " + ("OK" if ok else "FAILED"), *correctness],
            "notes": [
                "Throughput = requests / wall time of the phase, measured in the client; "
                "latency per request from send to full response.",
                "The floor (GET /api/v1/communities, no session) is the framework's cost in the "
                "same layout: the web server, middleware, Ninja, one query. A vote also "
                "authenticates the app session (X-Session-Token) and writes in a transaction.",
                "server CPU ms/req: CPU time (user + system) of the processes serving HTTP "
                "(the daphne process; gunicorn's master and workers) during the phase divided "
                "by its requests (from /proc): less sensitive to other load on the machine than "
                "throughput. PostgreSQL's and Redis' CPU is not in it.",
                "Correctness is checked afterwards: one row per voter and proposal, each "
                "holding the last round's choice, and the API's tally equal to the rows.",
                *statuses,
            ],
        }
    )
    return figures


HEAD = (
    "layout",
    "endpoint",
    "requests",
    "non-200",
    "req/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "server CPU ms/req",
)


def cells(layout_label: str, run: Run) -> list[str]:
    lat = sorted(run.latencies_ms)
    return [
        layout_label,
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
    # the layout and the endpoint, then figures
    for row in text_table(figures["tables"][0]["head"], figures["tables"][0]["rows"], left=2):
        print(row)
    print()
    for target in figures["targets"]:
        met = "-" if target["met"] is None else "met" if target["met"] else "NOT met"
        print(f"target: {target['target']}: {target['measured']}: {met}")
    print()
    for n, line in enumerate(figures["correctness"]):
        print(("  " if n else "") + line)
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
