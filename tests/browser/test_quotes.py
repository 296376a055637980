from __future__ import annotations

from coop.demo import SPRING_ROUND
from tests.browser.conftest import screenshot
from tests.browser.test_members import sign_in

SUPPLIER = "Test Supplier Ltd"


def _fill_line(page, product: str, pack: str, base: str, tier_from: str, tier_price: str  # type: ignore[no-untyped-def]
               ) -> None:
    line = page.locator("fieldset.quote-line", has_text=product)
    line.locator("input[name^=pack_]").fill(pack)
    line.locator("input[name^=price_][name$=_0]").fill(base)
    line.locator("input[name^=from_][name$=_1]").fill(tier_from)
    line.locator("input[name^=price_][name$=_1]").fill(tier_price)


def test_supplier_quotes_by_link_treasurer_bargains_compares_and_awards(  # type: ignore[no-untyped-def]
        page, browser, live_server) -> None:
    # the treasurer asks a new supplier for prices on the closed spring round
    sign_in(page, live_server, "mairam@coop.example")
    page.click("nav.tabs >> text=Rounds")
    page.click(f"text={SPRING_ROUND}")
    page.click("a.button:has-text('Ask suppliers for quotes')")
    page.fill("input[name=new_name]", SUPPLIER)
    page.fill("input[name=new_phone]", "+996 555 98 76 54")
    page.select_option("select[name=new_language]", "en")
    page.click("button:has-text('Make the links')")
    link = page.input_value("textarea.supplier-link")
    assert "/q/" in link
    screenshot(page, "quotes-link")

    # the supplier, on her own phone, with no account
    phone = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    supplier = phone.new_page()
    supplier.set_default_timeout(15000)
    supplier.goto(link)
    assert "The group needs" in supplier.inner_text("main")
    _fill_line(supplier, "томата", "25", "47,00", "50", "41")
    _fill_line(supplier, "NPK", "25", "77", "100", "70")
    _fill_line(supplier, "капельного", "1", "3600", "3", "3400")
    supplier.fill("input[name=delivery_fee]", "400")
    supplier.fill("input[name=lead_time_days]", "6")
    supplier.click("button:has-text('Send my offer')")
    assert "Thank you" in supplier.inner_text("main")
    screenshot(supplier, "quotes-supplier-sent")

    # the treasurer bargains on the NPK
    page.click("text=Back to the quotes")
    page.click(f"table.quotes >> text={SUPPLIER}")
    counter = page.locator("form:has(textarea[name=message])")
    counter.locator("label:has-text('NPK') + input").fill("66")
    page.fill("textarea[name=message]", "Can you do 66 for the NPK?")
    page.click("button:has-text('Send the counter-offer')")
    assert "The counter-offer is sent" in page.inner_text("main")

    # she sees it on the same link and sends a second version
    supplier.reload()
    assert "Can you do 66 for the NPK?" in supplier.inner_text("#counter")
    _fill_line(supplier, "NPK", "25", "77", "100", "67")
    supplier.click("button:has-text('Send my offer')")
    assert "version 2" in supplier.inner_text("main")

    # compare and award everything to her
    page.click("text=Compare the offers")
    assert page.locator("svg.chart rect").count() >= 1
    assert "best single offer" in page.inner_text("table.comparison")
    assert "What each member would pay" in page.inner_text("main")
    screenshot(page, "quotes-compare")
    page.click(f"button:has-text('Award everything to {SUPPLIER}')")
    assert "Confirm the award" in page.inner_text("h1")  # nothing awarded yet
    page.click("button:has-text('Award now')")
    assert "The round is awarded" in page.inner_text("main")
    assert "awarded" in page.inner_text("h1")

    supplier.reload()
    order = supplier.inner_text("table.supplier-order")
    assert "67" in order and "NPK" in order
    screenshot(supplier, "quotes-supplier-order")
    phone.close()
