"""Browser-facing security: the Content-Security-Policy, no inline executable script, and the
production settings (secure cookies, HSTS)."""

import base64
import hashlib
import importlib
import os
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from core import csp
from tests.deliberation.conftest import client_for, make_proposal, world  # noqa: F401
from tests.teams.conftest import make_task

JSON_TYPES = {"application/json", "application/ld+json", "importmap"}


class ScriptAudit(HTMLParser):
    """Collects inline executable <script>s, inline event handlers, javascript: URLs and style
    attributes of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline_scripts = []
        self.handlers = []
        self.js_urls = []
        self.style_attrs = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            kind = (attrs.get("type") or "").strip().lower()
            if "src" not in attrs and kind not in JSON_TYPES:
                self.inline_scripts.append(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            url_attr = name in ("href", "src", "action", "formaction") and value
            if url_attr and value.strip().lower().startswith("javascript:"):
                self.js_urls.append((tag, name, value))
            if name == "style" and value is not None:
                self.style_attrs.append((tag, value))


def audit(html):
    parser = ScriptAudit()
    parser.feed(html)
    return parser


def directives(policy):
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def site_policy():
    """The site's policy as django-csp sends it: {directive: [sources]}."""
    return {
        name: list(sources)
        for name, sources in django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
    }


def relaxed_policy():
    return {**site_policy(), **csp.RELAXED_DIRECTIVES}


def style_hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture
def pages(world):  # noqa: F811
    """The main flows: (client, url) for every page a resident, a leader or staff goes through."""
    w = world
    proposal = make_proposal(w, status="voting")
    task = make_task(w.yuling, team=w.team, status="claimed")
    anonymous, resident = client_for(None), client_for(w.resident)
    leader, staff = client_for(w.leader), client_for(w.staff)
    return [
        (anonymous, "/"),
        (anonymous, reverse("account_login")),
        (anonymous, reverse("account_signup")),
        (anonymous, reverse("communities:list")),
        (anonymous, reverse("communities:detail", args=[w.yuling.pk])),
        (anonymous, reverse("teams:team_list")),
        (anonymous, reverse("teams:team_detail", args=[w.team.pk])),
        (anonymous, reverse("deliberation:index")),
        (anonymous, reverse("deliberation:council", args=[w.yuling.pk])),
        (anonymous, reverse("deliberation:proposal_detail", args=[proposal.pk])),
        (resident, reverse("deliberation:proposal_detail", args=[proposal.pk])),
        (resident, reverse("deliberation:proposal_create", args=[w.yuling.pk])),
        (resident, reverse("deliberation:my_proposals")),
        (resident, reverse("accounts:profile")),
        (resident, reverse("live:notifications")),
        (resident, reverse("teams:my_needs")),
        (leader, reverse("teams:team_board", args=[w.team.pk])),
        (leader, reverse("teams:task_detail", args=[task.pk])),
        (leader, reverse("teams:my_tasks")),
        (leader, reverse("teams:my_hours")),
        (leader, reverse("teams:team_hours", args=[w.team.pk])),
        (staff, reverse("teams:dispatch")),
        (staff, reverse("communities:requests", args=[w.yuling.pk])),
        (staff, reverse("deliberation:meeting_list", args=[w.yuling.pk])),
        (staff, reverse("deliberation:proposal_detail", args=[proposal.pk])),
    ]


def test_policy_has_no_unsafe_inline_script():
    d = site_policy()
    assert d["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in d["style-src"]
    assert d["default-src"] == ["'self'"]
    assert d["frame-ancestors"] == ["'none'"]
    assert d["base-uri"] == ["'self'"]
    assert d["form-action"] == ["'self'"]
    assert d["object-src"] == ["'none'"]
    assert set(d["connect-src"]) == {"'self'", "ws:", "wss:"}
    assert set(d["img-src"]) == {"'self'", "data:", "blob:"}


def test_main_pages_send_the_policy_and_run_no_inline_script(pages):
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response["Content-Security-Policy"])
        assert policy == site_policy(), url
        assert "'unsafe-inline'" not in policy["script-src"]
        html = response.content.decode()
        found = audit(html)
        assert found.inline_scripts == [], (url, found.inline_scripts)
        assert found.handlers == [], (url, found.handlers)
        assert found.js_urls == [], (url, found.js_urls)
        # Style attributes would be blocked too; only those whose hash the policy lists run.
        for _tag, style in found.style_attrs:
            assert style_hash(style) in policy["style-src"], (url, style)


def test_page_scripts_are_served_from_static_files(pages):
    wanted = {"js/teams-task.js", "js/teams-board.js", "js/deliberation-proposal.js"}
    seen = set()
    for client, url in pages:
        html = client.get(url).content.decode()
        seen |= {name for name in wanted if name in html}
    assert seen == wanted


def test_api_and_error_pages_carry_the_policy(client, db):
    for url in ["/api/v1/communities", "/api/v1/openapi.json", "/no-such-page/"]:
        response = client.get(url)
        assert response.status_code < 500
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_wagtail_admin_gets_its_own_policy(world):  # noqa: F811
    response = client_for(world.superuser).get("/admin/")
    assert response.status_code == 200
    d = directives(response["Content-Security-Policy"])
    # Wagtail's admin ships inline scripts; it may be framed by itself (page preview) only.
    assert d["frame-ancestors"] == ["'self'"]
    assert d["object-src"] == ["'none'"]
    assert d == relaxed_policy()
    assert "'unsafe-inline'" in d["script-src"]


def test_api_docs_get_the_relaxed_policy_and_the_api_the_strict_one(client, db):
    assert directives(client.get("/api/v1/docs")["Content-Security-Policy"]) == relaxed_policy()
    api = client.get("/api/v1/communities")
    assert directives(api["Content-Security-Policy"]) == site_policy()


def test_report_only_switch(client, db, settings):
    strict, relaxed = site_policy(), relaxed_policy()
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get("/api/v1/communities")
    assert "Content-Security-Policy" not in response
    assert directives(response["Content-Security-Policy-Report-Only"]) == strict
    admin = client.get("/admin/login/")
    assert "Content-Security-Policy" not in admin
    assert directives(admin["Content-Security-Policy-Report-Only"]) == relaxed


def test_report_only_switch_is_set_from_the_environment(monkeypatch):
    import config.settings.base as base

    monkeypatch.setenv("CSP_REPORT_ONLY", "1")
    try:
        reloaded = importlib.reload(base)
        assert reloaded.CONTENT_SECURITY_POLICY is None
        assert reloaded.CONTENT_SECURITY_POLICY_REPORT_ONLY["DIRECTIVES"]["script-src"] == [
            "'self'"
        ]
    finally:
        monkeypatch.delenv("CSP_REPORT_ONLY")
        reloaded = importlib.reload(base)
    assert reloaded.CONTENT_SECURITY_POLICY_REPORT_ONLY is None


def test_the_policy_is_django_csps_and_passes_its_checks():
    from django.core import checks

    assert "csp" in django_settings.INSTALLED_APPS
    errors = [e for e in checks.run_checks() if e.id.startswith("csp.")]
    assert errors == []


@pytest.fixture
def production_settings(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "linli.example")
    # The test run's SMS sender and e-mail backend are the console ones, which production takes
    # only when told so.
    monkeypatch.setenv("ALLOW_CONSOLE_SMS", "1")
    monkeypatch.setenv("ALLOW_CONSOLE_EMAIL", "1")
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    sys.modules.pop("config.settings.production", None)
    module = importlib.import_module("config.settings.production")
    yield module
    sys.modules.pop("config.settings.production", None)


def test_production_settings_are_secure(production_settings):
    s = production_settings
    assert s.DEBUG is False
    assert s.SESSION_COOKIE_SECURE is True
    assert s.CSRF_COOKIE_SECURE is True
    assert s.SECURE_HSTS_SECONDS >= 31536000
    assert s.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert s.SECURE_SSL_REDIRECT is True
    assert s.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert s.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert "core.csp.ContentSecurityPolicyMiddleware" in s.MIDDLEWARE


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ALLOWED_HOSTS", "linli.example")
    sys.modules.pop("config.settings.production", None)
    try:
        with pytest.raises(ImproperlyConfigured):
            importlib.import_module("config.settings.production")
    finally:
        sys.modules.pop("config.settings.production", None)


def check_deploy(**environment):
    import subprocess

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "k" * 30 + "-Zq9!x" * 10,
        "ALLOWED_HOSTS": "linli.example",
        "ALLOW_CONSOLE_SMS": "1",
        "ALLOW_CONSOLE_EMAIL": "1",
        "ID_NUMBER_KEYS": "tQ3mX2yb1Yk3Qe1wVvIRl0oTQJk1c8a3JmG9r4cS2ew=",
        **environment,
    }
    env.pop("DATABASE_URL", None)
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )


def test_check_deploy_is_clean():
    # The check does not connect: any Redis address will do.
    result = check_deploy(REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_wants_a_shared_cache_for_the_rate_limits():
    """Production runs several processes: rate limits in one process's memory do not hold."""
    result = check_deploy(REDIS_URL=None)
    assert result.returncode != 0
    assert "django_ratelimit.E003" in result.stdout + result.stderr
