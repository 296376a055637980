"""A member on her phone: her name in the header opens her account page, where
the API tokens are (no longer in every header) and where she chooses to show
her phone number to the other members, who then see it on the members page."""

from __future__ import annotations

from coop.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot


def _sign_in(page, base: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.narrow button[type=submit]")


def test_a_member_shows_her_phone_number_from_her_account_page(page, live_server) -> None:  # type: ignore[no-untyped-def]
    # Nurila (signs in by phone) looks at the members page: names, no numbers
    _sign_in(page, live_server, "+996555100003")
    page.click("nav.tabs >> text=Members")
    assert "Айгүл Токтогулова" in page.inner_text("main")
    assert "+996555100002" not in page.content()
    assert page.locator("header >> text=API tokens").count() == 0

    # Aigul opens her account page from her name and shows her number
    _sign_in(page, live_server, "aigul@coop.example")
    page.click("header a.me")
    assert page.locator("main >> text=API tokens").count() == 1
    box = page.get_by_label("Светлая Поляна", exact=False)
    assert not box.is_checked()
    box.check()
    page.click("main button[type=submit]")
    assert "Saved." in page.inner_text("main")
    assert page.get_by_label("Светлая Поляна", exact=False).is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "account-en")

    # now Nurila sees Aigul's number, and still nobody else's
    _sign_in(page, live_server, "+996555100003")
    page.click("nav.tabs >> text=Members")
    content = page.content()
    assert "+996555100002" in content and "+996555100004" not in content
