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
