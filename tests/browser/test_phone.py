"""Phones: every page a resident, volunteer or team leader uses fits a 360 px screen.

No horizontal scrolling (document scrollWidth <= viewport), and every control (button, input,
select, summary, and links that stand alone rather than inside running text) is at least
44 x 44 CSS px; a checkbox or radio counts by its label. Closed <details> are opened first so
the forms inside them are measured too. The same pages stay usable at 200 % zoom (a 640 px
viewport at device scale 2) and with the large-text switch on at 360 px.
"""

import pytest

from .demo_pages import PUBLIC, ROLES, SIGNED_IN, role_id

MEASURE = r"""() => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const root = document.documentElement;
  const vw = root.clientWidth;
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true})) return false;
    return r.right > 0;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) {
      s += '.' + el.className.trim().split(/\s+/).join('.');
    }
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .trim().slice(0, 30);
    const parent = el.parentElement;
    const where = parent ? parent.tagName.toLowerCase() +
      (typeof parent.className === 'string' && parent.className.trim()
        ? '.' + parent.className.trim().split(/\s+/).join('.') : '') + ' > ' : '';
    return where + s + (text ? ' "' + text + '"' : '');
  };
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1 && !inScroller(el)) wide.push(name(el) + ' right=' + Math.round(r.right));
  }
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.closest('p, dd, td, blockquote, figcaption, .stream');
    if (!block) return false;
    return (block.innerText || '').trim().length > (el.innerText || '').trim().length + 2;
  };
  const small = [];
  const controls = document.querySelectorAll('a[href], button, input:not([type=hidden]), ' +
    'select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])');
  for (const el of controls) {
    if (el.classList.contains('skip-link')) continue;
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.closest('label') ||
        (el.id && document.querySelector('label[for="' + el.id + '"]')) || el;
    }
    if (!visible(target) || inRunningText(el)) continue;
    const r = target.getBoundingClientRect();
    if (r.width < 43.5 || r.height < 43.5) {
      small.push(name(el) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
    }
  }
  const nav = [...document.querySelectorAll('nav.main-nav a')].map((a) => {
    const r = a.getBoundingClientRect();
    return {text: a.innerText.trim(), ok: visible(a) && r.left >= 0 && r.right <= vw + 1};
  });
  return {
    vw, scrollWidth: root.scrollWidth, wide: wide.slice(0, 5), small, nav,
    largeText: root.classList.contains('large-text'),
  };
}"""


def measure_pages(page, demo_site, keys, *, label, targets=True):
    """Problems found on each page, as readable lines (empty when all is well)."""
    paths = demo_site["world"]["paths"]
    problems = []
    for key in keys:
        if not paths.get(key):
            continue
        response = page.goto(paths[key])
        where = f"{label} {key} ({paths[key]})"
        if response is None or response.status >= 400:
            problems.append(f"{where}: answered {response and response.status}")
            continue
        found = page.evaluate(MEASURE)
        if found["scrollWidth"] > found["vw"]:
            problems.append(
                f"{where}: scrolls sideways, {found['scrollWidth']} > {found['vw']} px; "
                f"sticking out: {'; '.join(found['wide']) or '?'}"
            )
        if targets:
            problems += [f"{where}: touch target under 44 px: {s}" for s in found["small"]]
        if not found["nav"] or not all(item["ok"] for item in found["nav"]):
            problems.append(f"{where}: main navigation not all on screen: {found['nav']}")
    return problems


@pytest.mark.parametrize("who", list(ROLES), ids=role_id)
def test_pages_fit_360_px_with_44_px_targets(open_demo_page, demo_site, who):
    page = open_demo_page(who, "about:blank")
    problems = measure_pages(page, demo_site, ROLES[who], label=role_id(who))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", [None, "resident1", "leader1"], ids=role_id)
def test_pages_work_at_200_percent_zoom(open_demo_page, demo_site, who):
    # A 1280 px wide window zoomed to 200 % is a 640 CSS px viewport at device scale 2.
    page = open_demo_page(who, "about:blank", width=640, height=720, scale=2)
    problems = measure_pages(page, demo_site, ROLES[who], label=f"{role_id(who)} at 200 %")
    assert not problems, "\n".join(problems)


def test_large_text_pages_fit_360_px_signed_out(open_demo_page, demo_site):
    page = open_demo_page(None, "about:blank", large_text=True)
    page.goto(demo_site["world"]["paths"]["home"])
    assert page.locator("html.large-text").count() == 1
    problems = measure_pages(page, demo_site, PUBLIC, label="anonymous, large text")
    assert not problems, "\n".join(problems)


def test_large_text_switch_without_javascript_then_pages_fit(open_demo_page, demo_site):
    """A signed-in resident turns large text on with the header button (no JavaScript at all),
    every page they use then has it and still fits 360 px; they turn it off again."""
    page = open_demo_page("resident6", "council", javascript=False)
    council = demo_site["world"]["paths"]["council"]
    assert page.locator("html.large-text").count() == 0
    button = page.locator("header .text-size-form button")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    button.click()
    page.wait_for_load_state()
    assert page.url.endswith(council), "the switch goes back to the page it was pressed on"
    assert page.locator("html.large-text").count() == 1
    try:
        problems = measure_pages(page, demo_site, SIGNED_IN, label="resident6, large text")
        assert not problems, "\n".join(problems)
    finally:
        page.goto(council)
        page.locator("header .text-size-form button").click()
        page.wait_for_load_state()
    assert page.locator("html.large-text").count() == 0
