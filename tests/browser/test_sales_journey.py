"""A joint sale walked through its pages, in Russian: the treasurer on a desktop,
Айгүл on a 360 px phone. A lot of dried apricots in two grades (the second at
0,8) → what Айгүл (who has a seed loan to repay from her payout and owes the
group for a purchase) and Нурила bring → a sale, first with a price finer than
the tyiyn (refused, said once, nothing written), then at 333,33 and 266,67 →
a transport cost → closed through its confirmation: the payout sheet's columns
add up across (payout = seed loan + debt set off + cash) and down, on the page
and in its PDF → her payout page explains her share to the tyiyn, the same on
her statement (PDF) → her account. The same figures on every page, in every
PDF and in the books."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from coop.extensions import db
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.sales import domain
from coop.sales import services as sales
from coop.sales.models import Sale, SaleLot
from coop.season import loans as seed
from tests.browser.conftest import screenshot
from tests.browser.test_award import _flat, _pdf_text
from tests.browser.test_journey_two_suppliers import DESKTOP, _fits, _minor, _money, _sign_in
from tests.factories import make_settled_round

PHONE_360 = {"width": 360, "height": 740}


def test_a_lot_to_its_payouts_with_a_seed_loan_withheld(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    session = db.session
    w = make_settled_round(session, members=2)
    aigul, nurila = w.members
    for m in (w.treasurer, aigul, nurila):
        m.user.locale = "ru"
    loan = seed.propose_loan(session, w.group, aigul, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="payout", repay_bp=12000,
                             due_on=local_today() + timedelta(days=120), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    session.commit()
    due = seed.position(loan).due
    base = f"{live_server}/groups/{w.group.id}"
    t_ctx, t = _sign_in(browser, live_server, w.treasurer.user.email, DESKTOP)
    m_ctx, m = _sign_in(browser, live_server, aigul.user.email, PHONE_360)
    try:
        # -- the lot, what each brought ----------------------------------------------
        t.goto(f"{base}/sales/new")
        t.fill("input[name=product]", "Урюк")
        t.select_option("select[name=unit]", "kg")
        t.fill("input[name=step]", "0,1")
        t.fill("input[name=period_from]", (local_today() - timedelta(days=5)).isoformat())
        t.fill("input[name='grades-0-name']", "первый сорт")
        t.fill("input[name='grades-0-factor']", "1")
        t.fill("input[name='grades-1-name']", "второй сорт")
        t.fill("input[name='grades-1-factor']", "0,8")
        t.fill("input[name=levy_percent]", "2")
        t.click("main form button[type=submit]")
        lot_url = t.url
        lot = session.scalar(select(SaleLot).order_by(SaleLot.id.desc()))
        assert lot is not None and lot_url.endswith(f"/sales/{lot.id}")
        for woman, grade, kilos in ((aigul, "первый сорт", "12,4"), (aigul, "второй сорт", "7,1"),
                                    (nurila, "первый сорт", "9,3"),
                                    (nurila, "второй сорт", "4,9")):
            form = t.locator("form[action*='/contributions#']")
            form.locator("select[name=member]").select_option(label=woman.user.name)
            form.locator("select[name=grade]").select_option(label=grade)
            form.locator("input[name=quantity]").fill(kilos)
            form.locator("button[type=submit]").click()
            assert "Записано" in t.inner_text("main"), t.inner_text("main")
        # -- a sale: a price finer than the tyiyn first -------------------------------
        t.click("a.button[href$='/sell']")
        if t.locator("a.button[href*='/buyers']").count():
            t.click("a.button[href*='/buyers']")
            t.fill("input[name=name]", "Магазин «Береке»")
            t.click("main form button[type=submit]")
        t.fill("input[name=sold_on]", local_today().isoformat())
        first, second = lot.grades
        t.fill(f"input[name=quantity_{first.id}]", "21,7")
        t.fill(f"input[name=price_{first.id}]", "333,333")
        t.fill(f"input[name=quantity_{second.id}]", "12")
        t.fill(f"input[name=price_{second.id}]", "266,67")
        t.click("main form button[type=submit]")
        said = t.inner_text("main")
        assert said.count("не больше 2 знаков после запятой") == 1, said
        assert session.scalar(select(func.count()).select_from(Sale).where(
            Sale.lot_id == lot.id)) == 0
        t.fill(f"input[name=price_{first.id}]", "333,33")
        t.click("main form button[type=submit]")
        assert "Продажа записана" in t.inner_text("main"), t.inner_text("main")
        # -- a cost ---------------------------------------------------------------------
        form = t.locator("form[action*='/costs#']")
        form.locator("select[name=kind]").select_option("transport")
        form.locator("input[name=name]").fill("Такси до базара")
        form.locator("input[name=amount]").fill("350")
        form.locator("select[name=rule]").select_option("value")
        form.locator("button[type=submit]").click()
        if t.locator("form.confirm-form").count():  # more than the cash holds: asked first
            t.click("form.confirm-form button[type=submit]")
        assert "Расход записан" in t.inner_text("main"), t.inner_text("main")
        # -- closed through its confirmation -------------------------------------------
        t.goto(lot_url)
        t.click("a.button[href$='/close']")
        t.click("form.confirm-form button[type=submit]")
        t.goto(lot_url + "/close")
        head = t.locator("#payout-sheet thead th").all_inner_texts()
        assert head[1:5] == ["Выплата", "Займы семенами (в фонд)", "Зачтено в счёт долга",
                             "Выдать наличными"], head
        rows = {}
        for row in t.locator("#payout-sheet tbody tr").all():
            cells = row.locator("td, th").all_inner_texts()
            rows[cells[0].strip()] = [_minor(c) for c in cells[1:5]]
        total = [_minor(c) for c in t.locator("#payout-sheet tfoot th").all_inner_texts()[1:5]]
        for row in rows.values():
            assert row[0] == row[1] + row[2] + row[3], row  # across
        assert total == [sum(col) for col in zip(*rows.values(), strict=True)]  # down
        payout, withheld, set_off, cash = rows[aigul.user.name]
        assert withheld == due and set_off > 0 and cash > 0, rows
        assert "Проверка: выплаты" in t.inner_text("#sheet-check")
        screenshot(t, "sales-journey-01-payout-sheet")
        sheet_pdf = _flat(_pdf_text(t, lot_url + "/payout-sheet.pdf"))
        assert "Займы семенами (в фонд)" in sheet_pdf, sheet_pdf[:600]
        after_total = sheet_pdf.split("Итого", 1)[1]
        for figure in total:
            assert _money(figure) in after_total, (figure, after_total[:200])
        for figure in (payout, withheld, set_off, cash):
            assert _money(figure) in sheet_pdf, figure
        # -- her payout, on her phone ---------------------------------------------------
        session.expire_all()
        view = sales.compute_split(session, session.get(SaleLot, lot.id))
        mine = view.split.member(aigul.id)
        assert mine is not None and mine.payout == payout
        working = domain.value_share(view.split, mine)
        assert working is not None
        m.goto(f"{lot_url}/payout/{aigul.id}")
        assert _fits(m)
        assert "Единиц стоимости" in m.inner_text("main")
        lines = [_flat(x) for x in m.locator("#share-working + ol li").all_inner_texts()]
        assert _money(working.by_value) in lines[0] and "Точная доля" in lines[2], lines
        assert _money(working.share) in lines[3], lines
        assert ("вверх" if working.rounding > 0 else "вниз" if working.rounding < 0
                else "не понадобилось") in lines[3]
        assert m.inner_text("main").count("Скопировать как текст") == 1
        assert _minor(m.inner_text("#seed-loans")) == -withheld
        cash_table = [_minor(x) for x in m.locator("#payout-cash td.num").all_inner_texts()]
        assert cash_table[:4] == [payout, -withheld, -set_off, cash], cash_table
        screenshot(m, "sales-journey-02-her-payout-360")
        statement = _flat(_pdf_text(m, f"{lot_url}/payout/{aigul.id}/statement.pdf"))
        for line in lines:
            assert line in statement, (line, statement[:1500])
        assert "× 266,67 сом" in statement and "× 333,33 сом" in statement
        for figure in (payout, withheld, set_off, cash):
            assert _money(figure) in statement, figure
        assert "за закупки" not in statement and "долг группе" in statement
        # -- her account and the books ----------------------------------------------------
        m.goto(f"{base}/accounts/{aigul.id}")
        assert _fits(m)
        balance = ledger.member_balance(session, aigul)
        assert balance == cash  # the payout less the seed loan and the debt set off
        assert _minor(m.inner_text(".big-balance")) == cash
        screenshot(m, "sales-journey-03-her-account-360")
        assert check_books(session, w.group.id) == []
        print("SALES JOURNEY", {"payout": payout, "seed loan": withheld, "set off": set_off,
                                "cash": cash, "to share by value": working.by_value,
                                "her share": working.share, "exact": str(working.exact)})
    finally:
        t_ctx.close()
        m_ctx.close()
