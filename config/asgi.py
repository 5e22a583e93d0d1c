"""ASGI entry point, as the Channels docs lay it out: Django's own ASGI application for HTTP,
Channels' routing for /ws/. Production runs it in daphne for /ws/ only (gunicorn serves HTTP
from config/wsgi.py); `make run` serves everything from one daphne process with it."""

import gc
import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# Set up Django (the app registry) before importing code that imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# A server process holds thousands of long-lived objects (Django, Wagtail, every open
# WebSocket) and sends each live event to many sockets from the event loop; a full pass of the
# garbage collector over all of that stops the loop in the middle of such a fan-out. What is
# loaded by now lives as long as the process, so it is moved out of the collector's sight, and
# collections run less often (settings.GC_THRESHOLDS): most garbage is freed by reference
# counting anyway, and the cycles the collector finds can wait a little longer. None keeps the
# interpreter's defaults (the test settings do, as the suite imports this module too).
if settings.GC_THRESHOLDS:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*settings.GC_THRESHOLDS)

# The fan-out runs in the event loop's thread; Django code (HTTP views under `make run`, the
# consumers' database work) runs in worker threads, and the threads take turns at the
# interpreter. A worker thread holding it when a transaction commits keeps the loop from
# starting that event's fan-out for up to the switch interval; a shorter one
# (settings.GIL_SWITCH_INTERVAL, seconds) lets the loop in sooner. None keeps the interpreter's.
if settings.GIL_SWITCH_INTERVAL:
    sys.setswitchinterval(settings.GIL_SWITCH_INTERVAL)
