"""Whatever happens, the books balance: all accounts sum to zero, and each
member's balance is what she was credited minus what she was charged."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.orders import services as orders
from coop.quantities import parse_quantity as q
from tests.factories import make_catalog, make_group, make_member

_keys = itertools.count()

action = st.one_of(
    st.tuples(st.just("round"), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60),
                                                   st.integers(0, 10)), min_size=1, max_size=6),
              st.integers(0, 200_000), st.booleans()),
    st.tuples(st.just("pay"), st.integers(0, 3), st.integers(1, 500_000)),
    st.tuples(st.just("adjust"), st.integers(0, 3), st.integers(-50_000, 50_000)),
    st.tuples(st.just("write_off"), st.integers(0, 3), st.integers(1, 100_000)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(action, min_size=1, max_size=8))
def test_any_sequence_keeps_the_books_balanced(session: Session, actions: list) -> None:
    group = make_group(session, levy_basis_points=250, cash_rounding=100)
    treasurer = make_member(session, group, role="treasurer")
    members = [make_member(session, group) for _ in range(4)]
    products = make_catalog(session, group)
    expected = {m.id: 0 for m in members}
    postings: list[int] = []
    actor = treasurer.user
    for step in actions:
        kind = step[0]
        if kind == "round":
            _, orders_, cost, damage = step
            rnd = orders.create_round(session, group, actor, title="R", deadline=None,
                                      product_ids=[p.id for p in products])
            orders.move_round(session, rnd, actor, "open")
            seed = rnd.items[0]
            for who, quantity, tolerance in orders_:
                if quantity:
                    orders.save_order(session, rnd, members[who],
                                      {seed.id: (q(str(quantity)), q(str(tolerance)))}, actor,
                                      as_treasurer=True)
            orders.add_shared_cost(session, rnd, name="Truck", amount=cost, rule="weight")
            orders.move_round(session, rnd, actor, "closed")
            try:
                orders.award_at_list_prices(session, rnd, actor)
            except DomainError:
                continue  # nobody ordered
            outcome = orders.compute_split(session, rnd).outcome
            received = q(outcome.scenario.quantity_text(outcome.products[0].ordered))
            if not received:
                continue
            damaged = received // 5000 * 1000 if damage else 0  # a fifth, in whole units
            orders.record_delivery(session, rnd, {seed.id: (received, damaged)}, actor=actor)
            orders.confirm_delivery(session, rnd, actor)
            settled = orders.settle_round(session, rnd, actor)
            for member in settled.outcome.members:
                expected[int(member.id)] -= member.total
        elif kind == "pay":
            _, who, amount = step
            payment, _new = ledger.record_payment(
                session, members[who], amount=amount, method="cash", reference="",
                idempotency_key=f"key-{next(_keys):020d}", actor=actor)
            expected[members[who].id] += amount
            postings.append(payment.posting_id)
        elif kind == "adjust":
            _, who, amount = step
            if amount:
                posting = ledger.adjust_member(session, members[who], amount=amount,
                                               reason="fix", actor=actor)
                expected[members[who].id] -= amount
                postings.append(posting.id)
        elif kind == "write_off":
            _, who, amount = step
            owed = -ledger.member_balance(session, members[who])
            if 0 < amount <= owed:
                posting = ledger.write_off(session, members[who], amount=amount,
                                           reason="cannot pay", actor=actor)
                expected[members[who].id] += amount
                postings.append(posting.id)
        elif kind == "reverse" and postings:
            posting_id = postings.pop(step[1] % len(postings))
            posting = ledger.reverse_posting(session, group, posting_id, reason="mistake",
                                             actor=actor)
            member_account = {ledger.member_account(session, m): m.id for m in members}
            sign = 1 if posting.credit_account_id in member_account else -1
            account = posting.credit_account_id if sign == 1 else posting.debit_account_id
            if account in member_account:
                expected[member_account[account]] += sign * posting.amount
    books = ledger.books(session, group, [treasurer, *members])
    assert books.total == 0
    assert {m.id: ledger.member_balance(session, m) for m in members} == expected
    assert check_books(session, group.id) == []
    session.rollback()
