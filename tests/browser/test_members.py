from __future__ import annotations

from coop.demo import DEMO_PASSWORD, KG_GROUP
from tests.browser.conftest import screenshot


def sign_in(page, base: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.narrow button[type=submit]")


def test_treasurer_signs_in_switches_to_russian_and_sees_members(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "mairam@coop.example")
    # on a phone the group name in the header opens the overview; the tabs hold the rest
    assert "Rounds" in page.inner_text("nav.tabs")
    screenshot(page, "dashboard-en")

    page.select_option("#lang-select", "ru")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert "Участницы" in page.inner_text("nav.tabs") or "Участники" in page.inner_text(
        "nav.tabs")

    page.click("nav.tabs >> text=/Участ/")
    page.wait_for_load_state()
    body = page.inner_text("main")
    assert "Айгүл Токтогулова" in body
    assert "Бүбүсара Жумабекова" in body
    assert "Казначей" in body
    assert KG_GROUP in page.inner_text("header")
    screenshot(page, "members-ru")


def test_wrong_password_shows_a_message_in_the_page(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", "mairam@coop.example")
    page.fill("input[name=password]", "not-her-password")
    page.click("form.narrow button[type=submit]")
    assert "Wrong login or password" in page.inner_text("main")
