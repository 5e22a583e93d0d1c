"""The site has a favicon of its own: an SVG (the app icon's two houses on the red) with the
PNG icons beside it, linked from every page."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

pytestmark = pytest.mark.django_db

SVG = "icons/favicon.svg"


def test_every_page_links_the_svg_favicon_and_the_apple_touch_icon():
    html = Client().get("/").content.decode()
    assert f'<link rel="icon" href="{static(SVG)}" type="image/svg+xml">' in html
    assert f'href="{static("icons/icon-192.png")}" type="image/png"' in html
    assert f'<link rel="apple-touch-icon" href="{static("icons/apple-touch-icon.png")}">' in html


def test_the_favicon_is_a_small_square_svg_in_the_site_colour():
    path = finders.find(SVG)
    assert path, "site/static/icons/favicon.svg is missing"
    text = Path(path).read_text(encoding="utf-8")
    assert len(text) < 2000
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 192 192"
    assert "#b3261e" in text  # THEME_COLOR of core/pwa.py
    assert "<script" not in text


def test_apple_touch_icon_is_180_px():
    path = finders.find("icons/apple-touch-icon.png")
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == 180
    assert int.from_bytes(head[20:24], "big") == 180
