"""The installable web app: manifest, service worker and the offline page.

- /manifest.webmanifest: name, colours (those of site/static/css/linli.css) and the icons in
  site/static/icons/ (made once with Pillow: two houses on the site's red).
- /sw.js: site/static/js/sw.js served from the root so that its scope is the whole site, with the
  list of files to precache (their real static URLs, hashed in production) and a version that
  changes whenever one of them does, so that phones pick up a new release.
- /offline/: the page the worker shows when a page cannot be loaded; it lists the drafts kept on
  the phone (site/static/js/pwa.js fills it in).
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOR = "#b3261e"  # --accent in linli.css: the header
BACKGROUND_COLOR = "#f7f6f2"  # --bg in linli.css

ICONS = [
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/icon-maskable-512.png", 512, "maskable"),
]
APPLE_TOUCH_ICON = "icons/apple-touch-icon.png"

# What a page needs to work offline: the stylesheet, the scripts and the icons. Other static
# files are cached the first time they are used.
PRECACHE_STATIC = [
    "css/linli.css",
    "js/pwa.js",
    "js/live.js",
    "js/deliberation-proposal.js",
    "js/teams-board.js",
    "js/teams-task.js",
    *(path for path, _size, _purpose in ICONS),
]
OFFLINE_URL = "/offline/"
SW_SOURCE = "js/sw.js"


@require_GET
def manifest(request):
    data = {
        "id": "/",
        "name": _("Linli"),
        "short_name": _("Linli"),
        "description": _("Residents' council and volunteer teams for your community."),
        "lang": getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {
                "src": static(path),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": purpose,
            }
            for path, size, purpose in ICONS
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response


def _read_static(path: str) -> bytes:
    found = finders.find(path)
    if not found:
        return b""
    with open(found, "rb") as handle:
        return handle.read()


def _site_static_files():
    """The site's own static files (site/static/), which the worker may have cached."""
    for folder in settings.STATICFILES_DIRS:
        folder = Path(folder[1] if isinstance(folder, tuple | list) else folder)
        yield from sorted(p for p in folder.rglob("*") if p.is_file())


def _build_worker() -> str:
    precache = [static(path) for path in PRECACHE_STATIC] + [OFFLINE_URL]
    # The version changes whenever one of the site's static files does (cached copies are then
    # dropped), and with the precache list (hashed names in production).
    digest = hashlib.sha256()
    for path in _site_static_files():
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(precache).encode())
    source = _read_static(SW_SOURCE).decode("utf-8")
    return source.replace('"__PRECACHE__"', json.dumps(precache)).replace(
        "__VERSION__", digest.hexdigest()[:12]
    )


_cached_worker = lru_cache(maxsize=1)(_build_worker)


@require_GET
def service_worker(request):
    source = _build_worker() if settings.DEBUG else _cached_worker()
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on every visit; the worker itself may control the
    # whole site although it is served from /sw.js (which it is, being at the root).
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request):
    return render(request, "offline.html")
