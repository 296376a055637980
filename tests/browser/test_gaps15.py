"""A member orders in Russian and reads her order's history with units; she
downloads her statement as Russian Excel reads it (BOM, `;`, decimal comma,
dd.MM.yyyy), and its figures are those of her statement page."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from coop.demo import AUTUMN_ROUND
from tests.browser.conftest import screenshot
from tests.browser.test_members import sign_in
from tests.browser.test_units import _russian
from tests.web.test_units_pages import disagreements


def _figure(text: str) -> str:
    """'1 234,50 сом' as the CSV writes it: '1234,50'."""
    return re.sub(r"[^\d,\-−]", "", text).replace("−", "-")


def test_her_order_history_and_her_statement_csv(page, live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "aigul@coop.example")
    _russian(page)
    page.click("nav.tabs >> text=Закупки")
    page.click(f"text={AUTUMN_ROUND}")
    page.click("text=Мой заказ")
    seed = page.locator("fieldset", has_text="томата")
    seed.locator("input[name^=quantity_]").fill("6")
    page.click("button:has-text('Сохранить заказ')")
    seed = page.locator("fieldset", has_text="томата")
    seed.locator("input[name^=quantity_]").fill("21")
    seed.locator("input[name^=tolerance_]").fill("2")
    page.click("button:has-text('Сохранить заказ')")
    history = page.inner_text("ul.history")
    assert "→ 6 пакетов" in history and "6 пакетов → 21 пакет, допуск 2 пакета" in history, \
        history
    assert not re.search(r"\d \+ \d", history) and not disagreements(history)
    screenshot(page, "gaps15-order-history-ru")

    page.click("nav.tabs >> text=Мой счёт")
    rows = page.locator("table tbody tr")
    last = rows.nth(rows.count() - 1).locator("td.num")
    page_amount, page_balance = (_figure(last.nth(i).inner_text()) for i in (0, 1))
    with page.expect_download() as info:
        page.click("text=Скачать CSV")
    path = tmp_path / "statement.csv"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert table[0][0] == "Дата" and len(table) > 2
    date, _what, _note, amount, balance, _receipt = table[-1]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", date), date
    assert re.fullmatch(r"-?\d+,\d\d", amount) and re.fullmatch(r"-?\d+,\d\d", balance)
    # the same figures as her page (which prints them with spaces and the currency)
    assert (amount.lstrip("-"), balance.lstrip("-")) == (page_amount.lstrip("-"),
                                                         page_balance.lstrip("-")), \
        (amount, balance, page_amount, page_balance)
    screenshot(page, "gaps15-statement-ru")
