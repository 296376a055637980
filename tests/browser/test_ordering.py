from __future__ import annotations

from coop.demo import AUTUMN_ROUND
from tests.browser.conftest import screenshot
from tests.browser.test_members import sign_in


def test_member_orders_on_a_phone_and_the_pack_fill_moves(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "aigul@coop.example")
    page.click("nav.tabs >> text=Rounds")
    page.click(f"text={AUTUMN_ROUND}")
    page.click("text=My order")
    seed = page.locator("fieldset", has_text="томата")
    seed.locator("input[name^=quantity_]").fill("12,5")
    page.click("button:has-text('Save order')")
    assert "in steps of 1" in page.inner_text("main")  # sachets are whole
    seed = page.locator("fieldset", has_text="томата")
    seed.locator("input[name^=quantity_]").fill("15")
    seed.locator("input[name^=tolerance_]").fill("5")
    page.click("button:has-text('Save order')")
    assert "Your order is saved" in page.inner_text("main")
    screenshot(page, "order-saved")
    page.click(f"text={AUTUMN_ROUND}")
    # the demo had 10 + 5 sachets of tomato seed; with 15 + 5 more: 25 firm = one full pack
    packs = page.locator("table.packs tr", has_text="томата").inner_text()
    assert "25" in packs and "1 full pack" in packs


def _fits_the_screen(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_member_reads_her_share_on_a_phone_without_scrolling_sideways(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "aigul@coop.example")
    page.click("nav.tabs >> text=Rounds")
    page.click(f"text={AUTUMN_ROUND}")
    page.click("text=My share")
    assert "Total to pay" in page.inner_text("main")
    assert _fits_the_screen(page)
    page.select_option("#lang-select", "ru")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert "Итого к оплате" in page.inner_text("main")  # the bill, worded again in Russian
    assert _fits_the_screen(page)
    screenshot(page, "share-ru")
