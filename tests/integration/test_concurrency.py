"""Two requests at the same moment: exactly one takes effect. Each thread has
its own connection and transaction, as two app workers would."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.extensions import db
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Payment, Posting
from coop.orders import services as orders
from coop.orders.models import Round, Settlement
from coop.quantities import parse_quantity as q
from tests.integration.test_settlement import awarded_example_02


def run_together(app, work: Callable[[Session], None], n: int = 2) -> list[str]:  # type: ignore[no-untyped-def]
    """Run `work` in n threads that start together; each commits on success."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def worker() -> None:
        with app.app_context(), Session(db.engine) as session:
            barrier.wait()
            try:
                work(session)
                session.commit()
                outcomes.append("ok")
            except DomainError:
                session.rollback()
                outcomes.append("refused")
            except Exception as exc:
                session.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_two_settlements_at_once_settle_once(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    _group, treasurer, _members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    orders.record_delivery(session, rnd, {f_item.id: (q("60"), q("4.5")),
                                          t_item.id: (q("10"), 0)}, actor=treasurer.user)
    orders.confirm_delivery(session, rnd, treasurer.user)
    session.commit()
    round_id, user_id = rnd.id, treasurer.user_id

    def settle(s: Session) -> None:
        from coop.auth.models import User

        orders.settle_round(s, s.get(Round, round_id), s.get(User, user_id))

    outcomes = run_together(app_ctx, settle)
    assert sorted(outcomes)[0] == "ok" and outcomes.count("ok") == 1, outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Settlement)) == 1
    # one charge per member (this group has no levy and no cash rounding) and
    # the supplier's goods into her account
    assert session.scalar(select(func.count()).select_from(Posting)) == 4
    assert session.get(Round, round_id).state == "settled"


def test_two_identical_payments_at_once_record_one(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    _group, treasurer, members, _rnd = awarded_example_02(session)
    member_id, user_id = members[0].id, treasurer.user_id

    def pay(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Membership

        ledger.record_payment(s, s.get(Membership, member_id), amount=50000, method="cash",
                              reference="", idempotency_key="same-form-key-12345",
                              actor=s.get(User, user_id))

    outcomes = run_together(app_ctx, pay)
    assert "ok" in outcomes, outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    assert ledger.member_balance(session, members[0]) == 50000


def test_two_tabs_cannot_order_past_the_credit_limit_together(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_catalog, make_group, make_member

    group = make_group(session, credit_limit=100_000)  # 1 000 som
    treasurer = make_member(session, group, role="treasurer")
    member = make_member(session, group)
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="R", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(session, rnd, treasurer.user, "open")
    session.commit()
    seed, _fabric, npk = rnd.items
    round_id, member_id = rnd.id, member.id
    tabs = iter([{seed.id: (q("15"), 0)}, {npk.id: (q("8"), 0)}])  # 727.50 and 624.00
    lock = threading.Lock()

    def order(s: Session) -> None:
        from coop.groups.models import Membership

        with lock:
            lines = next(tabs)
        who = s.get(Membership, member_id)
        orders.save_order(s, s.get(Round, round_id), who, lines, who.user, as_treasurer=False)

    outcomes = run_together(app_ctx, order)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert orders.order_exposure(session, member) <= 100_000


def _owing_member(session: Session, owes: int = 10300):  # type: ignore[no-untyped-def]
    from tests.factories import make_group, make_member

    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    if owes:
        ledger.adjust_member(session, aigul, amount=owes, reason="долг", actor=treasurer.user)
    session.commit()
    return group, treasurer, aigul


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(5))
def test_two_write_offs_of_her_whole_debt_at_once_write_off_once(
        app_ctx, session: Session, pg_only: None, attempt: int) -> None:  # type: ignore[no-untyped-def]
    """Issue 20: two treasurers (two forms, two keys) write off her whole debt,
    103.00, at the same moment. Before, both succeeded (20 of 20 tries) and her
    balance went from -103.00 to +103.00; now her row is locked while what she
    owes is checked, and the second is refused."""
    group, treasurer, aigul = _owing_member(session)
    keys = iter(["first-form-key-000001", "second-form-key-00002"])
    lock = threading.Lock()

    def write_off(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Membership

        with lock:
            key = next(keys)
        ledger.write_off(s, s.get(Membership, aigul.id), amount=10300, reason="Болезнь",
                         actor=s.get(User, treasurer.user_id), idempotency_key=key)

    outcomes = run_together(app_ctx, write_off)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert ledger.member_balance(session, aigul) == 0
    assert check_books(session, group.id) == []


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_ten_reversals_of_one_payment_at_once_reverse_it_once(
        app_ctx, session: Session, pg_only: None, attempt: int) -> None:  # type: ignore[no-untyped-def]
    """Issue 20: ten reversals of one 7.00 payment at the same moment (ten forms,
    ten keys). Before, two or three went through; now the posting is locked while
    it is checked and a unique index on `reverses_id` stops a second anyway."""
    group, treasurer, aigul = _owing_member(session, owes=0)
    payment, _new = ledger.record_payment(session, aigul, amount=700, method="cash",
                                          reference="", idempotency_key="setup-key-000000001",
                                          actor=treasurer.user)
    session.commit()
    keys = iter([f"reversal-form-key-{n:04d}" for n in range(10)])
    lock = threading.Lock()

    def reverse(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Group

        with lock:
            key = next(keys)
        ledger.reverse_posting(s, s.get(Group, group.id), payment.posting_id, reason="Ошибка",
                               actor=s.get(User, treasurer.user_id), idempotency_key=key)

    outcomes = run_together(app_ctx, reverse, n=10)
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 9, outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.reverses_id == payment.posting_id)) == 1
    assert ledger.member_balance(session, aigul) == 0
    assert check_books(session, group.id) == []


def test_the_database_refuses_a_second_reversal_of_a_posting(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """The unique index itself, on SQLite as on PostgreSQL: whatever the code
    does, a posting cannot be reversed twice."""
    from sqlalchemy.exc import IntegrityError

    group, treasurer, aigul = _owing_member(session, owes=0)
    payment, _new = ledger.record_payment(session, aigul, amount=700, method="cash",
                                          reference="", idempotency_key="setup-key-000000001",
                                          actor=treasurer.user)
    original = session.get(Posting, payment.posting_id)
    ledger.reverse_posting(session, group, original.id, reason="Ошибка", actor=treasurer.user)
    session.commit()
    with pytest.raises(IntegrityError):
        ledger.post(session, group, debit=original.credit_account_id,
                    credit=original.debit_account_id, amount=700, kind="reversal",
                    memo="again", reverses_id=original.id)
    session.rollback()
