"""Issue 18's season journey, in Russian, through the pages: the treasurer on
a desktop, Айгүл on a 390 px phone.

A seed rate for tomato seed → a needs survey opened → its paper form (PDF) →
Айгүл answers on her phone (sure and maybe) → the treasurer enters Нурила's
paper form with her land (25 соток × 0,3 = 7,5 → 8 packets) → Гүлнара, who
answered on paper, leaves the group → closed: the demand (Σ sure, Σ maybe,
members, packs, budget) counts only what the round will carry, and her answer
and Айгүл's "maybe" alone say they will not go into it → turned into a draft
round after its confirmation, with what it could not carry listed; the round's
page shows the survey's quantities and packs → the round is
bought and settled (through the services: that part has its own journey) →
a seed loan of Айгүл's tomato seed, repaid from her next sales payout,
proposed (sent again after Back: refused, one loan), approved, handed over → its
slip (PDF) → a lot of dried apricots she sells with the group, closed: her
payout repays the loan first → her payout page and statement (PDF) show it,
the loan is repaid, the books balance and the fund earned the ratio.

The same figures are read from the pages, the PDFs and the books. Run with
-s to see them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from coop.extensions import db
from coop.groups.services import deactivate_member, list_members
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.orders import services as orders
from coop.orders.models import Request, Round
from coop.sales import services as sales
from coop.sales.models import SaleLot
from coop.season import loans as seed
from coop.season import services as surveys
from coop.season.models import SeedLoan, Survey
from tests.browser.conftest import go_back, screenshot
from tests.browser.test_award import _flat, _pdf_text
from tests.browser.test_journey_two_suppliers import (
    DESKTOP,
    PHONE,
    _fits,
    _joint_sale,
    _minor,
    _money,
    _sign_in,
)
from tests.factories import make_buyer, make_catalog, make_group, make_member, make_sale_lot


def _demand(page) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """The survey's demand table: sure, maybe (thousandths), members, packs, budget."""
    rows = {}
    for row in page.locator("#demand-table tbody tr").all():
        name = row.locator("td").first.inner_text().split("\n")[0].strip()
        firm = row.locator("td.firm").inner_text()
        maybe = row.locator("td.maybe").inner_text()
        packs = row.locator("td.packs").inner_text().split("\n")[0]
        budget = row.locator("td.budget").inner_text().split("\n")[0]
        rows[name] = [_qty(firm), _qty(maybe), int(row.locator("td").nth(3).inner_text()),
                      int(packs), _minor(budget)]
    return rows


def _round_figures(page) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """The round's page: asked (firm, tolerance, thousandths) in its packs
    table, and the packs it orders in its products table."""
    rows: dict[str, list[int]] = {}
    for row in page.locator("table.packs tbody tr").all():
        name = row.locator("td").first.inner_text().split("\n")[0].strip()
        firm, tolerance = row.locator("td").nth(1).inner_text().split("\n")[:2]
        rows[name] = [_qty(firm), _qty(tolerance)]
    products = page.locator("h2:has-text('Товары и их стоимость') + .table-wrap tbody tr")
    for row in products.all():
        name = row.locator("td").first.inner_text().split("\n")[0].strip()
        packs = row.locator("td").nth(1).locator(".why").inner_text()
        rows[name].append(int(re.match(r"\d+", packs.strip()).group(0)))
    return rows


def _qty(text: str) -> int:
    match = re.search(r"\d[\d ]*(?:,\d+)?", _flat(text))
    assert match, text
    whole, _, frac = match.group(0).replace(" ", "").partition(",")
    return int(whole) * 1000 + int((frac + "000")[:3])


def test_a_survey_becomes_a_round_and_a_seed_loan_is_repaid_from_a_payout(  # type: ignore[no-untyped-def]
        browser, live_server) -> None:
    session = db.session
    group = make_group(session, name="Жаштык", currency="KGS", language="ru")
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила", login=False)
    tomato, _fabric, npk = make_catalog(session, group)
    session.commit()
    base = f"{live_server}/groups/{group.id}"
    season = f"{base}/season"
    figures: dict[str, object] = {}
    t_ctx, t = _sign_in(browser, live_server, treasurer.user.email, DESKTOP)
    m_ctx, m = _sign_in(browser, live_server, aigul.user.email, PHONE)
    try:
        # -- a seed rate, a survey opened, its paper form ----------------------------
        t.goto(f"{base}")
        t.click("#season-card")
        t.click("a.button[href$='/seed-rates']")
        t.fill(f"input[name=rate_{tomato.id}]", "0,2")
        t.click("main form button[type=submit]")
        assert "изменена" in t.inner_text("main").lower(), t.inner_text("main")
        # the same rate on the catalog's product form: changed there, read here
        t.goto(f"{base}/suppliers/{tomato.supplier_id}")
        t.click(f"a[href$='/products/{tomato.id}']")
        assert t.input_value("input[name=seed_rate]") == "0,2"
        t.fill("input[name=seed_rate]", "0,3")
        t.click("main form button[type=submit]")
        assert "Сохранено" in t.inner_text("main"), t.inner_text("main")
        t.goto(f"{season}/seed-rates")
        assert t.input_value(f"input[name=rate_{tomato.id}]") == "0,3"

        t.goto(f"{season}/surveys/new")
        t.fill("input[name=title]", "Что покупаем весной")
        for product in (tomato.name, npk.name):
            t.locator("label", has_text=product).click()
        t.click("main form button[type=submit]")
        survey_url = t.url.split("#")[0]
        assert re.search(r"/season/surveys/\d+$", survey_url), t.inner_text("main")
        t.click("form[action$='/move/open'] button")
        assert "Опрос открыт" in t.inner_text("main")
        reminder = t.input_value("#copy-text")
        assert "Что покупаем весной" in reminder and survey_url.split("://")[1] in reminder
        form_link = t.locator("a[href$='/form.pdf']").get_attribute("href")
        form_pdf = _flat(_pdf_text(t, live_server + form_link))
        for text in ("Опрос потребностей", tomato.name, npk.name, nurila.user.name, "0,3"):
            assert text in form_pdf, text
        screenshot(t, "season-01-survey-open")

        # -- Айгүл answers on her phone; the treasurer enters Нурила's paper form ---
        m.goto(base)
        m.click("a[href*='/answers/']")
        m.locator("fieldset", has_text=tomato.name).locator("input[name^=firm_]").fill("20")
        m.locator("fieldset", has_text=tomato.name).locator("input[name^=maybe_]").fill("5")
        m.locator("fieldset", has_text=npk.name).locator("input[name^=maybe_]").fill("10")
        m.click("main form button[type=submit]:has-text('Сохранить ответы')")
        assert "Ответы сохранены" in m.inner_text("main"), m.inner_text("main")
        assert _fits(m)
        screenshot(m, "season-02-her-answers")

        t.goto(survey_url)
        t.locator("details summary").click()
        t.click(f"a[href$='/answers/{nurila.id}']")
        t.locator("fieldset", has_text=tomato.name).locator("input[name^=area_]").fill("25")
        t.locator("fieldset", has_text=npk.name).locator("input[name^=firm_]").fill("40")
        t.check("input[name=paper]")
        t.click("main form button[type=submit]:has-text('Сохранить ответы')")
        assert "Ответы сохранены" in t.inner_text("main"), t.inner_text("main")

        # -- Гүлнара answered at the meeting, then left the group --------------------
        gulnara = make_member(session, group, "Гүлнара", login=False)
        survey = session.scalar(select(Survey).where(Survey.group_id == group.id))
        [tomato_item] = [i for i in survey.items if i.product_id == tomato.id]
        surveys.save_answers(session, survey, gulnara, {
            tomato_item.id: surveys.AnswerInput(firm=22000)}, treasurer.user, source="paper")
        deactivate_member(session, gulnara)
        session.commit()

        # -- closed: the demand -----------------------------------------------------
        t.click("form[action$='/move/closed'] button")
        demand = _demand(t)
        # tomato: 20 + 8 (25 соток × 0,3 = 7,5 → 8) sure, 5 maybe, 2 members, pack 25
        # → 1 pack, billed as the round bills it: 25 × 48,50 = 1 212,50 (Гүлнара's
        # 22, which would have made 2 packs, is not counted: she left). NPK: 40
        # sure, short of a pack of 50, so not ordered nor billed: 0; the 10 maybe
        # are Айгүл's with nothing sure, which the round will not carry (a
        # tolerance needs a firm quantity): not counted, 1 member, 0 packs, as the
        # round will order, not the 1 the maybe would have filled
        assert demand[tomato.name] == [28000, 5000, 2, 1, 121250], demand
        assert demand[npk.name] == [40000, 0, 1, 0, 0], demand
        assert _minor(t.inner_text("#budget-total")) == 121250
        for product in (tomato, npk):
            row = t.locator("#demand-table tbody tr", has_text=product.name)
            assert "1 ответ не учтён: он не войдёт в закупку." in row.inner_text()
        left = t.locator("#answers tbody tr", has_text=gulnara.user.name).inner_text()
        assert "не войдёт в закупку: участница выбыла из группы" in left, left
        maybe_only = t.locator("#answers tbody tr", has_text=aigul.user.name).filter(
            has_text=npk.name).inner_text()
        assert "не войдёт в закупку: только «может быть»" in maybe_only, maybe_only
        figures["demand"] = demand
        screenshot(t, "season-03-demand")

        # -- turned into a draft round, after its confirmation -----------------------
        t.fill("input[name=title]", "Весна 2027")
        t.click("form[action$='/convert'] button[type=submit]")
        assert "Весна 2027" in t.inner_text("main")
        t.click("form.confirm-form button[type=submit]")
        report = t.inner_text("#unconverted")
        assert npk.name in report and aigul.user.name in report and "может быть" in report
        rnd = session.scalar(select(Round).where(Round.title == "Весна 2027"))
        assert rnd is not None and rnd.state == "draft"
        lines = {(r.membership_id, r.item.product_id): (r.quantity, r.tolerance)
                 for r in session.scalars(select(Request).where(Request.round_id == rnd.id))}
        assert lines == {(aigul.id, tomato.id): (20000, 5000), (nurila.id, tomato.id): (8000, 0),
                         (nurila.id, npk.id): (40000, 0)}, lines
        t.click(f"a[href$='/rounds/{rnd.id}']")
        assert "Весна 2027" in t.inner_text("h1")
        # the round's page: the same quantities and the same packs as the survey's
        assert _round_figures(t) == {name: [row[0], row[1], row[3]]
                                     for name, row in demand.items()}, _round_figures(t)
        screenshot(t, "season-03-round-packs")

        # -- the round is bought and settled (its own journey covers these pages) ---
        session.expire_all()
        rnd = session.get(Round, rnd.id)
        orders.move_round(session, rnd, treasurer.user, "open")
        orders.move_round(session, rnd, treasurer.user, "closed")
        orders.award_at_list_prices(session, rnd, treasurer.user)
        arrived = {item.id: (fill.packs * fill.pack_size, 0)
                   for item, fill in orders.pack_fills(session, rnd)}
        orders.record_delivery(session, rnd, arrived, actor=treasurer.user)
        orders.confirm_delivery(session, rnd, treasurer.user)
        orders.settle_round(session, rnd, treasurer.user)
        session.commit()
        [allocation] = [a for a in seed.allocations(session, rnd, aigul)
                        if a.product.id == tomato.id]
        value = allocation.value
        due = value * 12000 // 10000 + (1 if value * 12000 % 10000 * 2 >= 10000 else 0)

        # -- a seed loan proposed (sent twice through Back), approved, handed over --
        t.goto(f"{season}/loans/new")
        t.select_option("select[name=member]", label=aigul.user.name)
        t.select_option("select[name=round]", label="Весна 2027")
        t.select_option("select[name=product]", label=tomato.name)
        t.select_option("select[name=repay_mode]", "payout")
        t.fill("input[name=repay_ratio]", "1,2")
        t.fill("input[name=due_on]", (local_today() + timedelta(days=150)).isoformat())
        t.click("main form button[type=submit]")
        loan_url = t.url
        assert re.search(r"/season/loans/\d+$", loan_url), t.inner_text("main")
        go_back(t)  # Back, and send the form again: refused, one loan
        t.click("main form button[type=submit]")
        text = t.inner_text("main")
        assert "уже записано" in text or "уже есть заём семенами" in text, text
        session.expire_all()
        assert len(session.scalars(select(SeedLoan).where(
            SeedLoan.group_id == group.id)).all()) == 1
        t.goto(loan_url)
        t.click("form[action$='/approve'] button")
        t.click("form[action$='/deliver'] button")
        assert "Семена выданы" in t.inner_text("main"), t.inner_text("main")
        assert _minor(t.inner_text("#loan-value")) == value
        assert _minor(t.inner_text("#loan-due")) == due
        assert _minor(t.inner_text("#loan-left")) == due
        assert "× 1,2" in t.inner_text("#terms")
        figures["loan"] = {"value": value, "due": due}
        slip = _flat(_pdf_text(t, loan_url + "/slip.pdf"))
        for text in ("Расписка по займу семенами", aigul.user.name, tomato.name,
                     _money(value), _money(due), "из следующих выплат с продаж"):
            assert text in slip, (text, slip[:400])
        session.expire_all()
        loan = session.scalar(select(SeedLoan).where(SeedLoan.group_id == group.id))
        assert seed.member_seed_balance(session, aigul) == value
        screenshot(t, "season-04-loan")

        # her own loan, on her phone
        m.goto(loan_url)
        assert _minor(m.inner_text("#loan-left")) == due and _fits(m)

        # -- she sells dried apricots with the group: the payout repays it first ----
        sheet = {name.split("\n")[0]: row
                 for name, row in _joint_sale(t, base, {aigul.user.name: "20"}).items()}
        assert sheet[aigul.user.name][0] == 20 * 150 * 100, sheet
        row = t.locator("#payout-sheet tbody tr", has_text=aigul.user.name)
        assert _minor(row.locator(".seed-loans").inner_text()) == due
        payout, withheld, set_off, cash = sheet[aigul.user.name][:4]  # its own column
        assert withheld == due and set_off + cash + due == payout, (payout, set_off, cash, due)
        lot_url = t.url.removesuffix("/close")
        m.goto(f"{lot_url}/payout/{aigul.id}")
        assert _minor(m.inner_text("#seed-loans")) == -due
        assert _fits(m)
        statement = _flat(_pdf_text(m, f"{lot_url}/payout/{aigul.id}/statement.pdf"))
        after = statement.split("Сначала погашены займы семенами", 1)[1]
        assert _minor(after.split("Зачтено")[0]) == -due, after[:80]
        screenshot(m, "season-05-payout")

        t.goto(loan_url)
        assert "погашен" in t.inner_text("#loan-state")  # repaid
        assert _minor(t.inner_text("#loan-left")) == 0

        # -- the books ---------------------------------------------------------------
        session.expire_all()
        session.refresh(loan)
        assert loan.state == "repaid"
        books = ledger.books(session, group, list_members(session, group))
        assert books.total == 0 and books.seed_loans == 0
        assert check_books(session, group.id) == []
        assert seed.fund_lent(session, group) == 0
        income = sum(r.income for r in loan.repayments)
        assert income == due - value
        figures["fund income"] = income

        # -- a loan proposed to Нурила by mistake and cancelled, on the treasurer's
        # phone: cancelling asks first, and then the loan owes nothing, on every page --
        wrong = seed.propose_loan(session, group, nurila, round_id=rnd.id,
                                  product_id=tomato.id, repay_mode="cash", repay_bp=12000,
                                  actor=treasurer.user,
                                  due_on=local_today() + timedelta(days=150))
        seed.approve_loan(session, wrong, treasurer.user)
        session.commit()
        wrong_url, wrong_due = f"{season}/loans/{wrong.id}", seed.position(wrong).due
        t.set_viewport_size(PHONE)
        t.goto(wrong_url)
        assert "одобрен" in t.inner_text("#loan-state")
        t.click("#cancel-loan")
        asked = t.inner_text("main")
        assert f"Отменить семенной заём №{wrong.id}?" in asked, asked
        assert "Отменённый заём нельзя вернуть" in asked and _fits(t)
        screenshot(t, "season-05b-cancel-asks-first")
        t.click("main .confirm-form a.button")  # «Назад, ничего не менять»
        assert t.url == wrong_url
        session.expire_all()
        assert session.get(SeedLoan, wrong.id).state == "approved"
        t.click("#cancel-loan")
        t.click("main .confirm-form button[type=submit]")
        assert "Заём отменён." in t.inner_text("main"), t.inner_text("main")
        assert t.inner_text("#loan-state").endswith("· отменён")  # «заём»: masculine
        assert _minor(t.inner_text("#loan-left")) == 0
        assert t.inner_text("#loan-due").strip() == "—"
        assert _money(wrong_due) not in t.inner_text("main")
        assert "ничего не должна" in t.inner_text("#loan-cancelled") and _fits(t)
        screenshot(t, "season-05c-cancelled-owes-nothing")
        t.goto(f"{season}/loans")
        row = t.locator("#loans tbody tr", has_text=f"№ {wrong.id}")
        assert "отменён" in row.inner_text() and _minor(
            row.locator("td.num").last.inner_text()) == 0, row.inner_text()
        slip = _flat(_pdf_text(t, wrong_url + "/slip.pdf"))
        # no terms on a cancelled loan's slip: the mark and one sentence instead
        assert "ОТМЕНЁН" in slip and "ничего возвращать не нужно" in slip, slip[:600]
        assert "Вы возвращаете" not in slip and "Осталось вернуть" not in slip, slip
        assert _money(wrong_due) not in slip, slip
        t.set_viewport_size(DESKTOP)
        session.expire_all()
        assert session.get(SeedLoan, wrong.id).state == "cancelled"
        assert check_books(session, group.id) == []

        # -- Нурила's loan in kind, her produce returned into a sales lot for the fund --
        kind_loan = seed.propose_loan(session, group, nurila, round_id=rnd.id,
                                      product_id=tomato.id, repay_mode="kind",
                                      repay_bp=12000, actor=treasurer.user,
                                      due_on=local_today() + timedelta(days=150))
        seed.approve_loan(session, kind_loan, treasurer.user)
        seed.deliver_loan(session, kind_loan, treasurer.user)
        lot = make_sale_lot(session, group, treasurer, product="Семена томата на продажу",
                            unit=tomato.unit)
        session.commit()
        due_qty, kind_due = seed.due_quantity(kind_loan), seed.position(kind_loan).due
        top = lot.grades[0]
        kind_url = f"{season}/loans/{kind_loan.id}"
        # -- 10 paid in cash first, then Back and the same 10 sent again (the form
        # shown anew, with a new key): asked first, recorded once --
        t.goto(kind_url)
        for attempt in range(2):
            t.fill("#repay-cash input[name=amount]", "10")
            t.select_option("#repay-cash select[name=method]", "cash")
            t.click("#repay-cash button[type=submit]")
            text = t.inner_text("main")
            if attempt == 0:
                assert "Возврат записан" in text, text
                go_back(t)
        assert "Записать ещё" in text and "Оплачено деньгами" in text, text
        screenshot(t, "season-06-repayment-asked-again")
        session.expire_all()
        assert [r.amount for r in session.get(SeedLoan, kind_loan.id).repayments] == [1000]
        t.goto(kind_url)
        assert t.locator("#repayments tbody tr").count() == 1
        assert _minor(t.inner_text("#loan-left")) == kind_due - 1000
        t.set_viewport_size(PHONE)  # the treasurer at the lot's scales, on her phone
        t.goto(kind_url)
        assert _fits(t)
        screenshot(t, "season-06-return-form-phone")
        t.fill("#repay-kind input[name=quantity]", str(due_qty // 1000))
        t.select_option("#repay-kind select[name=destination]", f"{lot.id}-{top.id}")
        t.click("#repay-kind button[type=submit]")
        assert "от имени фонда" in t.inner_text("main"), t.inner_text("main")
        assert "погашен" in t.inner_text("#loan-state")
        assert f"в партию на продажу №{lot.id}" in t.inner_text("#repayments")
        screenshot(t, "season-06-return-into-lot")
        t.set_viewport_size(DESKTOP)
        buyer = make_buyer(session, group)
        session.expire_all()
        lot = session.get(SaleLot, lot.id)
        sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=local_today(),
                          lines={top.id: (due_qty, 100 * 1_000_000)}, actor=treasurer.user)
        session.commit()
        fund_before = ledger.books(session, group, []).fund
        t.goto(f"{base}/sales/{lot.id}/close")
        label = f"в фонд (возврат семенного займа №{kind_loan.id})"
        fund_row = t.locator("#payout-sheet tbody tr.for-fund")
        assert label in fund_row.inner_text(), fund_row.inner_text()
        revenue = due_qty // 1000 * 100 * 100
        assert _minor(fund_row.locator("td.num").first.inner_text()) == revenue
        sales.close_lot(session, lot, treasurer.user, unsold_actions={})
        session.commit()
        sheet_pdf = _flat(_pdf_text(t, f"{base}/sales/{lot.id}/payout-sheet.pdf"))
        assert label in sheet_pdf, sheet_pdf[:400]
        books = ledger.books(session, group, list_members(session, group))
        assert books.total == 0 and check_books(session, group.id) == []
        # the fund: the lot's revenue for it, less the value the return was taken in at
        # (what the 10 paid in cash left of the loan)
        assert books.fund - fund_before == revenue - (kind_due - 1000)
        figures["returned into a lot"] = {"quantity": due_qty, "due": kind_due,
                                          "fund's share": revenue}
        print("SEASON JOURNEY", figures)
    finally:
        t_ctx.close()
        m_ctx.close()
