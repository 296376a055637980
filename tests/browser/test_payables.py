from __future__ import annotations

import re

from coop.extensions import db
from coop.ledger import services as ledger
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_two_supplier_round


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def _row(page, table: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The cells of the row of `name` in `table`, as shown, without the currency."""
    row = page.locator(f"{table} tbody tr", has_text=name)
    return [_plain(c).replace(" сом", "").strip() for c in row.locator("td").all_inner_texts()]


def test_partial_supplier_payment_agrees_on_every_page(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    """A treasurer, in Russian on a desktop, pays Агро-Семена 400 of her 640
    by bank; the round page, the supplier's page, the reconciliation and her
    account in the books all say 700 − 60 − 400 = 240 still owed."""
    w = make_two_supplier_round(db.session)
    actor = w.treasurer.user
    ledger.record_payment(db.session, w.aigul, amount=52000, method="bank", reference="",
                          idempotency_key="browser-aigul-0000001", actor=actor)
    ledger.record_payment(db.session, w.nurila, amount=30000, method="cash", reference="",
                          idempotency_key="browser-nurila-000001", actor=actor)
    db.session.commit()
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", actor.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.narrow button[type=submit]")
        round_url = f"{live_server}/groups/{w.group.id}/rounds/{w.rnd.id}"
        page.goto(round_url)
        assert "Счета поставщиков" in page.inner_text("main")
        assert _row(page, "table.supplier-bills", "Агро-Семена")[:7] == [
            "Агро-Семена", "500,00", "200,00", "−60,00", "640,00", "0,00", "640,00"]
        assert _row(page, "table.supplier-bills", "Текстиль-Ош")[:7] == [
            "Текстиль-Ош", "300,00", "0,00", "—", "300,00", "0,00", "300,00"]
        page.locator("table.supplier-bills tr", has_text="Агро-Семена").locator(
            "a.button").click()

        form = page.locator("form[action$='/payables/pay']")
        assert form.locator("select[name=supplier]").input_value() == str(w.agro.id)
        assert form.locator("select[name=round]").input_value() == str(w.rnd.id)
        form.locator("input[name=amount]").fill("700")
        form.locator("select[name=method]").select_option("bank")
        form.locator("button[type=submit]").click()
        refused = _plain(page.inner_text("main"))
        assert "причитается 640,00 сом" in refused and "на 60,00 сом больше" in refused
        screenshot(page, "payables-refused")
        form = page.locator("form[action$='/payables/pay']")
        form.locator("input[name=amount]").fill("400")
        form.locator("input[name=reference]").fill("ПП-17")
        form.locator("button[type=submit]").click()
        assert "Оплата 400,00 сом поставщику Агро-Семена записана." in _plain(
            page.inner_text("main"))
        # her account in the books: every movement and the running balance
        assert _plain(page.inner_text("#still-owed")) == "240,00 сом"
        movements = page.locator("table.statement tbody tr").all_inner_texts()
        assert [_plain(m).split("\t")[-1].strip() for m in movements] == [
            "500,00 сом", "700,00 сом", "640,00 сом", "240,00 сом"]
        assert "ПП-17" in movements[-1] and "Оплачено поставщику" in movements[-1]
        screenshot(page, "payables-account")

        page.goto(round_url)
        assert _row(page, "table.supplier-bills", "Агро-Семена")[:7] == [
            "Агро-Семена", "500,00", "200,00", "−60,00", "640,00", "400,00", "240,00"]
        screenshot(page, "payables-round")

        page.goto(f"{live_server}/groups/{w.group.id}/suppliers/{w.agro.id}")
        assert _plain(page.inner_text("#billed")) == "640,00 сом"
        assert _plain(page.inner_text("#paid")) == "400,00 сом"
        assert _plain(page.inner_text("#still-owed")) == "240,00 сом"
        screenshot(page, "payables-supplier")

        page.goto(f"{live_server}/groups/{w.group.id}/accounts")
        main = _plain(page.inner_text("main"))
        for label in ("Наличные в кассе", "На банковском счете", "В мобильном кошельке"):
            assert label in main
        assert _plain(page.inner_text("#cash")) == "300,00 сом"
        assert _plain(page.inner_text("#bank")) == "120,00 сом"  # 520 in, 400 out
        assert _plain(page.inner_text("#mobile")) == "0,00 сом"
        assert _plain(page.inner_text("#payables")) == "540,00 сом"  # 240 + 300
        assert _row(page, "table.payables", "Агро-Семена") == [
            "Агро-Семена", "640,00", "400,00", "240,00", "240,00"]
        assert "Учет сходится." in page.inner_text("#reconciliation")
        screenshot(page, "payables-accounts")

        # on a phone the page itself does not scroll sideways (wide tables scroll inside)
        page.set_viewport_size({"width": 390, "height": 844})
        for url, name in ((round_url, "round"),
                          (f"{live_server}/groups/{w.group.id}/payables/pay", "pay")):
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            screenshot(page, f"payables-{name}-phone")
    finally:
        context.close()
