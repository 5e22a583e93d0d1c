"""A real server for the browser tests: daphne on a spare loopback port, its own database.

The database is a migrated SQLite file in a temporary folder, or, when DATABASE_URL names a
PostgreSQL server, a throwaway database `<name>_browser_<pid>` on it that is dropped at the end.
With REDIS_URL the server uses Redis (channel layer and cache) under a private prefix.
The people, the team and the tasks are made by `manage.py shell` with the same environment;
the browser gets signed-in session cookies instead of typing passwords.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

WORLD = r"""
import json
from django.test import Client
from accounts.models import User
from communities.models import Community, Membership
from communities.services import sync_staff_access
from teams import services
from teams.models import Skill, Team, TeamMembership

def skill(slug, name):
    return Skill.objects.get_or_create(slug=slug, defaults={"name": name})[0]

district = Community.objects.create(name="松滋市", kind="district")
street = Community.objects.create(name="新江口街道", kind="street", parent=district)
yuling = Community.objects.create(name="玉岭社区", kind="community", parent=street)
people = {}
for key, role in [("staff", "staff"), ("leader1", "resident"), ("leader2", "resident"),
                  ("resident", "resident")]:
    user = User.objects.create_user(email=key + "@linli.example", password="browser-pass-2026",
                                    display_name={"staff": "社工小李", "leader1": "张队长",
                                                  "leader2": "王队长", "resident": "刘阿姨"}[key])
    Membership.objects.create(user=user, community=yuling, role=role, status="verified")
    sync_staff_access(user)  # as the membership services do: staff get the admin and the inbox
    people[key] = user
sanitation = skill("sanitation", "环境卫生")
teams = {}
TEAMS = [
    ("env", "玉岭社区环境志愿服务队", "leader1", ("greening", "绿化")),
    ("help", "玉岭社区邻里互助队", "leader2", ("elderly-care", "助老")),
]
for key, name, leader, extra in TEAMS:
    team = Team.objects.create(name=name, description="玉岭社区的志愿者队伍。")
    team.skills.set([sanitation, skill(*extra)])
    team.communities.set([yuling])
    TeamMembership.objects.create(team=team, user=people[leader], role="leader", status="active")
    teams[key] = team
tasks = {}
for key, title in [("live", "清理3栋楼道堆放的纸箱"), ("race", "疏通5栋门前排水沟")]:
    tasks[key] = services.create_task(
        actor=people["staff"], community=yuling, title=title,
        description="纸箱堆在楼梯拐角，挡住了消防通道，需要两三个人搬到回收点。",
        location="玉岭社区3栋", required_skills=["sanitation"],
    ).pk

def cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value

print("WORLD=" + json.dumps({
    "cookies": {key: cookie(user) for key, user in people.items()},
    "teams": {key: {"id": team.pk, "name": team.name} for key, team in teams.items()},
    "tasks": tasks,
}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres(url: str, sql: str) -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def _served_site(tmp: Path, name: str, prepare):
    """Daphne serving config.asgi:application on a database of its own, stopped afterwards.

    The database is a migrated SQLite file in `tmp`, or, when DATABASE_URL names a PostgreSQL
    server, a throwaway database `<name>_<site name>_<pid>` on it, dropped at the end; with
    REDIS_URL the server uses Redis under a private prefix. `prepare(manage, env)` fills the
    database before the server starts and returns the world the tests get.
    Yields {"url", "world", "log", "env"} (env: the server's environment, for `site_shell`).
    """
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",  # DEBUG: the server serves static files
        LINLI_VAR_DIR=str(tmp),
        PYTHONUNBUFFERED="1",
    )
    dropped = None
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        base, _, db = database_url.rpartition("/")
        db_name = f"{db.split('?')[0]}_{name}_{os.getpid()}"
        _postgres(database_url, f'DROP DATABASE IF EXISTS "{db_name}"')
        _postgres(database_url, f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = f"{base}/{db_name}"
        dropped = db_name
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
        env["REDIS_PREFIX"] = f"{os.environ.get('REDIS_PREFIX', 'linli')}_{name}_{os.getpid()}"

    manage = [sys.executable, str(ROOT / "manage.py")]
    server = None
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        world = prepare(manage, env)
        port = _free_port()
        log_path = tmp / "daphne.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen(
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "config.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/teams/", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text(errors="replace")[-3000:]) from None
                time.sleep(0.2)
        yield {"url": url, "world": world, "log": log_path, "env": env}
    finally:
        if server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        if dropped:
            _postgres(database_url, f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


def _shell_world(manage, env, script: str, marker: str) -> dict:
    """Run `script` with `manage.py shell`; it prints `<marker>=<json>`."""
    made = subprocess.run(
        [*manage, "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in made.stdout.splitlines() if x.startswith(marker + "="))
    return json.loads(line[len(marker) + 1 :])


def site_shell(site, script: str, marker: str) -> dict:
    """Run `script` with `manage.py shell` against a served site's database."""
    return _shell_world([sys.executable, str(ROOT / "manage.py")], site["env"], script, marker)


COUNCIL = r"""
import json
from communities.models import Community
from deliberation.models import Council
yuling = Community.objects.get(name="玉岭社区")
council, _ = Council.objects.get_or_create(
    community=yuling,
    defaults={"name": "玉岭社区居民议事会", "voters": "residents", "quorum_kind": "votes",
              "quorum_votes": 3, "pass_percent": 50, "voting_days": 7},
)
print("COUNCIL=" + json.dumps({"community": yuling.pk, "council": council.pk}))
"""


@pytest.fixture(scope="session")
def council(live_site):
    """{"community", "council"}: 玉岭社区's council on the live site (no page creates one)."""
    return site_shell(live_site, COUNCIL, "COUNCIL")


@pytest.fixture(scope="session")
def live_site(tmp_path_factory):
    """{"url", "world", "log"}: a daphne server of config.asgi:application with the world above."""
    with _served_site(
        tmp_path_factory.mktemp("browser-site"),
        "browser",
        lambda manage, env: _shell_world(manage, env, WORLD, "WORLD"),
    ) as site:
        yield site


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_site):
    """open_page(who, path, width=360) -> a page of a fresh context, signed in as `who`
    (a key of the world's people) or anonymous (who=None)."""
    contexts = []

    def _open(who, path, *, width=360, locale="zh-CN"):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale=locale, base_url=live_site["url"]
        )
        contexts.append(context)
        if who is not None:
            context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": live_site["world"]["cookies"][who],
                        "url": live_site["url"],
                    }
                ]
            )
        page = context.new_page()
        page.goto(path)
        return page

    yield _open
    for context in contexts:
        context.close()


# ---------------------------------------------------------------------------------------------
# The demo site: `manage.py load_demo --force` on its own database and daphne, for page-wide
# checks (phones, large text, axe-core). People are the demo accounts, keyed by the part of
# their e-mail before the "@": admin, staff, resident1..resident6, leader1, leader2, volunteer1,
# newcomer (all with communities.demo.PASSWORD). `paths` names pages by what they show.

DEMO_WORLD = r"""
import json
from django.test import Client
from accounts.models import User
from communities.models import Community
from deliberation.models import Council, Meeting, Proposal
from teams.models import Need, Task, Team, TeamMembership
from brands.models import BrandPage, HomePage, NewsPage
from activities.models import Activity
from certificates.models import Certificate

yuling = Community.objects.get(name="玉岭社区", kind="community")
council = Council.objects.get(community=yuling)
people = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@example.com")}
public = Proposal.objects.filter(council=council).exclude(
    status__in=["draft", "submitted", "withdrawn"])
voting = public.filter(status="voting").first() or public.first()
env = (TeamMembership.objects.filter(user=people["leader1"], role="leader")
       .select_related("team").first().team)
task = Task.objects.filter(team=env).order_by("-id").first() or Task.objects.order_by("id").first()
open_task = Task.objects.filter(status="open").order_by("id").first()
meeting = Meeting.objects.filter(council=council).order_by("id").first()
home = HomePage.objects.live().first()
brand = BrandPage.objects.live().first()
news = NewsPage.objects.live().first()
festival = Activity.objects.filter(community=yuling, status="published").order_by("-quota").first()
certificate = Certificate.objects.filter(holder=people["volunteer1"]).first()

def cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value

paths = {
    "home": home.url if home else "/",
    "brand_index": brand.get_parent().url if brand else None,
    "brand": brand.url if brand else None,
    "news_index": news.get_parent().url if news else None,
    "news": news.url if news else None,
    "search": "/search/?q=" + "垃圾",
    "communities": "/communities/",
    "community": f"/communities/{yuling.pk}/",
    "council_index": "/council/",
    "council": f"/council/{yuling.pk}/",
    "proposal": f"/council/proposals/{voting.pk}/",
    "propose": f"/council/{yuling.pk}/new/",
    "my_proposals": "/council/mine/",
    "meetings": f"/council/{yuling.pk}/meetings/",
    "meeting": f"/council/meetings/{meeting.pk}/" if meeting else None,
    "teams": "/teams/",
    "team": f"/teams/{env.pk}/",
    "team_board": f"/teams/{env.pk}/board/",
    "team_hours": f"/teams/{env.pk}/hours/",
    "task": f"/teams/tasks/{task.pk}/",
    "open_task": f"/teams/tasks/{open_task.pk}/" if open_task else None,
    "my_tasks": "/teams/my/tasks/",
    "my_hours": "/teams/my/hours/",
    "needs": "/teams/needs/",
    "notifications": "/live/notifications/",
    "dispatch": "/teams/dispatch/",
    "managed": "/communities/managed/",
    "requests": f"/communities/{yuling.pk}/requests/",
    "meeting_new": f"/council/{yuling.pk}/meetings/new/",
    "profile": "/me/",
    "activities": "/activities/",
    "activity": f"/activities/{festival.pk}/",
    "activity_manage": f"/activities/{festival.pk}/attendance/",
    "my_activities": "/activities/mine/",
    "records": "/records/",
    "records_profile": "/records/profile/",
    "certificate": f"/records/certificates/{certificate.pk}/",
    "publicity": f"/records/publicity/{yuling.pk}/",
    "verify": f"/records/verify/{certificate.number}/",
    "records_staff": "/records/staff/",
    "records_export": "/records/staff/export/",
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
}
print("DEMO=" + json.dumps({
    "cookies": {key: cookie(user) for key, user in people.items()},
    "ids": {"community": yuling.pk, "council": council.pk, "proposal": voting.pk,
            "team": env.pk, "task": task.pk},
    "paths": paths,
}))
"""


def _load_demo(manage, env) -> dict:
    subprocess.run(
        [*manage, "load_demo", "--force"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    return _shell_world(manage, env, DEMO_WORLD, "DEMO")


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """{"url", "world": {"cookies", "ids", "paths"}, "log"}: daphne over the loaded demo data."""
    with _served_site(tmp_path_factory.mktemp("demo-site"), "demo", _load_demo) as site:
        yield site


@pytest.fixture
def open_demo_page(browser, demo_site):
    """open_demo_page(who, path, *, width=360, height=800, scale=1, large_text=False,
    bypass_csp=False, javascript=True, locale="zh-CN") -> a page of a fresh context on the
    demo site, signed in as `who` (admin, staff, resident1, leader1, volunteer1, ...) or
    anonymous (who=None). `path` may also be a key of demo_site["world"]["paths"].
    large_text sets the anonymous large-text cookie (signed-in people keep their saved choice)."""
    contexts = []
    world = demo_site["world"]

    def _open(
        who,
        path,
        *,
        width=360,
        height=800,
        scale=1,
        large_text=False,
        bypass_csp=False,
        javascript=True,
        locale="zh-CN",
    ):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=scale,
            locale=locale,
            base_url=demo_site["url"],
            bypass_csp=bypass_csp,
            java_script_enabled=javascript,
        )
        contexts.append(context)
        cookies = []
        if who is not None:
            cookies.append(
                {"name": "sessionid", "value": world["cookies"][who], "url": demo_site["url"]}
            )
        if large_text:
            cookies.append({"name": "linli_large_text", "value": "1", "url": demo_site["url"]})
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        page.goto(world["paths"].get(path) or path)
        return page

    yield _open
    for context in contexts:
        context.close()
