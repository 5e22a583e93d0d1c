"""WSGI entry point: production serves HTTP with gunicorn from here (site/deploy/gunicorn.conf.py),
only /ws/ with daphne (config/asgi.py), as the Channels deployment docs describe."""

import ipaddress
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


def with_client_address(app, *, proxies: str):
    """`app`, with REMOTE_ADDR taken from the X-Real-IP header of a request from `proxies`:
    comma-separated addresses or networks, as gunicorn's FORWARDED_ALLOW_IPS ("*": any peer).

    Behind nginx every request comes from nginx's address; nginx writes the address it saw into
    X-Real-IP, over anything the client sent (site/deploy/nginx/linli.conf). The per-address rate
    limits (Linli's and allauth's) read REMOTE_ADDR, as daphne sets it for /ws/ from the same
    header (--proxy-headers-host X-Real-IP). A request from any other peer keeps its own address,
    so a client that reaches gunicorn directly cannot choose one.
    """
    any_peer = proxies.strip() == "*"
    networks = [
        ipaddress.ip_network(part.strip(), strict=False)
        for part in ("" if any_peer else proxies).split(",")
        if part.strip()
    ]

    def is_trusted(peer: str) -> bool:
        if any_peer:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return not peer  # a Unix socket: only this machine can connect
        return any(address in network for network in networks)

    def application(environ, start_response):
        real_ip = environ.get("HTTP_X_REAL_IP", "").strip()
        if real_ip and is_trusted(environ.get("REMOTE_ADDR", "")):
            environ["REMOTE_ADDR"] = real_ip
        return app(environ, start_response)

    return application


# The proxies gunicorn trusts with X-Forwarded-Proto, from the same variable and default.
FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

application = with_client_address(get_wsgi_application(), proxies=FORWARDED_ALLOW_IPS)
