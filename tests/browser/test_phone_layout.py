"""The app-like phone layout: a compact header and a bottom tab bar (issue #25, point 5).

On a 360 x 800 phone, with large text off and on, signed out and signed in: the header takes at
most 120 px (15 % of the screen); the four tabs (首页 / 议事 / 求助 / 我的) sit in a bar fixed
to the bottom, each at least 44 px and labelled, the current one marked (aria-current and a
visible style); the end of every page scrolls clear of the bar; axe-core finds nothing serious.
The bar works without JavaScript, a wide screen shows the navigation at the top, and live.js is
loaded at most once on any page.
"""

import pytest

from .conftest import site_shell
from .demo_pages import PUBLIC, SIGNED_IN
from .test_accessibility import axe_path, describe, run_axe  # noqa: F401  (axe_path: fixture)

pytestmark = pytest.mark.browser

HEADER_MAX = 120  # 15 % of an 800 px tall screen
TAB_BAR = "header.site-header nav.tab-bar"
# A resident no other browser test uses: their saved large-text choice is switched here.
LARGE_TEXT_PERSON = "resident5"

SET_LARGE_TEXT = r"""
from accounts.models import User
User.objects.filter(email="{who}@example.com").update(large_text={on})
print("DONE=1")
"""

LAYOUT = r"""() => {
  const header = document.querySelector('header.site-header').getBoundingClientRect();
  const bar = document.querySelector('header.site-header nav.tab-bar');
  const barBox = bar.getBoundingClientRect();
  const tabs = [...bar.querySelectorAll('a')].map((a) => {
    const r = a.getBoundingClientRect();
    const style = getComputedStyle(a);
    return {
      text: a.innerText.trim(), href: a.getAttribute('href'),
      width: r.width, height: r.height, current: a.getAttribute('aria-current'),
      color: style.color, background: style.backgroundColor, icon: !!a.querySelector('svg use'),
    };
  });
  return {
    header: header.height, barTop: barBox.top, barBottom: barBox.bottom,
    barPosition: getComputedStyle(bar).position, tabs,
    viewport: window.innerHeight,
    largeText: document.documentElement.classList.contains('large-text'),
  };
}"""

# Scrolled to the very end: the last thing in <main> and in the footer are above the bar.
END_CLEAR = r"""() => {
  window.scrollTo(0, document.documentElement.scrollHeight);
  const bar = document.querySelector('header.site-header nav.tab-bar').getBoundingClientRect();
  const last = (el) => {
    while (el && el.lastElementChild) el = el.lastElementChild;
    return el;
  };
  const bottoms = [document.querySelector('main'), document.querySelector('footer')]
    .map((el) => last(el)).filter(Boolean)
    .map((el) => ({what: el.tagName + '.' + el.className,
                   bottom: el.getBoundingClientRect().bottom}));
  return {barTop: bar.top, bottoms};
}"""

HEADER_CONTROLS = r"""() => [...document.querySelectorAll(
    'header.site-header a[href], header.site-header button')].filter((el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && el.checkVisibility({visibilityProperty: true});
}).map((el) => {
  const r = el.getBoundingClientRect();
  return {what: el.id || el.className || el.tagName, text: el.innerText.trim(),
          width: r.width, height: r.height};
})"""

# The tab labels in Chinese, or in English while their translation is not yet compiled.
TAB_NAMES = (["首页", "议事", "求助", "我的"], ["Home", "Council", "Get help", "Me"])
HOME, COUNCIL, HELP, ME = range(4)


@pytest.fixture
def large_text_person(demo_site):
    site_shell(demo_site, SET_LARGE_TEXT.format(who=LARGE_TEXT_PERSON, on=True), "DONE")
    yield LARGE_TEXT_PERSON
    site_shell(demo_site, SET_LARGE_TEXT.format(who=LARGE_TEXT_PERSON, on=False), "DONE")


def current_tab(layout):
    """The indexes of the tabs marked as the current page."""
    return [i for i, tab in enumerate(layout["tabs"]) if tab["current"] == "page"]


def check_phone_page(page, where, *, large_text):
    """Problems of the page now open, as readable lines."""
    layout = page.evaluate(LAYOUT)
    problems = []
    if layout["largeText"] != large_text:
        problems.append(f"{where}: large text is {layout['largeText']}, expected {large_text}")
    if layout["header"] > HEADER_MAX:
        problems.append(f"{where}: header is {layout['header']:.0f} px tall (> {HEADER_MAX})")
    if layout["barPosition"] != "fixed" or abs(layout["barBottom"] - layout["viewport"]) > 1:
        problems.append(f"{where}: the tab bar is not fixed to the bottom: {layout}")
    texts = [tab["text"] for tab in layout["tabs"]]
    if texts not in TAB_NAMES:
        problems.append(f"{where}: tabs are {texts}, expected {TAB_NAMES}")
    for tab in layout["tabs"]:
        if tab["height"] < 44 or tab["width"] < 44 or not tab["icon"]:
            problems.append(f"{where}: tab {tab['text']} is {tab['width']:.0f}x{tab['height']:.0f}")
    for control in page.evaluate(HEADER_CONTROLS):
        if control["width"] < 43.5 or control["height"] < 43.5:
            problems.append(f"{where}: header control under 44 px: {control}")
    end = page.evaluate(END_CLEAR)
    for item in end["bottoms"]:
        if item["bottom"] > end["barTop"] + 0.5:
            problems.append(f"{where}: {item['what']} ends under the tab bar: {end}")
    return problems, layout


PAGES = [  # (demo path key, the tab marked current there)
    ("home", HOME),
    ("council", COUNCIL),
    ("needs", HELP),
    ("profile", ME),
    ("my_tasks", ME),
    ("notifications", ME),
    ("my_activities", ME),
    ("records", ME),
    ("activity", None),
]


@pytest.mark.parametrize("large_text", [False, True], ids=["normal text", "large text"])
def test_phone_header_and_tab_bar_signed_in(
    open_demo_page, demo_site, large_text_person, large_text
):
    who = large_text_person if large_text else "resident1"
    page = open_demo_page(who, "about:blank")
    paths = demo_site["world"]["paths"]
    problems = []
    for key, tab in PAGES:
        page.goto(paths[key])
        found, layout = check_phone_page(page, f"{who} {key}", large_text=large_text)
        problems += found
        if current_tab(layout) != ([] if tab is None else [tab]):
            problems.append(f"{who} {key}: current tab {current_tab(layout)}, expected {tab}")
        elif tab is not None:
            marked = next(t for t in layout["tabs"] if t["current"])
            other = next(t for t in layout["tabs"] if not t["current"])
            if (marked["color"], marked["background"]) == (other["color"], other["background"]):
                problems.append(f"{who} {key}: the current tab looks like the others")
    assert not problems, "\n".join(problems)
    # The bell with its unread badge is in the header; no sign-out there on a phone.
    assert page.locator("header #nav-notifications").is_visible()
    assert page.locator("header [data-unread-count]").count() == 1
    assert not page.locator("header form[action$='/logout/'] button").is_visible()
    page.goto(paths["council"])
    page.screenshot(path=f"/tmp/phone-layout-360{'-large' if large_text else ''}.png")


@pytest.mark.parametrize("large_text", [False, True], ids=["normal text", "large text"])
def test_phone_header_and_tab_bar_signed_out(open_demo_page, demo_site, large_text):
    page = open_demo_page(None, "about:blank", large_text=large_text)
    paths = demo_site["world"]["paths"]
    problems = []
    for key, tab in [
        ("home", HOME),
        ("council", COUNCIL),
        ("teams", None),
        ("login", ME),
        ("verify", None),
    ]:
        page.goto(paths[key])
        found, layout = check_phone_page(page, f"anonymous {key}", large_text=large_text)
        problems += found
        if current_tab(layout) != ([] if tab is None else [tab]):
            problems.append(f"anonymous {key}: current tab {current_tab(layout)}, expected {tab}")
    assert not problems, "\n".join(problems)
    assert page.locator("header a.sign-in-link").is_visible()
    assert page.locator("header #nav-notifications").count() == 0


def test_staff_header_fits_a_phone(open_demo_page, demo_site):
    page = open_demo_page("staff", "managed")
    problems, _layout = check_phone_page(page, "staff managed", large_text=False)
    assert not problems, "\n".join(problems)
    page.goto(demo_site["world"]["paths"]["profile"])
    page.screenshot(path="/tmp/phone-layout-360-staff-profile.png", full_page=True)


@pytest.mark.parametrize("large_text", [False, True], ids=["normal text", "large text"])
def test_tab_pages_pass_axe(open_demo_page, demo_site, axe_path, large_text_person, large_text):  # noqa: F811
    who = large_text_person if large_text else "resident1"
    page = open_demo_page(who, "about:blank", bypass_csp=True)
    paths = demo_site["world"]["paths"]
    failures = []
    for key, _tab in PAGES:
        page.goto(paths[key])
        failures += describe(f"{who} {key}", run_axe(page, axe_path))
    assert not failures, "\n".join(failures)


def test_profile_page_reaches_everything_the_header_no_longer_shows(open_demo_page, demo_site):
    page = open_demo_page("staff", "profile", locale="en")
    links = page.locator("main .me-link-list a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for path in (
        "/council/mine/",
        "/teams/my/tasks/",
        "/teams/my/hours/",
        "/teams/needs/",
        "/teams/",
        "/live/notifications/",
        "#settings",
        "/communities/managed/",
        "/communities/",
    ):
        assert path in hrefs, (path, hrefs)
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (hrefs[i], box)
    sign_out = page.locator("main form.sign-out-form button")
    assert sign_out.is_visible()
    assert sign_out.bounding_box()["height"] >= 44


def test_tab_bar_works_without_javascript(open_demo_page, demo_site):
    page = open_demo_page("resident1", "home", javascript=False)
    assert page.locator("html[data-live]").count() == 0
    bar = page.locator(TAB_BAR)
    tabs = bar.locator("a")
    for index, url in ((COUNCIL, "**/council/"), (ME, "**/me/"), (HOME, demo_site["url"] + "/")):
        tabs.nth(index).click()
        page.wait_for_url(url)
        assert tabs.nth(index).get_attribute("aria-current") == "page"
        assert bar.locator("a[aria-current]").count() == 1
    page.goto("/me/")
    assert page.locator("main .me-link-list a").first.is_visible()


@pytest.mark.parametrize("who", [None, "resident1"], ids=["anonymous", "resident1"])
def test_wide_screen_has_the_navigation_at_the_top(open_demo_page, who):
    page = open_demo_page(who, "council", width=1280)
    bar = page.locator(TAB_BAR)
    assert bar.evaluate("(el) => getComputedStyle(el).position") != "fixed"
    box = bar.bounding_box()
    assert box["y"] < 200, box
    header = page.locator("header.site-header").bounding_box()
    assert box["y"] + box["height"] <= header["y"] + header["height"] + 1
    tabs = bar.locator("a")
    assert tabs.count() == 4
    for index in range(4):
        assert tabs.nth(index).is_visible(), index
    assert tabs.nth(COUNCIL).get_attribute("aria-current") == "page"
    for name in ("社区", "志愿服务队"):
        assert page.locator("header.site-header nav.more-nav a", has_text=name).is_visible(), name
    if who:
        assert page.locator("header form[action$='/logout/'] button").is_visible()
    page.screenshot(path=f"/tmp/phone-layout-1280-{who or 'anonymous'}.png")


def test_live_js_is_loaded_at_most_once(open_demo_page, demo_site):
    paths = demo_site["world"]["paths"]
    problems = []
    for who, keys in ((None, PUBLIC), ("leader1", [*SIGNED_IN, "team_board"])):
        page = open_demo_page(who, "about:blank", javascript=False)
        for key in keys:
            if not paths.get(key):
                continue
            page.goto(paths[key])
            scripts = page.eval_on_selector_all(
                "script[src]", "(els) => els.map((el) => el.getAttribute('src'))"
            )
            repeated = {src for src in scripts if scripts.count(src) > 1}
            if repeated:
                problems.append(f"{who} {key}: loads {repeated} more than once")
            live = [src for src in scripts if src.endswith("js/live.js")]
            if who and (len(live) != 1 or not any("header-counts.js" in s for s in scripts)):
                problems.append(f"{who} {key}: live.js and header-counts.js not both loaded")
        if who is None:
            page.goto(paths["proposal"])
            assert page.locator("script[src$='js/live.js']").count() == 1, "visitors follow live"
    assert not problems, "\n".join(problems)
