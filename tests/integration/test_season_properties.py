"""Whatever happens to seed loans — delivered, repaid in cash or in kind,
taken first out of sales payouts, written off, seed taken out of the stock —
the books balance to the minor unit: all accounts sum to zero, the books
check finds nothing, each member's seed-loan account is exactly what her
loans still owe of their value, and the fund gained exactly the income the
ratios brought and lost exactly what was written off."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.groups.services import list_members
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.quantities import parse_quantity as q
from coop.sales import services as sales
from coop.season import domain
from coop.season import loans as seed
from coop.season.models import SeedLoan
from tests.factories import make_buyer, make_sale_lot, make_settled_round

_keys = itertools.count()

action = st.one_of(
    st.tuples(st.just("loan"), st.integers(0, 2), st.integers(0, 2),
              st.sampled_from(["cash", "kind", "payout"]), st.integers(10000, 30000)),
    st.tuples(st.just("cash"), st.integers(0, 20), st.integers(1, 200_000)),
    st.tuples(st.just("kind"), st.integers(0, 20), st.integers(1, 40)),
    st.tuples(st.just("payout"), st.lists(st.tuples(st.integers(0, 2), st.integers(1, 30)),
                                          min_size=1, max_size=3), st.integers(1, 400)),
    st.tuples(st.just("write_off"), st.integers(0, 20)),
    st.tuples(st.just("stock_out"), st.integers(1, 20)),
)


def _key() -> str:
    return f"prop-{next(_keys):020d}"


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratios=st.lists(st.integers(10000, 30000), min_size=3, max_size=3),
       actions=st.lists(action, min_size=1, max_size=8))
def test_any_sequence_of_seed_loans_keeps_the_books_balanced(session: Session, ratios: list,
                                                              actions: list) -> None:
    w = make_settled_round(session, members=3)
    actor = w.treasurer.user
    items = [w.seed, w.fabric, w.npk]
    fund_start = ledger.books(session, w.group, []).fund
    # One loan of each way of repaying to begin with, then whatever comes.
    loans: list[SeedLoan] = []
    for who, (mode, bp) in enumerate(zip(("payout", "kind", "cash"), ratios, strict=True)):
        loan = seed.propose_loan(session, w.group, w.members[who], round_id=w.rnd.id,
                                 product_id=w.seed.product_id, repay_mode=mode,
                                 repay_bp=bp, due_on=local_today() + timedelta(days=90),
                                 actor=actor, idempotency_key=_key())
        seed.approve_loan(session, loan, actor)
        seed.deliver_loan(session, loan, actor)
        loans.append(loan)
    for step in actions:
        kind = step[0]
        savepoint = session.begin_nested()
        try:
            if kind == "loan":
                _, who, product, mode, bp = step
                loan = seed.propose_loan(
                    session, w.group, w.members[who], round_id=w.rnd.id,
                    product_id=items[product].product_id, repay_mode=mode, repay_bp=bp,
                    due_on=local_today() + timedelta(days=90), actor=actor,
                    idempotency_key=_key())
                seed.approve_loan(session, loan, actor)
                seed.deliver_loan(session, loan, actor)
                loans.append(loan)
            elif kind == "cash" and loans:
                _, index, amount = step
                seed.repay_cash(session, loans[index % len(loans)], amount=amount,
                                method="cash", actor=actor, idempotency_key=_key())
            elif kind == "kind" and loans:
                _, index, units = step
                loan = loans[index % len(loans)]
                event("seed returned in kind")
                seed.repay_in_kind(session, loan, quantity=units * loan.product.granularity,
                                   actor=actor, idempotency_key=_key())
            elif kind == "payout":
                _, contributions, price = step
                lot = make_sale_lot(session, w.group, w.treasurer)
                grade = lot.grades[0]
                total = 0
                for who, jars in contributions:
                    sales.record_contribution(session, lot, w.members[who], grade_id=grade.id,
                                              quantity=q(str(jars)), actor=actor,
                                              brought_on=date(2026, 8, 10))
                    total += jars
                buyer = make_buyer(session, w.group)
                sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                                  lines={grade.id: (q(str(total)), price * 1_000_000)},
                                  actor=actor)
                sales.close_lot(session, lot, actor, unsold_actions={})
                sheet = sales.payout_sheet(session, lot)
                if sheet.seed_loans:
                    event("a payout repaid a seed loan first")
                for line in sheet.lines:
                    assert line.seed_loans + line.set_off + line.cash_due == max(
                        line.entitled, 0)
            elif kind == "write_off" and loans:
                _, index = step
                seed.write_off_loan(session, loans[index % len(loans)], reason="Засуха",
                                    actor=actor, idempotency_key=_key())
            elif kind == "stock_out":
                _, units = step
                for row in seed.stock_register(session, w.group):
                    if row.on_hand > 0:
                        take = min(units * row.product.granularity, row.on_hand)
                        seed.take_from_stock(session, w.group, product_id=row.product.id,
                                             quantity=take, note="Участок", actor=actor,
                                             idempotency_key=_key())
                        break
            savepoint.commit()
        except DomainError:
            savepoint.rollback()  # a refusal leaves nothing behind

    books = ledger.books(session, w.group, list_members(session, w.group))
    assert books.total == 0
    assert check_books(session, w.group.id) == []
    owed_value = income = lost = 0
    for loan in loans:
        session.refresh(loan)
        now = seed.position(loan)
        if loan.state == domain.DELIVERED:
            owed_value += now.principal_left
        income += now.income_paid
        lost += now.written_off
        assert now.principal_paid + now.written_off <= loan.value
        assert loan.state != domain.REPAID or now.left == 0
    for member in w.members:
        mine = sum(seed.position(x).principal_left for x in loans
                   if x.membership_id == member.id and x.state == domain.DELIVERED)
        assert seed.member_seed_balance(session, member) == mine
    assert -books.seed_loans == owed_value == seed.fund_lent(session, w.group)
    stock_value = sum(r.value for r in seed.stock_register(session, w.group))
    assert -books.seed_stock == stock_value
    taken_out = -sum(m.value for m in seed.stock_moves(session, w.group) if m.kind == "out")
    assert books.fund - fund_start == income - lost - taken_out
