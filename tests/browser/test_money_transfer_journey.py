"""Money paid by bank reaches the members, walked through the pages on a
390 px phone, in Russian: a wholesaler pays the lot's sale by bank transfer →
the lot closes → handing Айгүл her payout asks first, the cash box being
empty, and points to the accounts page → the treasurer moves the money from
the bank account to the cash box there → hands out the payout, not asked →
the accounts page's cash and bank figures are what the books say, and the
books balance."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from coop.extensions import db
from coop.groups.services import list_members
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services as sales
from coop.sales.models import CashPayout, SalePayment
from tests.browser.conftest import screenshot
from tests.browser.test_award import _flat
from tests.browser.test_journey_two_suppliers import PHONE, _fits, _minor, _money, _sign_in
from tests.factories import make_group, make_member, make_sale_lot

WHOLESALER = "ОсОО «Ысык-Көл Агро Экспорт»"


def test_a_sale_paid_by_bank_is_moved_to_the_cash_box_and_handed_out(  # type: ignore[no-untyped-def]
        browser, live_server) -> None:
    session = db.session
    group = make_group(session, levy_basis_points=200)
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила", locale="ru")
    lot = make_sale_lot(session, group, treasurer)
    top, _first = lot.grades
    for woman, jars in ((aigul, "12"), (nurila, "24")):
        sales.record_contribution(session, lot, woman, grade_id=top.id, quantity=q(jars),
                                  actor=treasurer.user, brought_on=lot.period_from)
    buyer = sales.create_buyer(session, group, name=WHOLESALER, contact="Бишкек",
                               kind="wholesaler")
    sale = sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                             lines={top.id: (q("36"), p("320"))}, actor=treasurer.user,
                             pay_later=True)
    session.commit()
    base = f"{live_server}/groups/{group.id}"
    lot_url = f"{base}/sales/{lot.id}"
    t_ctx, t = _sign_in(browser, live_server, treasurer.user.email, PHONE)
    try:
        # -- the wholesaler pays by bank transfer; the lot closes --------------------------
        t.goto(lot_url)
        form = t.locator(f"#pay-sale-{sale.id}")
        assert _minor(form.locator("input[name=amount]").input_value()) == 1152000
        form.locator("select[name=method]").select_option("bank")
        form.locator("button[type=submit]").click()
        assert _flat(t.inner_text(f"#sale-state-{sale.id}")).startswith("оплачено")
        session.expire_all()
        assert [(x.amount, x.method) for x in session.scalars(select(SalePayment).where(
            SalePayment.sale_id == sale.id))] == [
            (1152000, "bank")]
        t.goto(lot_url + "/close")
        t.click("form.confirm-form button[type=submit]")
        session.expire_all()
        assert sales.get_lot(session, group, lot.id).state == sales.CLOSED
        t.goto(f"{base}/accounts")
        assert _minor(t.inner_text("#cash")) == 0
        assert _minor(t.inner_text("#bank")) == 1152000

        # -- her hand-out: the cash box is empty, asked first, pointed to the move ---------
        due = ledger.member_balance(session, aigul)
        assert due > 0
        payout_url = f"{lot_url}/payout/{aigul.id}"
        t.goto(payout_url)
        assert _minor(t.locator("#hand-out ~ form input[name=amount]").input_value()) == due
        t.click("#hand-out ~ form button[type=submit]")
        assert t.inner_text("h1") == "Всё равно записать?"
        said = _flat(t.inner_text("main"))
        assert f"В кассе только {_money(0)}" in said, said
        hint = _flat(t.inner_text("#move-money-hint"))
        assert (f"На банковском счёте {_money(1152000)}, в мобильном кошельке {_money(0)}: "
                f"эти деньги можно перевести в кассу на странице «Счета»." in hint), hint
        assert _fits(t)
        screenshot(t, "money-move-01-hand-out-asks")
        handed_out = select(CashPayout).where(CashPayout.lot_id == lot.id)
        assert session.scalars(handed_out).first() is None
        t.click("#move-money-hint a")  # she does not record it anyway: she moves the money

        # -- the move on the accounts page: too much refused in place, then her payout -------
        assert t.url.endswith(f"/groups/{group.id}/accounts#move-money")
        move = t.locator("form[action$='/accounts/transfer#move-money']")
        assert move.locator("select[name=source]").input_value() == "bank"
        assert move.locator("select[name=target]").input_value() == "cash"
        move.locator("input[name=amount]").fill("20000")
        move.locator("button[type=submit]").click()
        assert t.url.endswith("/accounts/transfer#move-money")  # at the form, not the top
        said = " ".join(_flat(t.inner_text(x)) for x in ("#move-refused", "#move-money ~ form"))
        assert "Ничего не записано" in said, said
        assert (f"На банковском счёте только {_money(1152000)}: больше с него перевести "
                f"нельзя." in said), said
        assert _fits(t)
        screenshot(t, "money-move-02-refused")
        move = t.locator("form[action$='/accounts/transfer#move-money']")
        assert move.locator("input[name=amount]").input_value() == "20000"  # as typed
        move.locator("input[name=amount]").fill(_money(due).replace(" сом", ""))
        move.locator("button[type=submit]").click()
        said = _flat(t.inner_text("main"))
        assert f"Переведено {_money(due)}: из банка в кассу." in said, said
        assert _minor(t.inner_text("#cash")) == due
        assert _minor(t.inner_text("#bank")) == 1152000 - due
        row = _flat(t.inner_text("#transfers tbody tr"))
        assert "Банковский счёт → касса" in row and _money(due) in row, row
        assert "Учет сходится" in t.inner_text("#reconciliation")
        assert _fits(t)
        screenshot(t, "money-move-03-moved")

        # -- the hand-out, now covered: recorded at once -------------------------------------
        t.goto(payout_url)
        t.click("#hand-out ~ form button[type=submit]")
        assert "записан" in _flat(t.inner_text("main")), t.inner_text("main")[:500]
        session.expire_all()
        handed = session.scalars(handed_out).one()
        assert (handed.membership_id, handed.amount) == (aigul.id, due)

        # -- the accounts page and the books agree -------------------------------------------
        t.goto(f"{base}/accounts")
        assert _minor(t.inner_text("#cash")) == 0
        assert _minor(t.inner_text("#bank")) == 1152000 - due
        equation = _flat(t.inner_text("#equation"))
        assert (f"Наличные {_money(0)} + банковский счёт {_money(1152000 - due)} "
                f"+ мобильный кошелёк {_money(0)}" in equation), equation
        assert "Учет сходится" in t.inner_text("#reconciliation")
        assert _fits(t)
        screenshot(t, "money-move-04-accounts-after")
        books = ledger.books(session, group, list_members(session, group, include_inactive=True))
        assert books.total == 0
        assert (books.cash_on_hand, books.in_bank, books.in_mobile) == (0, 1152000 - due, 0)
        assert ledger.member_balance(session, aigul) == 0
        assert check_books(session, group.id) == []
    finally:
        t_ctx.close()
