"""axe-core (npm package, injected from node_modules) over every public and resident page.

Signed out, as a resident and as a team leader (plus a volunteer on the team pages and staff on
the site's staff pages), on the demo site (tests/browser/demo_pages.py lists them). A page
fails on any violation of impact "serious" or "critical"; the message names the page, the rule
and the elements. A compact summary (page -> violation counts by impact, moderate and minor
included) is printed.

The site's Content-Security-Policy forbids inline and injected scripts, so only these contexts
bypass it (bypass_csp=True); every other browser test runs under the real policy.
"""

import os
from collections import Counter
from pathlib import Path

import pytest

from .demo_pages import ROLES, role_id

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
IMPACTS = ("critical", "serious", "moderate", "minor")

RUN_AXE = """async () => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ')),
  }));
}"""


@pytest.fixture(scope="module")
def axe_path():
    if not AXE.exists():
        message = "axe-core is missing: run `npm ci` (make test does it)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return str(AXE)


def run_axe(page, axe_path):
    page.add_script_tag(path=axe_path)
    return page.evaluate(RUN_AXE)


def describe(label, violations):
    return [
        f"{label}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'][:5])}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


def summary_line(label, violations):
    counts = Counter(v["impact"] for v in violations)
    found = ", ".join(f"{counts[i]} {i}" for i in IMPACTS if counts[i]) or "no violations"
    return f"  {label:<34} {found}"


def check_pages(open_demo_page, demo_site, axe_path, who, keys, *, large_text=False):
    paths = demo_site["world"]["paths"]
    keys = [key for key in keys if paths.get(key)]
    page = open_demo_page(who, "about:blank", bypass_csp=True, large_text=large_text)
    failures, lines = [], []
    for key in keys:
        response = page.goto(paths[key])
        label = f"{who or 'anonymous'} {key}" + (" (large text)" if large_text else "")
        assert response is not None and response.status < 400, (
            f"{label}: {paths[key]} answered {response and response.status}"
        )
        violations = run_axe(page, axe_path)
        lines.append(summary_line(label, violations))
        failures += describe(label, violations)
    return failures, lines


def report(capsys, title, lines):
    with capsys.disabled():
        print(f"\naxe-core {title}:")
        print("\n".join(lines))


@pytest.mark.parametrize("who", list(ROLES), ids=role_id)
def test_no_serious_or_critical_violations(open_demo_page, demo_site, axe_path, capsys, who):
    failures, lines = check_pages(open_demo_page, demo_site, axe_path, who, ROLES[who])
    report(capsys, f"({who or 'signed out'}, 360 px)", lines)
    assert not failures, "\n".join(failures)


def test_no_serious_or_critical_violations_with_large_text(
    open_demo_page, demo_site, axe_path, capsys
):
    keys = ["home", "council", "proposal", "teams", "task", "login", "signup"]
    failures, lines = check_pages(open_demo_page, demo_site, axe_path, None, keys, large_text=True)
    report(capsys, "(signed out, large text, 360 px)", lines)
    assert not failures, "\n".join(failures)


def assert_error_tied(page, selector):
    """The invalid input says so and points at a visible error message."""
    field = page.locator(selector)
    assert field.get_attribute("aria-invalid") == "true", f"{selector} is not marked invalid"
    described = (field.get_attribute("aria-describedby") or "").split()
    assert described, f"{selector} has no aria-describedby"
    texts = []
    for ref in described:
        target = page.locator(f"[id='{ref}']")
        assert target.count() == 1, f"{selector}: aria-describedby names missing #{ref}"
        texts.append(target.inner_text().strip())
    errors = [ref for ref in described if "error" in ref]
    assert errors, f"{selector}: aria-describedby {described} names no error message"
    error = page.locator(f"[id='{errors[0]}']")
    assert error.is_visible() and error.inner_text().strip(), f"{selector}: error is empty"
    return error.inner_text().strip()


def test_propose_form_errors_are_tied_to_their_fields(open_demo_page, demo_site, axe_path, capsys):
    page = open_demo_page("resident2", "propose", bypass_csp=True)
    page.locator("#id_title").fill("")
    page.locator("form.proposal-form").evaluate("(form) => { form.noValidate = true; }")
    page.locator("form.proposal-form [type=submit]").first.click()
    page.wait_for_load_state()
    assert_error_tied(page, "#id_title")
    violations = run_axe(page, axe_path)
    report(capsys, "(propose form with errors)", [summary_line("resident2 propose", violations)])
    assert not describe("propose form with errors", violations)


def test_signup_phone_error_is_tied_to_the_field(open_demo_page, demo_site, axe_path, capsys):
    page = open_demo_page(None, "signup", bypass_csp=True)
    # phone first: the e-mail address and password are optional, folded away
    page.locator("#id_display_name").fill("新邻居")
    page.locator("#id_phone").fill("12345")
    page.locator("form").filter(has=page.locator("#id_phone")).evaluate(
        "(form) => { form.noValidate = true; }"
    )
    page.locator("form").filter(has=page.locator("#id_phone")).locator("[type=submit]").click()
    page.wait_for_load_state()
    assert_error_tied(page, "#id_phone")
    violations = run_axe(page, axe_path)
    report(capsys, "(sign-up form with errors)", [summary_line("anonymous signup", violations)])
    assert not describe("sign-up form with errors", violations)
