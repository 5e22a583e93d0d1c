"""gunicorn settings of Linli's HTTP server (systemd/linli-web.service): every page, the API,
allauth and the Wagtail admin, from config/wsgi.py. nginx sends /ws/ to daphne instead.

Linli's views are synchronous Django, so gunicorn's threaded workers (gthread) fit: a thread per
request, a few per process to overlap database waits, one process per core for the rest. Every
value can be changed by the environment (/etc/linli/linli.env):

  GUNICORN_BIND          address to listen on (default 127.0.0.1:8000; keep it on loopback or a
                         Unix socket that only nginx reaches, see FORWARDED_ALLOW_IPS)
  WEB_CONCURRENCY        worker processes (default: one per CPU core)
  GUNICORN_THREADS       threads per worker (default 4); keep DATABASE_POOL_MAX_SIZE at least this
  FORWARDED_ALLOW_IPS    addresses of nginx (default 127.0.0.1,::1): gunicorn trusts their
                         X-Forwarded-Proto, config/wsgi.py their X-Real-IP
"""

import os

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A stop or reload lets requests in flight finish; systemd's TimeoutStopSec is longer.
graceful_timeout = 20
# nginx keeps idle connections to gunicorn open for the next request (upstream keepalive, closed
# by nginx after 60 s): gunicorn waits longer, so that it never closes one as nginx reuses it.
keepalive = 75
# Each worker opens its own database pool after the fork: nothing is shared with the arbiter.
preload_app = False
# nginx keeps the access log, with password-reset keys taken out of the paths (linli.conf);
# gunicorn's own would print them. Errors go to the journal.
accesslog = None
errorlog = "-"
proc_name = "linli-web"
# systemd starts, reloads (SIGHUP) and stops it; no control socket in the home directory of the
# linli user, which is the code checkout.
control_socket_disable = True
