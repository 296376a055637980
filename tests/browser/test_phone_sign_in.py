"""A member signs in on her phone (Russian, 390 px) with her number as she
writes it, and her pages come gzipped, with the stylesheet cached."""

from __future__ import annotations

from coop.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot

RESOURCES = """() => performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/static/'))
    .map(e => ({name: e.name, transfer: e.transferSize, encoded: e.encodedBodySize,
                decoded: e.decodedBodySize}))"""
NAVIGATION = """() => { const e = performance.getEntriesByType('navigation')[0];
    return {transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize}; }"""


def test_a_member_signs_in_with_her_local_number_on_a_phone(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login")
    assert "Войти" in page.inner_text("main") or "Вход" in page.inner_text("main")
    # a wrong password first: a message in Russian, and she stays on the page
    page.fill("input[name=login]", "0555 10 00 03")
    page.fill("input[name=password]", "not-her-password")
    page.click("form.narrow button[type=submit]")
    assert "Неверный логин или пароль" in page.inner_text("main")
    screenshot(page, "phone-sign-in-wrong-ru")
    # her number as she writes it, with the trunk 0 and spaces
    page.fill("input[name=login]", "0555 10 00 03")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()
    assert "Нурила Асанова" in page.inner_text("body")
    assert "/login" not in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone-signed-in-dashboard-ru")

    dashboard = page.evaluate(NAVIGATION)
    assert 0 < dashboard["encoded"] < dashboard["decoded"] * 0.6, dashboard  # gzipped

    # the next page: the stylesheet comes from the cache, not over the air
    page.click("nav.tabs a >> nth=1")
    page.wait_for_load_state()
    second = page.evaluate(NAVIGATION)
    styles = page.evaluate(RESOURCES)
    print(f"\ndashboard: {dashboard}; next page {page.url}: {second}; static: {styles}")
    assert styles and all(s["transfer"] == 0 and s["decoded"] > 0 for s in styles), styles
    assert second["transfer"] < 10 * 1024
    screenshot(page, "phone-second-page-ru")
    context.close()
