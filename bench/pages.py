"""Page cost: SQL queries and server time of the main pages with a big database.

    python -m bench.pages [--proposals 10000] [--tasks 1000] [--requests 30] [--keep]

One run:
  1. a throwaway database: a SQLite file under var/bench/pages/ (removed afterwards unless
     --keep), or, when DATABASE_URL names a PostgreSQL server, a throwaway database
     `<its name>_pages_<pid>` next to it (dropped afterwards unless --keep). The dev database
     is never touched. It is migrated, the demo content is loaded (`load_demo --force`: the
     Wagtail home page, brands, news), then filled with bulk_create: four councils, residents,
     P proposals in every status (with comments, replies, follows and votes in realistic
     numbers), eight teams and T tasks in every status (some sensitive);
  2. in this process, with the bench settings (DEBUG off, like production) and the Django
     test Client: for the home page, the council page of the biggest community, a proposal
     page (voting, with a full page of comments) and a team board, each as the person who
     uses it (resident; team leader for the board) and anonymous where that applies:
       - queries: the number of SQL queries of one request after the per-process caches are
         warm but with the site cache cleared (the worst steady case: the home page's
         figures are cached for a minute), and of one request with the cache warm;
       - server time: median and p95 over --requests requests (after a warm-up of 5), in
         process: URL resolving, middleware, view, template; no network, no web server;
  3. prints a table. Target: every page at or under 15 queries (cold cache). Exit status 1
     if a page exceeds it or answers other than 200.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import sys
import time

from bench.servers import ROOT, database_name, django_env, migrate, pg_params, throwaway_postgres
from bench.stats import percentile, text_table

MAX_QUERIES = 15
WARMUP = 5


def close_connections() -> None:
    with contextlib.suppress(Exception):  # Django may not be set up yet
        from django.db import connections

        connections.close_all()


# --- seeding ----------------------------------------------------------------------------------


def seed(*, proposals: int, tasks: int, rng: random.Random) -> dict:
    """Bulk-fill the database; returns the people and objects the measurements use."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from communities.models import Community, Membership
    from deliberation.models import Comment, Council, Follow, Proposal, Vote
    from teams.models import Skill, Task, Team, TeamMembership

    User = get_user_model()
    now = timezone.now()

    # Communities and councils: a street with four communities (the demo may have made some).
    district = Community.objects.create(name="基准区", kind="district")
    street = Community.objects.create(name="基准街道", kind="street", parent=district)
    communities = [
        Community.objects.create(name=f"基准社区{n}", kind="community", parent=street)
        for n in range(1, 5)
    ]
    councils = [
        Council.objects.create(
            community=c, name=f"{c.name}居民议事会", quorum_votes=5, pass_percent=50
        )
        for c in communities
    ]
    # The first community is the big one: 40 % of the proposals, the rest share the others.
    weights = [0.4, 0.2, 0.2, 0.2]

    # People: 150 residents per community, 2 staff per community, 8 team leaders.
    residents_per = 150
    users = []
    for ci in range(len(communities)):
        for n in range(residents_per):
            users.append(User(email=f"r{ci}-{n}@bench.example", display_name=f"居民{ci}-{n}"))
        for n in range(2):
            users.append(User(email=f"s{ci}-{n}@bench.example", display_name=f"社工{ci}-{n}"))
    for n in range(8):
        users.append(User(email=f"leader{n}@bench.example", display_name=f"队长{n}"))
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users, batch_size=500)
    by_email = {u.email: u for u in users}
    residents = {
        ci: [by_email[f"r{ci}-{n}@bench.example"] for n in range(residents_per)]
        for ci in range(len(communities))
    }
    staff = {
        ci: [by_email[f"s{ci}-{n}@bench.example"] for n in range(2)]
        for ci in range(len(communities))
    }
    leaders = [by_email[f"leader{n}@bench.example"] for n in range(8)]
    memberships = []
    for ci, community in enumerate(communities):
        for n, user in enumerate(residents[ci]):
            role = "representative" if n < 10 else "resident"
            status = "pending" if n >= residents_per - 5 else "verified"
            memberships.append(Membership(user=user, community=community, role=role, status=status))
        for user in staff[ci]:
            memberships.append(
                Membership(user=user, community=community, role="staff", status="verified")
            )
    for n, user in enumerate(leaders):
        memberships.append(Membership(user=user, community=communities[n % 4], status="verified"))
    Membership.objects.bulk_create(memberships, batch_size=1000)

    # Proposals in every status.
    status_mix = [
        ("draft", 4),
        ("submitted", 5),
        ("discussion", 30),
        ("voting", 10),
        ("accepted", 25),
        ("rejected", 18),
        ("withdrawn", 8),
    ]
    statuses = [s for s, w in status_mix for _ in range(w)]
    categories = ["sanitation", "greening", "safety", "facilities", "elderly", "other"]
    from deliberation.models import Category

    categories = [c for c in categories if c in Category.values] or list(Category.values)
    rows = []
    for n in range(proposals):
        ci = rng.choices(range(4), weights)[0]
        status = rng.choice(statuses)
        published = status not in ("draft", "submitted") and not (status == "withdrawn" and n % 2)
        created = now - timedelta(minutes=proposals - n)
        voting = status in ("voting", "accepted", "rejected")
        decided = status in ("accepted", "rejected")
        opens = (created + timedelta(days=1)) if voting else None
        closes = None
        if voting:
            closes = now + timedelta(days=5) if status == "voting" else opens + timedelta(days=7)
            if status == "voting":
                opens = now - timedelta(days=1)
        p = Proposal(
            council=councils[ci],
            author=rng.choice(residents[ci][:-5]),
            title=f"议题{n}：{rng.choice(['东门垃圾分类点', '3栋楼道', '小区花园', '北门路灯'])}",
            body="基准测试的议题内容。" * rng.randint(2, 20),
            category=rng.choice(categories),
            location=rng.choice(["", "东门", "3栋", "花园"]),
            status=status,
            hidden=published and n % 50 == 7,
            hidden_reason="测试隐藏" if published and n % 50 == 7 else "",
            submitted_at=created if status != "draft" else None,
            published_at=created + timedelta(hours=2) if published else None,
            voting_opens_at=opens,
            voting_closes_at=closes,
            decided_at=closes if decided else None,
            decided_by=staff[ci][0] if decided else None,
            outcome="议事会表决结果。" if decided else "",
        )
        p.community_index = ci
        rows.append(p)
    rows = Proposal.objects.bulk_create(rows, batch_size=1000)

    # Follows (the author), comments with replies, votes on the voting and decided ones.
    Follow.objects.bulk_create(
        [Follow(user_id=p.author_id, proposal_id=p.pk) for p in rows], batch_size=2000
    )
    target = next(
        p for p in rows if p.status == "voting" and p.community_index == 0 and not p.hidden
    )
    top = []
    for p in rows:
        if p.published_at is None:
            continue
        n_comments = 60 if p.pk == target.pk else rng.choice([0, 0, 1, 2, 3, 4, 6, 10])
        for _ in range(n_comments):
            top.append(
                Comment(
                    proposal_id=p.pk,
                    author=rng.choice(residents[p.community_index][:-5]),
                    body="我同意，这个问题很久了。",
                    hidden=rng.random() < 0.03,
                )
            )
    top = Comment.objects.bulk_create(top, batch_size=2000)
    replies = [
        Comment(
            proposal_id=c.proposal_id,
            author_id=c.author_id,
            parent_id=c.pk,
            body="补充一点情况。",
        )
        for c in top
        if rng.random() < 0.3
    ]
    Comment.objects.bulk_create(replies, batch_size=2000)
    votes = []
    decided_rows = []
    for p in rows:
        if p.status not in ("voting", "accepted", "rejected"):
            continue
        eligible = residents[p.community_index][: residents_per - 5]
        n_votes = 120 if p.pk == target.pk else rng.randint(3, 40)
        tally = {"support": 0, "oppose": 0, "abstain": 0}
        for voter in rng.sample(eligible, n_votes):
            choice = rng.choice(["support", "support", "oppose", "abstain"])
            tally[choice] += 1
            votes.append(Vote(proposal_id=p.pk, voter_id=voter.pk, choice=choice))
        if p.status != "voting":
            p.final_support = tally["support"]
            p.final_oppose = tally["oppose"]
            p.final_abstain = tally["abstain"]
            p.final_eligible = len(eligible)
            decided_rows.append(p)
    Vote.objects.bulk_create(votes, batch_size=5000)
    Proposal.objects.bulk_update(
        decided_rows,
        ["final_support", "final_oppose", "final_abstain", "final_eligible"],
        batch_size=1000,
    )

    # Teams: eight, each serving two of the communities, with a leader and members.
    all_skills = list(Skill.objects.all())
    if not all_skills:
        all_skills = Skill.objects.bulk_create(
            [Skill(slug=slug, name=str(label)) for slug, label in Skill.SLUGS]
        )
    teams = []
    for n in range(8):
        team = Team.objects.create(name=f"基准志愿服务队{n}")
        team.skills.set(rng.sample(all_skills, min(3, len(all_skills))))
        team.communities.set([communities[n % 4], communities[(n + 1) % 4]])
        teams.append(team)
    team_members = []
    for n, team in enumerate(teams):
        team_members.append(
            TeamMembership(team=team, user=leaders[n], role="leader", status="active")
        )
        for user in rng.sample(residents[n % 4][:-5], 8):
            team_members.append(TeamMembership(team=team, user=user, status="active"))
    TeamMembership.objects.bulk_create(team_members, ignore_conflicts=True)

    # Tasks in every status; held ones belong to a team, a tenth are sensitive.
    task_mix = [
        ("open", 25),
        ("claimed", 15),
        ("in_progress", 15),
        ("done", 15),
        ("verified", 22),
        ("cancelled", 8),
    ]
    task_statuses = [s for s, w in task_mix for _ in range(w)]
    task_rows = []
    for n in range(tasks):
        status = rng.choice(task_statuses)
        team = teams[n % 8]
        community = communities[rng.choice([n % 4, (n + 1) % 4])]
        held = status in Task.HELD
        task_rows.append(
            Task(
                community=community,
                title=f"任务{n}：{rng.choice(['清理楼道杂物', '修剪绿化', '陪老人就医'])}",
                description="基准测试的任务说明。" * rng.randint(1, 5),
                location=rng.choice(["3栋", "东门", "花园"]),
                origin=rng.choice(["proposal", "need", "staff", "emergency"]),
                priority=rng.choice(["normal"] * 6 + ["urgent", "emergency"]),
                sensitive=n % 10 == 3,
                status=status,
                team=team if held else None,
                dispatched_team=team if status == "open" and n % 7 == 0 else None,
                due_at=now + timedelta(days=rng.randint(-3, 20)) if n % 3 else None,
                claimed_at=now - timedelta(days=2) if held else None,
                done_at=now - timedelta(days=1) if status in ("done", "verified") else None,
                verified_at=now if status == "verified" else None,
                cancelled_at=now if status == "cancelled" else None,
            )
        )
    task_rows = Task.objects.bulk_create(task_rows, batch_size=1000)
    Through = Task.required_skills.through
    Through.objects.bulk_create(
        [
            Through(task_id=t.pk, skill_id=s.pk)
            for t in task_rows
            for s in rng.sample(all_skills, rng.randint(0, 2))
        ],
        batch_size=2000,
    )
    # Accepted proposals point at their follow-up task (as many as there are tasks).
    accepted = [p for p in rows if p.status == "accepted"][: len(task_rows) // 2]
    for p, t in zip(accepted, task_rows, strict=False):
        p.task_id = t.pk
    Proposal.objects.bulk_update(accepted, ["task"], batch_size=1000)

    return {
        "community": communities[0],
        "resident": residents[0][0],
        "proposal": target,
        "team": teams[0],
        "leader": leaders[0],
        "counts": {
            "proposals": Proposal.objects.count(),
            "comments": Comment.objects.count(),
            "votes": Vote.objects.count(),
            "tasks": Task.objects.count(),
            "people": User.objects.count(),
        },
    }


# --- measuring --------------------------------------------------------------------------------


def measure(client, url: str, requests: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(url)
    status = response.status_code
    cache.clear()
    # captured_queries reads the connection's log lazily: copy it before the next request.
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    cold = list(captured.captured_queries)
    if response.status_code != 200:
        status = response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    warm = list(captured.captured_queries)
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            status = response.status_code
    times.sort()
    return {
        "status": status,
        "queries": len(cold),
        "queries_warm": len(warm),
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "sql": [q["sql"] for q in cold],
    }


def measure_pages(world: dict, requests: int) -> list[dict]:
    from django.test import Client

    def client_for(user):
        client = Client(HTTP_HOST="localhost")
        if user is not None:
            client.force_login(user)
        return client

    community = world["community"]
    proposal = world["proposal"]
    team = world["team"]
    pages = [
        ("home", "/", "anonymous", None),
        ("home", "/", "resident", world["resident"]),
        ("council", f"/council/{community.pk}/", "anonymous", None),
        ("council", f"/council/{community.pk}/", "resident", world["resident"]),
        ("proposal", f"/council/proposals/{proposal.pk}/", "anonymous", None),
        ("proposal", f"/council/proposals/{proposal.pk}/", "resident", world["resident"]),
        ("team board", f"/teams/{team.pk}/board/", "team leader", world["leader"]),
    ]
    results = []
    for page, url, who, user in pages:
        figures = measure(client_for(user), url, requests)
        results.append({"page": page, "url": url, "as": who, **figures})
    return results


# --- report -----------------------------------------------------------------------------------


HEAD = ["page", "URL", "as", "status", "queries", "queries (warm cache)", "median ms", "p95 ms"]


def rows_of(results: list[dict]) -> list[list[str]]:
    return [
        [
            r["page"],
            r["url"],
            r["as"],
            str(r["status"]),
            str(r["queries"]),
            str(r["queries_warm"]),
            f"{r['median_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
        ]
        for r in results
    ]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--proposals", type=int, default=10_000, help="proposals to seed")
    parser.add_argument("--tasks", type=int, default=1_000, help="tasks to seed")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--no-demo", action="store_true", help="skip load_demo")
    parser.add_argument("--show-sql", action="store_true", help="print every page's queries")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    args.proposals = max(10, min(args.proposals, 200_000))
    args.tasks = max(10, min(args.tasks, 50_000))
    args.requests = max(3, min(args.requests, 1000))
    return args


def run(args) -> dict:
    """Seed, measure, tear down; returns the figures (see bench.report for the shape)."""
    server_url = os.environ.get("DATABASE_URL", "")
    postgres = bool(server_url) and pg_params(server_url) is not None
    workdir = ROOT / "var" / "bench" / "pages"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as resources:
        if not args.keep:
            resources.callback(shutil.rmtree, workdir, ignore_errors=True)
        database_url = None
        if postgres:
            database_url = resources.enter_context(
                throwaway_postgres(server_url, "pages", keep=args.keep)
            )
            name = database_name(database_url)
            engine = f"PostgreSQL (throwaway database {name})"
        else:
            name = f"linli_bench_pages_{os.getpid()}"
            engine = "SQLite (throwaway file var/bench/pages/linli.sqlite3)"
            if args.keep:
                resources.callback(print, f"kept {workdir}")
        # Run first on the way out: Django's connections are closed before their database goes.
        resources.callback(close_connections)
        env = django_env(var_dir=workdir, database_url=database_url, redis_url=None, prefix=name)
        print(f"migrating the throwaway database ({engine}) ...", flush=True)
        migrate(env)
        os.environ.update(env)
        os.environ.pop("REDIS_URL", None)
        if database_url is None:
            os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.conf import settings

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "testserver"]
        t0 = time.perf_counter()
        if not args.no_demo:
            import io

            from django.core.management import call_command

            print("loading the demo content ...", flush=True)
            call_command("load_demo", force=True, stdout=io.StringIO())
        print(
            f"seeding {args.proposals} proposals and {args.tasks} tasks (bulk_create) ...",
            flush=True,
        )
        from django.db import transaction

        with transaction.atomic():
            world = seed(proposals=args.proposals, tasks=args.tasks, rng=random.Random(6))
        seconds = time.perf_counter() - t0
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics, as a live database has
        print(f"seeded in {seconds:.0f} s: {world['counts']}", flush=True)
        print(f"measuring ({WARMUP} warm-up + {args.requests} timed requests a page) ...")
        results = measure_pages(world, args.requests)

    over = [r for r in results if r["queries"] > MAX_QUERIES]
    failed = [r for r in results if r["status"] != 200]
    worst = max(r["queries"] for r in results)
    ok = not over and not failed
    return {
        "name": "pages",
        "title": "Page cost: queries and server time",
        "ok": ok,
        "setup": (
            f"{engine}; demo content plus {world['counts']['proposals']} proposals "
            f"(4 councils, every status), {world['counts']['comments']} comments, "
            f"{world['counts']['votes']} votes, {world['counts']['tasks']} tasks (8 teams, "
            f"every status, a tenth sensitive), {world['counts']['people']} people. "
            f"Django test Client in process, DEBUG off; {WARMUP} warm-up and "
            f"{args.requests} timed requests a page."
        ),
        "tables": [{"head": HEAD, "rows": rows_of(results)}],
        "targets": [
            {
                "target": f"every page at or under {MAX_QUERIES} queries",
                "measured": f"at most {worst} queries"
                + (
                    f" ({', '.join(r['page'] + ' as ' + r['as'] for r in over)} over)"
                    if over
                    else ""
                ),
                "met": not over,
            }
        ],
        "notes": [
            "queries: one request with the site cache cleared (per-process caches warm), "
            "counted with CaptureQueriesContext; 'warm cache' is the next request.",
            "server time: in-process Django test Client (URL resolving, middleware, view, "
            "template rendering); no web server and no network, so it is the server's own "
            "cost, not what a browser waits.",
        ]
        + ([f"non-200 answers: {[(r['url'], r['status']) for r in failed]}"] if failed else []),
        "results": [{k: v for k, v in r.items() if k != "sql"} for r in results],
        "_sql": {f"{r['page']} as {r['as']}": r["sql"] for r in results},
    }


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    figures = run(args)
    print()
    print(f"Page cost. {figures['setup']}")
    print()
    for table in figures["tables"]:
        # the page, its URL and who asks, then figures
        for line in text_table(table["head"], table["rows"], left=3):
            print(line)
    print()
    for target in figures["targets"]:
        print(
            f"target: {target['target']}: {target['measured']}: "
            + ("met" if target["met"] else "NOT met")
        )
    if args.show_sql:
        for label, queries in figures["_sql"].items():
            print(f"\n-- {label}")
            for q in queries:
                print(f"  {q}")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
