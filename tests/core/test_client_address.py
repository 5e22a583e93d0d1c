"""The client's address cannot be forged: behind nginx, whatever a client writes into
X-Forwarded-For or X-Real-IP leaves every per-address rate limit (Linli's core/ratelimit.py,
allauth's login and sign-up) on the address nginx saw.

The chain is checked with the deployment's own files: the proxy headers that
site/deploy/nginx/linli.conf sets (applied as nginx applies them), then for /ws/ daphne built from
the ExecStart line of site/deploy/systemd/linli-daphne@.service and Django's ASGI request from
daphne's scope, for everything else gunicorn's request parsing with the configuration that
site/deploy/systemd/linli-web.service starts it with and Django's WSGI request through
config/wsgi.py; and the rate-limit keys computed from either with the production settings' values.
"""

import io
import json
import re
import runpy
import shlex

import pytest
from allauth.account.adapter import get_adapter
from daphne import http_protocol
from daphne.cli import CommandLineInterface
from daphne.server import Server
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from gunicorn.config import Config
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.parser import RequestParser
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from config import wsgi as linli_wsgi
from core import ratelimit
from tests.core.test_security import production_settings  # noqa: F401

DEPLOY = django_settings.BASE_DIR / "site" / "deploy"
CLIENT = "203.0.113.7"  # the address nginx sees
FORGED = "198.51.100.66"
FORGERIES = [
    {"X-Forwarded-For": FORGED},
    {"X-Forwarded-For": f"{FORGED}, 10.0.0.1"},
    {"X-Real-IP": FORGED},
    {"X-Real-IP": FORGED, "X-Forwarded-For": FORGED, "X-Forwarded-Port": "1"},
    {"Forwarded": f"for={FORGED}"},
]


def proxied_locations() -> dict[str, tuple[str, dict[str, str]]]:
    """{location: (upstream, {header: value})} of every nginx location that proxies to Linli."""
    text = (DEPLOY / "nginx" / "linli.conf").read_text()
    text = re.sub(r"#[^\n]*", "", text)
    locations = {}
    for match in re.finditer(r"location\s+([^{\s]+)\s*\{", text):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        block = text[match.end() : end]
        upstream = re.search(r"proxy_pass\s+http://(linli_\w+)", block)
        if upstream:
            locations[match.group(1)] = (
                upstream.group(1),
                dict(re.findall(r"proxy_set_header\s+(\S+)\s+([^;]+);", block)),
            )
    return locations


def as_nginx_forwards(headers: dict, directives: dict, *, remote_addr: str) -> dict:
    """The headers nginx sends upstream: the client's, except that every header named by a
    proxy_set_header is replaced by that directive's value (empty: left out)."""
    variables = {
        "$proxy_add_x_forwarded_for": ", ".join(
            [v for v in (headers.get("X-Forwarded-For"), remote_addr) if v]
        ),
        "$remote_addr": remote_addr,
        "$remote_port": "50123",
        "$host": "linli.example",
        "$scheme": "https",
        "$http_upgrade": "",
        "$linli_connection": "keep-alive",
    }
    named = {name.lower() for name in directives}
    sent = {k: v for k, v in headers.items() if k.lower() not in named}
    for name, value in directives.items():
        for variable, replacement in variables.items():
            value = value.replace(variable, replacement)
        value = value.strip('"')
        if value:
            sent[name] = value
    return sent


def daphne_from_unit() -> Server:
    """The daphne Server that the systemd unit's ExecStart line starts (not run)."""
    unit = (DEPLOY / "systemd" / "linli-daphne@.service").read_text()
    line = re.search(r"^ExecStart=(.*?[^\\])$", unit.replace("\\\n", " "), re.M).group(1)
    argv = shlex.split(line.replace("%i", "8001"))[1:]

    class Built(Server):
        def run(self):
            pass

    class CLI(CommandLineInterface):
        server_class = Built

    cli = CLI()
    cli.run(argv)
    return cli.server


def daphne_scope(server: Server, headers: dict, *, peer: str = "127.0.0.1") -> dict:
    """The ASGI scope daphne hands to Linli for this request arriving from `peer` (nginx)."""
    scopes = []
    server.create_application = lambda protocol, scope: scopes.append(scope)
    server.connections = {}
    factory = http_protocol.HTTPFactory(server)
    factory.timeOut = None
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport(peerAddress=IPv4Address("TCP", peer, 40000)))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    protocol.dataReceived(f"POST /accounts/login/ HTTP/1.1\r\n{head}\r\n".encode())
    (scope,) = scopes
    return scope


def gunicorn_from_unit() -> Config:
    """gunicorn's configuration as the systemd unit's ExecStart line starts it (not run)."""
    unit = (DEPLOY / "systemd" / "linli-web.service").read_text()
    line = re.search(r"^ExecStart=(.*?[^\\])$", unit.replace("\\\n", " "), re.M).group(1)
    argv = shlex.split(line.replace("/srv/linli", str(django_settings.BASE_DIR)))[1:]
    cfg = Config()
    args = cfg.parser().parse_args(argv)
    for name, value in runpy.run_path(args.config).items():
        if name in cfg.settings:
            cfg.set(name, value)
    for name, value in vars(args).items():
        if value is not None and name in cfg.settings and name != "config":
            cfg.set(name, value)
    return cfg


def gunicorn_request(cfg: Config, headers: dict, *, peer: str = "127.0.0.1") -> WSGIRequest:
    """Django's request for this request arriving at gunicorn from `peer` (nginx), through the
    WSGI application of config/wsgi.py."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    raw = f"POST /accounts/login/ HTTP/1.1\r\n{head}Content-Length: 0\r\n\r\n".encode()
    request = next(iter(RequestParser(cfg, iter([raw]), (peer, 40000))))
    _, environ = gunicorn_wsgi.create(request, None, (peer, 40000), cfg.address[0], cfg)
    seen = []
    app = linli_wsgi.with_client_address(
        lambda environ, start_response: seen.append(environ),
        proxies=",".join(cfg.forwarded_allow_ips),
    )
    app(environ, None)
    return WSGIRequest(seen[0])


def keys(request) -> tuple[str, str]:
    """(Linli's anonymous rate-limit key, allauth's client address) for this request."""
    request.user = AnonymousUser()
    return ratelimit.client_key(request)[1], get_adapter(request).get_client_ip(request)


def linli_request(upstream: str, headers: dict, *, peer: str = "127.0.0.1"):
    """Django's request for what nginx sends to `upstream`: daphne's or gunicorn's."""
    if upstream == "linli_daphne":
        return ASGIRequest(daphne_scope(daphne_from_unit(), headers, peer=peer), io.BytesIO())
    assert upstream == "linli_web", upstream
    return gunicorn_request(gunicorn_from_unit(), headers, peer=peer)


def test_every_proxied_location_overwrites_the_address_headers():
    locations = proxied_locations()
    assert locations["/"][0] == "linli_web"  # HTTP: gunicorn
    assert locations["/ws/"][0] == "linli_daphne"  # WebSockets: daphne
    for location, (_, directives) in locations.items():
        assert directives.get("X-Real-IP") == "$remote_addr", location
        assert directives.get("X-Forwarded-For") == "$remote_addr", location


def test_gunicorn_listens_on_loopback_and_trusts_only_loopback():
    cfg = gunicorn_from_unit()
    assert [host for host, _ in cfg.address] == ["127.0.0.1"]
    assert cfg.forwarded_allow_ips == linli_wsgi.FORWARDED_ALLOW_IPS.split(",")
    assert set(cfg.forwarded_allow_ips) <= {"127.0.0.1", "::1"}


@pytest.mark.parametrize("forged", FORGERIES)
def test_a_client_reaching_gunicorn_directly_keeps_its_own_address(forged):
    request = gunicorn_request(gunicorn_from_unit(), {"Host": "x", **forged}, peer=CLIENT)
    assert request.META["REMOTE_ADDR"] == CLIENT


@pytest.mark.parametrize("forged", FORGERIES)
def test_a_forged_header_does_not_move_the_rate_limit_key(
    forged,
    production_settings,  # noqa: F811
    settings,
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = production_settings.ALLAUTH_TRUSTED_PROXY_COUNT
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = production_settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER
    for location, (upstream, directives) in proxied_locations().items():
        client_headers = {"Host": "linli.example", **forged}
        sent = as_nginx_forwards(client_headers, directives, remote_addr=CLIENT)
        request = linli_request(upstream, sent)
        assert request.META["REMOTE_ADDR"] == CLIENT, (location, sent)
        assert keys(request) == (f"addr:{CLIENT}", CLIENT), (location, forged)
        # Another client of nginx gets another bucket: the key is the address, not a constant.
        other = as_nginx_forwards(client_headers, directives, remote_addr="192.0.2.9")
        assert keys(linli_request(upstream, other)) == ("addr:192.0.2.9", "192.0.2.9")


@pytest.fixture
def limits(production_settings, settings):  # noqa: F811
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = production_settings.ALLAUTH_TRUSTED_PROXY_COUNT
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = production_settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login": "3/m/ip",
        "signup": "3/m/ip",
    }
    settings.WRITE_RATE_LIMITS = {"user": None, "anonymous": (3, 60)}
    cache.clear()
    yield
    cache.clear()


def forged_headers(n: int) -> dict:
    """A new forged address for every request, in every header a client might try."""
    address = f"198.51.100.{n + 1}"
    return {"X-Forwarded-For": address, "X-Real-IP": address, "Forwarded": f"for={address}"}


@pytest.mark.django_db
def test_allauth_login_and_signup_limits_hold_against_forged_headers(client, limits):
    for n in range(3):
        response = client.post(
            "/accounts/login/",
            {"login": "nobody@example.com", "password": "wrong"},
            headers=forged_headers(n),
            REMOTE_ADDR=CLIENT,
        )
        assert response.status_code == 200, n
    response = client.post(
        "/accounts/login/",
        {"login": "nobody@example.com", "password": "wrong"},
        headers=forged_headers(9),
        REMOTE_ADDR=CLIENT,
    )
    assert response.status_code == 429
    for n in range(3):
        client.post(
            "/accounts/signup/",
            {"email": f"p{n}@example.com", "password1": "short", "password2": "x"},
            headers=forged_headers(n),
            REMOTE_ADDR=CLIENT,
        )
    response = client.post(
        "/accounts/signup/",
        {"email": "p9@example.com", "password1": "short", "password2": "x"},
        headers=forged_headers(9),
        REMOTE_ADDR=CLIENT,
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_linli_write_limit_holds_against_forged_headers(client, limits):
    url = "/api/v1/communities/1/membership"
    statuses = [
        client.post(
            url,
            json.dumps({}),
            content_type="application/json",
            headers=forged_headers(n),
            REMOTE_ADDR=CLIENT,
        ).status_code
        for n in range(4)
    ]
    assert 429 not in statuses[:3] and statuses[3] == 429, statuses
    other = client.post(
        url, json.dumps({}), content_type="application/json", REMOTE_ADDR="192.0.2.9"
    )
    assert other.status_code != 429
