"""Whatever is paid in and out, by whatever means: the books balance to the
minor unit, each money account holds exactly what came in and went out by its
method, and each supplier's account is her bills less what she was paid."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from coop.errors import AskFirst
from coop.ledger import services as ledger
from coop.payables import services as payables
from tests.factories import make_two_supplier_round

_keys = itertools.count()
METHODS = st.sampled_from(["cash", "bank", "mobile"])

action = st.one_of(
    st.tuples(st.just("member_pays"), st.integers(0, 1), st.integers(1, 90_000), METHODS),
    st.tuples(st.just("pay_supplier"), st.integers(0, 1), st.integers(1, 90_000), METHODS,
              st.booleans()),
    st.tuples(st.just("pay_out"), st.integers(1, 20_000), METHODS),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
)


def _asked_if_beyond(pay, beyond: bool):  # type: ignore[no-untyped-def]
    """More than the money account holds is asked first (AskFirst) and made
    when confirmed (`overdraw`); within what it holds it is made at once."""
    if beyond:
        with pytest.raises(AskFirst):
            pay(False)
        return pay(True)
    return pay(False)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(action, min_size=1, max_size=10))
def test_payments_by_any_method_keep_every_account_exact(session: Session,
                                                         actions: list) -> None:
    w = make_two_supplier_round(session)
    actor = w.treasurer.user
    suppliers = [w.agro, w.textile]
    money = {"cash": 0, "bank": 0, "mobile": 0}
    owed = {w.agro.id: 64000, w.textile.id: 30000}
    movements: list[tuple[int, str, int, int | None]] = []  # posting, method, +in/-out, supplier
    for step in actions:
        kind = step[0]
        if kind == "member_pays":
            _, who, amount, method = step
            payment, _new = ledger.record_payment(
                session, [w.aigul, w.nurila][who], amount=amount, method=method, reference="",
                idempotency_key=f"member-key-{next(_keys):010d}", actor=actor)
            money[method] += amount
            movements.append((payment.posting_id, method, amount, None))
        elif kind == "pay_supplier":
            _, which, amount, method, round_tagged = step
            supplier = suppliers[which]
            key = f"supplier-key-{next(_keys):010d}"

            def pay(overdraw: bool, supplier=supplier, amount=amount, method=method,  # type: ignore[no-untyped-def]
                    key=key, round_tagged=round_tagged):
                return payables.pay_supplier(
                    session, supplier, amount=amount, method=method, reference="",
                    idempotency_key=key, actor=actor,
                    round_id=w.rnd.id if round_tagged else None, beyond_owed=True,
                    overdraw=overdraw)
            payment, _new = _asked_if_beyond(pay, amount > money[method])
            money[method] -= amount
            owed[supplier.id] -= amount
            movements.append((payment.posting_id, method, -amount, supplier.id))
        elif kind == "pay_out":
            _, amount, method = step
            posting = _asked_if_beyond(
                lambda overdraw, amount=amount, method=method: ledger.pay_out(
                    session, w.group, amount=amount, memo="Такси", actor=actor, method=method,
                    overdraw=overdraw), amount > money[method])
            money[method] -= amount
            movements.append((posting.id, method, -amount, None))
        elif kind == "reverse" and movements:
            posting_id, method, amount, supplier_id = movements.pop(step[1] % len(movements))
            # a payment in, reversed, takes its money back out: asked like a payment
            # out (a payment out, reversed, puts it back: never asked)
            _asked_if_beyond(
                lambda overdraw, posting_id=posting_id: ledger.reverse_posting(
                    session, w.group, posting_id, reason="ошибка", actor=actor,
                    overdraw=overdraw), amount > max(money[method], 0))
            money[method] -= amount
            if supplier_id is not None:
                owed[supplier_id] -= amount  # a reversed payment (amount < 0) is owed again
    books = ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])
    assert books.total == 0
    assert (books.cash_on_hand, books.in_bank, books.in_mobile) == (
        money["cash"], money["bank"], money["mobile"])
    positions = {p.supplier_id: p for p in payables.positions(session, w.group)}
    for supplier_id, expected in owed.items():
        assert positions[supplier_id].books_balance == expected
        assert positions[supplier_id].total.owed == expected
    assert books.payables == sum(owed.values())
    session.rollback()
