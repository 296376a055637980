"""Found on the walk, in the browser and in Russian on a phone: a payment of
1 000 000 000 сом was recorded as typed, and a supplier was paid from a bank
account holding nothing. Both are now asked first; "no" records nothing, "yes"
records once, and the pages and the books agree."""

from __future__ import annotations

import re

from flask_babel import force_locale
from sqlalchemy import func, select

from coop.extensions import db
from coop.i18n import fmt_money
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Payment
from coop.payables.models import SupplierPayment
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_two_supplier_round


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def test_unusual_payments_are_asked_first_and_the_books_agree(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    w = make_two_supplier_round(db.session)  # settled: Агро-Семена is owed 640.00
    actor = w.treasurer.user
    ledger.record_payment(db.session, w.nurila, amount=30000, method="cash", reference="",
                          idempotency_key="browser-nurila-000001", actor=actor)
    db.session.commit()
    with force_locale("ru"):
        owed = _plain(fmt_money(-ledger.member_balance(db.session, w.aigul), w.group.currency))
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", actor.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.narrow button[type=submit]")

        # 1. an extra zero... or six: asked, and "no" records nothing
        statement = f"{live_server}/groups/{w.group.id}/accounts/{w.aigul.id}"
        page.goto(statement)
        form = page.locator("form[action$='/payment']")
        form.locator("input[name=amount]").fill("1000000000")
        form.locator("button[type=submit]").click()
        question = _plain(page.inner_text("main"))
        screenshot(page, "money-question-payment-ru")
        assert "Всё равно записать?" in question, question[:800]
        assert f"должна {owed}" in question, question[:800]
        assert "переплату 999 99" in question, question[:800]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("text=Нет, вернуться")
        page.wait_for_load_state()
        assert page.url.split("#")[0] == statement
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Payment).where(
            Payment.membership_id == w.aigul.id)) == 0

        # 2. the supplier paid from a bank account holding nothing: asked, then "yes"
        page.goto(f"{live_server}/groups/{w.group.id}/payables/pay?supplier={w.agro.id}"
                  f"&round={w.rnd.id}")
        form = page.locator("form[action$='/payables/pay']")
        form.locator("input[name=amount]").fill("640")
        form.locator("select[name=method]").select_option("bank")
        form.locator("input[name=reference]").fill("ПП-30")
        form.locator("button[type=submit]").click()
        question = _plain(page.inner_text("main"))
        screenshot(page, "money-question-overdraw-ru")
        assert "На банковском счёте только 0,00 сом" in question, question[:800]
        assert "-640,00 сом" in question
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("text=Да, записать")
        page.wait_for_load_state()
        assert "Оплата 640,00 сом поставщику Агро-Семена записана." in _plain(
            page.inner_text("main"))
        assert _plain(page.inner_text("#still-owed")) == "0,00 сом"

        # the books show it as it is, and still balance
        page.goto(f"{live_server}/groups/{w.group.id}/accounts")
        assert _plain(page.inner_text("#bank")) == "-640,00 сом"
        assert _plain(page.inner_text("#cash")) == "300,00 сом"
        assert "Учет сходится." in page.inner_text("#reconciliation")
        screenshot(page, "money-question-books-ru")
    finally:
        context.close()
    db.session.expire_all()
    paid = db.session.execute(select(
        SupplierPayment.supplier_id, SupplierPayment.amount, SupplierPayment.reference).where(
        SupplierPayment.group_id == w.group.id)).all()  # the demo's group has its own
    assert paid == [(w.agro.id, 64000, "ПП-30")], paid
    assert check_books(db.session) == []


def test_money_taken_back_out_of_the_cash_is_asked_first(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    """A sale's cost paid from a cash box that holds less, and a member's
    payment reversed after the cash was spent: both asked first; "no" records
    nothing, "yes" records once, and the cash, her statement and the books
    agree."""
    from coop.sales.models import SaleCost
    from tests.factories import make_sale_lot

    w = make_two_supplier_round(db.session)
    actor = w.treasurer.user
    owed_before = ledger.member_balance(db.session, w.nurila)
    payment, _new = ledger.record_payment(db.session, w.nurila, amount=30000, method="cash",
                                          reference="", idempotency_key="browser-nurila-000002",
                                          actor=actor)
    ledger.pay_out(db.session, w.group, amount=25000, memo="Транспорт", actor=actor)
    lot = make_sale_lot(db.session, w.group, w.treasurer)
    db.session.commit()  # the cash holds 50.00
    lot_id, posting_id = lot.id, payment.posting_id
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", actor.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.narrow button[type=submit]")

        # 1. a market fee of 120.00 from a cash box holding 50.00: asked; "no"
        lot_page = f"{live_server}/groups/{w.group.id}/sales/{lot_id}"
        page.goto(lot_page)
        form = page.locator("form[action$='/costs#add-cost']")
        form.locator("input[name=amount]").fill("120")
        form.locator("button[type=submit]").click()
        question = _plain(page.inner_text("main"))
        screenshot(page, "money-question-sale-cost-ru")
        assert "В кассе только 50,00 сом" in question, question[:800]
        assert "-70,00 сом" in question, question[:800]
        assert "банковск" not in question  # the form pays from the cash alone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("text=Нет, вернуться")
        page.wait_for_load_state()
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(SaleCost).where(
            SaleCost.lot_id == lot_id)) == 0

        # 2. her payment of 300.00 reversed from her statement: asked; "yes"
        statement = f"{live_server}/groups/{w.group.id}/accounts/{w.nurila.id}"
        page.goto(statement)
        form = page.locator(f"form[action$='/postings/{posting_id}/reverse']")
        form.locator("xpath=ancestor::details/summary").click()  # "Сторнировать"
        form.locator("input[name=reason]").fill("Платёж не поступил")
        form.locator("button[type=submit]").click()
        question = _plain(page.inner_text("main"))
        screenshot(page, "money-question-reversal-ru")
        assert "В кассе только 50,00 сом: после этого сторно" in question, question[:800]
        assert "-250,00 сом" in question, question[:800]
        assert "Всё равно сторнировать" in question, question[:800]
        # headed and answered with what is done: reversed, not recorded
        assert page.inner_text("h1") == "Всё равно сторнировать?"
        page.click("text=Да, сторнировать")
        page.wait_for_load_state()
        assert "Запись сторнирована" in _plain(page.inner_text("main"))
        assert "сторнировано" in _plain(page.inner_text("main"))

        # the books: the cash went below zero as confirmed, and they balance
        page.goto(f"{live_server}/groups/{w.group.id}/accounts")
        assert _plain(page.inner_text("#cash")) == "-250,00 сом"
        assert "Учет сходится." in page.inner_text("#reconciliation")
        screenshot(page, "money-question-reversal-books-ru")
    finally:
        context.close()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SaleCost).where(
        SaleCost.lot_id == lot_id)) == 0
    assert ledger.member_balance(db.session, w.nurila) == owed_before  # as if never paid
    assert check_books(db.session) == []
