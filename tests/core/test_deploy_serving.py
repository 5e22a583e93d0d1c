"""The production layout of site/deploy: gunicorn serves HTTP from config/wsgi.py, daphne only
/ws/ from config/asgi.py, as the Channels deployment docs describe."""

import re

from django.conf import settings

from config.wsgi import with_client_address
from tests.core.test_client_address import gunicorn_from_unit, proxied_locations

DEPLOY = settings.BASE_DIR / "site" / "deploy"


def test_gunicorn_runs_threaded_workers_of_the_wsgi_application():
    cfg = gunicorn_from_unit()
    assert cfg.wsgi_app == "config.wsgi:application"
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads > 1
    # Each worker opens its own database pool, after the fork.
    assert cfg.preload_app is False


def test_gunicorn_behind_nginx_writes_no_access_log_of_its_own():
    # nginx keeps the access log, with password-reset keys taken out of the paths.
    assert gunicorn_from_unit().accesslog is None


def test_nginx_sends_websockets_to_daphne_and_everything_else_to_gunicorn():
    conf = re.sub(r"#[^\n]*", "", (DEPLOY / "nginx" / "linli.conf").read_text())
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", conf))
    gunicorn = gunicorn_from_unit()
    assert re.findall(r"server\s+([\d.:]+)", upstreams["linli_web"]) == [
        f"{host}:{port}" for host, port in gunicorn.address
    ]
    assert re.findall(r"server\s+127\.0\.0\.1:(\d+)", upstreams["linli_daphne"])
    assert {location: upstream for location, (upstream, _) in proxied_locations().items()} == {
        "/ws/": "linli_daphne",
        "/": "linli_web",
    }


def test_the_target_starts_gunicorn_and_every_unit_is_part_of_it():
    target = (DEPLOY / "systemd" / "linli.target").read_text()
    assert "linli-web.service" in re.search(r"^Wants=(.*)$", target, re.M).group(1)
    for unit in ("linli-web.service", "linli-daphne@.service"):
        text = (DEPLOY / "systemd" / unit).read_text()
        assert "PartOf=linli.target" in text, unit
        assert "linli.target" in re.search(r"^WantedBy=(.*)$", text, re.M).group(1), unit


def client_address(proxies: str, peer: str, real_ip: str = "203.0.113.7") -> str:
    seen = []
    app = with_client_address(lambda environ, start_response: seen.append(environ), proxies=proxies)
    app({"REMOTE_ADDR": peer, "HTTP_X_REAL_IP": real_ip}, None)
    return seen[0]["REMOTE_ADDR"]


def test_the_wsgi_application_takes_the_address_from_trusted_proxies_only():
    assert client_address("127.0.0.1,::1", "127.0.0.1") == "203.0.113.7"
    assert client_address("127.0.0.1,::1", "::1") == "203.0.113.7"
    assert client_address("127.0.0.1,::1", "198.51.100.66") == "198.51.100.66"
    assert client_address("10.0.0.0/8", "10.1.2.3") == "203.0.113.7"
    assert client_address("10.0.0.0/8", "11.1.2.3") == "11.1.2.3"
    assert client_address("*", "198.51.100.66") == "203.0.113.7"
    assert client_address("127.0.0.1", "") == "203.0.113.7"  # a Unix socket
    assert client_address("127.0.0.1", "127.0.0.1", real_ip="") == "127.0.0.1"
