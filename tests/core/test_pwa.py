"""The installable web app (core/pwa.py): manifest, icons, service worker, offline page, CSP."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation
from PIL import Image

from core import pwa

pytestmark = pytest.mark.django_db


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def css_variable(name: str) -> str:
    with open(finders.find("css/linli.css"), encoding="utf-8") as handle:
        match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{3,6}})", handle.read())
    return match.group(1).lower()


def test_manifest_is_served_with_its_content_type():
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "邻里"
    assert data["short_name"] == "邻里"
    assert data["start_url"] == "/"
    assert data["scope"] == "/"
    assert data["display"] == "standalone"
    assert data["theme_color"] == css_variable("accent")
    assert data["background_color"] == css_variable("bg")


def test_manifest_follows_the_language():
    client = Client()
    client.cookies["django_language"] = "en"
    data = json.loads(client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="en").content)
    assert data["name"] == "Linli"


def test_manifest_icons_are_pngs_of_their_sizes():
    data = json.loads(Client().get("/manifest.webmanifest").content)
    purposes = set()
    sizes = set()
    for icon in data["icons"]:
        assert icon["type"] == "image/png"
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        with Image.open(path) as image:
            assert image.format == "PNG"
            width, height = (int(n) for n in icon["sizes"].split("x"))
            assert image.size == (width, height)
            if icon["purpose"] == "maskable":
                # Full bleed: no transparent corners for the launcher to show.
                assert image.convert("RGBA").getpixel((0, 0))[3] == 255
        purposes.add(icon["purpose"])
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert {"any", "maskable"} <= purposes


def test_pages_link_the_manifest_icon_and_theme_colour():
    page = Client().get("/teams/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert f'<meta name="theme-color" content="{pwa.THEME_COLOR}">' in page
    assert 'rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png"' in page
    assert '<script src="/static/js/pwa.js" defer></script>' in page
    assert '<script src="/jsi18n/?v=zh-hans" defer></script>' in page
    with Image.open(finders.find(pwa.APPLE_TOUCH_ICON)) as image:
        assert image.size == (180, 180)


def test_service_worker_is_served_from_the_root():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"
    source = response.content.decode()
    assert "__VERSION__" not in source and "__PRECACHE__" not in source
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", source).group(1))
    assert "/static/css/linli.css" in precache
    assert "/static/js/pwa.js" in precache
    assert "/offline/" in precache
    for url in precache:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    # Pages network first with the offline fallback; static files cache first.
    assert "offlinePage()" in source and "cacheFirst(request)" in source


def test_service_worker_version_follows_the_files(settings, tmp_path):
    def version():
        return re.search(r'var VERSION = "(\w+)";', pwa._build_worker()).group(1)

    first = version()
    assert first == version()
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]
    (tmp_path / "new.js").write_text("// a new script")
    assert version() != first


def test_offline_page_is_chinese_by_default_and_personless(django_user_model):
    response = Client().get("/offline/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "<title>" in page and "邻里" in page
    with translation.override("zh-hans"):
        # The page's own words, in whatever the zh-hans catalogue says (see notes/po/pwa.po).
        for text in ("No connection", "Try again", "Kept on this phone"):
            assert translation.gettext(text) in page
    assert "data-draft-list" in page
    assert "/static/js/pwa.js" in page
    # The worker caches it for everyone: nothing about who fetched it.
    user = django_user_model.objects.create_user(
        email="someone@example.com", password="pw-123456", display_name="某某人"
    )
    client = Client()
    client.force_login(user)
    assert "某某人" not in client.get("/offline/").content.decode()


def test_csp_lets_the_worker_and_manifest_load():
    for path in ("/sw.js", "/manifest.webmanifest", "/offline/"):
        d = directives(Client().get(path)["Content-Security-Policy"])
        assert d["worker-src"] == ["'self'"], path
        assert d["manifest-src"] == ["'self'"], path
        assert d["script-src"] == ["'self'"], path


def test_no_inline_scripts_in_the_pwa_pages():
    for path in ("/offline/", "/teams/"):
        page = Client().get(path).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
