"""Two payments of what a buyer owes, at the same moment (two treasurers, two
forms, two keys): exactly one is recorded. What she owes is read under the
lot's lock (services._lock), so the second sees the first and is refused."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.groups.services import list_members
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services
from coop.sales.models import SalePayment
from tests.integration.test_concurrency import run_together
from tests.integration.test_sales_services import jam


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(5))
def test_two_payments_of_the_whole_debt_at_once_record_one(
        app_ctx, session: Session, pg_only: None, attempt: int) -> None:  # type: ignore[no-untyped-def]
    group, treasurer, _women, lot, (top, _first), (_shop, wholesaler) = jam(session)
    sale = services.record_sale(session, lot, buyer_id=wholesaler.id, sold_on=date(2026, 9, 1),
                                lines={top.id: (q("10"), p("300"))}, actor=treasurer.user,
                                pay_later=True)
    session.commit()
    keys = iter(["first-sale-payment-0001", "second-sale-payment-002"])
    methods = iter(["cash", "bank"])
    lock = threading.Lock()

    def pay(s: Session) -> None:
        from coop.auth.models import User
        from coop.sales.models import Sale, SaleLot

        with lock:
            key, method = next(keys), next(methods)
        found = s.get(SaleLot, lot.id)
        services.record_sale_payment(s, found, s.get(Sale, sale.id), amount=300000,
                                     method=method, actor=s.get(User, treasurer.user_id),
                                     idempotency_key=key)

    outcomes = run_together(app_ctx, pay)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SalePayment)) == 1
    assert services.sale_debt(session, sale).owed == 0
    books = ledger.books(session, group, list_members(session, group, include_inactive=True))
    assert books.buyers_owe == 0 and books.money == 300000 and books.total == 0
    assert check_books(session, group.id) == []


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_a_sale_cancelled_while_money_moves_between_its_accounts_does_not_deadlock(
        app_ctx, session: Session, pg_only: None, attempt: int,
        monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A sale paid later was paid first by bank, then in cash. Cancelling it
    takes both payments back out; at the same moment the treasurer moves money
    from the cash box to the bank. Each waits, after the first account it
    locks, for the other to lock its first too (or for a second): had the
    cancel locked the payments' accounts in their order (bank, then cash) and
    the move lower id first (cash, then bank), each would hold what the other
    waits for and PostgreSQL would end one as a deadlock. Both lock lower id
    first: both go through."""
    import contextlib

    from coop.ledger import services as ledger_services

    group, treasurer, _women, lot, (top, _first), (_shop, wholesaler) = jam(session)
    ledger.money_account(session, group, "cash")  # the cash box made before the bank account
    sale = services.record_sale(session, lot, buyer_id=wholesaler.id, sold_on=date(2026, 9, 1),
                                lines={top.id: (q("10"), p("300"))}, actor=treasurer.user,
                                pay_later=True)
    for method, amount, key in (("bank", 100000, "paid-by-bank-000000001"),
                                ("cash", 50000, "paid-in-cash-000000002")):
        services.record_sale_payment(session, lot, sale, amount=amount, method=method,
                                     actor=treasurer.user, idempotency_key=key)
    session.commit()
    assert ledger.money_account(session, group, "cash") < ledger.money_account(
        session, group, "bank")
    both_hold_one = threading.Barrier(2)
    mine = threading.local()
    lock_account = ledger_services.lock_account

    def lock_and_wait(s: Session, account_id: int) -> None:
        lock_account(s, account_id)
        if account_id in money and not getattr(mine, "locked", False):
            mine.locked = True
            with contextlib.suppress(threading.BrokenBarrierError):
                both_hold_one.wait(timeout=1.5)

    money = {ledger.money_account(session, group, m) for m in ("cash", "bank")}
    monkeypatch.setattr(ledger_services, "lock_account", lock_and_wait)
    jobs = iter(["cancel", "move"])
    lock = threading.Lock()

    def work(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Group
        from coop.sales.models import Sale, SaleLot

        with lock:
            job = next(jobs)
        actor = s.get(User, treasurer.user_id)
        if job == "cancel":
            services.cancel_sale(s, s.get(SaleLot, lot.id), s.get(Sale, sale.id),
                                 reason="ошибка", actor=actor, overdraw=True)
        else:
            ledger_services.transfer_money(s, s.get(Group, group.id), source="cash",
                                           target="bank", amount=50000, memo="",
                                           actor=actor, idempotency_key="cash-to-bank-0000001")

    outcomes = run_together(app_ctx, work)
    assert outcomes.count("ok") == 2 or (outcomes.count("ok") == 1 and "refused" in outcomes), \
        outcomes
    session.expire_all()
    assert check_books(session, group.id) == []
