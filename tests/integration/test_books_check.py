"""The books check finds what must never be in the books, and nothing in sound ones."""

from __future__ import annotations

from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from tests.factories import make_group, make_member, make_settled_round


def _world(session: Session):  # type: ignore[no-untyped-def]
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    ledger.adjust_member(session, aigul, amount=10300, reason="долг", actor=treasurer.user)
    return group, treasurer, aigul


def test_sound_books_have_no_problem(session: Session) -> None:
    group, treasurer, aigul = _world(session)
    ledger.write_off(session, aigul, amount=10300, reason="Болезнь", actor=treasurer.user)
    payment, _ = ledger.record_payment(session, aigul, amount=700, method="cash", reference="",
                                       idempotency_key="check-key-0000000001",
                                       actor=treasurer.user)
    ledger.reverse_posting(session, group, payment.posting_id, reason="Ошибка",
                           actor=treasurer.user)
    w = make_settled_round(session)
    assert check_books(session) == []
    assert check_books(session, w.group.id) == []


def test_a_write_off_beyond_her_debt_is_found(session: Session) -> None:
    group, _treasurer, aigul = _world(session)
    accounts = ledger.group_accounts(session, group)
    mine = ledger.member_account(session, aigul)
    for _ in range(2):  # what the old race did: 103.00 written off twice
        ledger.post(session, group, debit=accounts.fund, credit=mine, amount=10300,
                    kind="write_off", memo="x", membership_id=aigul.id)
    problems = check_books(session, group.id)
    assert len(problems) == 1 and "who owed 0" in problems[0], problems


def test_a_reversal_that_is_not_the_mirror_is_found(session: Session) -> None:
    group, treasurer, aigul = _world(session)
    payment, _ = ledger.record_payment(session, aigul, amount=700, method="cash", reference="",
                                       idempotency_key="check-key-0000000002",
                                       actor=treasurer.user)
    original = payment.posting_id
    accounts = ledger.group_accounts(session, group)
    ledger.post(session, group, debit=ledger.member_account(session, aigul),
                credit=accounts.cash, amount=7000, kind="reversal", memo="x",
                reverses_id=original)
    assert check_books(session, group.id) == [f"posting {original + 1} is not the mirror of "
                                              f"{original}"]


def test_a_second_settlement_entry_and_a_foreign_account_are_found(session: Session) -> None:
    w = make_settled_round(session, members=2)
    other = make_group(session)
    member = w.members[0]
    mine = ledger.member_account(session, member)
    accounts = ledger.group_accounts(session, w.group)
    ledger.post(session, w.group, debit=mine, credit=accounts.suppliers, amount=100,
                kind="charge", round_id=w.rnd.id, membership_id=member.id)
    foreign = ledger.group_accounts(session, other).cash
    ledger.post(session, w.group, debit=foreign, credit=accounts.cash, amount=5, kind="payment")
    problems = check_books(session, w.group.id)
    assert f"round {w.rnd.id}: 2 'charge' entries for membership {member.id}" in problems
    assert any("of another group" in p for p in problems), problems
    assert any("sum to" in p for p in problems), problems
