"""The same supplier payment sent ten times at once is recorded once; two
different payments at once cannot together pay more than is owed. Each thread
has its own connection and transaction, as app workers would (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.payables import services as payables
from coop.payables.models import SupplierPayment
from tests.factories import make_two_supplier_round
from tests.integration.test_concurrency import run_together

pytestmark = pytest.mark.postgres


def _paid_in(session: Session):  # type: ignore[no-untyped-def]
    """The two-supplier round, settled; 1,000.00 paid into the bank account
    (what the payments below take: more would be asked first)."""
    w = make_two_supplier_round(session)
    payables.supplier_account(session, w.agro)
    ledger.record_payment(session, w.nurila, amount=100000, method="bank", reference="",
                          idempotency_key="paid-in-bank-000000001", actor=w.treasurer.user)
    session.commit()
    return w


def _payer(w, amount: int, key: str | None):  # type: ignore[no-untyped-def]
    supplier_id, user_id, round_id = w.agro.id, w.treasurer.user_id, w.rnd.id
    keys = iter(range(100))

    def pay(s: Session) -> None:
        from coop.auth.models import User
        from coop.suppliers.models import Supplier

        payables.pay_supplier(s, s.get(Supplier, supplier_id), amount=amount, method="bank",
                              reference="ПП-17",
                              idempotency_key=key or f"different-key-{next(keys):06d}",
                              actor=s.get(User, user_id), round_id=round_id)

    return pay


def test_the_same_supplier_payment_ten_times_at_once_records_one(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    w = _paid_in(session)
    before = session.scalar(select(func.count()).select_from(Posting))
    outcomes = run_together(app_ctx, _payer(w, 40000, "same-form-key-000017"), n=10)
    assert "ok" in outcomes, outcomes
    assert set(outcomes) <= {"ok", "IntegrityError"}, outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SupplierPayment)) == 1
    assert session.scalar(select(func.count()).select_from(Posting)) == before + 1
    [agro] = payables.positions(session, w.group, w.agro)
    assert (agro.total.paid, agro.total.owed, agro.books_balance) == (40000, 24000, 24000)
    books = ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])
    assert books.in_bank == 60000 and books.total == 0


def test_two_payments_at_once_cannot_pay_more_than_is_owed(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    w = _paid_in(session)
    outcomes = run_together(app_ctx, _payer(w, 40000, None), n=2)  # 2 × 400 > 640
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SupplierPayment)) == 1
