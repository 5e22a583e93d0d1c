import gc
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application()

from django.conf import settings  # noqa: E402

from config import daphne_requests  # noqa: E402
from config.handlers import SyncChainASGIHandler  # noqa: E402

# Form bodies (uploads) are parsed by Django in the request's thread, not also by Twisted in the
# event loop's (config.daphne_requests).
daphne_requests.install()

# Django's ASGI handler, on long-lived request threads (config.handlers).
django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# What is loaded by now lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise walk all of Django and Wagtail and pause a live fan-out for a
# few hundred milliseconds (gen-2 pauses measured with 1,000 sockets: ~100-400 ms before,
# a fraction of it after).
gc.collect()
gc.freeze()
# And collect less often. With the default thresholds (700, 10, 10) a server holding 1,000
# WebSocket connections ran a 1-2.5 ms young collection inside nearly every API request and,
# every few seconds, a 15-90 ms full one, which lands in the middle of a live fan-out now and
# then (bench.fanout with a gc callback: 333 collections over 1 ms and 29 full ones in a
# 50-action run; 60 and 1 with these). Most garbage is freed by reference counting anyway;
# what the collector finds (cycles) waits a little longer. settings.GC_THRESHOLDS; None keeps
# the interpreter's (the test settings do: the suite imports this module too).
if settings.GC_THRESHOLDS:
    gc.set_threshold(*settings.GC_THRESHOLDS)

# The live fan-out runs in the event loop's thread, a request's Django code in a request thread
# (config.handlers), and the two take turns at the interpreter. A request thread that holds
# it when its transaction commits (it goes on building its reply) can keep the loop from
# starting the fan-out for up to the switch interval, CPython's 5 ms by default (probe in the
# daphne process, 1,000 sockets, 26 actions each: push to fan-out start within 0.6 ms for 13,
# 2-7 ms for the others; with 1 ms within 0.6 ms for 19, at most 6.3 ms).
# settings.GIL_SWITCH_INTERVAL; None keeps the interpreter's (the test settings do).
if settings.GIL_SWITCH_INTERVAL:
    sys.setswitchinterval(settings.GIL_SWITCH_INTERVAL)
