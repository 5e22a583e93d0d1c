"""One date format per language on every page: core/formats makes the short formats the long
ones, templates ask only for the named formats, and dates.js (Linli.formatDate) writes what
Django writes, from the JavaScript catalog's formats, in the site's time zone whatever the
browser's.
"""

import datetime
import os
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ORIGIN = "http://linli.test"
ROOT = Path(settings.BASE_DIR)

# UTC instants; Shanghai is UTC+8: a morning, midnight, noon, an evening, one-digit months
# and days, and the English month abbreviations that are not three letters and a point.
INSTANTS = [
    datetime.datetime(2026, 12, 6, 23, 14, 12, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 6, 16, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 7, 4, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 1, 5, 13, 5, 9, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 9, 23, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 5, 31, 16, 59, tzinfo=datetime.UTC),
    datetime.datetime(2026, 9, 15, 5, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 6, 30, 19, 30, tzinfo=datetime.UTC),
]


def django_format(moment, name, language):
    with translation.override(language):
        return formats.date_format(timezone.localtime(moment), name)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_short_formats_are_the_long_ones(language):
    with translation.override(language):
        assert formats.get_format("SHORT_DATETIME_FORMAT") == formats.get_format("DATETIME_FORMAT")
        assert formats.get_format("SHORT_DATE_FORMAT") == formats.get_format("DATE_FORMAT")


def test_the_formats_of_each_language():
    moment = INSTANTS[0]  # 2026-12-07 07:14 in Shanghai
    assert django_format(moment, "DATETIME_FORMAT", "zh-hans") == "2026年12月7日 07:14"
    assert django_format(moment, "SHORT_DATETIME_FORMAT", "zh-hans") == "2026年12月7日 07:14"
    assert django_format(moment, "DATE_FORMAT", "zh-hans") == "2026年12月7日"
    assert django_format(moment, "SHORT_DATETIME_FORMAT", "en") == "Dec. 7, 2026, 7:14 a.m."
    assert django_format(moment, "SHORT_DATE_FORMAT", "en") == "Dec. 7, 2026"


NAMED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
}


def test_templates_ask_for_named_formats_only():
    """A literal format (|date:"Y/m/d") would be a second format; machine-readable ones (c,
    Y-m-d) only inside datetime="" or data-* attributes, for scripts."""
    wrong = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"""\|date:(["'])(.*?)\1""", text):
            if match.group(2) in NAMED:
                continue
            if match.group(2) in ("c", "Y-m-d") and re.search(
                r'(datetime|data-[a-z-]+)="[^"]*$', text[: match.start()]
            ):
                continue
            wrong.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for match in re.finditer(r"\|(time|naturaltime|naturalday|timesince)\b", text):
            wrong.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not wrong


def test_scripts_use_the_shared_formatter():
    """The browser's own formats (toLocaleString: 2026/12/6 23:17:12) differ from the pages'."""
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "site/static/js").rglob("*.js")
        if re.search(r"toLocale(Date|Time)?String|Intl\.DateTimeFormat\(\s*\)", path.read_text())
    ]
    assert not found


def in_browser(scenario):
    """Run `scenario(page)` in Chromium in a thread of its own (see tests/live/test_live_js.py)."""
    if os.environ.get("REQUIRE_BROWSER") != "1" and not os.path.exists(CHROMIUM):
        pytest.skip("needs /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    outcome = {}

    def session():
        try:
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    # A browser far from Shanghai: the pages' zone must win.
                    scenario(browser.new_page(timezone_id="America/New_York", locale="en-US"))
                finally:
                    browser.close()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=session, name="playwright", daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_scripts_write_dates_as_django_does(language):
    catalog = Client().get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE=language)
    assert catalog.status_code == 200
    dates = (ROOT / "site/static/js/dates.js").read_text()
    page_html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="time-zone" content="{settings.TIME_ZONE}"><script src="/jsi18n/"></script>'
        '<script src="/static/js/dates.js"></script></head><body></body></html>'
    )
    isos = [moment.isoformat() for moment in INSTANTS]
    expected = [
        [django_format(m, "DATETIME_FORMAT", language) for m in INSTANTS],
        [django_format(m, "DATE_FORMAT", language) for m in INSTANTS],
    ]
    seen = {}

    def scenario(page):
        routes = {
            f"{ORIGIN}/": (page_html, "text/html; charset=utf-8"),
            f"{ORIGIN}/jsi18n/": (catalog.content.decode(), "text/javascript"),
            f"{ORIGIN}/static/js/dates.js": (dates, "text/javascript"),
        }

        def serve(body, kind):
            return lambda route: route.fulfill(body=body, content_type=kind)

        for url, (body, kind) in routes.items():
            page.route(url, serve(body, kind))
        page.goto(f"{ORIGIN}/")
        seen["result"] = page.evaluate(
            """isos => ["DATETIME_FORMAT", "DATE_FORMAT"].map(
                   name => isos.map(iso => window.Linli.formatDate(iso, name)))""",
            isos,
        )
        seen["bad"] = page.evaluate("['', 'x'].map(v => window.Linli.formatDate(v, 'DATE_FORMAT'))")

    in_browser(scenario)
    assert seen["result"] == expected
    assert seen["bad"] == ["", ""]
