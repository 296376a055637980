"""Money leaves the group's cash (bank account, wallet) beyond what it holds
only when the treasurer says so, on every path: a cost of selling, and a
reversal that takes money back out (her payment reversed from her statement,
a sale cancelled). Asked first (AskFirst, nothing written), made with
`overdraw`; a reversal that puts money back (a cost cancelled, a payment out
reversed) is never asked, and what is refused is refused before any question."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import AskFirst, DomainError
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.sales import services as sales
from coop.sales.models import Sale, SaleCost
from tests.factories import make_group, make_member, make_sale_lot
from tests.integration.test_concurrency import run_together
from tests.integration.test_sales_services import jam, sell


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _held(session: Session, group, method: str = "cash") -> int:  # type: ignore[no-untyped-def]
    """What the money account holds (it is debited when money comes in)."""
    return -ledger.account_balance(session, ledger.money_account(session, group, method))


def _sold(session: Session):  # type: ignore[no-untyped-def]
    """The jam lot; two jars sold at 100.00: 200.00 in the cash, nothing else."""
    group, treasurer, women, lot, (top, _first), (shop, _w) = jam(session)
    sale = sell(session, lot, shop, treasurer.user, [(top, "2", "100")])
    session.commit()
    assert _held(session, group) == 20000
    return group, treasurer, women, lot, sale


# --------------------------------------------------------------------------
# (a) a cost of selling
# --------------------------------------------------------------------------


def test_a_sale_cost_beyond_the_cash_is_asked_first_and_paid_when_confirmed(
        session: Session) -> None:
    group, treasurer, _women, lot, _sale = _sold(session)
    actor = treasurer.user
    sales.add_cost(session, lot, kind="market_fee", amount=5000, actor=actor)  # fits: not asked
    session.commit()
    postings = _count(session, Posting)
    with pytest.raises(AskFirst, match=r"cash box holds only 150\.00") as asked:
        sales.add_cost(session, lot, kind="transport", amount=20000, actor=actor,
                       idempotency_key="cost-form-key-000001")
    assert "-50.00" in str(asked.value)
    session.rollback()
    assert (_count(session, Posting), _count(session, SaleCost)) == (postings, 1)
    assert _held(session, group) == 15000
    # what the service refuses is refused, not asked first (a "yes" would
    # only turn into the refusal)
    for change, field in (({"kind": "bribe"}, "kind"), ({"rule": "weight"}, "rule"),
                          ({"sale_id": 9999}, "sale")):
        with pytest.raises(DomainError) as refused:
            sales.add_cost(session, lot, **{"kind": "transport", "amount": 20000,
                                            "actor": actor, **change})
        assert not isinstance(refused.value, AskFirst) and refused.value.field == field
        session.rollback()

    cost = sales.add_cost(session, lot, kind="transport", amount=20000, actor=actor,
                          idempotency_key="cost-form-key-000001", overdraw=True)
    session.commit()
    assert cost.posting_id is not None and _count(session, SaleCost) == 2
    assert _held(session, group) == -5000  # as confirmed: money from elsewhere
    assert check_books(session, group.id) == []


# --------------------------------------------------------------------------
# (b) a reversal that takes money back out
# --------------------------------------------------------------------------


def _paid_and_spent(session: Session, method: str = "cash"):  # type: ignore[no-untyped-def]
    """Айгүл paid 500.00 (by `method`); 300.00 of it was paid out since."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    nurila = make_member(session, group, "Нурила")
    payment, _new = ledger.record_payment(session, aigul, amount=50000, method=method,
                                          reference="", idempotency_key="paid-in-000000000001",
                                          actor=treasurer.user)
    spent = ledger.pay_out(session, group, amount=30000, memo="Транспорт", method=method,
                           actor=treasurer.user)
    session.commit()
    return group, treasurer, aigul, nurila, payment, spent


@pytest.mark.parametrize("method, account", [("cash", "cash box"), ("bank", "bank account"),
                                             ("mobile", "mobile wallet")])
def test_reversing_her_payment_the_money_account_has_spent_is_asked_first(
        session: Session, method: str, account: str) -> None:
    group, treasurer, aigul, _n, payment, spent = _paid_and_spent(session, method)
    mine = ledger.member_account(session, aigul)
    # within what it holds, not asked: a second payment of 100.00 reversed
    second, _new = ledger.record_payment(session, aigul, amount=10000, method=method,
                                         reference="", idempotency_key="paid-in-000000000002",
                                         actor=treasurer.user)
    ledger.reverse_posting(session, group, second.posting_id, reason="ошибка",
                           actor=treasurer.user, account_id=mine)
    session.commit()
    postings = _count(session, Posting)
    with pytest.raises(AskFirst, match=rf"{account} holds only 200\.00\ssom: after this "
                                       r"reversal it would show -300\.00"):
        ledger.reverse_posting(session, group, payment.posting_id, reason="ошибка",
                               actor=treasurer.user, account_id=mine,
                               idempotency_key="reverse-key-00000001")
    session.rollback()
    assert _count(session, Posting) == postings and _held(session, group, method) == 20000

    mirror = ledger.reverse_posting(session, group, payment.posting_id, reason="ошибка",
                                    actor=treasurer.user, account_id=mine,
                                    idempotency_key="reverse-key-00000001", overdraw=True)
    session.commit()
    assert mirror.reverses_id == payment.posting_id
    assert _held(session, group, method) == -30000
    assert ledger.member_balance(session, aigul) == 0
    # the payment out, reversed, puts its money back: never asked
    ledger.reverse_posting(session, group, spent.id, reason="ошибка", actor=treasurer.user)
    session.commit()
    assert _held(session, group, method) == 0
    assert check_books(session, group.id) == []


def test_a_refused_reversal_is_refused_before_any_question(session: Session) -> None:
    """The cash holds 200.00 of her 500.00, so reversing her payment is asked
    first; still, from another's statement it is refused (no question), and
    once reversed, a second reversal or a reversal of the reversal too."""
    group, treasurer, aigul, nurila, payment, _spent = _paid_and_spent(session)
    hers = payment.posting_id
    with pytest.raises(AskFirst):
        ledger.reverse_posting(session, group, hers, reason="ошибка", actor=treasurer.user,
                               account_id=ledger.member_account(session, aigul))
    session.rollback()

    def refused(posting_id: int, account_id: int | None, message: str) -> None:
        with pytest.raises(DomainError, match=message) as error:
            ledger.reverse_posting(session, group, posting_id, reason="ошибка",
                                   actor=treasurer.user, account_id=account_id)
        assert not isinstance(error.value, AskFirst)
        session.rollback()

    refused(hers, ledger.member_account(session, nurila), "no such entry")
    mirror = ledger.reverse_posting(session, group, hers, reason="ошибка",
                                    actor=treasurer.user, overdraw=True)
    session.commit()
    refused(hers, None, "already reversed")
    refused(mirror.id, None, "cannot be reversed")


def test_cancelling_a_sale_whose_money_was_spent_is_asked_first(session: Session) -> None:
    group, treasurer, _women, lot, sale = _sold(session)
    cost = sales.add_cost(session, lot, kind="transport", amount=15000, actor=treasurer.user)
    session.commit()
    postings = _count(session, Posting)
    with pytest.raises(AskFirst, match=r"cash box holds only 50\.00\ssom: after this "
                                       r"reversal it would show -150\.00"):
        sales.cancel_sale(session, lot, sale, reason="Покупатель отказался",
                          actor=treasurer.user)
    session.rollback()
    assert _count(session, Posting) == postings
    assert session.get(Sale, sale.id).cancelled_at is None
    assert sales.lot_stock(session, lot)[0].sold == 2000

    sales.cancel_sale(session, lot, sale, reason="Покупатель отказался", actor=treasurer.user,
                      overdraw=True)
    session.commit()
    assert session.get(Sale, sale.id).cancelled_at is not None
    assert _held(session, group) == -15000
    # cancelling the cost puts its money back: never asked, the cash below zero or not
    sales.cancel_cost(session, lot, cost, reason="Ошибка", actor=treasurer.user)
    session.commit()
    assert _held(session, group) == 0
    assert check_books(session, group.id) == []


# --------------------------------------------------------------------------
# Two at once (PostgreSQL): the money account's lock checks one after the other
# --------------------------------------------------------------------------


def _asked_or_refused(asked: list[str], work):  # type: ignore[no-untyped-def]
    """`work`, noting a question (AskFirst) apart from other refusals."""
    def run(s: Session) -> None:
        try:
            work(s)
        except AskFirst:
            asked.append("asked")
            raise

    return run


@pytest.mark.postgres
@pytest.mark.parametrize("lots", ["one lot", "two lots"])
def test_two_sale_costs_at_once_take_no_more_than_the_cash_holds(
        app_ctx, session: Session, pg_only: None, lots: str) -> None:  # type: ignore[no-untyped-def]
    """The cash holds 200.00; two costs of 150.00 at the same moment, each
    within it alone: one is paid, the other asked. In two lots, no lot's lock
    serialises them: the cash's does."""
    group, treasurer, _women, lot, _sale = _sold(session)
    other = lot if lots == "one lot" else make_sale_lot(session, group, treasurer,
                                                        product="Курага")
    session.commit()
    lot_ids = iter([lot.id, other.id])
    keys = iter(["cost-form-key-000001", "cost-form-key-000002"])
    lock = threading.Lock()
    asked: list[str] = []

    def add(s: Session) -> None:
        from coop.auth.models import User
        from coop.sales.models import SaleLot

        with lock:
            lot_id, key = next(lot_ids), next(keys)
        sales.add_cost(s, s.get(SaleLot, lot_id), kind="transport", amount=15000,
                       actor=s.get(User, treasurer.user_id), idempotency_key=key)

    outcomes = run_together(app_ctx, _asked_or_refused(asked, add))
    assert sorted(outcomes) == ["ok", "refused"] and asked == ["asked"], (outcomes, asked)
    assert _count(session, SaleCost) == 1
    assert _held(session, group) == 5000
    assert check_books(session, group.id) == []


@pytest.mark.postgres
def test_two_reversals_at_once_take_no_more_than_the_cash_holds(
        app_ctx, session: Session, pg_only: None) -> None:  # type: ignore[no-untyped-def]
    """Two payments of 500.00 and 300.00 of it spent: the cash holds 700.00.
    Both reversed at the same moment (two entries, two locks of their own):
    one goes through, the other is asked."""
    group, treasurer, aigul, _n, first, _spent = _paid_and_spent(session)
    second, _new = ledger.record_payment(session, aigul, amount=50000, method="cash",
                                         reference="", idempotency_key="paid-in-000000000002",
                                         actor=treasurer.user)
    session.commit()
    assert _held(session, group) == 70000
    posting_ids = iter([first.posting_id, second.posting_id])
    lock = threading.Lock()
    asked: list[str] = []

    def reverse(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Group

        with lock:
            posting_id = next(posting_ids)
        ledger.reverse_posting(s, s.get(Group, group.id), posting_id, reason="Ошибка",
                               actor=s.get(User, treasurer.user_id))

    outcomes = run_together(app_ctx, _asked_or_refused(asked, reverse))
    assert sorted(outcomes) == ["ok", "refused"] and asked == ["asked"], (outcomes, asked)
    assert _count(session, Posting) == 4  # two payments, the pay-out, one reversal
    assert _held(session, group) == 20000
    assert check_books(session, group.id) == []
