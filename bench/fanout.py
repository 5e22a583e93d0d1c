"""Fan-out latency: how long a task event takes to reach N WebSocket subscribers.

    python -m bench.fanout [--clients 1000] [--events 20] [--interval 1.0] [--client-procs 2]

One run measures, with the same N clients:
  1. the floor: a bare `websockets` broadcast server (bench/floor.py);
  2. Linli, one daphne process of config.asgi:application (in-memory channel layer);
  3. Linli, two daphne processes sharing Redis (half the clients on each).
For Linli a team leader claims a task and posts updates through the JSON API
(X-Session-Token from the allauth headless app login); every subscriber of `task:<id>`
should receive every event the task's topic logs. Latency is receive time minus the moment
the driver sent the request (same machine, same clock). Everything runs on loopback spare ports
against a throwaway database (SQLite under var/bench/, or DATABASE_URL) and a private
redis-server (or REDIS_URL, under a private prefix); all of it is stopped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from bench.servers import (
    HOST,
    ROOT,
    Stack,
    django_env,
    ensure_postgres_database,
    free_port,
    migrate,
    raise_fd_limit,
    wait_for_port,
)

PASSWORD = "bench-pass-2026"  # a throwaway account in a throwaway database
TARGET_RATIO = 1.5


# --- results -----------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class Result:
    label: str
    clients: int
    subscribed: int = 0
    events: int = 0
    deliveries: int = 0
    lost: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    from_log_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def stats(self, values=None) -> dict[str, float]:
        values = sorted(self.latencies_ms if values is None else values)
        return {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "max": values[-1] if values else float("nan"),
        }


# --- client processes --------------------------------------------------------------------


class ClientPool:
    """N subscribers of one topic spread over a few processes (bench/clients.py)."""

    def __init__(self, *, urls: list[str], topic: str, clients: int, procs: int):
        from bench.clients import worker

        ctx = mp.get_context("spawn")
        self.conns = []
        self.procs = []
        origins = [u.replace("ws://", "http://").split("/ws/")[0] for u in urls]
        shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        offset = 0
        for share in shares:
            if share == 0:
                continue
            # Rotate the URL list so that, over all processes, clients alternate servers.
            rot = offset % len(urls)
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=worker,
                args=(child, urls[rot:] + urls[:rot], origins[rot:] + origins[:rot], topic, share),
                daemon=True,
            )
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
            offset += share

    def wait_ready(self, timeout: float = 180.0) -> tuple[int, list[str]]:
        subscribed, errors = 0, []
        for conn in self.conns:
            if not conn.poll(timeout):
                raise RuntimeError("client process did not subscribe in time")
            tag, count, errs = conn.recv()
            assert tag == "ready"
            subscribed += count
            errors += errs
        return subscribed, errors

    def collect(self, expected_ids: list[int], grace: float) -> list[list[tuple[int, float]]]:
        for conn in self.conns:
            conn.send(("expect", expected_ids, grace))
        received = []
        for conn in self.conns:
            if not conn.poll(grace + 60):
                raise RuntimeError("client process did not report")
            tag, per_client = conn.recv()
            assert tag == "done"
            received += per_client
        return received

    def close(self) -> None:
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
        for conn in self.conns:
            conn.close()


def measure(label, *, urls, topic, args, act, before=None) -> Result:
    """Subscribe the clients, run `act(k)` -> (sent_at, [event ids], {id: logged_at}) per
    event, then compare what every client received with what was sent."""
    result = Result(label=label, clients=args.clients)
    pool = ClientPool(urls=urls, topic=topic, clients=args.clients, procs=args.client_procs)
    try:
        result.subscribed, result.errors = pool.wait_ready()
        if before:
            before()
        time.sleep(0.5)
        sent_at: dict[int, float] = {}
        logged_at: dict[int, float] = {}
        for k in range(args.events):
            t_sent, ids, logged = act(k)
            for event_id in ids:
                sent_at[event_id] = t_sent
            logged_at.update(logged)
            time.sleep(args.interval)
        received = pool.collect(sorted(sent_at), grace=args.grace)
    finally:
        pool.close()

    result.events = len(sent_at)
    expected = set(sent_at)
    for per_client in received:
        seen = set()
        for event_id, t_recv in per_client:
            if event_id in expected and event_id not in seen:
                seen.add(event_id)
                result.latencies_ms.append((t_recv - sent_at[event_id]) * 1000)
                if event_id in logged_at:
                    result.from_log_ms.append((t_recv - logged_at[event_id]) * 1000)
        result.lost += len(expected - seen)
    result.lost += (args.clients - len(received)) * len(expected)
    result.deliveries = len(result.latencies_ms)
    return result


# --- the floor ---------------------------------------------------------------------------


def run_floor(stack: Stack, args) -> Result:
    from websockets.sync.client import connect

    port = free_port()
    proc = stack.python_module(f"floor-{port}", "bench.floor", "--port", str(port))
    wait_for_port(port, proc=proc)
    url = f"ws://{HOST}:{port}/ws/live/"
    topic = "task:1"
    try:
        with connect(url, compression=None, proxy=None, ping_interval=None) as publisher:

            def act(k):
                message = {
                    "action": "publish",
                    "topic": topic,
                    "type": "task.updated",
                    "data": {"id": 1, "status": "in_progress", "text": f"bench update {k}"},
                }
                t_sent = time.time()
                publisher.send(json.dumps(message))
                while True:
                    reply = json.loads(publisher.recv(timeout=30))
                    if reply.get("type") == "published":
                        return t_sent, [reply["id"]], {}

            return measure("floor: bare websockets", urls=[url], topic=topic, args=args, act=act)
    finally:
        stack.stop(proc)


# --- Linli -------------------------------------------------------------------------------


def http_json(method: str, url: str, body: dict | None = None, token: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    if token:
        request.add_header("X-Session-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, {"detail": raw[:300].decode("utf-8", "replace")}


def make_people(label: str):
    """A community, a team with its leader, and skills, through the ORM."""
    from django.contrib.auth import get_user_model

    from communities.models import Community, Membership
    from teams.models import Skill, Team, TeamMembership

    district, _ = Community.objects.get_or_create(name="松滋市", kind="district", parent=None)
    street, _ = Community.objects.get_or_create(name="新江口街道", kind="street", parent=district)
    community, _ = Community.objects.get_or_create(name="玉岭社区", kind="community", parent=street)
    skill, _ = Skill.objects.get_or_create(slug="sanitation", defaults={"name": "Sanitation"})
    User = get_user_model()
    leader = User.objects.filter(email="bench-leader@linli.example").first()
    if leader is None:
        leader = User.objects.create_user(
            email="bench-leader@linli.example", password=PASSWORD, display_name="Bench leader"
        )
    Membership.objects.update_or_create(
        user=leader, community=community, defaults={"role": "resident", "status": "verified"}
    )
    team, _ = Team.objects.get_or_create(name=f"Bench team {label}")
    team.skills.add(skill)
    team.communities.add(community)
    TeamMembership.objects.update_or_create(
        team=team, user=leader, defaults={"role": "leader", "status": "active"}
    )
    return community, skill, leader, team


def make_task(community, skill, title: str):
    from teams.models import Task

    task = Task.objects.create(community=community, title=title, description="Fan-out benchmark.")
    task.required_skills.add(skill)
    return task


def run_linli(label: str, ports: list[int], args, *, people, tag: str) -> Result:
    from live.models import Event

    community, skill, leader, team = people
    task = make_task(community, skill, f"Fan-out benchmark ({tag})")
    topic = f"task:{task.pk}"
    base = [f"http://{HOST}:{port}" for port in ports]
    urls = [f"ws://{HOST}:{port}/ws/live/" for port in ports]

    status, body = http_json(
        "POST",
        f"{base[0]}/_allauth/app/v1/auth/login",
        {"email": leader.email, "password": PASSWORD},
    )
    if status != 200:
        raise RuntimeError(f"login failed: {status} {body}")
    token = body["meta"]["session_token"]
    last_id = Event.objects.filter(topic=topic).order_by("-id").values_list("id", flat=True)
    state = {"last": (last_id.first() or 0)}

    def warm_up():
        for url in base:
            http_json("GET", f"{url}/api/v1/tasks/{task.pk}", token=token)

    def act(k):
        if k == 0:
            path, body = f"/api/v1/tasks/{task.pk}/claim", {"team": team.pk}
        else:
            path = f"/api/v1/tasks/{task.pk}/updates"
            body = {"text": f"Bench update {k}: bins emptied on row {k}."}
            if k == 1:
                body["status"] = "in_progress"
        t_sent = time.time()
        status, reply = http_json("POST", base[k % len(base)] + path, body, token=token)
        if status >= 300:
            raise RuntimeError(f"POST {path} -> {status} {reply}")
        rows = list(
            Event.objects.filter(topic=topic, id__gt=state["last"]).values_list("id", "created_at")
        )
        if rows:
            state["last"] = rows[-1][0]
        return t_sent, [r[0] for r in rows], {r[0]: r[1].timestamp() for r in rows}

    return measure(label, urls=urls, topic=topic, args=args, act=act, before=warm_up)


# --- report ------------------------------------------------------------------------------


def fmt(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # NaN -> "-"


def report(results: list[Result], args, *, database: str, redis: str) -> str:
    lines = [
        f"Fan-out latency, {args.clients} WebSocket clients on one task topic, "
        f"{args.events} actions {args.interval:g} s apart, {args.client_procs} client processes",
        f"database: {database}; Redis for two daphne processes: {redis}",
        "latency = receipt by a client minus the moment the request left the driver (ms)",
        "",
        f"{'scenario':<32} {'subscr.':>7} {'events':>6} {'deliveries':>10} {'lost':>6} "
        f"{'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}",
    ]
    for r in results:
        s = r.stats()
        lines.append(
            f"{r.label:<32} {r.subscribed:>7} {r.events:>6} {r.deliveries:>10} {r.lost:>6} "
            f"{fmt(s['p50']):>8} {fmt(s['p95']):>8} {fmt(s['p99']):>8} {fmt(s['max']):>8}"
        )
    linli_logged = [r for r in results if r.from_log_ms]
    if linli_logged:
        lines += ["", "Linli, from the event's log row (written before commit) to receipt (ms):"]
        for r in linli_logged:
            s = r.stats(r.from_log_ms)
            lines.append(
                f"{r.label:<32} {'':>7} {'':>6} {'':>10} {'':>6} "
                f"{fmt(s['p50']):>8} {fmt(s['p95']):>8} {fmt(s['p99']):>8} {fmt(s['max']):>8}"
            )
    floor = next((r for r in results if r.label.startswith("floor")), None)
    if floor and floor.latencies_ms:
        f = floor.stats()
        lines += ["", f"Target: Linli p50 and p99 within {TARGET_RATIO:g}x the floor's"]
        for r in results:
            if r is floor or not r.latencies_ms:
                continue
            s = r.stats()
            p50, p99 = s["p50"] / f["p50"], s["p99"] / f["p99"]
            met = p50 <= TARGET_RATIO and p99 <= TARGET_RATIO and r.lost == 0
            lines.append(
                f"  {r.label:<30} p50 {p50:.2f}x, p99 {p99:.2f}x, lost {r.lost}: "
                + ("met" if met else "NOT met")
            )
    for r in results:
        for error in r.errors:
            lines.append(f"  {r.label}: {error}")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--clients", type=int, default=1000, help="WebSocket subscribers")
    parser.add_argument("--events", type=int, default=20, help="actions per scenario (>= 2)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between actions")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for stragglers")
    parser.add_argument(
        "--only",
        default="floor,one,two",
        help="comma list of scenarios: floor, one (1 daphne), two (2 daphne + Redis)",
    )
    parser.add_argument("--keep", action="store_true", help="keep var/bench/fanout afterwards")
    parser.add_argument(
        "--settings",
        default="bench.settings",
        help="settings module of the servers (to try another channel layer, say)",
    )
    args = parser.parse_args(argv)
    args.events = max(2, min(args.events, 1000))
    args.clients = max(1, min(args.clients, 20000))
    args.client_procs = max(1, min(args.client_procs, 16))
    args.interval = max(0.0, min(args.interval, 10.0))
    args.grace = max(1.0, min(args.grace, 120.0))
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    scenarios = {s.strip() for s in args.only.split(",") if s.strip()}
    raise_fd_limit()
    workdir = ROOT / "var" / "bench" / "fanout"
    if workdir.exists():
        shutil.rmtree(workdir)
    database_url = os.environ.get("DATABASE_URL") or None
    external_redis = os.environ.get("REDIS_URL") or None
    prefix = f"bench{os.getpid()}"
    results: list[Result] = []

    with Stack(workdir=workdir) as stack:
        env = django_env(
            var_dir=workdir,
            database_url=database_url,
            redis_url=None,
            prefix=prefix,
            settings=args.settings,
        )
        if database_url:
            ensure_postgres_database(database_url)
        migrate(env)
        # This process uses the same database through the ORM (setup, event ids).
        os.environ.update(env)
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        tag = dt.datetime.now().strftime("%H%M%S")
        people = make_people(tag)

        if "floor" in scenarios:
            print("floor: bare websockets ...", flush=True)
            results.append(run_floor(stack, args))
        if "one" in scenarios:
            print("Linli, 1 daphne ...", flush=True)
            port = stack.daphne(env=env)
            try:
                results.append(
                    run_linli("Linli: 1 daphne", [port], args, people=people, tag=f"{tag}-1")
                )
            finally:
                stack.close()
        redis_label = "-"
        if "two" in scenarios:
            print("Linli, 2 daphne + Redis ...", flush=True)
            redis_url = external_redis or stack.redis()
            redis_label = (
                f"REDIS_URL, prefix {prefix}" if external_redis else "private redis-server"
            )
            env2 = django_env(
                var_dir=workdir,
                database_url=database_url,
                redis_url=redis_url,
                prefix=prefix,
                settings=args.settings,
            )
            ports = [stack.daphne(env=env2), stack.daphne(env=env2)]
            results.append(
                run_linli("Linli: 2 daphne + Redis", ports, args, people=people, tag=f"{tag}-2")
            )

    database = "DATABASE_URL" if database_url else "SQLite file var/bench/fanout/linli.sqlite3"
    print()
    print(report(results, args, database=database, redis=redis_label))
    if not args.keep and not database_url:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r.lost == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
