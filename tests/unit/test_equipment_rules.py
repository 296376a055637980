"""The rules of jointly owned equipment (coop.equipment.domain), pure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.equipment import domain

TODAY = date(2026, 5, 4)


def test_slots_run_over_half_days_and_the_end_is_exclusive() -> None:
    start, end = domain.slots(TODAY, False, TODAY, True)  # a morning
    assert end - start == 1
    start, end = domain.slots(TODAY, True, date(2026, 5, 5), False)  # afternoon to evening
    assert end - start == 3
    assert domain.slot_day(start) == TODAY and domain.is_afternoon(start)
    assert domain.end_day(end) == date(2026, 5, 5) and not domain.ends_midday(end)


def test_a_morning_and_the_same_afternoon_do_not_overlap() -> None:
    morning = domain.slots(TODAY, False, TODAY, True)
    afternoon = domain.slots(TODAY, True, TODAY, False)
    assert not domain.overlaps(morning, afternoon)
    assert domain.overlaps(domain.slots(TODAY, False, TODAY, False), afternoon)


@pytest.mark.parametrize(("slot_range", "state", "active", "taken", "problem"), [
    ((10, 10), "available", True, [], domain.EMPTY),
    ((domain.slot_of(TODAY) - 1, domain.slot_of(TODAY) + 2), "available", True, [],
     domain.PAST),
    ((domain.slot_of(TODAY), domain.slot_of(TODAY) + 121), "available", True, [],
     domain.TOO_LONG),
    ((domain.slot_of(TODAY), domain.slot_of(TODAY) + 2), "retired", True, [],
     domain.NOT_AVAILABLE),
    ((domain.slot_of(TODAY), domain.slot_of(TODAY) + 2), "in_repair", True, [],
     domain.NOT_AVAILABLE),
    ((domain.slot_of(TODAY), domain.slot_of(TODAY) + 2), "available", False, [],
     domain.INACTIVE),
    ((domain.slot_of(TODAY), domain.slot_of(TODAY) + 2), "available", True,
     [(domain.slot_of(TODAY) + 1, domain.slot_of(TODAY) + 3)], domain.TAKEN),
    ((domain.slot_of(TODAY), domain.slot_of(TODAY) + 2), "available", True,
     [(domain.slot_of(TODAY) + 2, domain.slot_of(TODAY) + 4)], None),
])
def test_booking_problems(slot_range, state, active, taken, problem) -> None:  # type: ignore[no-untyped-def]
    assert domain.booking_problem(slot_range, today=TODAY, asset_state=state,
                                  member_active=active, taken=taken) == problem


def test_usage_fee_per_day_counts_half_days_and_rounds_half_up() -> None:
    assert domain.usage_fee(fee=30_000, unit="day", half_day_count=3, minutes=None,
                            is_owner=False, owners_pay_fee=True) == 45_000
    assert domain.usage_fee(fee=30_001, unit="day", half_day_count=1, minutes=None,
                            is_owner=False, owners_pay_fee=True) == 15_001


def test_usage_fee_per_hour_counts_minutes() -> None:
    assert domain.usage_fee(fee=12_000, unit="hour", half_day_count=2, minutes=150,
                            is_owner=False, owners_pay_fee=True) == 30_000


def test_owners_pay_nothing_when_the_group_decided_so() -> None:
    assert domain.usage_fee(fee=30_000, unit="day", half_day_count=2, minutes=None,
                            is_owner=True, owners_pay_fee=False) == 0
    assert domain.usage_fee(fee=30_000, unit="day", half_day_count=2, minutes=None,
                            is_owner=False, owners_pay_fee=False) == 30_000


def test_a_repair_takes_the_fund_first_and_splits_the_rest_by_shares() -> None:
    split = domain.split_repair(100_000, fund_balance=40_000, mode="fund",
                                owners=[(1, 260_000), (2, 200_000), (3, 200_000)])
    assert split.from_fund == 40_000
    assert split.shares == {1: 23_636, 2: 18_182, 3: 18_182}
    assert split.total == 100_000


def test_a_repair_the_fund_covers_needs_no_owners() -> None:
    split = domain.split_repair(30_000, fund_balance=40_000, mode="fund", owners=[])
    assert split == domain.RepairSplit(30_000)


def test_owners_mode_leaves_the_fund_alone() -> None:
    split = domain.split_repair(10, fund_balance=40_000, mode="owners", owners=[(1, 1), (2, 2)])
    assert split.from_fund == 0 and split.shares == {1: 3, 2: 7}


def test_a_repair_the_fund_cannot_cover_without_owners_is_refused() -> None:
    with pytest.raises(domain.RepairError, match="no_owners"):
        domain.split_repair(50_000, fund_balance=10_000, mode="fund", owners=[])
    with pytest.raises(domain.RepairError):
        domain.split_repair(0, fund_balance=0, mode="fund", owners=[(1, 1)])


@given(st.integers(1, 10**12), st.integers(-10**6, 10**12), st.sampled_from(["fund", "owners"]),
       st.lists(st.integers(1, 10**9), min_size=1, max_size=12))
def test_repair_parts_always_add_up_to_the_cost(cost, fund, mode, shares) -> None:  # type: ignore[no-untyped-def]
    split = domain.split_repair(cost, fund_balance=fund, mode=mode,
                                owners=list(enumerate(shares, start=1)))
    assert split.total == cost
    assert 0 <= split.from_fund <= max(fund, 0)
    assert all(part > 0 for part in split.shares.values())


def test_usage_report_adds_turns_fees_and_repairs() -> None:
    report = domain.usage_report([(1, 0, 4, None, 60_000), (1, 10, 11, None, 15_000),
                                  (2, 20, 22, None, 30_000)],
                                 [(100_000, 40_000)], [(1, 60_000)], 65_000)
    assert [(line.membership_id, line.turns, line.half_days, line.fees, line.repairs)
            for line in report.lines] == [(1, 2, 5, 75_000, 60_000), (2, 1, 2, 30_000, 0)]
    assert (report.fees, report.repairs, report.repairs_from_fund, report.net) == (
        105_000, 100_000, 40_000, 5_000)


def test_owners_shares_in_basis_points_add_up_to_100_percent() -> None:
    """20 000 of 86 000 is 23,2558 %: cut off, four owners showed 99,98 %."""
    shares = domain.share_basis_points([2_600_000, 2_000_000, 2_000_000, 2_000_000])
    assert sum(shares) == 10_000
    assert shares == [3023, 2326, 2326, 2325]
    assert domain.share_basis_points([1, 1, 1]) == [3334, 3333, 3333]
    assert domain.share_basis_points([]) == []


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=30))
def test_shown_shares_always_add_up_and_stay_within_a_hundredth(shares: list[int]) -> None:
    shown = domain.share_basis_points(shares)
    assert sum(shown) == 10_000
    total = sum(shares)
    for share, bp in zip(shares, shown, strict=True):
        assert abs(bp * total - share * 10_000) < total  # less than 0,01 % off


def test_the_half_day_of_a_moment_turns_at_midday() -> None:
    from datetime import datetime

    assert domain.slot_at(datetime(2026, 5, 4, 11, 59)) == domain.slot_of(TODAY)
    assert domain.slot_at(datetime(2026, 5, 4, 12, 0)) == domain.slot_of(TODAY, True)


def test_a_turn_out_past_its_end_is_overdue_and_only_then() -> None:
    _start, end = domain.slots(TODAY, False, TODAY, True)  # the morning of the 4th
    assert not domain.is_overdue("handed_over", end, domain.slot_of(TODAY))
    assert domain.is_overdue("handed_over", end, domain.slot_of(TODAY, True))  # after midday
    for state in ("booked", "returned", "cancelled"):
        assert not domain.is_overdue(state, end, domain.slot_of(TODAY, True) + 10)


def test_an_early_return_ends_the_turn_with_the_half_day_it_came_back_in() -> None:
    start, end = domain.slots(TODAY, False, date(2026, 5, 8), False)  # 4th to 8th
    back = domain.slot_of(date(2026, 5, 5))  # the morning of the 5th
    assert domain.early_end(start, end, back) == domain.slot_of(date(2026, 5, 5), True)
    assert domain.early_end(start, end, domain.slot_of(date(2026, 5, 8), True)) is None
    assert domain.early_end(start, end, end + 4) is None  # late: the booking stays as it was
    # handed over early and back before it began: its first half-day stays hers
    assert domain.early_end(start, end, start - 3) == start + 1
    assert domain.early_end(start, start + 1, start - 3) is None


def test_a_turn_back_before_it_began_holds_the_half_day_it_came_back_in() -> None:
    """Booked the 6th and 7th, back on the afternoon of the 4th: it holds that
    half-day (one, as a turn back in its first half-day), not its booking."""
    start, end = domain.slots(date(2026, 5, 6), False, date(2026, 5, 7), False)
    back = domain.slot_of(TODAY, True)
    assert domain.held_when_back(start, end, back) == (back, back + 1)
    # back within its booking: from its start to the half-day it came back in
    assert domain.held_when_back(start, end, start + 1) == (start, start + 2)
    assert domain.held_when_back(start, end, end - 1) is None  # its last half-day
    assert domain.held_when_back(start, end, end + 6) is None  # late: what was booked


def test_the_fee_never_falls_as_the_return_comes_later() -> None:
    """Found in review: a turn back a day before its booking paid for the days
    it was out early, one back on its first morning paid one half-day."""
    start, end = domain.slots(date(2026, 5, 6), False, date(2026, 5, 8), False)
    paid = []
    for back in range(start - 8, end + 6):
        held = domain.held_when_back(start, end, back)
        paid.append(domain.half_days(*(held or (start, end))))
    assert paid == sorted(paid), paid
    assert paid[0] == 1 and paid[-1] == end - start


def test_an_overdue_turn_holds_up_the_turns_begun_and_the_next_one() -> None:
    late = (1, "handed_over", *domain.slots(date(2026, 5, 1), False, date(2026, 5, 2), False))
    begun = (2, "booked", *domain.slots(date(2026, 5, 3), False, TODAY, False))
    nxt = (3, "booked", *domain.slots(date(2026, 5, 6), False, date(2026, 5, 6), False))
    after = (4, "booked", *domain.slots(date(2026, 5, 9), False, date(2026, 5, 9), False))
    now = domain.slot_of(TODAY)
    assert domain.held_up([late, begun, nxt, after], now) == {2: 1, 3: 1}
    assert domain.held_up([begun, nxt, after], now) == {}  # nothing overdue
    # the turn out ends today at midday: overdue (and holding up) only after midday
    out = (5, "handed_over", *domain.slots(date(2026, 5, 3), False, TODAY, True))
    assert domain.held_up([out, nxt], now) == {}
    assert domain.held_up([out, nxt], now + 1) == {3: 5}


def test_an_early_hand_over_is_in_the_way_of_another_members_booking_before_it() -> None:
    """Found by a treasurer: Жылдыз's turn (in three days) was handed over
    today across Нурила's booking tomorrow, which it kept the asset from."""
    now = domain.slot_of(TODAY)
    nurila = (7, 2, "booked", domain.slot_of(TODAY) + 2, domain.slot_of(TODAY) + 5)
    start = domain.slot_of(TODAY) + 6
    assert domain.in_the_way((3, start), [nurila], now) == 7
    # her own booking, a cancelled or missed one, or one after hers is not in the way
    assert domain.in_the_way((2, start), [nurila], now) is None
    assert domain.in_the_way((3, start), [(7, 2, "cancelled", *nurila[3:])], now) is None
    assert domain.in_the_way((3, start), [(7, 2, "booked", now - 2, now)], now) is None
    assert domain.in_the_way((3, start), [(7, 2, "booked", start + 1, start + 3)], now) is None
    # one begun and not taken yet is in the way; the earliest is named
    begun = (8, 4, "booked", now - 1, now + 1)
    assert domain.in_the_way((3, start), [nurila, begun], now) == 8
    # a turn that has begun is not handed over early
    assert domain.in_the_way((3, now), [begun], now) is None


def test_a_booked_half_day_waits_while_another_members_turn_is_out_overdue() -> None:
    assert domain.waits_for_return("booked", hers=False, overdue_out=True)
    assert not domain.waits_for_return("booked", hers=True, overdue_out=True)  # she has it
    assert not domain.waits_for_return("booked", hers=False, overdue_out=False)
    assert not domain.waits_for_return("returned", hers=False, overdue_out=True)


def test_a_turn_out_holds_from_its_hand_over_and_until_now_when_overdue() -> None:
    """domain.held_span: booked, its time; handed over before its booking
    began, from the half-day it went out; past its end, until the end of now."""
    day = date(2026, 12, 7)
    booked = domain.slots(day + timedelta(days=1), False, day + timedelta(days=2), False)
    now = domain.slot_of(day)
    assert domain.held_span("booked", *booked, None, now) == booked
    assert domain.held_span("handed_over", *booked, now, now) == (now, booked[1])
    assert domain.held_span("handed_over", *booked, booked[0] + 1, now) == booked
    late = booked[1] + 5
    assert domain.held_span("handed_over", *booked, now, late) == (now, late + 1)
    assert domain.held_span("returned", *booked, now, now) == booked
