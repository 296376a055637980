"""A wholesaler who pays later, walked through the pages on a 390 px phone, in
Russian: the treasurer records the sale as paid later (by a day agreed) → the
lot page and the accounts page say the buyer owes it, the invoice says what
is to be paid and by when → the close is refused, naming the buyer and what
she owes → two payments (cash, then the rest by bank) → the invoice says paid
→ the lot closes → a member's payout is the same on her page, in the accounts
and in the books, and the books balance."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from coop.extensions import db
from coop.groups.services import list_members
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.quantities import parse_quantity as q
from coop.sales import services as sales
from coop.sales.models import Sale, SalePayment, SalePayout
from tests.browser.conftest import screenshot
from tests.browser.test_award import _flat, _pdf_text
from tests.browser.test_journey_two_suppliers import PHONE, _fits, _minor, _money, _sign_in
from tests.factories import make_group, make_member, make_sale_lot

WHOLESALER = "ОсОО «Ысык-Көл Агро Экспорт»"


def _keep_pdf(page, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Saved next to the screenshots when COOP_SCREENSHOTS names a folder."""
    folder = os.environ.get("COOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.pdf").write_bytes(page.request.get(url).body())


def test_a_wholesaler_pays_later_in_two_parts_then_the_lot_closes(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    session = db.session
    group = make_group(session, levy_basis_points=200)
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила", locale="ru")
    lot = make_sale_lot(session, group, treasurer)
    top, first = lot.grades
    for woman, grade, jars in ((aigul, top, "12"), (nurila, top, "24"), (nurila, first, "5")):
        sales.record_contribution(session, lot, woman, grade_id=grade.id, quantity=q(jars),
                                  actor=treasurer.user, brought_on=lot.period_from)
    sales.create_buyer(session, group, name=WHOLESALER, contact="Бишкек", kind="wholesaler")
    session.commit()
    base = f"{live_server}/groups/{group.id}"
    lot_url = f"{base}/sales/{lot.id}"
    t_ctx, t = _sign_in(browser, live_server, treasurer.user.email, PHONE)
    m_ctx, m = _sign_in(browser, live_server, aigul.user.email, PHONE)
    try:
        # -- the sale, paid later ---------------------------------------------------------
        t.goto(lot_url)
        t.click("a.button[href$='/sell']")
        t.select_option("select[name=buyer]", label=WHOLESALER)
        t.fill("input[name=sold_on]", (local_today() - timedelta(days=3)).isoformat())
        due = local_today() + timedelta(days=14)
        t.check("input[name=payment][value=later]")
        t.fill("input[name=due_on]", due.isoformat())
        t.fill(f"input[name=quantity_{top.id}]", "36")
        t.fill(f"input[name=price_{top.id}]", "320")
        assert _fits(t)
        t.click("main form button[type=submit]")
        said = _flat(t.inner_text("main"))
        assert "Продажа записана" in said and _money(1152000) in said, said[:600]
        sale = session.scalars(select(Sale).where(Sale.lot_id == lot.id)).one()
        assert sale.paid_later and sale.due_on == due
        state = _flat(t.inner_text(f"#sale-state-{sale.id}"))
        assert state.startswith("долг ") and _minor(state) == 1152000, state
        assert _fits(t)
        screenshot(t, "sales-credit-01-lot-owes")
        t.goto(f"{base}/accounts")
        assert _minor(t.inner_text("#buyers-owe")) == 1152000
        assert _minor(t.inner_text("#cash")) == 0
        assert "покупатели должны " + _money(1152000) in _flat(t.inner_text("#equation"))
        assert "Учет сходится" in t.inner_text("#reconciliation")
        assert _fits(t)
        screenshot(t, "sales-credit-02-accounts-owe")
        invoice_url = f"{lot_url}/sales/{sale.id}/invoice.pdf"
        invoice = _flat(_pdf_text(t, invoice_url))
        assert f"К оплате: {_money(1152000)}, до {due.strftime('%d.%m.%Y')}" in invoice, invoice
        assert "Оплачено полностью" not in invoice
        _keep_pdf(t, invoice_url, "sales-credit-invoice-owed")

        # -- the close is refused while the wholesaler owes -------------------------------
        t.goto(lot_url + "/close")
        owes = _flat(t.inner_text("#buyers-owe"))
        assert WHOLESALER in owes and _money(1152000) in owes, owes
        assert t.locator("form.confirm-form").count() == 0
        screenshot(t, "sales-credit-02b-close-refused")
        t.click(f"#buyers-owe a[href$='#sale-{sale.id}']")

        # -- two payments: cash, then the rest by bank ---------------------------------------
        form = t.locator(f"#pay-sale-{sale.id}")
        assert _minor(form.locator("input[name=amount]").input_value()) == 1152000
        form.locator("input[name=amount]").fill("5000")
        form.locator("select[name=method]").select_option("cash")
        form.locator("button[type=submit]").click()
        assert "записана" in t.inner_text("main")
        state = _flat(t.inner_text(f"#sale-state-{sale.id}"))
        assert _minor(state) == 652000, state
        form = t.locator(f"#pay-sale-{sale.id}")
        assert _minor(form.locator("input[name=amount]").input_value()) == 652000
        form.locator("select[name=method]").select_option("bank")
        form.locator("button[type=submit]").click()
        state = _flat(t.inner_text(f"#sale-state-{sale.id}"))
        assert state.startswith("оплачено"), state
        assert t.locator(f"#pay-sale-{sale.id}").count() == 0
        screenshot(t, "sales-credit-03-lot-paid")
        session.expire_all()
        assert sorted((x.amount, x.method) for x in session.scalars(select(SalePayment))) == [
            (500000, "cash"), (652000, "bank")]
        paid = _flat(_pdf_text(t, invoice_url))
        assert f"Оплачено полностью {local_today().strftime('%d.%m.%Y')}" in paid, paid
        assert "К оплате" not in paid
        _keep_pdf(t, invoice_url, "sales-credit-invoice-paid")

        # -- the lot closes; her payout is the same on every page and in the books -------
        t.goto(lot_url + "/close")
        t.click("form.confirm-form button[type=submit]")
        session.expire_all()
        assert sales.get_lot(session, group, lot.id).state == sales.CLOSED
        payout = session.scalar(select(SalePayout).where(SalePayout.lot_id == lot.id,
                                                         SalePayout.membership_id == aigul.id))
        assert payout is not None and payout.amount > 0
        m.goto(f"{lot_url}/payout")
        assert _fits(m)
        assert _money(payout.amount) in _flat(m.inner_text("main"))
        t.goto(f"{base}/accounts")
        row = t.locator("tr", has_text=aigul.user.name).first
        assert _minor(row.locator("td.num").inner_text()) == payout.amount
        assert _minor(t.inner_text("#buyers-owe")) == 0
        assert _minor(t.inner_text("#cash")) == 500000 and _minor(t.inner_text("#bank")) == 652000
        assert "Учет сходится" in t.inner_text("#reconciliation")
        screenshot(t, "sales-credit-04-accounts-closed")
        books = ledger.books(session, group, list_members(session, group, include_inactive=True))
        assert books.total == 0 and books.buyers_owe == 0
        assert check_books(session, group.id) == []
    finally:
        t_ctx.close()
        m_ctx.close()
