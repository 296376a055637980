"""The treasurer says the hoes come in boxes of 10; the supplier page, her order
page and the round's packs then read "коробка 10 штук"."""

from __future__ import annotations

from coop.demo import AUTUMN_ROUND
from tests.browser.conftest import screenshot
from tests.browser.test_members import sign_in
from tests.browser.test_units import _russian
from tests.web.test_units_pages import disagreements


def test_the_treasurer_names_the_pack_and_every_page_prints_it(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "mairam@coop.example")
    _russian(page)
    page.click("nav.tabs >> text=Поставщики")
    page.click("text=Агро-Каракол")
    page.click("text=Тяпка садовая")
    assert page.locator("select[name=pack_container]").input_value() == ""
    page.select_option("select[name=pack_container]", "box")
    screenshot(page, "packs-product-form-ru")
    page.click("main form button[type=submit]")
    row = page.locator("tr", has_text="Тяпка садовая").inner_text()
    assert "коробка 10\u00a0штук" in row, row
    page.click("nav.tabs >> text=Закупки")
    page.click(f"text={AUTUMN_ROUND}")
    packs = page.locator("table.packs tr", has_text="Тяпка").inner_text()
    assert "коробка 10\u00a0штук" in packs, packs
    page.click("text=Мой заказ")
    hoe = page.locator("fieldset", has_text="Тяпка").inner_text()
    assert "Упаковка: коробка 10\u00a0штук, шаг 1 штука." in hoe, hoe
    seed = page.locator("fieldset", has_text="томата").inner_text()
    assert "Упаковка 25 пакетов, шаг 1 пакет." in seed, seed  # no container: as before
    main = page.inner_text("main")
    assert not disagreements(main), disagreements(main)
    screenshot(page, "packs-order-ru")
