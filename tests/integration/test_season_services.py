"""The season through the services and the database: a survey answered (by
quantity, by area, by the treasurer, by CSV), its demand, its conversion into
a draft round; seed loans delivered from a settled round and repaid in cash,
in kind into the stock, from a sales payout, or written off; the books."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.groups.services import deactivate_member, list_members
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.orders import services as orders
from coop.orders.models import Request
from coop.quantities import parse_quantity as q
from coop.sales import services as sales
from coop.season import domain
from coop.season import loans as seed
from coop.season import services as survey_services
from coop.season.services import AnswerInput
from coop.suppliers.domain import CatalogError
from tests.factories import (
    make_buyer,
    make_catalog,
    make_group,
    make_member,
    make_sale_lot,
    make_settled_round,
)


def survey_world(session: Session):  # type: ignore[no-untyped-def]
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul, nurila = make_member(session, group, "Айгүл"), make_member(session, group, "Нурила")
    tomato, fabric, npk = make_catalog(session, group)
    tomato.seed_rate = q("0.3")  # 0,3 пакета на сотку
    survey = survey_services.create_survey(session, group, treasurer.user, title="Весна 2027",
                                           product_ids=[tomato.id, fabric.id, npk.id])
    survey_services.move_survey(session, survey, "open")
    return group, treasurer, aigul, nurila, survey, survey.items


def test_a_survey_answered_by_quantity_and_by_area_shows_its_demand(session: Session) -> None:
    _group, treasurer, aigul, nurila, survey, (tomato, fabric, npk) = survey_world(session)
    survey_services.save_answers(session, survey, aigul, {
        tomato.id: AnswerInput(firm=q("20"), maybe=q("5")), npk.id: AnswerInput(firm=q("60"))},
        aigul.user, source="member")
    # 25 сотых × 0,3 = 7,5 → 8 packets (step 1)
    survey_services.save_answers(session, survey, nurila, {
        tomato.id: AnswerInput(area=q("25")), fabric.id: AnswerInput(maybe=q("3"))},
        treasurer.user, source="paper")
    demand = survey_services.survey_demand(session, survey)
    rows = {r.item.id: r for r in demand.rows}
    assert (rows[tomato.id].firm, rows[tomato.id].maybe, rows[tomato.id].members) == (
        q("28"), q("5"), 2)
    # pack 25: 28 firm fills one pack, 3 left + 5 maybe do not fill the second
    assert rows[tomato.id].fill.packs == 1
    assert rows[npk.id].fill.packs == 1 and rows[npk.id].fill.remainder == q("10")
    # as the round bills it: the one pack, 25 × 48,50 = 1 212,50 (not 28 × 48,50);
    # NPK's 60 kg, one pack of 50 at 78,00 = 3 900,00; fabric: a maybe alone, nothing
    assert rows[tomato.id].budget == 121250
    assert rows[npk.id].budget == 390000 and rows[fabric.id].budget == 0
    assert demand.members == 2
    assert demand.budget == sum(r.budget for r in demand.rows)


def test_the_member_cannot_answer_a_closed_survey_and_steps_are_checked(session: Session
                                                                        ) -> None:
    _group, treasurer, aigul, _n, survey, (tomato, fabric, _npk) = survey_world(session)
    with pytest.raises(DomainError) as refused:
        survey_services.save_answers(session, survey, aigul,
                                     {fabric.id: AnswerInput(firm=q("1.25"))}, aigul.user,
                                     source="member")
    assert refused.value.field == f"firm_{fabric.id}"
    with pytest.raises(DomainError):  # fabric has no seed rate
        survey_services.save_answers(session, survey, aigul, {fabric.id: AnswerInput(area=1000)},
                                     aigul.user, source="member")
    survey_services.move_survey(session, survey, "closed")
    with pytest.raises(DomainError):
        survey_services.save_answers(session, survey, aigul,
                                     {tomato.id: AnswerInput(firm=q("2"))}, aigul.user,
                                     source="member")
    # the treasurer may still enter a paper form
    survey_services.save_answers(session, survey, aigul, {tomato.id: AnswerInput(firm=q("2"))},
                                 treasurer.user, source="paper")


def test_the_closed_survey_becomes_a_draft_round_reporting_what_it_could_not_carry(
        session: Session) -> None:
    _group, treasurer, aigul, nurila, survey, (tomato, fabric, npk) = survey_world(session)
    survey_services.save_answers(session, survey, aigul, {
        tomato.id: AnswerInput(firm=q("20"), maybe=q("5")), npk.id: AnswerInput(firm=q("60"))},
        aigul.user, source="member")
    survey_services.save_answers(session, survey, nurila, {
        tomato.id: AnswerInput(area=q("25")), fabric.id: AnswerInput(maybe=q("3"))},
        nurila.user, source="member")
    survey_services.add_wish(session, survey, nurila, text="Семена лука", quantity="2 кг",
                             actor=nurila.user)
    npk.product.retired = True
    with pytest.raises(DomainError):  # still open
        survey_services.convert_survey(session, survey, treasurer.user, title="Весна")
    survey_services.move_survey(session, survey, "closed")
    done = survey_services.convert_survey(session, survey, treasurer.user, title="Весна")
    assert done.round.state == "draft" and survey.state == "converted"
    assert survey.round_id == done.round.id
    assert [i.product_id for i in done.round.items] == [tomato.product_id, fabric.product_id]
    lines = {(r.membership_id, r.item.product_id): (r.quantity, r.tolerance)
             for r in session.scalars(select(Request).where(Request.round_id == done.round.id))}
    assert lines == {(aigul.id, tomato.product_id): (q("20"), q("5")),
                     (nurila.id, tomato.product_id): (q("8"), 0)}
    reasons = sorted((u.what, u.member) for u in done.unconverted)
    assert reasons == sorted([(npk.product.name, ""), (fabric.product.name, nurila.user.name),
                              ("Семена лука", nurila.user.name)])
    with pytest.raises(DomainError):  # once only
        survey_services.convert_survey(session, survey, treasurer.user, title="Весна")


def test_csv_import_is_all_or_nothing_with_line_numbers(session: Session) -> None:
    _group, treasurer, aigul, nurila, survey, (tomato, fabric, npk) = survey_world(session)
    good = (f"member;product;firm;maybe;area\n{aigul.user.name};{tomato.product.name};10;5;\n"
            f"{nurila.user.name};{npk.product.name};30;;\n").encode()
    bad = (f"member;product;firm;maybe;area\n{aigul.user.name};{tomato.product.name};10;5;\n"
           f"Никто;{npk.product.name};30;;\n{nurila.user.name};{fabric.product.name};1,25;;\n"
           f"{nurila.user.name};{tomato.product.name};;;abc\n").encode()
    with pytest.raises(CatalogError) as refused:
        survey_services.import_answers(session, survey, bad, treasurer.user)
    assert sorted({e.line for e in refused.value.errors}) == [3, 4, 5]
    assert survey_services.survey_answers(session, survey) == []
    assert survey_services.import_answers(session, survey, good, treasurer.user) == 2
    assert {(a.membership_id, a.firm, a.source) for a in
            survey_services.survey_answers(session, survey)} == {
        (aigul.id, q("10"), "import"), (nurila.id, q("30"), "import")}


def test_an_excel_workbook_imports_as_the_csv_does(session: Session) -> None:
    from tests.unit.test_catalog_files import xlsx

    _group, treasurer, aigul, nurila, survey, (tomato, fabric, npk) = survey_world(session)
    header = ["Участница", "Товар", "Точно", "Возможно", "Площадь"]
    bad = xlsx([header, [aigul.user.name, tomato.product.name, 10, 5, None],
                ["Никто", npk.product.name, 30, None, None],
                [nurila.user.name, fabric.product.name, 1.25, None, None]], title_row=True)
    with pytest.raises(CatalogError) as refused:
        survey_services.import_answers(session, survey, bad, treasurer.user)
    # the sheet's row numbers: the header is on row 2 below an empty first row
    assert sorted({e.line for e in refused.value.errors}) == [4, 5]
    assert survey_services.survey_answers(session, survey) == []
    good = xlsx([header, [aigul.user.name, tomato.product.name, 10, 5, None],
                 [nurila.user.name, npk.product.name, 30, 2.0, None]])
    assert survey_services.import_answers(session, survey, good, treasurer.user) == 2
    assert {(a.membership_id, a.firm, a.maybe, a.source) for a in
            survey_services.survey_answers(session, survey)} == {
        (aigul.id, q("10"), q("5"), "import"), (nurila.id, q("30"), q("2"), "import")}
    with pytest.raises(CatalogError) as old_excel:
        survey_services.import_answers(session, survey, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" +
                                       b"\0" * 100, treasurer.user)
    assert ".xls" in str(old_excel.value.errors[0].message)


def test_household_profiles_feed_counts_only(session: Session) -> None:
    group = make_group(session)
    people = [make_member(session, group) for _ in range(3)]
    survey_services.save_profile(session, people[0], people[0].user, household_size=5,
                                 land=q("12"), livestock=3, migrant_abroad=True,
                                 services_wanted="")
    survey_services.save_profile(session, people[1], people[1].user, household_size=2,
                                 land=None, livestock=0, migrant_abroad=False,
                                 services_wanted="")
    counts = survey_services.group_indicators(session, group)
    assert (counts.members, counts.answered, counts.migrant_households, counts.no_migrant,
            counts.with_livestock) == (3, 2, 1, 1, 1)
    assert counts.household_bands == {"1-3": 1, "4-6": 1, "7+": 0}
    with pytest.raises(DomainError):
        survey_services.save_profile(session, people[2], people[2].user, household_size=0,
                                     land=None, livestock=None, migrant_abroad=None,
                                     services_wanted="")


# -- seed loans -------------------------------------------------------------------

def loan_world(session: Session, mode: str = "cash", bp: int = 12000):  # type: ignore[no-untyped-def]
    w = make_settled_round(session, members=2)
    member = w.members[0]
    [allocation] = [a for a in seed.allocations(session, w.rnd, member)
                    if a.product.id == w.seed.product_id]
    loan = seed.propose_loan(session, w.group, member, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode=mode, repay_bp=bp,
                             due_on=local_today() + timedelta(days=120), actor=w.treasurer.user,
                             idempotency_key="k" * 20)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    return w, member, loan, allocation


def books_total(session: Session, group) -> int:  # type: ignore[no-untyped-def]
    return ledger.books(session, group, list_members(session, group)).total


def test_delivery_moves_her_debt_to_the_seed_loan_account(session: Session) -> None:
    w, member, loan, allocation = loan_world(session)
    assert loan.state == "delivered" and loan.value == allocation.value > 0
    assert seed.member_seed_balance(session, member) == loan.value
    before = ledger.member_balance(session, member)
    assert before < 0  # she still owes the rest of her bill, not the seed
    assert seed.fund_lent(session, w.group) == loan.value
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []


def test_cash_repayment_at_a_ratio_pays_the_fund_its_income(session: Session) -> None:
    w, member, loan, _a = loan_world(session, bp=12000)
    due = domain.due_money(loan.value, 12000)
    fund_before = ledger.books(session, w.group, []).fund
    seed.repay_cash(session, loan, amount=due - 100, method="cash", actor=w.treasurer.user,
                    idempotency_key="a" * 20)
    assert loan.state == "delivered" and seed.position(loan).left == 100
    again = seed.repay_cash(session, loan, amount=due - 100, method="cash",
                            actor=w.treasurer.user, idempotency_key="a" * 20)
    assert len(loan.repayments) == 1 and again is loan.repayments[0]
    with pytest.raises(DomainError):
        seed.repay_cash(session, loan, amount=101, method="cash", actor=w.treasurer.user,
                        idempotency_key="b" * 20)
    seed.repay_cash(session, loan, amount=100, method="cash", actor=w.treasurer.user,
                    idempotency_key="c" * 20)
    assert loan.state == "repaid"
    assert seed.member_seed_balance(session, member) == 0
    assert ledger.books(session, w.group, []).fund - fund_before == due - loan.value
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []


def test_in_kind_return_fills_the_stock_and_write_off_is_a_fund_loss(session: Session) -> None:
    w, _member, loan, _a = loan_world(session, mode="kind", bp=12000)
    due_qty = seed.due_quantity(loan)
    assert due_qty == domain.due_kind(loan.quantity, 12000, loan.product.granularity)
    step = loan.product.granularity
    seed.repay_in_kind(session, loan, quantity=step, actor=w.treasurer.user,
                       idempotency_key="d" * 20)
    seed.repay_in_kind(session, loan, quantity=due_qty - step, actor=w.treasurer.user,
                       idempotency_key="e" * 20)
    assert loan.state == "repaid"
    [row] = seed.stock_register(session, w.group)
    assert row.on_hand == due_qty and row.value == domain.due_money(loan.value, 12000)
    seed.take_from_stock(session, w.group, product_id=loan.product_id, quantity=step,
                         note="Демонстрационный участок", actor=w.treasurer.user)
    [row] = seed.stock_register(session, w.group)
    assert row.on_hand == due_qty - step
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []

    other = w.members[1]
    loan2 = seed.propose_loan(session, w.group, other, round_id=w.rnd.id,
                              product_id=w.npk.product_id, repay_mode="cash", repay_bp=10000,
                              due_on=local_today() + timedelta(days=90), actor=w.treasurer.user)
    seed.approve_loan(session, loan2, w.treasurer.user)
    seed.deliver_loan(session, loan2, w.treasurer.user)
    fund_before = ledger.books(session, w.group, []).fund
    seed.write_off_loan(session, loan2, reason="Засуха", actor=w.treasurer.user)
    assert loan2.state == "written_off"
    assert fund_before - ledger.books(session, w.group, []).fund == loan2.value
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []


def test_a_sales_payout_repays_her_seed_loan_first(session: Session) -> None:
    w, member, loan, _a = loan_world(session, mode="payout", bp=11000)
    due = domain.due_money(loan.value, 11000)
    lot = make_sale_lot(session, w.group, w.treasurer)
    top = lot.grades[0]
    sales.record_contribution(session, lot, member, grade_id=top.id, quantity=q("100"),
                              actor=w.treasurer.user, brought_on=date(2026, 8, 10))
    buyer = make_buyer(session, w.group)
    sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                      lines={top.id: (q("100"), q("1") * 100_000)}, actor=w.treasurer.user)
    preview = sales.payout_sheet(session, lot).line(member.id)
    assert preview is not None and preview.seed_loans == min(due, preview.entitled)
    sales.close_lot(session, lot, w.treasurer.user, unsold_actions={})
    sheet = sales.payout_sheet(session, lot).line(member.id)
    assert sheet is not None
    assert sheet.seed_loans == min(due, sheet.entitled)
    assert sheet.seed_loans + sheet.set_off + sheet.cash_due == sheet.entitled
    session.refresh(loan)
    if sheet.entitled >= due:
        assert loan.state == "repaid"
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []


def test_loans_refuse_bad_input(session: Session) -> None:
    w = make_settled_round(session, members=2)
    member = w.members[0]
    common = dict(round_id=w.rnd.id, product_id=w.seed.product_id, repay_mode="cash",
                  repay_bp=12000, due_on=local_today() + timedelta(days=30),
                  actor=w.treasurer.user)
    for change, field in (({"repay_bp": 5000}, "repay_ratio"),
                          ({"due_on": local_today()}, "due_on"),
                          ({"repay_mode": "gold"}, "repay_mode"),
                          ({"round_id": 10**9}, "round")):
        with pytest.raises(DomainError) as refused:
            seed.propose_loan(session, w.group, member, **{**common, **change})
        assert refused.value.field == field
    loan = seed.propose_loan(session, w.group, member, **common)
    with pytest.raises(DomainError):
        seed.propose_loan(session, w.group, member, **common)
    with pytest.raises(DomainError):  # not approved yet
        seed.deliver_loan(session, loan, w.treasurer.user)
    with pytest.raises(DomainError):
        seed.repay_cash(session, loan, amount=100, method="cash", actor=w.treasurer.user)


def test_seed_returned_after_a_cash_part_never_clears_more_than_is_left(
        session: Session) -> None:
    """A loan in kind, part paid in money first: each return clears its share
    of the value, but never more than is left; the last one closes it."""
    w = make_settled_round(session, members=2)
    actor = w.treasurer.user
    loan = seed.propose_loan(session, w.group, w.members[0], round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="kind", repay_bp=12000,
                             due_on=local_today() + timedelta(days=90), actor=actor)
    seed.approve_loan(session, loan, actor)
    seed.deliver_loan(session, loan, actor)
    due_qty = seed.due_quantity(loan)
    step = loan.product.granularity
    left = seed.position(loan).left
    seed.repay_cash(session, loan, amount=left - left // 10, method="cash", actor=actor)
    first = seed.repay_in_kind(session, loan, quantity=due_qty - step, actor=actor)
    assert loan.state == "repaid" and seed.position(loan).left == 0
    assert first.principal + first.income <= left // 10 + 1
    assert check_books(session, w.group.id) == []


def test_seed_returned_into_a_sales_lot_pays_its_share_to_the_fund(session: Session) -> None:
    """She brings her produce into an open lot to repay her seed loan in kind:
    the loan is cleared at once at its valuation (as seed into the stock
    would be); when the lot is sold and closed, that contribution's share goes
    to the solidarity fund, her own payout leaves it out, the books balance."""
    w, member, loan, _a = loan_world(session, mode="kind", bp=12000)
    actor = w.treasurer.user
    due_qty, due = seed.due_quantity(loan), domain.due_money(loan.value, 12000)
    lot = make_sale_lot(session, w.group, w.treasurer, product="Семена томата", unit="пакет")
    top, second = lot.grades
    assert (lot, top) in seed.lots_for_return(session, loan)
    other_unit = make_sale_lot(session, w.group, w.treasurer)  # jars, not sachets
    assert all(x is not other_unit for x, _g in seed.lots_for_return(session, loan))
    with pytest.raises(DomainError):
        seed.repay_in_kind(session, loan, quantity=due_qty, actor=actor,
                           idempotency_key="u" * 20, lot_id=other_unit.id,
                           grade_id=other_unit.grades[0].id)
    with pytest.raises(DomainError):  # more than she owes
        seed.repay_in_kind(session, loan, quantity=due_qty + 1000, actor=actor,
                           idempotency_key="v" * 20, lot_id=lot.id, grade_id=top.id)
    fund_before = ledger.books(session, w.group, []).fund
    returned, new = seed.repay_in_kind_once(session, loan, quantity=due_qty, actor=actor,
                                            idempotency_key="w" * 20, lot_id=lot.id,
                                            grade_id=top.id)
    again, new_again = seed.repay_in_kind_once(session, loan, quantity=due_qty, actor=actor,
                                               idempotency_key="w" * 20, lot_id=lot.id,
                                               grade_id=top.id)
    assert new and not new_again and again is returned
    assert loan.state == "repaid" and returned.amount == due
    assert seed.member_seed_balance(session, member) == 0
    assert seed.lot_of(session, returned) == lot.id
    assert seed.stock_register(session, w.group) == []  # produce in a lot, not seed in stock
    assert ledger.books(session, w.group, []).fund - fund_before == due - loan.value
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []
    with pytest.raises(DomainError):  # the loan is credited with it: no correction
        sales.correct_contribution(session, lot, returned.contribution_id, grade_id=top.id,
                                   quantity=1000, reason="ошибка", actor=actor)

    # she and the other member also bring their own produce
    other = w.members[1]
    sales.record_contribution(session, lot, member, grade_id=top.id, quantity=q("10"),
                              actor=actor, brought_on=date(2026, 8, 10))
    sales.record_contribution(session, lot, other, grade_id=second.id, quantity=q("20"),
                              actor=actor, brought_on=date(2026, 8, 10))
    buyer = make_buyer(session, w.group)
    pooled_top = due_qty + q("10")
    sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                      lines={top.id: (pooled_top, q("1") * 100_000),
                             second.id: (q("20"), q("1") * 80_000)}, actor=actor)
    preview = sales.payout_sheet(session, lot)
    [fund_line] = [x for x in preview.lines if x.for_fund]
    assert fund_line.fund_loan is loan and fund_line.cash_due == 0
    with force_locale("ru"):
        assert fund_line.fund_label() == f"в фонд (возврат семенного займа №{loan.id})"
    fund_before = ledger.books(session, w.group, []).fund
    her_before = ledger.member_balance(session, member)
    view = sales.close_lot(session, lot, actor, unsold_actions={})
    [(fund_loan, fund_share)] = view.fund_rows()
    assert fund_loan.id == loan.id and fund_share.payout > 0
    [(_ms, hers)] = [(ms, m) for ms, m in view.rows() if ms.id == member.id]
    # her own 10 sachets and the fund's due_qty sold at the same price, no costs:
    # the shares stand as the quantities (to the largest remainder's unit)
    assert abs(fund_share.payout * q("10") - hers.payout * due_qty) <= max(due_qty, q("10"))
    assert ledger.member_balance(session, member) - her_before == hers.payout
    # the fund gets the share's revenue, less the value the return was taken in at
    assert ledger.books(session, w.group, []).fund - fund_before == (
        fund_share.payout + view.split.levy - due)
    sheet = sales.payout_sheet(session, lot)
    mine = sheet.line(member.id)
    assert mine is not None and not mine.for_fund and mine.entitled == hers.payout
    assert sum(x.entitled for x in sheet.lines) == view.split.payouts
    assert sheet.cash_due == sum(x.cash_due for x in sheet.lines if not x.for_fund)
    kinds = [p.kind for p in sales.lot_postings(session, lot)]
    assert "payout_fund" in kinds and "seed_return_lot" in kinds
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []
    # her payout statement (PDF) says so, as her payout page does: not in her payout
    from coop.i18n import fmt_money
    from coop.sales.documents import payout_statement_pdf
    from tests.integration.test_documents import pdf_text

    text = " ".join(pdf_text(payout_statement_pdf(session, lot, member)).split())
    with force_locale("ru"):
        said = (f"Не входит в эту выплату: в фонд (возврат семенного займа №{loan.id}), "
                f"{fmt_money(fund_share.payout, w.group.currency)}, выплачено в фонд "
                f"солидарности.")
    assert " ".join(said.replace("\u00a0", " ").split()) in text.replace("\u00a0", " "), text
    other_text = pdf_text(payout_statement_pdf(session, lot, other))
    assert "семенного займа" not in other_text


def test_the_funds_unsold_produce_carried_to_a_new_lot_stays_the_funds(session: Session) -> None:
    """Half of the produce returned for a loan is sold; the rest is carried to
    a new lot, still in the fund's name: closing that lot pays the fund too,
    and her own payouts hold none of it."""
    w, member, loan, _a = loan_world(session, mode="kind", bp=10000)
    actor = w.treasurer.user
    due_qty = seed.due_quantity(loan)
    lot = make_sale_lot(session, w.group, w.treasurer, product="Семена томата", unit="пакет")
    top = lot.grades[0]
    seed.repay_in_kind(session, loan, quantity=due_qty, actor=actor, idempotency_key="x" * 20,
                       lot_id=lot.id, grade_id=top.id)
    buyer = make_buyer(session, w.group)
    sold = due_qty // 2000 * 1000
    sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                      lines={top.id: (sold, q("1") * 100_000)}, actor=actor)
    view = sales.close_lot(session, lot, actor, unsold_actions={top.id: "carry"})
    new = sales.carried_to(session, lot)
    assert new is not None
    [carried] = sales.contribution_entries(session, new)
    assert carried.original.seed_loan_id == loan.id
    assert carried.original.membership_id == member.id
    assert carried.original.quantity == due_qty - sold
    assert sales.member_payouts(session, member) == []  # nothing of hers, all the fund's
    [(_loan, first)] = view.fund_rows()
    new_top = new.grades[0]
    sales.record_sale(session, new, buyer_id=buyer.id, sold_on=date(2026, 9, 20),
                      lines={new_top.id: (due_qty - sold, q("1") * 100_000)}, actor=actor)
    fund_before = ledger.books(session, w.group, []).fund
    again = sales.close_lot(session, new, actor, unsold_actions={})
    [(_loan, second)] = again.fund_rows()
    # nothing of its value is left in the stock account: all of it left at the first close
    gained = ledger.books(session, w.group, []).fund - fund_before
    assert gained == second.payout + again.split.levy and second.payout > 0
    assert first.payout > 0
    assert ledger.account_balance(session, seed.stock_account(session, w.group)) == 0
    assert books_total(session, w.group) == 0 and check_books(session, w.group.id) == []


def test_seed_is_not_returned_into_a_lot_whose_collection_has_not_started(
        session: Session) -> None:
    """As produce brought on the lot's own page: a return into a lot whose
    collection starts tomorrow is refused, and nothing is written."""
    from coop.sales.forms import parse_factor

    w, _member, loan, _a = loan_world(session, mode="kind", bp=12000)
    actor = w.treasurer.user
    lot = sales.create_lot(session, w.group, actor, product="Семена томата", unit="пакет",
                           grades=[sales.GradeInput("Высший сорт", parse_factor("1"))],
                           period_from=local_today() + timedelta(days=1), period_to=None,
                           place="", step=q("1"))
    session.flush()
    before = seed.position(loan)
    with pytest.raises(DomainError, match="collection starts on"):
        seed.repay_in_kind(session, loan, quantity=seed.due_quantity(loan), actor=actor,
                           idempotency_key="x" * 20, lot_id=lot.id, grade_id=lot.grades[0].id)
    session.rollback()
    assert seed.position(loan) == before and sales.contribution_entries(session, lot) == []


def test_the_demand_counts_only_what_the_conversion_carries_into_the_round(
        session: Session) -> None:
    """Гүлнара answered and left the group; fabric's step went from 0,5 m to
    1 m after Нурила answered 3,5 m; Айгүл's NPK is a "maybe" alone. The
    conversion refuses those three answers: the survey's figures leave them
    out too, say why, and are the packs of the round it becomes."""
    group, treasurer, aigul, nurila, survey, (tomato, fabric, npk) = survey_world(session)
    gulnara = make_member(session, group, "Гүлнара")
    survey_services.save_answers(session, survey, aigul, {
        tomato.id: AnswerInput(firm=q("20"), maybe=q("3")), fabric.id: AnswerInput(firm=q("25")),
        npk.id: AnswerInput(maybe=q("10"))}, aigul.user, source="member")
    survey_services.save_answers(session, survey, nurila, {
        tomato.id: AnswerInput(firm=q("2")), fabric.id: AnswerInput(firm=q("3.5"), maybe=q("1")),
        npk.id: AnswerInput(firm=q("40"))}, nurila.user, source="member")
    survey_services.save_answers(session, survey, gulnara, {
        tomato.id: AnswerInput(firm=q("6"), maybe=q("2"))}, gulnara.user, source="member")
    deactivate_member(session, gulnara)
    fabric.product.granularity = q("1")
    survey_services.move_survey(session, survey, "closed")

    with force_locale("ru"):  # (as a page in Russian reads it)
        demand = survey_services.survey_demand(session, survey)
    rows = {r.product.id: r for r in demand.rows}
    # tomato: 20 + 2 sure, 3 maybe (not Гүлнара's 6 + 2): 22 + 3 fill the first pack
    assert (rows[tomato.product_id].firm, rows[tomato.product_id].maybe,
            rows[tomato.product_id].members, rows[tomato.product_id].fill.packs) == (
        q("22"), q("3"), 2, 1)
    # fabric: Айгүл's 25 m alone, 5 m short of the first pack of 30
    assert (rows[fabric.product_id].firm, rows[fabric.product_id].maybe,
            rows[fabric.product_id].fill.packs, rows[fabric.product_id].fill.short) == (
        q("25"), 0, 0, q("5"))
    assert (rows[npk.product_id].firm, rows[npk.product_id].maybe,
            rows[npk.product_id].members) == (q("40"), 0, 1)
    assert rows[tomato.product_id].budget == 25 * 4850  # the pack the "maybe" fills

    done = survey_services.convert_survey(session, survey, treasurer.user, title="Весна")
    fills = {item.product_id: fill for item, fill in orders.pack_fills(session, done.round)}
    assert {pid: row.fill for pid, row in rows.items()} == fills

    # the answers it leaves out are those the conversion reports, each with why
    answers = {a.id: a for a in survey_services.survey_answers(session, survey)}
    with force_locale("ru"):
        left_out = {(answers[a].membership_id, answers[a].item.product_id): str(why)
                    for a, why in demand.not_carried.items()}
    assert left_out == {
        (gulnara.id, tomato.product_id): "участница выбыла из группы",
        (nurila.id, fabric.product_id): "количество «точно» не кратно шагу 1 метр",
        (aigul.id, npk.product_id): "только «может быть»: для допуска в закупке нужно "
                                    "твёрдое количество"}, left_out
    names = {m.user.name: m.id for m in (aigul, nurila, gulnara)}
    reported = {(names[u.member], u.what) for u in done.unconverted}
    assert reported == {(m, p.name) for m, p in (
        (gulnara.id, tomato.product), (nurila.id, fabric.product), (aigul.id, npk.product))}
    assert [r.not_carried for r in demand.rows] == [1, 1, 1]


def test_an_answer_off_the_step_is_left_out_naming_the_figure_that_is_off(
        session: Session) -> None:
    """A walk read «не войдёт в закупку: количество «точно» не кратно …» for an
    answer whose "maybe" was off the step: the reason names the figure that is
    off, the "maybe", the "sure", or both."""
    group, _treasurer, aigul, nurila, survey, (_tomato, fabric, _npk) = survey_world(session)
    gulnara = make_member(session, group, "Гүлнара")
    for member, firm, maybe in ((aigul, "3", "0.5"), (nurila, "3.5", "1"),
                                (gulnara, "2.5", "1.5")):
        survey_services.save_answers(session, survey, member, {
            fabric.id: AnswerInput(firm=q(firm), maybe=q(maybe))}, member.user,
            source="member")
    fabric.product.granularity = q("1")  # the step changed after they answered
    survey_services.move_survey(session, survey, "closed")
    answers = {a.id: a.membership_id for a in survey_services.survey_answers(session, survey)}
    with force_locale("ru"):  # (as a page in Russian reads it)
        demand = survey_services.survey_demand(session, survey)
        why = {answers[a]: str(reason) for a, reason in demand.not_carried.items()}
    assert why == {aigul.id: "«может быть» не кратно шагу 1 метр",
                   nurila.id: "количество «точно» не кратно шагу 1 метр",
                   gulnara.id: "количества «точно» и «может быть» не кратны шагу 1 метр"}, why
