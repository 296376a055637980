"""Issue 20, in the browser and in Russian: a supplier payment recorded, then
Back, then the form sent again: the treasurer is asked first (the same page as
for members' payments); "no" records nothing, "yes" records the second; the
supplier's account and the pay page agree with the books at every step."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from coop.extensions import db
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.payables.models import SupplierPayment
from tests.browser.conftest import go_back, screenshot
from tests.factories import PASSWORD, make_two_supplier_round


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def _pay(page, supplier_id: int, amount: str, reference: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("form[action$='/payables/pay']")
    form.locator("select[name=supplier]").select_option(str(supplier_id))
    form.locator("input[name=amount]").fill(amount)
    form.locator("select[name=method]").select_option("bank")
    form.locator("input[name=reference]").fill(reference)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _owed_on_pay_page(page) -> str:  # type: ignore[no-untyped-def]
    row = page.locator("main table tbody tr", has_text="Агро-Семена")
    return _plain(row.locator("td").nth(1).inner_text()).strip()


def test_a_supplier_payment_sent_again_after_back_asks_first(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    w = make_two_supplier_round(db.session)  # settled: Агро-Семена is owed 640.00
    actor = w.treasurer.user
    # the members' money in the bank account, which the two payments below take
    ledger.record_payment(db.session, w.nurila, amount=50000, method="bank", reference="",
                          idempotency_key="paid-in-bank-000000001", actor=actor)
    db.session.commit()
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", actor.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.narrow button[type=submit]")
        pay_url = f"{live_server}/groups/{w.group.id}/payables/pay"
        page.goto(pay_url)
        assert _owed_on_pay_page(page) == "640,00 сом"

        _pay(page, w.agro.id, "200", "ПП-21")
        assert "Оплата 200,00 сом поставщику Агро-Семена записана." in _plain(
            page.inner_text("main"))
        account_url = page.url
        assert _plain(page.inner_text("#still-owed")) == "440,00 сом"

        go_back(page)
        page.wait_for_load_state()
        _pay(page, w.agro.id, "200", "ПП-21")
        question = _plain(page.inner_text("main"))
        screenshot(page, "supplier-once-asked-ru")
        assert "Записать ещё одну?" in question, question[:800]
        assert "Оплата 200,00 сом поставщику Агро-Семена уже записана" in question

        page.click("text=Нет, вернуться")
        page.wait_for_load_state()
        assert page.url == account_url
        assert _plain(page.inner_text("#still-owed")) == "440,00 сом"  # nothing more
        page.goto(pay_url)
        assert _owed_on_pay_page(page) == "440,00 сом"

        _pay(page, w.agro.id, "200", "ПП-21")
        page.click("text=Да, записать ещё раз")
        page.wait_for_load_state()
        assert _plain(page.inner_text("#still-owed")) == "240,00 сом"
        movements = page.locator("table.statement tbody tr").all_inner_texts()
        assert sum("ПП-21" in m for m in movements) == 2
        screenshot(page, "supplier-once-account-ru")
        page.goto(pay_url)
        assert _owed_on_pay_page(page) == "240,00 сом"
    finally:
        context.close()
    db.session.expire_all()
    paid = db.session.scalar(select(func.sum(SupplierPayment.amount)).where(
        SupplierPayment.supplier_id == w.agro.id))
    assert paid == 40000
    assert check_books(db.session) == []
