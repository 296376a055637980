"""Joint sales paid later, through the services and the database: the sale
is owed by the buyers (not in the cash), her part payments bring the money
into the cash and the bank, the books balance at every step, more than she
owes is refused with nothing written, the lot closes only once she has paid,
the payouts do not depend on when she paid, and a partly paid sale cancelled
leaves the books balanced."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import AskFirst, DomainError
from coop.groups.services import list_members
from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services
from coop.sales.models import SalePayment, SalePayout
from tests.integration.test_sales_services import jam

SOLD_ON, DUE_ON = date(2026, 9, 1), date(2026, 10, 1)


def books(session: Session, group) -> ledger.Books:  # type: ignore[no-untyped-def]
    session.expire_all()
    return ledger.books(session, group, list_members(session, group, include_inactive=True))


def counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Posting)) or 0,
            session.scalar(select(func.count()).select_from(SalePayment)) or 0)


def sell(session: Session, lot, buyer, actor, *, later: bool):  # type: ignore[no-untyped-def]
    """36 top jars at 300.00 and 10 first-grade at 250.00: 13 300.00."""
    top, first = lot.grades
    return services.record_sale(session, lot, buyer_id=buyer.id, sold_on=SOLD_ON,
                                lines={top.id: (q("36"), p("300")),
                                       first.id: (q("10"), p("250"))},
                                actor=actor, pay_later=later, due_on=DUE_ON if later else None)


def test_a_sale_paid_later_is_owed_then_paid_in_two_parts(session: Session) -> None:
    group, treasurer, _women, lot, (_top, first), (_shop, wholesaler) = jam(session)
    actor = treasurer.user
    sale = sell(session, lot, wholesaler, actor, later=True)
    session.commit()
    assert sale.revenue == 1330000 and sale.paid_later and sale.due_on == DUE_ON
    posting = session.get(Posting, sale.posting_id)
    assert posting is not None and posting.kind == "sale_credit"
    b = books(session, group)
    assert (b.buyers_owe, b.cash_on_hand, b.total) == (1330000, 0, 0)
    # the lot's money is the same as a sale paid at once: in the payables
    assert b.suppliers == 1330000
    debt = services.sale_debt(session, sale)
    assert (debt.owed, debt.paid, debt.paid_on) == (1330000, 0, None)
    assert debt.overdue(date(2026, 10, 2)) and not debt.overdue(DUE_ON)

    # the lot cannot close while she owes: the message names her and what she owes
    with pytest.raises(DomainError) as refused:
        services.close_lot(session, lot, actor, unsold_actions={first.id: "return"})
    session.rollback()
    assert wholesaler.name in str(refused.value.message)
    assert "13" in str(refused.value.message) and lot.state == services.OPEN

    services.record_sale_payment(session, lot, sale, amount=500000, method="cash",
                                 paid_on=date(2026, 9, 10), actor=actor,
                                 idempotency_key="first-payment-key-0001")
    session.commit()
    b = books(session, group)
    assert (b.buyers_owe, b.cash_on_hand, b.in_bank, b.total) == (830000, 500000, 0, 0)

    # more than she still owes: refused, the message says what she owes, nothing written
    before = counts(session)
    with pytest.raises(DomainError) as error:
        services.record_sale_payment(session, lot, sale, amount=830001, method="bank",
                                     paid_on=date(2026, 9, 20), actor=actor,
                                     idempotency_key="too-much-payment-key-1")
    session.rollback()
    assert error.value.field == "amount" and "8" in str(error.value.message)
    assert counts(session) == before
    for amount in (0, -100):
        with pytest.raises(DomainError):
            services.record_sale_payment(session, lot, sale, amount=amount, method="cash",
                                         actor=actor, idempotency_key="zero-payment-key-00001")
        session.rollback()
    with pytest.raises(DomainError):
        services.record_sale_payment(session, lot, sale, amount=100, method="gold",
                                     actor=actor, idempotency_key="gold-payment-key-00001")
    session.rollback()
    assert counts(session) == before

    # the same form sent twice records once
    again = services.record_sale_payment(session, lot, sale, amount=500000, method="cash",
                                         paid_on=date(2026, 9, 10), actor=actor,
                                         idempotency_key="first-payment-key-0001")
    assert counts(session) == before and again.amount == 500000

    services.record_sale_payment(session, lot, sale, amount=830000, method="bank",
                                 paid_on=date(2026, 9, 20), actor=actor,
                                 idempotency_key="second-payment-key-001")
    session.commit()
    b = books(session, group)
    assert (b.buyers_owe, b.cash_on_hand, b.in_bank, b.total) == (0, 500000, 830000, 0)
    debt = services.sale_debt(session, sale)
    assert (debt.owed, debt.paid_on) == (0, date(2026, 9, 20))
    with pytest.raises(DomainError):  # nothing more is owed
        services.record_sale_payment(session, lot, sale, amount=1, method="cash", actor=actor,
                                     idempotency_key="third-payment-key-0001")
    session.rollback()

    services.close_lot(session, lot, actor, unsold_actions={first.id: "return"})
    session.commit()
    b = books(session, group)
    assert lot.state == services.CLOSED and b.total == 0 and b.buyers_owe == 0
    # the payouts and the levy took the lot's money out of the payables
    assert b.suppliers == 0


def _closed_payouts(session: Session, *, later: bool) -> list[int]:
    _group, treasurer, _women, lot, (_top, first), (_shop, wholesaler) = jam(session)
    actor = treasurer.user
    sale = sell(session, lot, wholesaler, actor, later=later)
    if later:
        for amount, method, day in ((300001, "mobile", date(2026, 9, 5)),
                                    (1029999, "cash", date(2026, 11, 5))):
            services.record_sale_payment(session, lot, sale, amount=amount, method=method,
                                         paid_on=day, actor=actor,
                                         idempotency_key=f"payout-compare-{amount}-key")
    services.add_cost(session, lot, kind="transport", amount=150000, actor=actor,
                      idempotency_key=f"cost-key-{later}-000000", overdraw=True)
    services.close_lot(session, lot, actor, unsold_actions={first.id: "return"})
    session.commit()
    return [row.amount for row in session.scalars(
        select(SalePayout).where(SalePayout.lot_id == lot.id).order_by(SalePayout.id))]


def test_the_payouts_do_not_depend_on_when_the_buyer_paid(session: Session) -> None:
    at_once = _closed_payouts(session, later=False)
    paid_later = _closed_payouts(session, later=True)
    assert at_once == paid_later and sum(at_once) > 0


def test_a_partly_paid_sale_cancelled_takes_back_what_was_paid_and_balances(
        session: Session) -> None:
    group, treasurer, _women, lot, _grades, (_shop, wholesaler) = jam(session)
    actor = treasurer.user
    sale = sell(session, lot, wholesaler, actor, later=True)
    services.record_sale_payment(session, lot, sale, amount=400000, method="cash",
                                 paid_on=date(2026, 9, 3), actor=actor,
                                 idempotency_key="part-payment-key-00001")
    # a cost paid from the cash leaves it less than the payment: the cancel asks first
    services.add_cost(session, lot, kind="transport", amount=300000, actor=actor,
                      idempotency_key="cost-payment-key-00001")
    session.commit()
    with pytest.raises(AskFirst):
        services.cancel_sale(session, lot, sale, reason="ошибка", actor=actor)
    session.rollback()
    assert books(session, group).buyers_owe == 930000
    services.cancel_sale(session, lot, sale, reason="ошибка", actor=actor, overdraw=True)
    session.commit()
    b = books(session, group)
    assert (b.buyers_owe, b.cash_on_hand, b.total) == (0, -300000, 0)
    assert b.suppliers == -300000  # only the cost is left in the lot
    payment = session.scalars(select(SalePayment)).one()
    assert payment.cancelled_at is not None and payment.cancel_posting_id is not None
    assert services.sale_debt(session, sale).owed == 0
    assert services.unpaid_sales(session, lot) == []
    with pytest.raises(services.CancelledAlready):
        services.cancel_sale(session, lot, sale, reason="ещё раз", actor=actor)


def test_a_payment_cancelled_is_owed_again(session: Session) -> None:
    group, treasurer, _women, lot, _grades, (_shop, wholesaler) = jam(session)
    actor = treasurer.user
    sale = sell(session, lot, wholesaler, actor, later=True)
    payment = services.record_sale_payment(session, lot, sale, amount=1330000, method="bank",
                                           actor=actor, idempotency_key="whole-payment-key-001")
    session.commit()
    assert services.sale_debt(session, sale).owed == 0
    services.cancel_sale_payment(session, lot, sale, payment, reason="не тот покупатель",
                                 actor=actor)
    session.commit()
    b = books(session, group)
    assert (b.buyers_owe, b.in_bank, b.total) == (1330000, 0, 0)
    assert [d.sale.id for d in services.unpaid_sales(session, lot)] == [sale.id]
    with pytest.raises(services.CancelledAlready):
        services.cancel_sale_payment(session, lot, sale, payment, reason="ещё", actor=actor)


def test_a_sale_paid_at_once_owes_nothing_and_takes_no_payment(session: Session) -> None:
    group, treasurer, _women, lot, _grades, (shop, _w) = jam(session)
    sale = sell(session, lot, shop, treasurer.user, later=False)
    session.commit()
    assert session.get(Posting, sale.posting_id).kind == "sale"
    assert services.sale_debt(session, sale).owed == 0 and sale.due_on is None
    with pytest.raises(DomainError):
        services.record_sale_payment(session, lot, sale, amount=100, method="cash",
                                     actor=treasurer.user, idempotency_key="cash-sale-key-000001")
    b = books(session, group)
    assert (b.buyers_owe, b.cash_on_hand, b.total) == (0, 1330000, 0)


def test_the_day_to_pay_by_cannot_be_before_the_sale(session: Session) -> None:
    _group, treasurer, _women, lot, (top, _first), (_s, wholesaler) = jam(session)
    with pytest.raises(DomainError) as error:
        services.record_sale(session, lot, buyer_id=wholesaler.id, sold_on=SOLD_ON,
                             lines={top.id: (q("1"), p("300"))}, actor=treasurer.user,
                             pay_later=True, due_on=date(2026, 8, 31))
    assert error.value.field == "due_on"


def test_a_day_to_pay_by_is_refused_for_a_sale_paid_now(session: Session) -> None:
    """Found on a walk: it was dropped without a word. The service refuses it,
    so the pages and anything else that records a sale say so the same way."""
    group, treasurer, _women, lot, (top, _first), (shop, _w) = jam(session)
    before = counts(session)
    with pytest.raises(DomainError) as error:
        services.record_sale(session, lot, buyer_id=shop.id, sold_on=SOLD_ON,
                             lines={top.id: (q("1"), p("300"))}, actor=treasurer.user,
                             pay_later=False, due_on=DUE_ON)
    assert error.value.field == "due_on" and "pays later" in str(error.value.message)
    session.rollback()
    assert counts(session) == before
    assert not services.lot_sales(session, lot)
    assert books(session, group).total == 0


def test_a_cancel_says_what_it_took_back_out_by_method(session: Session) -> None:
    """What the buyer paid and the cancel takes back out of the group's money,
    by method: what the treasurer gives back to her."""
    group, treasurer, _women, lot, _grades, (shop, wholesaler) = jam(session)
    actor = treasurer.user
    owed = sell(session, lot, wholesaler, actor, later=True)
    cash = services.record_sale_payment(session, lot, owed, amount=50000, method="cash",
                                        actor=actor, idempotency_key="give-back-cash-000001")
    services.record_sale_payment(session, lot, owed, amount=20000, method="bank",
                                 actor=actor, idempotency_key="give-back-bank-000001")
    services.record_sale_payment(session, lot, owed, amount=10000, method="cash",
                                 actor=actor, idempotency_key="give-back-cash-000002")
    session.commit()
    assert services.recorder_names(session, [cash]) == {actor.id: actor.name}
    assert services.cancel_sale_payment(session, lot, owed, cash, reason="ошибка",
                                        actor=actor) == {"cash": 50000}
    assert services.cancel_sale(session, lot, owed, reason="отказ", actor=actor) == {
        "cash": 10000, "bank": 20000}
    session.commit()
    b = books(session, group)
    assert (b.buyers_owe, b.cash_on_hand, b.bank, b.total) == (0, 0, 0, 0)
    # paid now: its amount, out of the cash; paid later with nothing paid: nothing
    # (the jam lot holds 36 + 10 jars: cancelled, they are back to sell)
    paid = sell(session, lot, shop, actor, later=False)
    assert services.cancel_sale(session, lot, paid, reason="ошибка", actor=actor) == {
        "cash": 1330000}
    unpaid = sell(session, lot, wholesaler, actor, later=True)
    assert services.cancel_sale(session, lot, unpaid, reason="ошибка", actor=actor) == {}
