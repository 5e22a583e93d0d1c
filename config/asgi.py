import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application()

from config.middleware import SyncChainASGIHandler  # noqa: E402

# Django's ASGI handler, with middleware and view in one worker-thread call per request.
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
