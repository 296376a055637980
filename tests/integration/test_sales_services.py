"""Joint sales through the services and the database: contributions and their
corrections, sales against the stock, costs, the closing with its postings,
carrying the unsold to a new lot, cash payouts, the numbered sales invoice."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.groups.services import list_members
from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import documents, services
from coop.sales.models import Contribution, Sale, SaleLot
from tests.factories import make_buyer, make_group, make_member, make_sale_lot


def jam(session: Session, levy: int = 200):  # type: ignore[no-untyped-def]
    """A group (2 % levy), its treasurer, three women, a jam lot in two grades
    with their jars, and two buyers."""
    group = make_group(session, levy_basis_points=levy)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    women = [make_member(session, group, n) for n in ("Айгүл", "Нурила", "Гүлнара")]
    lot = make_sale_lot(session, group, treasurer)
    top, first = lot.grades
    for woman, grade, jars in ((women[0], top, "12"), (women[1], top, "24"),
                               (women[1], first, "5"), (women[2], first, "10")):
        services.record_contribution(session, lot, woman, grade_id=grade.id, quantity=q(jars),
                                     actor=treasurer.user, brought_on=date(2026, 8, 10))
    shop, wholesaler = make_buyer(session, group), make_buyer(session, group, "Оптовик",
                                                               "wholesaler")
    session.commit()
    return group, treasurer, women, lot, (top, first), (shop, wholesaler)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def sell(session: Session, lot: SaleLot, buyer, actor, lines):  # type: ignore[no-untyped-def]
    return services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                                lines={g.id: (q(qty), p(price)) for g, qty, price in lines},
                                actor=actor)


def test_a_new_lot_takes_the_groups_levy_and_checks_what_is_typed(session: Session) -> None:
    group = make_group(session, levy_basis_points=150)
    treasurer = make_member(session, group, role="treasurer")
    lot = make_sale_lot(session, group, treasurer)
    assert lot.levy_basis_points == 150 and [g.factor for g in lot.grades] == [1000, 800]
    bad = [({"grades": []}, "grades"),
           ({"grades": [services.GradeInput("A", 1000), services.GradeInput(" a ", 800)]},
            "grades"),
           ({"grades": [services.GradeInput("A", 0)]}, "grades"),
           ({"product": "  "}, "product"),
           ({"period_to": date(2026, 7, 1)}, "period_to"),
           ({"step": 0}, "step")]
    for change, field in bad:
        fields = {"product": "Курага", "unit": "кг", "period_from": date(2026, 8, 1),
                  "grades": [services.GradeInput("A", 1000)], **change}
        with pytest.raises(DomainError) as error:
            services.create_lot(session, group, treasurer.user, **fields)
        assert error.value.field == field, change


def test_contributions_are_checked_and_corrections_never_overwrite(session: Session) -> None:
    _group, treasurer, women, lot, (top, first), _b = jam(session)
    actor = treasurer.user
    for grade_id, quantity, field in ((top.id, -q("1"), "quantity"), (top.id, 0, "quantity"),
                                      (9999, q("1"), "grade"), (top.id, q("1.5"), "quantity")):
        with pytest.raises(DomainError) as error:
            services.record_contribution(session, lot, women[0], grade_id=grade_id,
                                         quantity=quantity, actor=actor)
        assert error.value.field == field
    stranger = make_member(session, make_group(session), "Чужая")
    with pytest.raises(DomainError):
        services.record_contribution(session, lot, stranger, grade_id=top.id, quantity=q("1"),
                                     actor=actor)
    session.rollback()

    original = services.contribution_entries(session, lot, women[0])[0].original
    services.correct_contribution(session, lot, original.id, grade_id=top.id,
                                  quantity=q("10"), reason="Две банки разбиты", actor=actor)
    services.correct_contribution(session, lot, original.id, grade_id=first.id,
                                  quantity=q("10"), reason="Это первый сорт", actor=actor)
    session.commit()
    session.refresh(original)
    assert original.quantity == q("12") and original.grade_id == top.id  # never updated
    rows = session.scalars(select(Contribution).where(Contribution.corrects_id == original.id)
                           .order_by(Contribution.id)).all()
    assert [(r.grade_id, r.quantity) for r in rows] == [(top.id, -q("2")), (top.id, -q("10")),
                                                         (first.id, q("10"))]
    [entry] = services.contribution_entries(session, lot, women[0])
    assert entry.current == {first.id: q("10")}
    assert services.member_totals(session, lot, women[0]) == {top.id: 0, first.id: q("10")}
    with pytest.raises(DomainError, match="nothing to correct"):
        services.correct_contribution(session, lot, rows[0].id, grade_id=first.id,
                                      quantity=q("10"), reason="?", actor=actor)


def test_a_sale_takes_no_more_than_the_lot_holds_and_is_paid_into_the_cash(
        session: Session) -> None:
    group, treasurer, _w, lot, (top, first), (shop, wholesaler) = jam(session)
    actor = treasurer.user
    sale = sell(session, lot, shop, actor, [(top, "30", "350"), (first, "10", "280.5")])
    session.commit()
    assert sale.revenue == 30 * 35000 + 10 * 28050
    cash = ledger.group_accounts(session, group).cash
    assert ledger.account_balance(session, cash) == -sale.revenue  # money in the box
    stock = {s.grade.id: s for s in services.lot_stock(session, lot)}
    assert (stock[top.id].available, stock[first.id].available) == (q("6"), q("5"))

    postings = count(session, Posting)
    for lines, field, message in (
            ([(top, "7", "350")], f"quantity_{top.id}", "holds only 6"),
            ([(first, "1", "")], f"price_{first.id}", "unit price"),
            ([(top, "0.5", "350")], f"quantity_{top.id}", "steps of 1"),
            ([], None, "at least one grade")):
        with pytest.raises(DomainError, match=message) as error:
            services.record_sale(
                session, lot, buyer_id=wholesaler.id, sold_on=date(2026, 9, 2), actor=actor,
                lines={g.id: (q(a), p(b) if b else None) for g, a, b in lines})
        assert error.value.field == field
        session.rollback()
    with pytest.raises(DomainError, match="no such grade"):
        services.record_sale(session, lot, buyer_id=wholesaler.id, sold_on=date(2026, 9, 2),
                             lines={9999: (q("1"), p("1"))}, actor=actor)
    session.rollback()
    other_buyer = make_buyer(session, make_group(session))
    with pytest.raises(DomainError) as error:
        sell(session, lot, other_buyer, actor, [(top, "1", "1")])
    assert error.value.field == "buyer"
    session.rollback()
    assert count(session, Posting) == postings and count(session, Sale) == 1

    services.cancel_sale(session, lot, sale, reason="Покупатель отказался", actor=actor)
    session.commit()
    assert ledger.account_balance(session, cash) == 0
    assert services.lot_stock(session, lot)[0].available == q("36")
    with pytest.raises(DomainError, match="cancelled already"):
        services.cancel_sale(session, lot, sale, reason="again", actor=actor)


def test_a_correction_cannot_take_away_what_was_sold(session: Session) -> None:
    _g, treasurer, women, lot, (top, _first), (shop, _w) = jam(session)
    sell(session, lot, shop, treasurer.user, [(top, "34", "100")])
    original = services.contribution_entries(session, lot, women[1])[0].original
    with pytest.raises(DomainError, match="sold already"):
        services.correct_contribution(session, lot, original.id, grade_id=top.id,
                                      quantity=q("20"), reason="?", actor=treasurer.user)
    services.correct_contribution(session, lot, original.id, grade_id=top.id,
                                  quantity=q("22"), reason="Ошибка", actor=treasurer.user)


def closed_jam(session: Session, carry: bool = False):  # type: ignore[no-untyped-def]
    group, treasurer, women, lot, (top, first), (shop, wholesaler) = jam(session)
    actor = treasurer.user
    sell(session, lot, shop, actor, [(top, "30", "250"), (first, "10", "200")])
    sell(session, lot, wholesaler, actor, [(first, "3", "200")])
    services.add_cost(session, lot, kind="transport", amount=50000, rule="value", actor=actor)
    services.add_cost(session, lot, kind="packaging", amount=10000, rule="quantity",
                      actor=actor)
    services.add_cost(session, lot, kind="market_fee", amount=1001, rule="equal", actor=actor)
    view = services.close_lot(session, lot, actor, unsold_actions={
        top.id: "carry" if carry else "return", first.id: "return"})
    session.commit()
    return group, treasurer, women, lot, (top, first), view


def test_closing_posts_the_payouts_and_the_levy_and_clears_the_lot(session: Session) -> None:
    group, _treasurer, women, lot, _grades, view = closed_jam(session)
    split = view.split
    assert split.revenue == 1_010_000 and split.levy == 20_200 and split.costs == 61_001
    assert [m.payout for m in split.members] == [229964, 533772, 165063]
    assert [ledger.member_balance(session, w) for w in women] == [229964, 533772, 165063]
    accounts = ledger.group_accounts(session, group)
    assert ledger.account_balance(session, accounts.fund) == 20_200
    # the lot's revenue, costs, payouts and levy pass through the payables and leave nothing
    payables = sum(pp.amount if pp.credit_account_id == accounts.suppliers else -pp.amount
                   for pp in services.lot_postings(session, lot)
                   if accounts.suppliers in (pp.credit_account_id, pp.debit_account_id))
    assert payables == 0
    books = ledger.books(session, group, list_members(session, group))
    assert books.total == 0 and books.cash == -(1_010_000 - 61_001)
    assert [g.unsold_action for g in lot.grades] == ["return", "return"]
    assert services.carried_to(session, lot) is None


def test_a_closed_lot_is_read_only_and_cannot_close_twice(session: Session) -> None:
    _group, treasurer, women, lot, (top, _first), view = closed_jam(session)
    actor = treasurer.user
    postings = count(session, Posting)
    for attempt in (
            lambda: services.record_contribution(session, lot, women[0], grade_id=top.id,
                                                 quantity=q("1"), actor=actor),
            lambda: sell(session, lot, view.sales[0].buyer, actor, [(top, "1", "1")]),
            lambda: services.add_cost(session, lot, kind="other", amount=100, actor=actor),
            lambda: services.cancel_sale(session, lot, view.sales[0], reason="x", actor=actor),
            lambda: services.close_lot(session, lot, actor, unsold_actions={}),
            lambda: services.update_lot(session, lot, product="X", unit="кг", grades=[],
                                        period_from=date(2026, 1, 1), period_to=None, place="",
                                        step=1000, levy_basis_points=0)):
        with pytest.raises(DomainError, match="closed"):
            attempt()
        session.rollback()
    assert count(session, Posting) == postings
    # the closed split is read back as it was closed
    again = services.compute_split(session, lot)
    assert again.closed and again.split == view.split


def test_the_unsold_of_a_carried_grade_becomes_a_new_lot(session: Session) -> None:
    _g, treasurer, women, lot, _grades, view = closed_jam(session, carry=True)
    new = services.carried_to(session, lot)
    assert new is not None and new.state == "open" and new.carried_from_id == lot.id
    assert [(g.name, g.factor) for g in new.grades] == [(g.name, g.factor) for g in lot.grades]
    carried = {(c.membership_id, c.grade_id): c.quantity for c in session.scalars(
        select(Contribution).where(Contribution.lot_id == new.id))}
    new_top = new.grades[0]
    assert carried == {(women[0].id, new_top.id): q("2"), (women[1].id, new_top.id): q("4")}
    assert all(c.kind == "carried" for c in session.scalars(
        select(Contribution).where(Contribution.lot_id == new.id)))
    # the second grade's unsold went back: not carried
    assert [g.unsold_action for g in lot.grades] == ["carry", "return"]
    # the new lot sells and closes like any other
    sell(session, new, view.sales[0].buyer, treasurer.user, [(new_top, "6", "300")])
    second = services.close_lot(session, new, treasurer.user, unsold_actions={})
    assert [m.payout for m in second.split.members] == [58800, 117600]  # 1764.00 as 2 : 4


def test_closing_asks_what_happens_to_the_unsold(session: Session) -> None:
    _g, treasurer, _w, lot, (top, first), (shop, _wh) = jam(session)
    sell(session, lot, shop, treasurer.user, [(top, "30", "100")])
    with pytest.raises(DomainError) as error:
        services.close_lot(session, lot, treasurer.user, unsold_actions={top.id: "return"})
    assert error.value.field == f"unsold_{first.id}"
    with pytest.raises(DomainError):
        services.close_lot(session, lot, treasurer.user,
                           unsold_actions={top.id: "return", first.id: "burn"})
    session.rollback()
    assert lot.state == "open"


def test_a_payout_is_netted_with_what_she_owes_and_handed_out_once(session: Session) -> None:
    _group, treasurer, women, lot, (top, first), (shop, _wh) = jam(session, levy=0)
    ledger.adjust_member(session, women[0], amount=100000, reason="Весенний заказ",
                         actor=treasurer.user)
    sell(session, lot, shop, treasurer.user, [(top, "36", "100"), (first, "15", "100")])
    view = services.close_lot(session, lot, treasurer.user, unsold_actions={})
    session.commit()
    payout = view.split.member(women[0].id)
    # 5100.00 by value: 12 of 12 + 24 + 5 × 0.8 + 10 × 0.8 = 48 jars of full price
    assert payout is not None and payout.payout == 127500
    assert ledger.member_balance(session, women[0]) == 27500  # 1275 − 1000 owed
    with pytest.raises(DomainError, match=r"holds only 275\.00"):
        services.pay_member(session, women[0], amount=27501, idempotency_key="k" * 20,
                            actor=treasurer.user)
    session.rollback()
    first_pay, new = services.pay_member(session, women[0], amount=27500,
                                         idempotency_key="k" * 20, actor=treasurer.user)
    again, new_again = services.pay_member(session, women[0], amount=27500,
                                           idempotency_key="k" * 20, actor=treasurer.user)
    session.commit()
    assert new and not new_again and again.id == first_pay.id
    assert ledger.member_balance(session, women[0]) == 0
    kinds = [line.posting.kind for line in ledger.statement(
        session, ledger.member_account(session, women[0]))[1]]
    assert kinds == ["adjustment", "payout", "payout_cash"]


def test_nobody_to_carry_the_costs_of_an_empty_lot(session: Session) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, role="treasurer")
    lot = make_sale_lot(session, group, treasurer)
    # what the cost takes from the cash (more would be asked first: ledger.pay_from)
    ledger.record_payment(session, treasurer, amount=500, method="cash", reference="",
                          idempotency_key="paid-in-cash-00000001", actor=treasurer.user)
    services.add_cost(session, lot, kind="transport", amount=500, actor=treasurer.user)
    with pytest.raises(DomainError, match="Nobody contributed"):
        services.close_lot(session, lot, treasurer.user, unsold_actions={})


def test_the_sales_invoice_is_numbered_once_and_stored(session: Session) -> None:
    group, treasurer, _w, lot, (top, first), (shop, wholesaler) = jam(session)
    one = sell(session, lot, shop, treasurer.user, [(top, "3", "350"), (first, "2", "280")])
    two = sell(session, lot, wholesaler, treasurer.user, [(top, "1", "350")])
    session.commit()
    first_doc = documents.issue_sales_invoice(session, lot, one, treasurer.user)
    session.commit()
    again = documents.issue_sales_invoice(session, lot, one, treasurer.user)
    second_doc = documents.issue_sales_invoice(session, lot, two, treasurer.user)
    session.commit()
    year = first_doc.issued_on.year
    assert (first_doc.number, again.number, second_doc.number) == (
        f"SI-{year}-0001", f"SI-{year}-0001", f"SI-{year}-0002")
    assert first_doc.amount == one.revenue
    content = documents.stored_bytes(session, group, first_doc.id)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)
    assert shop.name in text and "Высший сорт" in text and f"SI-{year}-0001" in text
    services.cancel_sale(session, lot, two, reason="Ошибка", actor=treasurer.user)
    three = sell(session, lot, shop, treasurer.user, [(top, "1", "350")])
    services.cancel_sale(session, lot, three, reason="Ошибка", actor=treasurer.user)
    with pytest.raises(DomainError, match="cancelled"):
        documents.issue_sales_invoice(session, lot, three, treasurer.user)
    # an invoice issued before the cancellation stays as it was
    assert documents.issue_sales_invoice(session, lot, two, treasurer.user).id == second_doc.id


def test_the_payout_statement_pdf_in_her_language(session: Session) -> None:
    _g, _t, women, lot, _grades, _view = closed_jam(session)
    women[1].user.locale = "ru"
    content = documents.payout_statement_pdf(session, lot, women[1])
    reader = PdfReader(BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert women[1].user.name in text and f"PS-L{lot.id}-M{women[1].id}" in text
    assert "5 337,72" in text.replace("\u00a0", " ").replace("\u202f", " ")
    outsider = make_member(session, women[0].group, "Новенькая")
    with pytest.raises(DomainError):
        documents.payout_statement_pdf(session, lot, outsider)


def test_the_demo_lot_is_closed_once_with_six_members(session: Session) -> None:
    from coop.sales.demo import DEMO_PRODUCT, ensure_sales_demo

    group = make_group(session, levy_basis_points=200)
    make_member(session, group, "Майрам", role="treasurer")
    for n in range(7):
        make_member(session, group, f"Участница {n}")
    lot = ensure_sales_demo(session, group)
    session.commit()
    assert lot is not None and lot.state == "closed" and lot.product == DEMO_PRODUCT
    assert ensure_sales_demo(session, group).id == lot.id
    assert count(session, SaleLot) == 1
    view = services.compute_split(session, lot)
    assert len(view.split.members) == 6 and len(view.sales) == 2 and len(view.costs) == 3
    assert view.split.payouts + view.split.costs + view.split.levy == view.split.revenue
    assert ledger.books(session, group, list_members(session, group)).total == 0


def test_two_sales_of_the_last_jars_at_once_sell_them_once(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    from coop.auth.models import User
    from tests.integration.test_concurrency import run_together

    _g, treasurer, _w, lot, (top, _first), (shop, wholesaler) = jam(session)
    sell(session, lot, shop, treasurer.user, [(top, "30", "100")])
    session.commit()
    lot_id, grade_id, user_id = lot.id, top.id, treasurer.user_id
    buyers = iter([shop.id, wholesaler.id])

    def sell_the_rest(s: Session) -> None:
        services.record_sale(s, s.get(SaleLot, lot_id), buyer_id=next(buyers),
                             sold_on=date(2026, 9, 3), lines={grade_id: (q("6"), p("100"))},
                             actor=s.get(User, user_id))

    outcomes = run_together(app_ctx, sell_the_rest)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert services.lot_stock(session, session.get(SaleLot, lot_id))[0].sold == q("36")


def test_two_closings_at_once_close_once(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    from coop.auth.models import User
    from coop.sales.models import LotClosing, SalePayout
    from tests.integration.test_concurrency import run_together

    _g, treasurer, _w, lot, (top, first), (shop, _wh) = jam(session)
    sell(session, lot, shop, treasurer.user, [(top, "36", "100"), (first, "15", "100")])
    session.commit()
    lot_id, user_id = lot.id, treasurer.user_id

    def close(s: Session) -> None:
        services.close_lot(s, s.get(SaleLot, lot_id), s.get(User, user_id), unsold_actions={})

    outcomes = run_together(app_ctx, close)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert count(session, LotClosing) == 1 and count(session, SalePayout) == 3


def test_two_grades_may_swap_names(session: Session) -> None:
    _g, _t, _w, lot, (top, first), _b = jam(session)
    services.update_lot(session, lot, product=lot.product, unit=lot.unit, step=lot.step,
                        period_from=lot.period_from, period_to=None, place="",
                        levy_basis_points=0,
                        grades=[services.GradeInput("Первый сорт", 1000, top.id),
                                services.GradeInput("Высший сорт", 800, first.id)])
    session.commit()
    assert [(g.id, g.name) for g in lot.grades] == [(top.id, "Первый сорт"),
                                                    (first.id, "Высший сорт")]


def test_two_hand_outs_on_a_lot_at_once_take_no_more_than_it_owes_her(  # type: ignore[no-untyped-def]
        app_ctx, session: Session) -> None:
    """Two hand-outs on one lot's page at the same moment (two phones, two
    keys), each within what the lot still owes her, together more: one is
    recorded, the other refused, however much more her account holds. Her
    row is the lock both take before reading what was handed out."""
    from coop.auth.models import User
    from coop.sales.models import CashPayout
    from tests.integration.test_concurrency import run_together

    _g, treasurer, women, lot, (top, first), (shop, _wh) = jam(session, levy=0)
    sell(session, lot, shop, treasurer.user, [(top, "36", "100"), (first, "15", "100")])
    services.close_lot(session, lot, treasurer.user, unsold_actions={})
    ledger.adjust_member(session, women[0], amount=-500_000, reason="прежняя продажа",
                         actor=treasurer.user)  # 5 000.00 more in her account
    session.commit()
    due = services.lot_cash_still_to_hand(session, lot, women[0])
    assert due == 127_500 and ledger.member_balance(session, women[0]) == due + 500_000
    lot_id, member_id, user_id = lot.id, women[0].id, treasurer.user_id
    keys = iter(["hand-out-phone-one-0001", "hand-out-phone-two-0002"])
    refusals: list[str] = []

    def hand_out(s: Session) -> None:
        from coop.groups.models import Membership

        try:
            services.pay_member(s, s.get(Membership, member_id), amount=100_000,
                                actor=s.get(User, user_id), idempotency_key=next(keys),
                                lot_id=lot_id)
        except DomainError as exc:
            refusals.append(str(exc.message))
            raise

    outcomes = run_together(app_ctx, hand_out)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    # refused by the lot's limit (not the cash box, nor her account)
    assert len(refusals) == 1 and "275.00\xa0som is still to be handed" in refusals[0], refusals
    session.expire_all()
    assert services.cash_handed(session, session.get(SaleLot, lot_id)) == {member_id: 100_000}
    assert count(session, CashPayout) == 1
