"""The house rule's audit: every path that moves money holds a lock (or a
database constraint) on what it checks, and two requests at the same moment
move money once. These are the paths no other concurrency test covered.

Most tests here hold the first request's transaction open after its work
(`first_holds`), and run the second meanwhile, each in its own connection as
two app workers would: a second that does not wait for the first's lock reads
the figures as they were before the first, and moves money on them. That
makes a missing lock fail every time, not one run in twenty. On PostgreSQL only (row
locks, concurrent writers): COOP_TEST_DATABASE_URL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.errors import DomainError
from coop.extensions import db
from coop.groups.models import Group, Membership
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from tests.integration.test_concurrency import run_together

pytestmark = pytest.mark.postgres

HOLD = 0.6  # seconds the first keeps its transaction open after its work


def first_holds(app: Flask, first: Callable[[Session], object],
                second: Callable[[Session], object]) -> list[str]:
    """Run `first` in one connection and keep its transaction open for HOLD
    seconds; meanwhile run `second` in another. Each commits on success. The
    outcomes in that order: "ok", "refused" (a DomainError) or what was raised."""
    done_first = threading.Event()
    outcomes = ["", ""]

    def worker(i: int, work: Callable[[Session], object]) -> None:
        with app.app_context(), Session(db.engine) as session:
            try:
                if i == 1:
                    assert done_first.wait(30)
                work(session)
                if i == 0:
                    done_first.set()
                    time.sleep(HOLD)
                session.commit()
                outcomes[i] = "ok"
            except DomainError:
                session.rollback()
                outcomes[i] = "refused"
            except Exception as exc:
                session.rollback()
                outcomes[i] = type(exc).__name__
            finally:
                done_first.set()

    threads = [threading.Thread(target=worker, args=(i, w)) for i, w in enumerate((first,
                                                                                     second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    assert user is not None
    return user


def _member(s: Session, membership_id: int) -> Membership:
    member = s.get(Membership, membership_id)
    assert member is not None
    return member


def _group(s: Session, group_id: int) -> Group:
    group = s.get(Group, group_id)
    assert group is not None
    return group


def _owing(session: Session, owes: int = 10300):  # type: ignore[no-untyped-def]
    """Айгүл owes `owes` by an adjustment; Бермет paid 1 000.00 into the
    cash, so the cash box is not what limits."""
    from tests.factories import make_group, make_member

    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    bermet = make_member(session, group, "Бермет")
    debt = ledger.adjust_member(session, aigul, amount=owes, reason="долг",
                                actor=treasurer.user)
    ledger.record_payment(session, bermet, amount=100_000, method="cash", reference="",
                          idempotency_key="bermet-paid-in-0000001", actor=treasurer.user)
    session.commit()
    return group, treasurer, aigul, debt


def _sound(session: Session, group_id: int) -> None:
    session.expire_all()
    assert check_books(session, group_id) == []


# --------------------------------------------------------------------------
# The ledger: the same form twice, found under the lock (not an IntegrityError)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["adjustment", "pay_out"])
def test_the_same_ledger_form_sent_while_the_first_is_committing_finds_it(
        app_ctx: Flask, session: Session, pg_only: None, what: str) -> None:
    """The same form (one key) sent again while the first is still being
    written. Before, an adjustment and a payment out looked for the key only
    before taking their lock (hers; the cash box's): the second went on, and
    the unique key on the postings stopped it with an IntegrityError out of the
    service. Now, as a write-off does, the key is looked for again under the
    lock, and the second finds the first."""
    group, treasurer, aigul, _debt = _owing(session)
    key = f"same-{what}-form-key-0001"

    def send(s: Session) -> Posting:
        actor = _user(s, treasurer.user_id)
        if what == "adjustment":
            return ledger.adjust_member(s, _member(s, aigul.id), amount=500, reason="доставка",
                                        actor=actor, idempotency_key=key)
        return ledger.pay_out(s, _group(s, group.id), amount=500, memo="Транспорт",
                              actor=actor, idempotency_key=key)

    assert first_holds(app_ctx, send, send) == ["ok", "ok"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.idempotency_key == key)) == 1
    _sound(session, group.id)


# --------------------------------------------------------------------------
# Paths already locked, now with a test that two different forms move once
# --------------------------------------------------------------------------


def test_two_credit_notes_at_once_credit_no_more_than_the_loss(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Two credit notes (two forms, two keys) for the same damaged product,
    each 60 % of what is lost on it: the round's row lock lets one through."""
    from coop.orders import services as orders
    from coop.orders.models import CreditNote, Round
    from tests.integration.test_money_endpoints import _received_round

    w = _received_round(session, confirm=False)
    loss = next(p.loss for p in orders.compute_split(session, w.rnd).outcome.products
                if p.id == str(w.f_item.id))
    part = loss * 6 // 10
    assert part > 0
    keys = iter([f"credit-note-form-{n:04d}" for n in range(4)])
    lock = threading.Lock()

    def credit(s: Session) -> None:
        with lock:
            key = next(keys)
        rnd = s.get(Round, w.rnd.id)
        assert rnd is not None
        orders.record_credit_note(s, rnd, w.f_item.id, amount=part, note="КН",
                                  actor=_user(s, w.treasurer.user_id), idempotency_key=key)

    assert first_holds(app_ctx, credit, credit) == ["ok", "refused"]
    assert sorted(run_together(app_ctx, credit)) == ["refused", "refused"]  # no room left
    session.expire_all()
    assert session.scalar(select(func.sum(CreditNote.amount)).where(
        CreditNote.round_id == w.rnd.id)) == part


def test_two_write_offs_of_one_seed_loan_at_once_write_it_off_once(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Two forms (two keys) write off the same seed loan: the loan's row lock
    lets one through; the fund takes the loss once."""
    from coop.season import loans as seed
    from coop.season.models import SeedLoan, SeedRepayment
    from tests.integration.test_money_endpoints import _seed_world

    w = _seed_world(session)
    keys = iter(["seed-write-off-form-01", "seed-write-off-form-02"])
    lock = threading.Lock()

    def write_off(s: Session) -> None:
        with lock:
            key = next(keys)
        loan = s.get(SeedLoan, w.loan.id)
        assert loan is not None
        seed.write_off_loan(s, loan, reason="Засуха", actor=_user(s, w.treasurer.user_id),
                            idempotency_key=key)

    assert first_holds(app_ctx, write_off, write_off) == ["ok", "refused"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SeedRepayment).where(
        SeedRepayment.loan_id == w.loan.id, SeedRepayment.kind == "write_off")) == 1
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.kind == "seed_write_off")) == 1
    _sound(session, w.group.id)


def test_two_returns_in_kind_at_once_return_no_more_than_is_due(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Two forms (two keys) each return all the seed a loan still owes into
    the group's stock: the loan's row lock lets one through; the stock and
    its value grow once."""
    from coop.season import loans as seed
    from coop.season.models import SeedLoan, SeedRepayment
    from tests.integration.test_money_endpoints import _seed_world

    w = _seed_world(session, mode="kind")
    due = seed.due_quantity(w.loan)
    keys = iter(["seed-return-form-00001", "seed-return-form-00002"])
    lock = threading.Lock()

    def give_back(s: Session) -> None:
        with lock:
            key = next(keys)
        loan = s.get(SeedLoan, w.loan.id)
        assert loan is not None
        seed.repay_in_kind(s, loan, quantity=due, actor=_user(s, w.treasurer.user_id),
                           idempotency_key=key)

    assert first_holds(app_ctx, give_back, give_back) == ["ok", "refused"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SeedRepayment).where(
        SeedRepayment.loan_id == w.loan.id, SeedRepayment.kind == "kind")) == 1
    row = next(r for r in seed.stock_register(session, w.group)
               if r.product.id == w.loan.product_id)
    assert row.on_hand == due
    _sound(session, w.group.id)


def test_two_takings_from_the_seed_stock_at_once_take_no_more_than_it_holds(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Two forms (two keys) each take all the seed in the stock: the stock
    account's row lock lets one through; its value leaves the fund once."""
    from coop.season import loans as seed
    from tests.integration.test_money_endpoints import _seed_world

    w = _seed_world(session, mode="kind")
    seed.repay_in_kind(session, w.loan, quantity=seed.due_quantity(w.loan),
                       actor=w.treasurer.user)
    session.commit()
    row = next(r for r in seed.stock_register(session, w.group)
               if r.product.id == w.loan.product_id)
    on_hand, product_id = row.on_hand, w.loan.product_id
    keys = iter(["stock-out-form-000001", "stock-out-form-000002"])
    lock = threading.Lock()

    def take(s: Session) -> None:
        with lock:
            key = next(keys)
        seed.take_from_stock(s, _group(s, w.group.id), product_id=product_id,
                             quantity=on_hand, note="Участок",
                             actor=_user(s, w.treasurer.user_id), idempotency_key=key)

    assert first_holds(app_ctx, take, take) == ["ok", "refused"]
    session.expire_all()
    row = next(r for r in seed.stock_register(session, w.group) if r.product.id == product_id)
    assert row.on_hand == 0 and row.value == 0
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.kind == "seed_stock_out")) == 1
    _sound(session, w.group.id)


def test_two_repairs_at_once_take_no_more_than_the_maintenance_fund_holds(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Two repairs (two forms, two keys), each as large as the maintenance
    fund: the asset's lock makes the second read the fund the first emptied,
    so the owners pay the second; the fund never goes below nothing."""
    from coop.equipment import services as equipment
    from coop.equipment.models import Asset, Repair
    from tests.integration.test_money_endpoints import _equipment, _paid_in

    w = _equipment(session, handed_over=True)
    equipment.take_back(session, w.booking, condition="исправен", minutes=None,
                        actor=w.treasurer.user)
    _paid_in(session, w.other, w.treasurer, {"cash": 500_000})
    fund = equipment.fund_balance(session, w.asset)
    assert fund > 0
    keys = iter(["repair-form-key-00001", "repair-form-key-00002"])
    lock = threading.Lock()

    def repair(s: Session) -> None:
        with lock:
            key = next(keys)
        asset = s.get(Asset, w.asset.id)
        assert asset is not None
        equipment.record_repair(s, asset, cost=fund, description="ремень", mode="fund",
                                method="cash", repaired_on=date(2026, 12, 1),
                                actor=_user(s, w.treasurer.user_id), idempotency_key=key)

    assert first_holds(app_ctx, repair, repair) == ["ok", "ok"]
    session.expire_all()
    assert equipment.fund_balance(session, w.asset) == 0
    assert sorted(session.scalars(select(Repair.from_fund).where(
        Repair.asset_id == w.asset.id))) == [0, fund]
    _sound(session, w.group.id)


def test_two_corrections_of_one_help_at_once_reverse_it_once(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Two coordinators (two forms, two keys) correct the same confirmed help:
    the time bank's lock lets one reversal through."""
    from coop.timebank import services as tb
    from coop.timebank.models import TimeTransfer
    from tests.timebank_world import figures, make_time_bank

    w = make_time_bank(session)
    done, _new = tb.record_transfer(session, w.group, tb.Line(
        w.cholpon, w.aigul, 120, w.categories["house"], date.today()),
        actor=w.cholpon.user, mode="receiver")
    session.commit()
    before = figures(session, w)
    keys = iter(["timebank-reverse-form-1", "timebank-reverse-form-2"])
    lock = threading.Lock()

    def reverse(s: Session) -> None:
        with lock:
            key = next(keys)
        transfer = s.get(TimeTransfer, done.id)
        assert transfer is not None
        tb.reverse_transfer(s, _group(s, w.group.id), transfer,
                            actor=_user(s, w.coordinator.user_id), reason="ошибка",
                            idempotency_key=key)

    assert first_holds(app_ctx, reverse, reverse) == ["ok", "refused"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TimeTransfer).where(
        TimeTransfer.reverses_id == done.id)) == 1
    after = figures(session, w)
    assert after[4] == 0
    assert (after[0] - before[0], after[2] - before[2]) == (-120, 120)


def test_two_cancellations_of_one_sale_at_once_reverse_its_payment_once(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Two treasurers cancel the same sale (service level; the page's form is
    in the endpoints' harness): the lot's lock and the posting's make one
    reversal; the other is told it is cancelled already."""
    from coop.quantities import parse_quantity as q
    from coop.sales import services as sales
    from coop.sales.models import Sale, SaleLot
    from tests.factories import make_buyer, make_group, make_member, make_sale_lot

    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    lot = make_sale_lot(session, group, treasurer)
    top = lot.grades[0]
    sales.record_contribution(session, lot, aigul, grade_id=top.id, quantity=q("10"),
                              actor=treasurer.user, brought_on=date(2026, 8, 2))
    ledger.record_payment(session, aigul, amount=500_000, method="cash", reference="",
                          idempotency_key="aigul-paid-in-0000001",
                          actor=treasurer.user)  # the cash box is not what limits
    buyer = make_buyer(session, group)
    sale = sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 8, 3),
                             lines={top.id: (q("5"), 20_000)}, actor=treasurer.user,
                             idempotency_key="the-sale-form-key-001")
    session.commit()

    def cancel(s: Session) -> None:
        the_lot, the_sale = s.get(SaleLot, lot.id), s.get(Sale, sale.id)
        assert the_lot is not None and the_sale is not None
        sales.cancel_sale(s, the_lot, the_sale, reason="Ошибка",
                          actor=_user(s, treasurer.user_id))

    assert first_holds(app_ctx, cancel, cancel) == ["ok", "refused"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.reverses_id == sale.posting_id)) == 1
    _sound(session, group.id)
