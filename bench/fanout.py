"""Fan-out latency: how long a task event takes to reach N WebSocket subscribers.

    python -m bench.fanout [--clients 1000] [--events 60] [--interval 1.0] [--client-procs 1]

    from bench import fanout
    figures = fanout.run(["--clients", "500"])   # or run({"clients": 500}); a dict of figures

One run measures, with the same N clients:
  1. the floor: a bare `websockets` broadcast server (bench/floor.py), broadcasting events that
     carry the data of a real Linli task update (sample_update_data), so that the clients read
     events of the same size and shape from both;
  2. Linli, embedded default (`make run`): one daphne process of config.asgi:application for
     HTTP and /ws/, SQLite, the in-memory channel layer;
  3. Linli, production layout: gunicorn (config.wsgi:application, gthread workers) for HTTP,
     `--daphnes` daphne processes for /ws/ with the clients spread evenly over them,
     PostgreSQL (a throwaway database) and Redis (channels_redis) shared by all of them.
For Linli a team leader claims a task and posts updates through the JSON API of the server
that serves HTTP (X-Session-Token from the allauth headless app login); every subscriber of
`task:<id>` should receive every event the task's topic logs. Latency is receive time minus
the moment the driver sent the request (same machine, same clock). Everything runs on
loopback spare ports and is stopped at the end: the embedded default's SQLite file under
var/bench/fanout/, a throwaway PostgreSQL database on the server DATABASE_URL names (default
postgres://postgres@127.0.0.1:5432/linli_bench; dropped afterwards), a private redis-server
(or REDIS_URL, under a private prefix). Without a reachable PostgreSQL the production layout
is reported as not measured.

The scenarios take turns in `--rounds` rounds (default 6), each with its share of the counted
actions (default 60, ten a round: a claim, an update that starts the task, eight plain
updates), so that a change in the machine's load falls on all of them alike; the servers are
started once. Each scenario's round starts with `--warmup` actions (default 1) that the
clients receive but that are not counted: the floor publishes once, Linli claims the task
and gives it back (release). The driver keeps one HTTP connection to the HTTP server open (as
an app does), so a request's latency does not include a TCP handshake, and it reads the ids
of the events it caused from the log only after the run (an event belongs to the action whose
request was under way when its row was written), so no database work of its own competes
with the fan-out. The driver's ORM work runs in one process per layout (bench.orm).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import shutil
import sys
import time
from dataclasses import dataclass, field

from bench.layouts import (
    EMBEDDED,
    PRODUCTION,
    Layout,
    add_layout_options,
    clamp_layout_options,
    drop_unavailable,
    prepare,
    serve,
    stack_for,
)
from bench.layouts import LABELS as LAYOUT_LABELS
from bench.servers import HOST, ROOT, Stack, free_port, raise_fd_limit, wait_for_port
from bench.stats import percentile

PASSWORD = "bench-pass-2026"  # a throwaway account in a throwaway database
TARGET_RATIO = 1.5


# --- results -----------------------------------------------------------------------------


def _figure(value: float) -> float | None:
    return None if value != value else round(value, 2)  # NaN -> None


@dataclass
class Result:
    key: str
    label: str
    clients: int
    subscribed: int = 0
    events: int = 0
    deliveries: int = 0
    lost: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    from_log_ms: list[float] = field(default_factory=list)
    # per counted event: from the request leaving the driver to the event's log row
    request_ms: list[float] = field(default_factory=list)
    # latencies by the kind of action that caused the event (claim, start, update; publish)
    by_action: dict[str, list[float]] = field(default_factory=dict)
    # UTF-8 size of each counted event as it went over the wire (the clients' reading cost)
    event_bytes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: Result) -> None:
        """Add another round of the same scenario."""
        self.subscribed = min(self.subscribed, other.subscribed)
        self.events += other.events
        self.deliveries += other.deliveries
        self.lost += other.lost
        self.latencies_ms += other.latencies_ms
        self.from_log_ms += other.from_log_ms
        self.request_ms += other.request_ms
        for kind, values in other.by_action.items():
            self.by_action.setdefault(kind, []).extend(values)
        self.event_bytes += other.event_bytes
        self.errors += [e for e in other.errors if e not in self.errors]

    def stats(self, values=None) -> dict[str, float]:
        values = sorted(self.latencies_ms if values is None else values)
        return {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "max": values[-1] if values else float("nan"),
        }

    def _from_log(self, floor: Result | None) -> dict | None:
        """Latency from the event's log row instead of the request, with its ratios to the
        floor's (shown beside the judged figures, not judged)."""
        if not self.from_log_ms:
            return None
        stats = self.stats(self.from_log_ms)
        figures = {k: _figure(v) for k, v in stats.items()}
        if floor is not None and floor.latencies_ms:
            figures.update(_ratios(stats, floor))
        return figures

    def as_dict(self, floor: Result | None) -> dict:
        stats = self.stats()
        data = {
            "key": self.key,
            "label": self.label,
            "clients": self.clients,
            "subscribers": self.subscribed,
            "events": self.events,
            "deliveries": self.deliveries,
            "lost": self.lost,
            **{k: _figure(v) for k, v in stats.items()},
            "from_log": self._from_log(floor),
            "request": (
                {k: _figure(v) for k, v in self.stats(self.request_ms).items()}
                if self.request_ms
                else None
            ),
            "event_bytes": (
                round(sum(self.event_bytes) / len(self.event_bytes)) if self.event_bytes else None
            ),
            "by_action": {
                kind: {
                    "deliveries": len(values),
                    **{k: _figure(v) for k, v in self.stats(values).items()},
                }
                for kind, values in self.by_action.items()
            },
            "ratio_p50": None,
            "ratio_p99": None,
            "met": None,
            "errors": list(self.errors),
        }
        if floor is not None and floor is not self and floor.latencies_ms and self.latencies_ms:
            data.update(_ratios(stats, floor))
            data["met"] = bool(
                data["ratio_p50"] <= TARGET_RATIO
                and data["ratio_p99"] <= TARGET_RATIO
                and self.lost == 0
            )
        return data


def _ratios(stats: dict[str, float], floor: Result) -> dict[str, float]:
    """p50 and p99 of `stats` as multiples of the floor's."""
    f = floor.stats()
    return {
        "ratio_p50": round(stats["p50"] / f["p50"], 3),
        "ratio_p99": round(stats["p99"] / f["p99"], 3),
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
        # All processes connect at once: a server that serves its subscribers in the order
        # they came would otherwise serve one client process's before the other's.
        for conn in self.conns:
            if not conn.poll(120):
                raise RuntimeError("client process did not start in time")
            assert conn.recv() == ("started",)
        for conn in self.conns:
            conn.send(("connect",))

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


def measure(key, label, *, urls, topic, args, act, warm, kind, sizes, resolve=None) -> Result:
    """Subscribe the clients, run `warm(w)` for the uncounted warm-up actions and `act(k)` for
    the counted ones, each -> (sent_at, replied_at, [event ids]), `kind(k)` naming the kind
    of action k (for the figures by action); `resolve(windows)`, if given,
    finds the event ids of each counted action afterwards -> ([ids per action], {id: logged_at},
    [ids of the topic in no window]); `sizes(ids)` gives the UTF-8 size of those events on the
    wire. Then compares what every client received with what was sent."""
    result = Result(key=key, label=label, clients=args.clients)
    pool = ClientPool(urls=urls, topic=topic, clients=args.clients, procs=args.client_procs)
    try:
        result.subscribed, result.errors = pool.wait_ready()
        time.sleep(0.5)
        for w in range(args.warmup):
            warm(w)
            time.sleep(args.interval)
        windows = []
        for k in range(args.events):
            windows.append(act(k))
            time.sleep(args.interval)
        sent_at: dict[int, float] = {}
        kind_of: dict[int, str] = {}
        logged_at: dict[int, float] = {}
        unmatched: list[int] = []
        if resolve is not None:
            ids_per_action, logged_at, unmatched = resolve(windows)
        else:
            ids_per_action = [ids for _sent, _replied, ids in windows]
        for k, ((t_sent, _replied, _ids), ids) in enumerate(
            zip(windows, ids_per_action, strict=True)
        ):
            for event_id in ids:
                sent_at[event_id] = t_sent
                kind_of[event_id] = kind(k)
        expected_ids = sorted(set(sent_at) | set(unmatched))
        received = pool.collect(expected_ids, grace=args.grace)
    finally:
        pool.close()
    result.event_bytes = list(sizes(sorted(sent_at)))
    result.request_ms = [
        (logged_at[event_id] - sent_at[event_id]) * 1000
        for event_id in sorted(sent_at)
        if event_id in logged_at
    ]

    expected = set(expected_ids)
    result.events = len(expected)
    for per_client in received:
        seen = set()
        for event_id, t_recv in per_client:
            if event_id in expected and event_id not in seen:
                seen.add(event_id)
                if event_id in sent_at:
                    latency = (t_recv - sent_at[event_id]) * 1000
                    result.latencies_ms.append(latency)
                    result.by_action.setdefault(kind_of[event_id], []).append(latency)
                if event_id in logged_at:
                    result.from_log_ms.append((t_recv - logged_at[event_id]) * 1000)
        result.lost += len(expected - seen)
    result.lost += (args.clients - len(received)) * len(expected)
    result.deliveries = len(result.latencies_ms)
    if unmatched:
        result.errors.append(f"{len(unmatched)} event(s) of the topic matched no action")
    return result


# --- the floor ---------------------------------------------------------------------------


def start_floor(stack: Stack) -> str:
    """The floor server; returns its URL."""
    port = free_port()
    proc = stack.python_module(f"floor-{port}", "bench.floor", "--port", str(port))
    wait_for_port(port, proc=proc)
    return f"ws://{HOST}:{port}/ws/live/"


def floor_data(data: dict, text: str) -> dict:
    """`data` of a Linli `task.updated` event (see sample_update_data) carrying `text` as its
    update's text, as Linli's plain updates in this benchmark do."""
    return {**data, "update": {**data.get("update", {}), "text": text}}


def run_floor(url: str, args, *, data: dict, round_no: int = 0) -> Result:
    from websockets.sync.client import connect

    topic = f"task:{round_no + 1}"
    sizes: dict[int, int] = {}
    with connect(url, compression=None, proxy=None, ping_interval=None) as publisher:

        def publish(text):
            message = {
                "action": "publish",
                "topic": topic,
                "type": "task.updated",
                "data": floor_data(data, text),
            }
            t_sent = time.time()
            publisher.send(json.dumps(message, ensure_ascii=False))
            while True:
                reply = json.loads(publisher.recv(timeout=30))
                if reply.get("type") == "published":
                    sizes[reply["id"]] = reply["bytes"]
                    return t_sent, time.time(), [reply["id"]]

        # The server's code paths run once before anyone listens (as Linli's, see run_linli).
        publish("warm-up before subscribers")
        return measure(
            "floor",
            "floor: bare websockets",
            urls=[url],
            topic=topic,
            args=args,
            act=lambda k: publish(update_text(k)),
            warm=lambda w: publish(f"warm-up {w}"),
            kind=lambda k: "publish",
            sizes=lambda ids: [sizes[i] for i in ids],
        )


# --- Linli -------------------------------------------------------------------------------


class Api:
    """A JSON client of one server over one kept-alive HTTP/1.1 connection (reopened if the
    server closed it)."""

    def __init__(self, base: str, token: str | None = None):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.token = token
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.conn.connect()
        return self.conn

    def __call__(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["X-Session-Token"] = self.token
        for attempt in (1, 2):
            conn = self.conn or self._connect()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            try:
                return response.status, json.loads(raw or b"null")
            except ValueError:
                return response.status, {"detail": raw[:300].decode("utf-8", "replace")}
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def http_json(method: str, url: str, body: dict | None = None, token: str | None = None):
    """One request on a connection of its own: (status, JSON body)."""
    base, _, path = url.partition("://")[2].partition("/")
    api = Api(f"http://{base}", token)
    try:
        return api(method, "/" + path, body)
    finally:
        api.close()


# --- Linli: the ORM work, run in each layout's ORM process (bench.orm) ---------------------


def make_people(*, label: str) -> dict:
    """A community, a team with its leader, and a skill; their ids."""
    from allauth.account.models import EmailAddress
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
    # Only a verified address signs in (ACCOUNT_EMAIL_VERIFICATION "mandatory").
    EmailAddress.objects.update_or_create(
        user=leader, email=leader.email, defaults={"verified": True, "primary": True}
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
    return {
        "community": community.pk,
        "skill": skill.pk,
        "leader": leader.pk,
        "email": leader.email,
        "team": team.pk,
    }


def make_task(*, people: dict, title: str) -> int:
    from teams.models import Task

    task = Task.objects.create(
        community_id=people["community"], title=title, description="Fan-out benchmark."
    )
    task.required_skills.add(people["skill"])
    return task.pk


def sample_update_data(*, people: dict, tag: str) -> dict:
    """The `data` of a Linli `task.updated` event, made through the services on a task of its
    own: what the floor broadcasts, so that both servers send the clients events of the same
    size and shape."""
    from django.contrib.auth import get_user_model

    from live.models import Event
    from teams import services
    from teams.models import Task, Team

    leader = get_user_model().objects.get(pk=people["leader"])
    team = Team.objects.get(pk=people["team"])
    task = Task.objects.get(pk=make_task(people=people, title=f"Fan-out benchmark ({tag}-floor)"))
    services.claim_task(actor=leader, task=task, team=team)
    services.post_update(actor=leader, task=task, text="warm-up", status="in_progress")
    services.post_update(actor=leader, task=task, text=update_text(2))
    return Event.objects.filter(topic=f"task:{task.pk}", type="task.updated").latest("pk").data


def last_event_id() -> int:
    from live.models import Event

    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def topic_events(*, topic: str, after: int) -> list[tuple[int, float]]:
    """(id, time of the row) of the topic's events after id `after`."""
    from live.models import Event

    rows = Event.objects.filter(topic=topic, id__gt=after).order_by("id")
    return [(event_id, at.timestamp()) for event_id, at in rows.values_list("id", "created_at")]


def event_sizes(*, ids: list[int]) -> list[int]:
    """The UTF-8 size of each event as Linli sends it."""
    from live.models import Event
    from live.services import serialise

    events = Event.objects.filter(pk__in=ids).order_by("pk")
    return [len(serialise(event).encode()) for event in events]


def update_text(k: int) -> str:
    """The text of counted update k (Linli's, and the floor's event carries it too)."""
    return f"Bench update {k}: bins emptied on row {k}."


# --- Linli: the driver ---------------------------------------------------------------------


def run_linli(layout: Layout, args, *, people: dict, tag: str) -> Result:
    """One round of a Linli layout: HTTP requests to the server that serves HTTP (the daphne
    of the embedded default, gunicorn in the production layout), subscribers on the daphne
    process(es), half on each."""
    orm = layout.orm
    team = people["team"]
    task = orm.call(make_task, people=people, title=f"Fan-out benchmark ({tag})")
    topic = f"task:{task}"

    status, body = http_json(
        "POST",
        f"{layout.http_base}/_allauth/app/v1/auth/login",
        {"email": people["email"], "password": PASSWORD},
    )
    if status != 200:
        raise RuntimeError(f"login failed: {status} {body}")
    token = body["meta"]["session_token"]
    start = orm.call(last_event_id)

    def post(api: Api, path: str, body: dict):
        t_sent = time.time()
        status, reply = api("POST", path, body)
        t_replied = time.time()
        if status >= 300:
            raise RuntimeError(f"POST {path} -> {status} {reply}")
        return t_sent, t_replied, []

    # The request path runs once (claim, status, update, release) on a task of its own before
    # anyone listens, so that imports, caches and the database are warm, as the floor's. On
    # as many fresh connections as gunicorn has workers: each connection stays with the
    # worker that accepted it.
    for n in range(args.workers if layout.key == PRODUCTION else 1):
        spare = orm.call(make_task, people=people, title=f"Fan-out warm-up ({tag}-{n})")
        warm_api = Api(layout.http_base, token)
        try:
            post(warm_api, f"/api/v1/tasks/{spare}/claim", {"team": team})
            post(
                warm_api,
                f"/api/v1/tasks/{spare}/updates",
                {"text": "warm-up", "status": "in_progress"},
            )
            post(warm_api, f"/api/v1/tasks/{spare}/updates", {"text": "warm-up"})
            post(warm_api, f"/api/v1/tasks/{spare}/release", {})
        finally:
            warm_api.close()

    api = Api(layout.http_base, token)

    def warm(_w):
        # Uncounted, with the subscribers listening: take the task and give it back.
        post(api, f"/api/v1/tasks/{task}/claim", {"team": team})
        post(api, f"/api/v1/tasks/{task}/release", {})

    def act(k):
        if k == 0:
            path, body = f"/api/v1/tasks/{task}/claim", {"team": team}
        else:
            path = f"/api/v1/tasks/{task}/updates"
            body = {"text": update_text(k)}
            if k == 1:
                body["status"] = "in_progress"
        return post(api, path, body)

    def kind(k):
        return "claim" if k == 0 else "start" if k == 1 else "update"

    def resolve(windows):
        """The events each action caused: rows of the topic written while its request was
        under way (one clock for the driver and the servers)."""
        ids_per_action = [[] for _ in windows]
        logged_at, unmatched = {}, []
        first_sent = windows[0][0] if windows else float("inf")
        for event_id, at in orm.call(topic_events, topic=topic, after=start):
            for n, (t_sent, t_replied, _ids) in enumerate(windows):
                if t_sent - 0.001 <= at <= t_replied + 0.001:
                    ids_per_action[n].append(event_id)
                    logged_at[event_id] = at
                    break
            else:
                if at >= first_sent:  # before: the warm-up actions, not counted
                    unmatched.append(event_id)
        return ids_per_action, logged_at, unmatched

    try:
        return measure(
            layout.key,
            layout.label,
            urls=layout.ws_urls,
            topic=topic,
            args=args,
            act=act,
            warm=warm,
            kind=kind,
            sizes=lambda ids: orm.call(event_sizes, ids=ids),
            resolve=resolve,
        )
    finally:
        api.close()


# --- report ------------------------------------------------------------------------------


def fmt(value) -> str:
    return "-" if value is None or value != value else f"{value:.1f}"  # None/NaN -> "-"


def report(figures: dict) -> str:
    """The table of `run()`'s figures."""
    lines = [
        f"Fan-out latency, {figures['clients']} WebSocket clients on one task topic, "
        f"{figures['actions']} actions {figures['interval']:g} s apart in {figures['rounds']} "
        f"round(s) (+{figures['warmup']} uncounted each), {figures['client_procs']} client "
        "process(es)",
        *(f"{LABELS[key]}: {text}" for key, text in figures["layouts"].items()),
        *(f"{LABELS[key]}: not measured: {why}" for key, why in figures["not_measured"].items()),
        f"Redis of the production layout: {figures['redis']}",
        "latency = receipt by a client minus the moment the request left the driver (ms)",
        "",
        f"{'scenario':<32} {'subscr.':>7} {'events':>6} {'deliveries':>10} {'lost':>6} "
        f"{'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}",
    ]
    scenarios = figures["scenarios"]
    for r in scenarios:
        lines.append(
            f"{r['label']:<32} {r['subscribers']:>7} {r['events']:>6} {r['deliveries']:>10} "
            f"{r['lost']:>6} {fmt(r['p50']):>8} {fmt(r['p95']):>8} {fmt(r['p99']):>8} "
            f"{fmt(r['max']):>8}"
        )
    sized = [r for r in scenarios if r.get("event_bytes")]
    if sized:
        lines.append(
            "event size on the wire (bytes, mean of the counted events): "
            + ", ".join(f"{r['label']} {r['event_bytes']}" for r in sized)
        )
    partial_latencies = {
        "from_log": "Linli, from the event's log row (written before commit) to receipt, which "
        "leaves out the HTTP request (ms; ratios to the floor's for comparison, not judged):",
        "request": "Linli, from the request leaving the driver to the event's log row, once per "
        "event (the HTTP request's share of the latency, ms):",
    }
    for key, heading in partial_latencies.items():
        shown = [r for r in scenarios if r.get(key)]
        if shown:
            lines += ["", heading]
        for r in shown:
            f = r[key]
            ratios = (
                f"   p50 {f['ratio_p50']:.2f}x, p99 {f['ratio_p99']:.2f}x"
                if "ratio_p50" in f
                else ""
            )
            lines.append(
                f"{r['label']:<32} {'':>7} {'':>6} {'':>10} {'':>6} "
                f"{fmt(f['p50']):>8} {fmt(f['p95']):>8} {fmt(f['p99']):>8} {fmt(f['max']):>8}"
                + ratios
            )
    lines += ["", "By the action that caused the event (ms):"]
    for r in scenarios:
        for kind, f in r["by_action"].items():
            lines.append(
                f"  {r['label'] + ', ' + kind:<38} {f['deliveries']:>8} deliveries "
                f"p50 {fmt(f['p50']):>6} p95 {fmt(f['p95']):>6} p99 {fmt(f['p99']):>6} "
                f"max {fmt(f['max']):>6}"
            )
    judged = [r for r in scenarios if r["met"] is not None]
    if judged:
        lines += ["", f"Target: Linli p50 and p99 within {figures['target_ratio']:g}x the floor's"]
        for r in judged:
            lines.append(
                f"  {r['label']:<30} p50 {r['ratio_p50']:.2f}x, p99 {r['ratio_p99']:.2f}x, "
                f"lost {r['lost']}: " + ("met" if r["met"] else "NOT met")
            )
    for r in scenarios:
        for error in r["errors"]:
            lines.append(f"  {r['label']}: {error}")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------

SCENARIOS = ("floor", EMBEDDED, PRODUCTION)
LABELS = {"floor": "floor: bare websockets", **LAYOUT_LABELS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=1000, help="WebSocket subscribers")
    parser.add_argument(
        "--events", type=int, default=60, help="counted actions per scenario (>= 2)"
    )
    parser.add_argument(
        "--warmup", type=int, default=1, help="uncounted actions first (per scenario and round)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="scenarios take turns this many times, sharing the counted actions",
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between actions")
    parser.add_argument(
        "--client-procs", type=int, default=1, help="client processes (bench/README.md: why one)"
    )
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for stragglers")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help="comma list of scenarios: floor, embedded, production",
    )
    add_layout_options(parser, settings_to_try="channel layer")
    parser.add_argument(
        "--daphnes",
        type=int,
        default=2,
        help="daphne processes serving /ws/ in the production layout (clients spread evenly)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep var/bench/fanout and the database afterwards"
    )
    return parser


def parse_args(argv):
    args = build_parser().parse_args(argv)
    return _clamp(args)


def _clamp(args):
    args.events = max(2, min(args.events, 1000))
    args.warmup = max(0, min(args.warmup, 10))
    args.rounds = max(1, min(args.rounds, args.events // 2))
    args.clients = max(1, min(args.clients, 20000))
    args.client_procs = max(1, min(args.client_procs, 16))
    args.interval = max(0.0, min(args.interval, 10.0))
    args.grace = max(1.0, min(args.grace, 120.0))
    clamp_layout_options(args)
    args.daphnes = max(1, min(args.daphnes, 8))
    return args


def options(argv_or_options=None) -> argparse.Namespace:
    """The run's options from argv (a list of strings), a dict (keys as the long options,
    `client_procs` or "client-procs"), a Namespace, or None (the defaults)."""
    if argv_or_options is None:
        return parse_args([])
    if isinstance(argv_or_options, argparse.Namespace):
        return _clamp(argparse.Namespace(**vars(parse_args([])) | vars(argv_or_options)))
    if isinstance(argv_or_options, dict):
        args = parse_args([])
        for name, value in argv_or_options.items():
            name = name.replace("-", "_")
            if not hasattr(args, name):
                raise TypeError(f"unknown option {name!r}")
            setattr(args, name, value)
        if isinstance(args.only, list | tuple | set):
            args.only = ",".join(args.only)
        return _clamp(args)
    return parse_args(list(argv_or_options))


def run(argv_or_options=None) -> dict:
    """Run the benchmark and return its figures:

    {"clients", "actions", "warmup", "rounds", "interval", "client_procs", "workers",
     "threads", "daphnes", "layouts": {key: description}, "redis", "target_ratio",
     "not_measured": {key: why} (scenarios asked for that could not run here),
     "floor": {"p50", "p99"} or None,
     "scenarios": [{"key": "floor" | "embedded" | "production", "label", "clients",
                    "subscribers", "events", "deliveries", "lost", "p50", "p95", "p99",
                    "max" (ms),
                    "from_log": {"p50", "p95", "p99", "max", and with a floor "ratio_p50",
                                 "ratio_p99"} or None (Linli: from the log row; not judged),
                    "request": {"p50", "p95", "p99", "max"} or None (Linli: from the
                                 request leaving the driver to the event's log row, per event),
                    "by_action", "event_bytes",
                    "ratio_p50", "ratio_p99" (to the floor's; None for the floor),
                    "met" (both ratios within target_ratio and nothing lost; None for the
                    floor or without one), "errors": [...]}, ...],
     "lost" (all scenarios), "met" (every Linli scenario met; None without a floor)}
    """
    args = options(argv_or_options)
    scenarios = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = scenarios - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    raise_fd_limit()
    workdir = ROOT / "var" / "bench" / "fanout"
    if workdir.exists():
        shutil.rmtree(workdir)
    not_measured = drop_unavailable(scenarios)
    tag = dt.datetime.now().strftime("%H%M%S")

    with stack_for(scenarios, "fanout", workdir=workdir, keep=args.keep) as (stack, database_url):
        layouts: dict[str, Layout] = {}
        for key in (EMBEDDED, PRODUCTION):
            if key not in scenarios:
                continue
            print(f"{LABELS[key]}: migrating its database ...", flush=True)
            layouts[key] = prepare(
                key, stack, var_dir=workdir / key, settings=args.settings, database_url=database_url
            )
        people = {key: layout.orm.call(make_people, label=tag) for key, layout in layouts.items()}

        floor_sample = None
        if "floor" in scenarios:
            # The floor's events carry a real event's data, from any layout's database.
            source = next(iter(layouts.values()), None) or prepare(
                EMBEDDED, stack, var_dir=workdir / EMBEDDED, settings=args.settings
            )
            sample_people = people.get(source.key) or source.orm.call(make_people, label=tag)
            floor_sample = source.orm.call(sample_update_data, people=sample_people, tag=tag)

        # Every server is started once and kept for all the rounds.
        floor_url = start_floor(stack) if "floor" in scenarios else None
        for layout in layouts.values():
            print(f"{layout.label}: starting its servers ...", flush=True)
            serve(layout, stack, daphnes=args.daphnes, workers=args.workers, threads=args.threads)

        # The scenarios take turns, round after round, so that a change in the machine's load
        # falls on all of them alike; each round has its share of the counted actions.
        shares = [
            args.events // args.rounds + (1 if r < args.events % args.rounds else 0)
            for r in range(args.rounds)
        ]
        merged: dict[str, Result] = {}
        for round_no, share in enumerate(shares):
            round_args = argparse.Namespace(**{**vars(args), "events": share})
            for key in SCENARIOS:
                if key not in scenarios:
                    continue
                print(f"{LABELS[key]} (round {round_no + 1}/{len(shares)}) ...", flush=True)
                if key == "floor":
                    result = run_floor(floor_url, round_args, data=floor_sample, round_no=round_no)
                else:
                    result = run_linli(
                        layouts[key],
                        round_args,
                        people=people[key],
                        tag=f"{tag}-{key}-{round_no + 1}",
                    )
                if key in merged:
                    merged[key].merge(result)
                else:
                    merged[key] = result
        results = [merged[key] for key in SCENARIOS if key in merged]
        descriptions = {key: layout.description for key, layout in layouts.items()}
        redis_label = layouts[PRODUCTION].redis if PRODUCTION in layouts else "-"

    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    floor = next((r for r in results if r.key == "floor"), None)
    rows = [r.as_dict(floor) for r in results]
    judged = [row["met"] for row in rows if row["met"] is not None]
    return {
        "clients": args.clients,
        "actions": args.events,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "interval": args.interval,
        "client_procs": args.client_procs,
        "workers": args.workers,
        "threads": args.threads,
        "daphnes": args.daphnes,
        "layouts": descriptions,
        "redis": redis_label,
        "target_ratio": TARGET_RATIO,
        "not_measured": not_measured,
        "floor": (
            {"p50": _figure(floor.stats()["p50"]), "p99": _figure(floor.stats()["p99"])}
            if floor and floor.latencies_ms
            else None
        ),
        "scenarios": rows,
        "lost": sum(row["lost"] for row in rows),
        "met": all(judged) if judged else None,
    }


def main(argv=None) -> int:
    """Print the table; exit status 1 when any event was lost."""
    figures = run(sys.argv[1:] if argv is None else argv)
    print()
    print(report(figures))
    return 0 if figures["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
