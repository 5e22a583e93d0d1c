"""A new neighbour signs up with a phone number alone, signs out, and signs in again by SMS code
straight away, on a 360 px phone. The console SMS sender of the live site writes each text to
the server's log, where the test reads the codes."""

import re
import time

PHONE = "+8613700137000"


def sms_codes(live_site) -> list[str]:
    text = live_site["log"].read_text(errors="replace")
    return re.findall(rf"SMS to {re.escape(PHONE)}: \D*(\d{{6}})", text)


def next_code(live_site, seen: int) -> str:
    """The code of the first text after the `seen` ones already read."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        codes = sms_codes(live_site)
        if len(codes) > seen:
            return codes[seen]
        time.sleep(0.1)
    raise AssertionError(f"no new SMS to {PHONE} in the server log")


def assert_signed_in(page):
    assert page.locator("body[data-user-topic]").count() == 1, page.url
    assert page.locator(".wait-message").count() == 0


def test_sign_up_with_a_phone_number_then_sign_in_again_by_sms(open_page, live_site):
    page = open_page(None, "/accounts/signup/")
    assert page.locator("details.signup-optional").get_attribute("open") is None
    page.locator("#id_phone").fill("137 0013 7000")
    page.locator("#id_display_name").fill("张大爷")
    seen = len(sms_codes(live_site))
    page.locator("form.account-form button[type=submit]").first.click()
    page.wait_for_url("**/accounts/phone/verify/")

    page.locator("input[name=code]").fill(next_code(live_site, seen))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    assert_signed_in(page)

    page.goto("/accounts/logout/")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("body[data-user-topic]").count() == 0

    page.goto("/accounts/login/")
    code_form = page.locator("form[action='/accounts/login/code/']")
    code_form.locator("#id_code_phone").fill("13700137000")
    seen = len(sms_codes(live_site))
    with page.expect_navigation() as sent:
        code_form.locator("button[type=submit]").click()
    assert sent.value.status == 200
    page.wait_for_url("**/accounts/login/code/confirm/**")

    page.locator("input[name=code]").fill(next_code(live_site, seen))
    with page.expect_navigation() as confirmed:
        page.locator("input[name=code]").press("Enter")
    assert confirmed.value.status == 200
    page.wait_for_url(lambda url: "/accounts/" not in url)
    assert_signed_in(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
