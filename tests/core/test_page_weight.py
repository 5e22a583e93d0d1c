"""Page weight: the stylesheets and scripts each resident page loads stay under 100 KB gzipped.

Every page a resident uses is rendered with the test client over the demo data; every
`<link rel="stylesheet">` and `<script src>` it names is read (static files through the static
files finders, anything else, like /jsi18n/, from its view in the page's language) and
compressed with gzip at level 6, the usual server setting. Run with `-s` to see the figures.
"""

import gzip
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LIMIT = 100 * 1024


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])


def assets_of(html: str) -> list[str]:
    parser = Assets()
    parser.feed(html)
    return list(dict.fromkeys(parser.urls))


def short(url: str) -> str:
    """linli.css, pwa.js, jsi18n: the last part of the path."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def body_of(url: str, client: Client) -> bytes:
    path = url.split("?", 1)[0].split("#", 1)[0]
    assert path.startswith("/"), f"a page loads {url} from elsewhere (no CDN)"
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path[len(settings.STATIC_URL) :])
        assert found, f"{url} is not a static file"
        with open(found, "rb") as handle:
            return handle.read()
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content


@pytest.fixture
def demo():
    call_command("load_demo", force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    from accounts.models import User
    from communities.models import Community
    from deliberation.models import Proposal
    from teams.models import Task, TeamMembership

    yuling = Community.objects.get(name="玉岭社区", kind="community")
    leader = User.objects.get(email="leader1@example.com")
    team = TeamMembership.objects.filter(user=leader, role="leader").first().team
    proposal = (
        Proposal.objects.filter(council__community=yuling, status="voting").first()
        or Proposal.objects.exclude(status__in=["draft", "submitted", "withdrawn"]).first()
    )
    task = Task.objects.filter(team=team).order_by("-id").first() or Task.objects.first()
    return {
        "resident": User.objects.get(email="resident1@example.com"),
        "leader": leader,
        "community": yuling,
        "team": team,
        "proposal": proposal,
        "task": task,
    }


def pages(d):
    """(name, path, who): who is "resident", "leader" or None (signed out)."""
    c, t = d["community"].pk, d["team"].pk
    return [
        ("home", "/", "resident"),
        ("council index", "/council/", "resident"),
        ("council", f"/council/{c}/", "resident"),
        ("proposal", f"/council/proposals/{d['proposal'].pk}/", "resident"),
        ("propose", f"/council/{c}/new/", "resident"),
        ("my proposals", "/council/mine/", "resident"),
        ("teams", "/teams/", "resident"),
        ("team", f"/teams/{t}/", "resident"),
        ("team board", f"/teams/{t}/board/", "leader"),
        ("task", f"/teams/tasks/{d['task'].pk}/", "leader"),
        ("my tasks", "/teams/my/tasks/", "leader"),
        ("my hours", "/teams/my/hours/", "leader"),
        ("needs", "/teams/needs/", "resident"),
        ("notifications", "/live/notifications/", "resident"),
        ("profile", "/me/", "resident"),
        ("login", "/accounts/login/", None),
        ("offline", "/offline/", None),
    ]


def test_every_resident_page_loads_under_100_kb_of_css_and_js(demo, capsys):
    clients = {None: Client()}
    for who in ("resident", "leader"):
        clients[who] = Client()
        clients[who].force_login(demo[who])
    cache = {}
    report = []
    too_heavy = []
    for name, path, who in pages(demo):
        client = clients[who]
        response = client.get(path, follow=True)
        assert response.status_code == 200, (name, path, response.status_code)
        html = response.content.decode()
        urls = assets_of(html)
        assert any(re.search(r"\.css$", u.split("?")[0]) for u in urls), (name, urls)
        sizes = []
        for url in urls:
            if (url, who) not in cache:
                raw = body_of(url, client)
                cache[(url, who)] = (len(raw), len(gzip.compress(raw, compresslevel=6)))
            sizes.append((url, *cache[(url, who)]))
        total = sum(z for _url, _raw, z in sizes)
        report.append(
            f"{name:<14} {path:<32} {len(sizes):>2} files "
            f"{sum(r for _u, r, _z in sizes) / 1024:6.1f} KB raw "
            f"{total / 1024:6.1f} KB gzip  "
            + ", ".join(f"{short(u)} {z / 1024:.1f}" for u, _r, z in sizes)
        )
        if total >= LIMIT:
            too_heavy.append((name, path, total))
    with capsys.disabled():
        print("\nCSS and JavaScript per page (gzip -6):")
        print("\n".join(report))
    assert not too_heavy, too_heavy
