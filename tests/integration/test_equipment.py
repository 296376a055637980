"""Jointly owned equipment through its services, on the database: bookings
that never overlap (the database refuses it too), the waiting list, hand-over
and return with the fee into the maintenance fund, repairs from the fund and
by the owners, the usage report; the books balance after all of it."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from coop.equipment import domain
from coop.equipment import services as equipment
from coop.equipment.models import Booking
from coop.errors import DomainError
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from tests.factories import make_equipment_world
from tests.integration.test_concurrency import run_together

TODAY = date(2026, 5, 4)


def day(offset: int, afternoon: bool = False, to_midday: bool = False, days: int = 1
        ) -> tuple[int, int]:
    first = TODAY + timedelta(days=offset)
    return domain.slots(first, afternoon, first + timedelta(days=days - 1), to_midday)


def _book(session: Session, w, member, slot_range, key=None):  # type: ignore[no-untyped-def]
    return equipment.book(session, w.asset, member, slot_range, actor=w.treasurer.user,
                          today=TODAY, idempotency_key=key)


def _books(session: Session, w) -> ledger.Books:  # type: ignore[no-untyped-def]
    return ledger.books(session, w.group, [w.treasurer, *w.owners, w.other])


def test_an_overlapping_booking_is_refused_and_the_waiting_list_gets_the_slot(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    first = _book(session, w, w.owners[0], day(1, days=2))
    with pytest.raises(DomainError, match="already booked"):
        _book(session, w, w.other, day(2, afternoon=True))
    _book(session, w, w.other, day(3))  # the next day is free
    wait = equipment.join_waiting_list(session, w.asset, w.other, day(2), today=TODAY)
    assert equipment.join_waiting_list(session, w.asset, w.other, day(2), today=TODAY) is wait
    made = equipment.cancel_booking(session, first, actor=w.treasurer.user, today=TODAY)
    assert [(b.membership_id, b.slot_from, b.slot_to) for b in made] == [
        (w.other.id, *day(2))]
    assert wait.state == "booked" and wait.booking_id == made[0].id


def test_the_same_booking_form_twice_books_once(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    one = _book(session, w, w.other, day(1), key="same-form-key-000001")
    assert _book(session, w, w.other, day(1), key="same-form-key-000001") is one
    assert session.scalar(select(func.count()).select_from(Booking)) == 1


@pytest.mark.parametrize(("slot_range", "message"), [
    (day(-1), "past"), (day(1, days=61), "60 days")])
def test_bad_bookings_are_refused(app_ctx, session: Session, slot_range, message) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    with pytest.raises(DomainError, match=message):
        _book(session, w, w.other, slot_range)


def test_a_deactivated_member_or_a_retired_asset_cannot_be_booked(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    w.other.active = False
    with pytest.raises(DomainError, match="no longer active"):
        _book(session, w, w.other, day(1))
    equipment.set_state(session, w.asset, "retired", today=TODAY)
    assert w.asset.fee == 0
    with pytest.raises(DomainError, match="cannot be booked"):
        _book(session, w, w.owners[0], day(1))
    with pytest.raises(DomainError, match="retired asset takes no usage fee"):
        equipment.update_asset(session, w.asset, equipment.AssetInput(name="Мотоблок",
                                                                      fee=100))


def test_an_asset_with_bookings_to_come_cannot_be_retired(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    _book(session, w, w.other, day(1))
    with pytest.raises(DomainError, match="bookings first"):
        equipment.set_state(session, w.asset, "retired", today=TODAY)


def test_a_turn_never_handed_over_is_missed_not_used_and_does_not_hold_the_asset(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Its time over without a hand-over: shown "not taken" in the asset's
    history (not "booked", not dropped), no use and no fee in the usage report,
    and it does not stop the treasurer retiring the asset."""
    w = make_equipment_world(session)
    missed = _book(session, w, w.other, day(0, days=2))
    later = TODAY + timedelta(days=2)  # the day after its last
    assert equipment.bookings_ahead(session, w.asset, later) == []
    past, earlier = equipment.past_turns(session, w.asset, later, 20)
    assert past == [missed] and not earlier
    assert domain.shown_state(missed.state, missed.slot_to, later) == domain.MISSED
    assert domain.shown_state(missed.state, missed.slot_to, later - timedelta(days=1)
                              ) == "booked"  # on its last day it may still be handed over
    report = equipment.usage_report(session, w.asset)
    assert report.lines == [] and report.fees == 0
    assert ledger.member_balance(session, w.other) == 0
    equipment.set_state(session, w.asset, "retired", today=later)
    assert w.asset.state == "retired"


def test_the_database_refuses_an_overlap_the_services_did_not_check(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    _book(session, w, w.other, day(1, days=2))
    session.commit()
    start, end = day(2)
    with pytest.raises(IntegrityError):
        session.execute(text(
            "INSERT INTO asset_bookings (group_id, asset_id, membership_id, slot_from, slot_to, "
            "state, note, condition_out, condition_back, created_at) VALUES (:g, :a, :m, :f, "
            ":t, 'booked', '', '', '', CURRENT_TIMESTAMP)"),
            {"g": w.group.id, "a": w.asset.id, "m": w.owners[0].id, "f": start, "t": end})
        session.flush()
    session.rollback()
    # A cancelled booking holds nothing: the same slot is free for a new one.
    booking = session.scalar(select(Booking))
    assert booking is not None
    equipment.cancel_booking(session, booking, actor=w.treasurer.user, today=TODAY)
    _book(session, w, w.owners[0], day(2))


def test_hand_over_and_return_post_the_fee_into_the_maintenance_fund(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    booking = _book(session, w, w.other, day(0, afternoon=True, days=2))  # 3 half-days
    with pytest.raises(DomainError, match="condition"):
        equipment.hand_over(session, booking, condition=" ")
    assert equipment.hand_over(session, booking, condition="исправен")
    assert not equipment.hand_over(session, booking, condition="исправен")  # sent twice
    assert equipment.take_back(session, booking, condition="исправен", minutes=None,
                               actor=w.treasurer.user)
    assert not equipment.take_back(session, booking, condition="исправен", minutes=None,
                                   actor=w.treasurer.user)
    assert booking.fee == 45_000
    assert equipment.fund_balance(session, w.asset) == 45_000
    assert ledger.member_balance(session, w.other) == -45_000
    books = _books(session, w)
    assert books.equipment == 45_000 and books.total == 0
    assert check_books(session, w.group.id) == []


def test_owners_ride_free_when_the_group_decides(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session, owners_pay_fee=False)
    booking = _book(session, w, w.owners[0], day(1))
    equipment.hand_over(session, booking, condition="ok")
    equipment.take_back(session, booking, condition="ok", minutes=None, actor=w.treasurer.user)
    assert booking.fee == 0 and booking.fee_posting_id is None


def test_an_hourly_fee_needs_the_hours(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session, fee=12_000, fee_unit="hour")
    booking = _book(session, w, w.other, day(1))
    equipment.hand_over(session, booking, condition="ok")
    with pytest.raises(DomainError, match="hours"):
        equipment.take_back(session, booking, condition="ok", minutes=None,
                            actor=w.treasurer.user)
    equipment.take_back(session, booking, condition="ok", minutes=150, actor=w.treasurer.user)
    assert booking.fee == 30_000


def test_a_repair_takes_the_fund_then_the_owners_by_their_shares(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    booking = _book(session, w, w.other, day(0, days=2))  # 60 000
    equipment.hand_over(session, booking, condition="ok")
    equipment.take_back(session, booking, condition="ремень", minutes=None,
                        actor=w.treasurer.user)
    repair = equipment.record_repair(session, w.asset, cost=120_000, description="ремень",
                                     mode="fund", method="cash", repaired_on=TODAY,
                                     actor=w.treasurer.user, idempotency_key="repair-key-000001",
                                     overdraw=True)  # the fees were not paid in cash yet
    again = equipment.record_repair(session, w.asset, cost=120_000, description="ремень",
                                    mode="fund", method="cash", repaired_on=TODAY,
                                    actor=w.treasurer.user, idempotency_key="repair-key-000001")
    assert again is repair and repair.from_fund == 60_000
    shares = equipment.repair_shares(session, [repair.id])[repair.id]
    assert [(s.membership_id, s.amount) for s in shares] == [
        (w.owners[0].id, 23_636), (w.owners[1].id, 18_182), (w.owners[2].id, 18_182)]
    assert equipment.fund_balance(session, w.asset) == 0
    assert ledger.member_balance(session, w.owners[0]) == -23_636
    report = equipment.usage_report(session, w.asset)
    assert (report.fees, report.repairs, report.repairs_from_fund) == (60_000, 120_000, 60_000)
    books = _books(session, w)
    assert books.cash_on_hand == -120_000 and books.total == 0
    assert check_books(session, w.group.id) == []


def test_owners_come_from_the_rounds_split(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.test_settlement import awarded_example_02

    group, treasurer, _members, rnd = awarded_example_02(session)
    item = rnd.items[0]
    asset = equipment.create_asset(session, group, equipment.AssetInput(
        name="Сеялка", round_id=rnd.id, product_id=item.product_id), treasurer.user)
    paid = equipment.owners_from_round(session, group, rnd.id, item.product_id)
    assert {o.membership_id: o.share for o in asset.owners} == {
        m: v for m, v in paid.items() if v > 0}
    assert asset.purchase_value == sum(paid.values()) > 0


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["turn", "repair_fund", "repair_owners"]),
                          st.integers(1, 4), st.integers(1, 500_000)), min_size=1, max_size=8))
def test_the_books_balance_after_any_fees_and_repairs(app_ctx, session: Session,  # type: ignore[no-untyped-def]
                                                      steps) -> None:
    w = make_equipment_world(session)
    members = [*w.owners, w.other]
    offset = 0
    for number, (what, who, amount) in enumerate(steps):
        if what == "turn":
            booking = _book(session, w, members[who - 1], day(offset, days=who))
            offset += who
            equipment.hand_over(session, booking, condition="ok")
            equipment.take_back(session, booking, condition="ok", minutes=None,
                                actor=w.treasurer.user)
        else:
            equipment.record_repair(session, w.asset, cost=amount, description="ремонт",
                                    mode=what.removeprefix("repair_"), method="cash",
                                    repaired_on=TODAY, actor=w.treasurer.user,
                                    idempotency_key=f"property-repair-{number:06d}",
                                    overdraw=True)  # nobody paid in: the cash shows it
    session.flush()
    books = _books(session, w)
    report = equipment.usage_report(session, w.asset)
    assert books.total == 0
    assert check_books(session, w.group.id) == []
    assert report.fund_balance == report.fees - report.repairs_from_fund >= 0
    assert books.equipment == report.fund_balance
    session.rollback()


def test_two_bookings_of_one_slot_at_once_make_one(pg_only, app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    asset_id, user_id = w.asset.id, w.treasurer.user_id
    members = iter([w.owners[0].id, w.other.id])
    slot_range = domain.slots(date.today() + timedelta(days=3), False,
                              date.today() + timedelta(days=4), False)

    def book(s: Session) -> None:
        from coop.auth.models import User
        from coop.equipment.models import Asset
        from coop.groups.models import Membership

        equipment.book(s, s.get(Asset, asset_id), s.get(Membership, next(members)), slot_range,
                       actor=s.get(User, user_id), today=date.today())

    outcomes = run_together(app_ctx, book, n=2)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Booking).where(
        Booking.asset_id == asset_id)) == 1


def test_the_exclusion_constraint_alone_stops_two_bookings_at_once(
        pg_only, app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Without the services' lock: two raw inserts of one slot, at once.

    Each insert checks the constraint against the other's row while both are
    still in flight, so PostgreSQL refuses one of them either as an exclusion
    violation (23P01) or, when each waits on the other, as a deadlock (40P01):
    its documented behaviour for exclusion constraints. Either way exactly one
    booking stands.
    """
    w = make_equipment_world(session)
    params = iter([w.owners[0].id, w.other.id])
    start, end = day(400)
    refusals: list[str] = []

    def insert(s: Session) -> None:
        try:
            s.execute(text(
                "INSERT INTO asset_bookings (group_id, asset_id, membership_id, slot_from, "
                "slot_to, state, note, condition_out, condition_back, created_at) VALUES (:g, "
                ":a, :m, :f, :t, 'booked', '', '', '', now())"),
                {"g": w.group.id, "a": w.asset.id, "m": next(params), "f": start, "t": end})
        except DBAPIError as exc:
            refusals.append(getattr(exc.orig, "sqlstate", None) or "")
            raise

    asset_id = w.asset.id
    outcomes = run_together(app_ctx, insert, n=2)
    assert sorted(outcomes) in (["IntegrityError", "ok"], ["OperationalError", "ok"]), outcomes
    assert len(refusals) == 1 and refusals[0] in ("23P01", "40P01"), refusals
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Booking).where(
        Booking.asset_id == asset_id)) == 1


def _utc(day_: date, hour: int) -> datetime:
    """The naive UTC moment of `hour` o'clock in Bishkek (UTC+6, the tests' time zone)."""
    return datetime(day_.year, day_.month, day_.day, hour) - timedelta(hours=6)


def test_an_early_return_frees_the_rest_for_the_waiting_list_and_another_member(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Booked 4th to 7th, back on the 5th after midday: the booking ends that
    evening (what was booked is kept), the fee by the day is for the four
    half-days she held it, the waiting list gets the 6th and another member
    books the 7th, and the books balance."""
    w = make_equipment_world(session)
    booking = _book(session, w, w.other, day(0, days=4))
    wait = equipment.join_waiting_list(session, w.asset, w.owners[0], day(2), today=TODAY)
    with pytest.raises(DomainError, match="already booked"):
        _book(session, w, w.owners[1], day(3))
    equipment.hand_over(session, booking, condition="исправен")
    booked = (booking.slot_from, booking.slot_to)
    done, made = equipment.take_back_once(session, booking, condition="исправен", minutes=None,
                                          actor=w.treasurer.user,
                                          now=_utc(TODAY + timedelta(days=1), 15))
    assert done and booking.state == "returned"
    assert (booking.slot_from, booking.slot_to) == day(0, days=2)
    assert booking.booked_to == booked[1]
    assert booking.fee == 60_000  # two days held of the four booked (30 000 a day)
    assert [(b.membership_id, b.slot_from, b.slot_to) for b in made] == [
        (w.owners[0].id, *day(2))]
    assert wait.state == "booked"
    _book(session, w, w.owners[1], day(3))  # refused before the return
    assert not equipment.take_back(session, booking, condition="исправен", minutes=None,
                                   actor=w.treasurer.user)  # sent twice: once
    assert equipment.fund_balance(session, w.asset) == 60_000
    assert ledger.member_balance(session, w.other) == -60_000
    report = equipment.usage_report(session, w.asset)
    assert [(line.membership_id, line.half_days, line.fees) for line in report.lines] == [
        (w.other.id, 4, 60_000)]
    assert _books(session, w).total == 0 and check_books(session, w.group.id) == []


def test_a_return_in_the_last_half_day_or_late_keeps_the_booked_time_and_fee(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """No fee for lateness (the spec sets none): a turn back days after its end
    pays its booked days, as one back on time."""
    w = make_equipment_world(session)
    on_time = _book(session, w, w.other, day(0, to_midday=True, days=2))  # 3 half-days
    equipment.hand_over(session, on_time, condition="ok")
    equipment.take_back(session, on_time, condition="ok", minutes=None, actor=w.treasurer.user,
                        now=_utc(TODAY + timedelta(days=1), 9))  # its last morning
    assert on_time.slot_to == day(0, to_midday=True, days=2)[1] and on_time.booked_to is None
    assert on_time.fee == 45_000
    late = _book(session, w, w.owners[0], day(3))
    equipment.hand_over(session, late, condition="ok")
    assert equipment.overdue_turns(session, w.group, domain.slot_of(TODAY + timedelta(days=4))
                                   ) == [late]
    equipment.take_back(session, late, condition="ok", minutes=None, actor=w.treasurer.user,
                        now=_utc(TODAY + timedelta(days=9), 10))
    assert late.slot_to == day(3)[1] and late.booked_to is None and late.fee == 30_000
    assert equipment.overdue_turns(session, w.group, domain.slot_of(TODAY + timedelta(days=9))
                                   ) == []


def test_a_turn_handed_over_early_and_back_before_it_began_pays_one_half_day(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Booked the 6th and 7th, handed over on the morning of the 4th and back
    that afternoon: it holds the half-day it came back in (15 000, as a turn
    back in its first half-day pays; not the days it was out before its
    booking, which would make an earlier return cost more). The whole of her
    booked time is free; the report's days used and the fee agree."""
    w = make_equipment_world(session)
    booked = day(2, days=2)
    booking = _book(session, w, w.other, booked)
    equipment.hand_over(session, booking, condition="ok", now=_utc(TODAY, 9))
    equipment.take_back(session, booking, condition="ok", minutes=None, actor=w.treasurer.user,
                        now=_utc(TODAY, 15))
    assert booking.fee == 15_000
    assert (booking.slot_from, booking.slot_to) == day(0, afternoon=True)  # back that afternoon
    assert (booking.booked_from, booking.booked_to) == booked
    assert ledger.member_balance(session, w.other) == -15_000
    report = equipment.usage_report(session, w.asset)
    assert [(line.membership_id, line.half_days, line.fees) for line in report.lines] == [
        (w.other.id, 1, 15_000)]
    _book(session, w, w.owners[0], booked)  # all of her booked time is free
    assert _books(session, w).total == 0 and check_books(session, w.group.id) == []


def test_a_turn_back_before_it_began_in_the_half_day_it_went_out_pays_a_half_day(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    booking = _book(session, w, w.other, day(2, days=2))
    equipment.hand_over(session, booking, condition="ok", now=_utc(TODAY, 8))
    equipment.take_back(session, booking, condition="ok", minutes=None, actor=w.treasurer.user,
                        now=_utc(TODAY, 10))
    assert booking.fee == 15_000 and (booking.slot_from, booking.slot_to) == day(0, to_midday=True)
    _book(session, w, w.owners[0], day(2, days=2))


def test_an_hourly_fee_is_by_the_hours_even_when_back_early(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session, fee=12_000, fee_unit="hour")
    booking = _book(session, w, w.other, day(0, days=3))
    equipment.hand_over(session, booking, condition="ok")
    equipment.take_back(session, booking, condition="ok", minutes=150, actor=w.treasurer.user,
                        now=_utc(TODAY, 16))
    assert booking.fee == 30_000 and booking.slot_to == day(0)[1]


def _turn_out(session: Session, w, member, slot_range, moment: datetime):  # type: ignore[no-untyped-def]
    booking = _book(session, w, member, slot_range)
    assert equipment.hand_over(session, booking, condition="исправен", now=moment)
    return booking


def test_a_hand_over_while_another_turn_is_out_is_refused_naming_her(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Айгүл has the motoblock past her turn: Чолпон's turn cannot be handed
    over, the refusal says who has it and when it was due, and nothing is
    written; taken back, it can. A turn out and not yet due refuses too."""
    w = make_equipment_world(session)
    late = _turn_out(session, w, w.owners[0], day(0), _utc(TODAY, 8))
    nxt = _book(session, w, w.other, day(2))
    session.commit()
    later = _utc(TODAY + timedelta(days=2), 9)  # the morning of the 6th: Айгүл is overdue
    with pytest.raises(DomainError, match=r"still with Айгүл[^:]*: she was to return it on "
                                          r"4 May 2026\. Take it back"):
        equipment.hand_over(session, nxt, condition="исправен", now=later)
    session.rollback()
    session.expire_all()
    assert session.get(Booking, nxt.id).state == "booked"
    assert session.get(Booking, nxt.id).handed_over_at is None
    equipment.take_back(session, late, condition="исправен", minutes=None,
                        actor=w.treasurer.user, now=later)
    assert equipment.hand_over(session, nxt, condition="исправен", now=later)

    # a turn out, not yet due, refuses too: she is to bring it back first
    w2 = make_equipment_world(session)
    out = _turn_out(session, w2, w2.owners[0], day(0, days=3), _utc(TODAY, 8))
    early = _book(session, w2, w2.other, day(4))
    with pytest.raises(DomainError, match=r"she is to return it on 6 May 2026"):
        equipment.hand_over(session, early, condition="ok", now=_utc(TODAY, 9))
    assert out.state == "handed_over"


def test_two_hand_overs_of_one_asset_at_once_hand_it_over_once(
        pg_only, app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Two turns of the motoblock, handed over at the same moment (two keepers,
    or one form sent from two phones): the asset's lock makes the second wait
    for the first and then find it out, so only one goes out."""
    w = make_equipment_world(session)
    today = date.today()
    first = equipment.book(session, w.asset, w.owners[0],
                           domain.slots(today + timedelta(days=1), False,
                                        today + timedelta(days=1), False),
                           actor=w.treasurer.user, today=today)
    second = equipment.book(session, w.asset, w.other,
                            domain.slots(today + timedelta(days=2), False,
                                         today + timedelta(days=2), False),
                            actor=w.treasurer.user, today=today)
    session.commit()
    asset_id = w.asset.id
    ids = iter([first.id, second.id])

    def hand_over(s: Session) -> None:
        booking = s.get(Booking, next(ids))
        assert booking is not None
        booking.asset.state  # noqa: B018 (loaded before the race, as a page has it)
        equipment.hand_over(s, booking, condition="исправен")

    def slow_move(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        # between the check and the move: without the lock, both would have
        # found the asset in by now, whatever the threads' timing
        if statement.startswith("UPDATE asset_bookings SET state"):
            time.sleep(0.3)

    from coop.extensions import db

    event.listen(db.engine, "before_cursor_execute", slow_move)
    try:
        outcomes = run_together(app_ctx, hand_over, n=2)
    finally:
        event.remove(db.engine, "before_cursor_execute", slow_move)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Booking).where(
        Booking.asset_id == asset_id, Booking.state == "handed_over")) == 1


def test_an_early_hand_over_across_another_members_booking_is_refused(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Нурила is booked tomorrow and the day after; Чолпон in three days. Her
    turn handed over today would keep the asset from Нурила: refused, naming
    her and her dates, nothing written. Нурила's own turn may go out early."""
    from coop.i18n import local_today

    w = make_equipment_world(session)
    today = local_today()
    nurila = equipment.book(session, w.asset, w.owners[1],
                            domain.slots(today + timedelta(days=1), False,
                                         today + timedelta(days=2), False),
                            actor=w.treasurer.user, today=today)
    later = equipment.book(session, w.asset, w.other,
                           domain.slots(today + timedelta(days=3), False,
                                        today + timedelta(days=5), False),
                           actor=w.treasurer.user, today=today)
    session.commit()
    with pytest.raises(DomainError) as refused:
        equipment.hand_over(session, later, condition="исправен")
    assert w.owners[1].user.name in str(refused.value)
    assert equipment.span_text(nurila.slot_from, nurila.slot_to) in str(refused.value)
    session.rollback()
    assert session.get(Booking, later.id).state == "booked"
    # Нурила's own turn goes out early (nobody is booked before it), then Чолпон's
    # waits for it to come back (another turn is out)
    assert equipment.hand_over(session, nurila, condition="исправен")
    session.commit()
    with pytest.raises(DomainError):
        equipment.hand_over(session, later, condition="исправен")
    session.rollback()
    # back before her booking began: her booked time is free, Чолпон's goes out
    assert equipment.take_back(session, nurila, condition="исправен", minutes=None,
                               actor=w.treasurer.user)
    assert equipment.hand_over(session, later, condition="исправен")


def test_a_booking_over_the_half_days_a_turn_out_early_holds_is_refused_naming_her(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Found on a walk: Нурила's turn, booked tomorrow and the day after, was
    handed over this morning (early, nobody booked before it); a booking by
    Чолпон for this afternoon was accepted, though the asset is out with
    Нурила. The half-days from the hand-over to her end are hers
    (domain.held_span): refused, naming her and when she is to return it;
    after her end (and once she brings it back) the time is free."""
    from coop.i18n import local_today

    w = make_equipment_world(session)
    today = local_today()
    nurila = equipment.book(session, w.asset, w.owners[1],
                            domain.slots(today + timedelta(days=1), False,
                                         today + timedelta(days=2), False),
                            actor=w.treasurer.user, today=today)
    assert equipment.hand_over(session, nurila, condition="исправен", now=_utc(today, 9))
    session.commit()
    afternoon = domain.slots(today, True, today, False)
    with pytest.raises(DomainError) as refused:
        equipment.book(session, w.asset, w.other, afternoon, actor=w.treasurer.user,
                       today=today)
    message = str(refused.value)
    assert w.owners[1].user.name in message
    assert equipment.due_text(nurila.slot_to) in message and "out with" in message
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Booking)) == 1
    # the waiting list does not book it for her while Нурила has it either
    equipment.join_waiting_list(session, w.asset, w.other, afternoon, today=today)
    assert equipment._promote_waits(session, w.asset, w.treasurer.user, today) == []
    # after her end it is free
    equipment.book(session, w.asset, w.other, domain.slots(
        today + timedelta(days=3), False, today + timedelta(days=3), False),
        actor=w.treasurer.user, today=today)
