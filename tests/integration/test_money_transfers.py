"""The treasurer moves the group's own money between its accounts (the bank to
the cash box, the cash into the bank, the wallet cashed out): one entry, the
books still balance, more than the source holds is refused, the same form
sent twice records once, and a reversal of a move takes the money back out of
the account it went into only as far as that holds (asked first, as any
payment out of it). On PostgreSQL: two moves of the whole balance at once
record one; two moves in opposite directions at once do not deadlock."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import AskFirst, DomainError
from coop.groups.services import list_members
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from tests.factories import make_group, make_member
from tests.integration.test_concurrency import run_together


def _held(session: Session, group, method: str) -> int:  # type: ignore[no-untyped-def]
    return -ledger.account_balance(session, ledger.money_account(session, group, method))


def _books(session: Session, group):  # type: ignore[no-untyped-def]
    return ledger.books(session, group, list_members(session, group, include_inactive=True))


def _transfers(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Posting).where(
        Posting.kind == "transfer")) or 0


def _paid_by_bank(session: Session, bank: int = 300000, cash: int = 0):  # type: ignore[no-untyped-def]
    """Айгүл paid `bank` by bank transfer (and `cash` into the cash box)."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    for method, amount in (("bank", bank), ("cash", cash)):
        if amount:
            ledger.record_payment(session, aigul, amount=amount, method=method, reference="",
                                  idempotency_key=f"paid-{method}-0000000001",
                                  actor=treasurer.user)
    session.commit()
    return group, treasurer


def test_a_move_from_the_bank_to_the_cash_box_is_one_entry_and_the_books_balance(
        session: Session) -> None:
    group, treasurer = _paid_by_bank(session, bank=300000, cash=5000)
    before = _books(session, group)
    posting = ledger.transfer_money(session, group, source="bank", target="cash",
                                    amount=120000, memo="", actor=treasurer.user)
    session.commit()
    assert posting.kind == "transfer" and posting.amount == 120000
    assert posting.debit_account_id == ledger.money_account(session, group, "cash")
    assert posting.credit_account_id == ledger.money_account(session, group, "bank")
    assert posting.memo == "From the bank account to the cash box"  # said where, untyped
    assert posting.created_by_id == treasurer.user_id
    assert (_held(session, group, "bank"), _held(session, group, "cash")) == (180000, 125000)
    after = _books(session, group)
    assert after.total == 0 and after.money == before.money  # it only changed place
    assert (after.in_bank, after.cash_on_hand) == (180000, 125000)
    assert after.members_net == before.members_net and after.fund == before.fund
    assert str(ledger.KIND_NAMES["transfer"]) == "Money moved between the group's accounts"
    # the whole of what is left, and back again with a note of her own
    ledger.transfer_money(session, group, source="bank", target="mobile", amount=180000,
                          memo="  На телефон  ", actor=treasurer.user)
    moved_back = ledger.transfer_money(session, group, source="cash", target="bank",
                                       amount=25000, memo="", actor=treasurer.user)
    session.commit()
    assert moved_back.memo == "From the cash box to the bank account"
    assert [t.posting.memo for t in ledger.recent_transfers(session, group)] == [
        "From the cash box to the bank account", "На телефон",
        "From the bank account to the cash box"]
    assert [(t.source, t.target) for t in ledger.recent_transfers(session, group)] == [
        ("cash", "bank"), ("bank", "mobile"), ("bank", "cash")]
    assert ledger.money_held(session, group) == {"cash": 100000, "bank": 25000,
                                                 "mobile": 180000}
    assert _books(session, group).total == 0
    assert check_books(session, group.id) == []


@pytest.mark.parametrize("source, target, amount, field, message", [
    ("bank", "bank", 1000, "target", "another account than the one it comes out of"),
    ("cash", "cash", 1000, "target", "another account than the one it comes out of"),
    ("bank", "cash", 0, "amount", "more than zero"),
    ("bank", "cash", -500, "amount", "more than zero"),
    ("bank", "cash", ledger.MAX_AMOUNT, "amount", "too large"),
    ("safe", "cash", 1000, "source", "Choose the account the money comes out of"),
    ("bank", "pocket", 1000, "target", "Choose the account the money goes into"),
    ("bank", "cash", 300001, "amount",
     r"The bank account holds only 3,000\.00\ssom: no more can be moved out of it"),
    ("mobile", "bank", 1, "amount",
     r"The mobile wallet holds only 0\.00\ssom: no more can be moved out of it"),
    # a cash box is not overdrawn by a move either: nothing came from elsewhere
    ("cash", "bank", 5001, "amount",
     r"The cash box holds only 50\.00\ssom: no more can be moved out of it"),
])
def test_a_move_that_cannot_be_made_is_refused_and_writes_nothing(
        session: Session, source: str, target: str, amount: int, field: str,
        message: str) -> None:
    group, treasurer = _paid_by_bank(session, bank=300000, cash=5000)
    postings = session.scalar(select(func.count()).select_from(Posting))
    with pytest.raises(DomainError, match=message) as refused:
        ledger.transfer_money(session, group, source=source, target=target, amount=amount,
                              memo="", actor=treasurer.user,
                              idempotency_key="refused-move-00000001")
    assert not isinstance(refused.value, AskFirst)
    assert refused.value.field == field
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Posting)) == postings
    assert (_held(session, group, "bank"), _held(session, group, "cash")) == (300000, 5000)


def test_the_same_form_sent_twice_moves_the_money_once(session: Session) -> None:
    group, treasurer = _paid_by_bank(session)
    key = "move-form-key-0000000001"
    first = ledger.transfer_money(session, group, source="bank", target="cash", amount=100000,
                                  memo="", actor=treasurer.user, idempotency_key=key)
    session.commit()
    again = ledger.transfer_money(session, group, source="bank", target="cash", amount=100000,
                                  memo="", actor=treasurer.user, idempotency_key=key)
    session.commit()
    assert again.id == first.id and _transfers(session) == 1
    assert _held(session, group, "cash") == 100000
    # The key of another kind of form: stale, refused
    ledger.pay_out(session, group, amount=100, memo="Такси", actor=treasurer.user,
                   method="cash", idempotency_key="pay-out-key-00000000001")
    session.commit()
    with pytest.raises(DomainError, match="expired"):
        ledger.transfer_money(session, group, source="bank", target="cash", amount=100,
                              memo="", actor=treasurer.user,
                              idempotency_key="pay-out-key-00000000001")
    # the same move without a key is another move; the 24 h check finds the first
    assert ledger.recent_transfer(session, group, source="bank", target="cash",
                                  amount=100000).id == first.id
    assert ledger.recent_transfer(session, group, source="cash", target="bank",
                                  amount=100000) is None
    assert ledger.recent_transfer(session, group, source="bank", target="cash",
                                  amount=99999) is None


def test_a_move_reversed_takes_the_money_back_out_only_as_far_as_it_is_there(
        session: Session) -> None:
    """The app offers no reversal of the group's own entries from a page; the
    service, which sales and statements use, reverses a move as any entry:
    its mirror takes the money back out of the account it went into, asked
    first when that holds less."""
    group, treasurer = _paid_by_bank(session)
    move = ledger.transfer_money(session, group, source="bank", target="cash", amount=200000,
                                 memo="", actor=treasurer.user)
    ledger.pay_out(session, group, amount=150000, memo="Транспорт", actor=treasurer.user)
    session.commit()
    with pytest.raises(AskFirst, match=r"cash box holds only 500\.00\ssom: after this reversal"):
        ledger.reverse_posting(session, group, move.id, reason="ошибка", actor=treasurer.user)
    session.rollback()
    mirror = ledger.reverse_posting(session, group, move.id, reason="ошибка",
                                    actor=treasurer.user, overdraw=True)
    session.commit()
    assert mirror.reverses_id == move.id
    assert (_held(session, group, "bank"), _held(session, group, "cash")) == (300000, -150000)
    assert ledger.recent_transfer(session, group, source="bank", target="cash",
                                  amount=200000) is None  # reversed: not asked about again
    assert _books(session, group).total == 0
    assert check_books(session, group.id) == []


# --------------------------------------------------------------------------
# At the same moment (PostgreSQL: row locks and concurrent writers)
# --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(5))
def test_two_moves_of_the_whole_bank_balance_at_once_record_one(
        app_ctx, session: Session, pg_only: None, attempt: int) -> None:  # type: ignore[no-untyped-def]
    group, treasurer = _paid_by_bank(session, bank=300000)
    keys = iter(["first-move-key-00000001", "second-move-key-0000002"])
    targets = iter(["cash", "mobile"])
    lock = threading.Lock()

    def move(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Group

        with lock:
            key, target = next(keys), next(targets)
        ledger.transfer_money(s, s.get(Group, group.id), source="bank", target=target,
                              amount=300000, memo="", actor=s.get(User, treasurer.user_id),
                              idempotency_key=key)

    outcomes = run_together(app_ctx, move)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    assert _transfers(session) == 1
    held = ledger.money_held(session, group)
    assert held["bank"] == 0 and held["cash"] + held["mobile"] == 300000
    assert _books(session, group).total == 0
    assert check_books(session, group.id) == []


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_two_moves_in_opposite_directions_at_once_do_not_deadlock(
        app_ctx, session: Session, pg_only: None, attempt: int,
        monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Each move waits, after the first row it locks, until the other has
    locked its first row too (or for a second): taken source first, the bank
    to the cash box and the cash box to the bank would each hold what the
    other waits for (PostgreSQL ends one as a deadlock); taken lower id first,
    the second waits at its first lock for the first move to commit."""
    group, treasurer = _paid_by_bank(session, bank=300000, cash=200000)
    moves = iter([("bank", "cash", "bank-to-cash-key-000001"),
                  ("cash", "bank", "cash-to-bank-key-000002")])
    lock = threading.Lock()
    both_hold_one = threading.Barrier(2)
    mine = threading.local()
    lock_account = ledger.lock_account

    def lock_and_wait(s: Session, account_id: int) -> None:
        lock_account(s, account_id)
        if not getattr(mine, "locked", False):
            mine.locked = True
            # broken after the timeout: the other waits for this one's lock, as it should
            with contextlib.suppress(threading.BrokenBarrierError):
                both_hold_one.wait(timeout=1.5)

    monkeypatch.setattr(ledger, "lock_account", lock_and_wait)

    def move(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Group

        with lock:
            source, target, key = next(moves)
        ledger.transfer_money(s, s.get(Group, group.id), source=source, target=target,
                              amount=100000, memo="", actor=s.get(User, treasurer.user_id),
                              idempotency_key=key)

    outcomes = run_together(app_ctx, move)
    assert sorted(outcomes) == ["ok", "ok"], outcomes
    assert _transfers(session) == 2
    held = ledger.money_held(session, group)
    assert (held["bank"], held["cash"]) == (300000, 200000)
    assert check_books(session, group.id) == []
