"""Issue 14, in the browser and in Russian: a member's payment recorded, then
Back, then the form sent again: she is asked first, and says no; the payment
is in the books once."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from coop.extensions import db
from coop.ledger.checks import check_books
from coop.ledger.models import Payment
from tests.browser.conftest import go_back, screenshot
from tests.browser.test_members import sign_in


def _balance(page) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text(".big-balance").strip()


def _pay(page, amount: str, reference: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("form[action$='/payment']")
    form.locator("input[name=amount]").fill(amount)
    form.locator("select[name=method]").select_option("cash")
    form.locator("input[name=reference]").fill(reference)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_payment_sent_again_after_back_asks_first_and_is_recorded_once(
        page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "mairam@coop.example")
    page.select_option("#lang-select", "ru")
    page.click("form.lang button")
    page.wait_for_load_state()
    page.click("nav.tabs >> text=/Счета|Касса|Книги/")
    page.click("main table >> text=Айгүл Токтогулова")
    statement_url = page.url
    before = _balance(page)

    _pay(page, "500", "Кв-77")
    main = page.inner_text("main")
    receipt = re.search(r"квитанция №(\d{4}-\d{4})", main)
    assert receipt, main[:800]
    after_one = _balance(page)
    assert after_one != before
    screenshot(page, "once-paid-ru")

    go_back(page)
    page.wait_for_load_state()
    _pay(page, "500", "Кв-77")
    question = page.inner_text("main")
    screenshot(page, "once-asked-ru")
    assert "Записать ещё один?" in question, question[:800]
    assert "Платёж на сумму 500,00" in question and "Айгүл Токтогулова" in question
    assert f"квитанция №{receipt.group(1)}" in question

    page.click("text=Нет, вернуться")
    page.wait_for_load_state()
    assert page.url == statement_url
    assert _balance(page) == after_one  # nothing more was recorded
    lines = page.inner_text("table.statement")
    assert lines.count("Кв-77") == 1
    assert lines.count(f"квитанция №{receipt.group(1)}") == 1
    screenshot(page, "once-statement-ru")

    count = db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.reference == "Кв-77"))
    assert count == 1
    assert check_books(db.session) == []
