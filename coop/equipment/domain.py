"""The rules of jointly owned equipment, pure: slots of half-days, overlaps,
the usage fee, and how a repair is paid (the maintenance fund first, the rest
by the owners in their shares, largest remainder). No Flask, no SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from coop.money import half_up_div, largest_remainder

MAX_HALF_DAYS = 120  # a booking of at most 60 days
MAX_MINUTES = 24 * 60 * 60  # hours used, at most 60 full days


def slot_of(day: date, afternoon: bool = False) -> int:
    """The half-day starting `day` (morning) or its afternoon."""
    return day.toordinal() * 2 + (1 if afternoon else 0)


def slots(day_from: date, from_afternoon: bool, day_to: date, to_midday: bool
          ) -> tuple[int, int]:
    """[slot_from, slot_to): from the morning (or afternoon) of `day_from` until
    the midday (or evening) of `day_to`."""
    return slot_of(day_from, from_afternoon), day_to.toordinal() * 2 + (1 if to_midday else 2)


def slot_day(slot: int) -> date:
    return date.fromordinal(slot // 2)


def is_afternoon(slot: int) -> bool:
    return slot % 2 == 1


def end_day(slot_to: int) -> date:
    """The last day a booking ending at `slot_to` (exclusive) holds."""
    return date.fromordinal((slot_to - 1) // 2)


def ends_midday(slot_to: int) -> bool:
    return slot_to % 2 == 1


MISSED = "missed"  # shown, never stored: the row stays "booked"


def shown_state(state: str, slot_to: int, today: date) -> str:
    """A turn's state as the pages show it: a booked turn whose time has passed
    without a hand-over did not happen ("missed"): not her use, no fee. Not
    stored, so that a hand-over the keeper noted on paper can still be entered
    (the asset page offers it in its history of past turns)."""
    if state == "booked" and slot_to <= slot_of(today):
        return MISSED
    return state


def shown_asset_state(state: str, out: bool, overdue: bool) -> str:
    """The asset's state as the pages and the API show it: never "available"
    while a turn of it is handed over and not taken back ("out", or "overdue"
    once that turn's time is over). In repair or retired, it says so (who has
    it is said beside)."""
    if out and state == "available":
        return "overdue" if overdue else "out"
    return state


def slot_at(moment: datetime) -> int:
    """The half-day a moment (in the group's time zone) falls in."""
    return slot_of(moment.date(), moment.hour >= 12)


def is_overdue(state: str, slot_to: int, now_slot: int) -> bool:
    """Handed over and not taken back, though her booked time is over: the
    treasurer phones her. Only said, nothing is charged for it."""
    return state == "handed_over" and slot_to <= now_slot


def early_end(slot_from: int, slot_to: int, return_slot: int) -> int | None:
    """A turn taken back before its end holds the asset until the end of the
    half-day it came back in, and at least its first half-day: the booking's
    new `slot_to`, the rest free for others; None when the return was not
    early. (A turn back before it even began: `held_when_back`.)"""
    end = max(return_slot + 1, slot_from + 1)
    return end if end < slot_to else None


def held_when_back(slot_from: int, slot_to: int, return_slot: int) -> tuple[int, int] | None:
    """The half-days a turn taken back holds, and pays for, when that is not
    its booked time: [start, end), or None when it keeps its booking (back in
    its last half-day, or late: no fee for lateness).

    Back early, from its start until the end of the half-day it came back in,
    at least one half-day. Handed over before its booking began and back
    before it began, the half-day it came back in: one half-day, as a turn
    back in its first half-day pays, and all of its booked time is free for
    others. So the fee never falls as the return comes later: time out before
    a booking begins is not charged (a keeper hands it over the evening
    before), lateness is not charged either."""
    if return_slot < slot_from:
        return return_slot, return_slot + 1
    end = early_end(slot_from, slot_to, return_slot)
    return None if end is None else (slot_from, end)


def held_up(turns: Sequence[tuple[int, str, int, int]], now_slot: int) -> dict[int, int]:
    """The booked turns an overdue turn holds up: {booked turn: overdue turn}.
    `turns`: (id, state, slot_from, slot_to) of one asset's turns not cancelled.
    Held up are the booked turns that have begun and the next one to come,
    while the asset is out past the end of a turn (the earliest such turn
    named)."""
    overdue = sorted((start, turn_id) for turn_id, state, start, end in turns
                     if is_overdue(state, end, now_slot))
    if not overdue:
        return {}
    blocker = overdue[0][1]
    today = now_slot - now_slot % 2
    ahead = sorted((start, turn_id) for turn_id, state, start, end in turns
                   if state == "booked" and end > today)
    held = {turn_id: blocker for start, turn_id in ahead if start <= now_slot}
    upcoming = [turn_id for start, turn_id in ahead if start > now_slot]
    if upcoming:
        held[upcoming[0]] = blocker
    return held


def in_the_way(turn: tuple[int, int], others: Iterable[tuple[int, int, str, int, int]],
               now_slot: int) -> int | None:
    """Handed over before it begins, a turn keeps the asset from every other
    member's booked turn between now and its start: the first of those (its
    id), which refuses the hand-over; None when nothing is in the way (a turn
    begun is not early). `turn`: (membership id, slot_from); `others`: (id,
    membership id, state, slot_from, slot_to) of the asset's other turns. A
    booked turn whose time is over (missed) is not in the way; her own are
    not either (she keeps it through them)."""
    member, start = turn
    if start <= now_slot:
        return None
    ahead = sorted((slot_from, turn_id) for turn_id, other, state, slot_from, slot_to in others
                   if state == "booked" and other != member and slot_to > now_slot
                   and slot_from < start)
    return ahead[0][1] if ahead else None


def held_span(state: str, slot_from: int, slot_to: int, out_slot: int | None,
              now_slot: int) -> tuple[int, int]:
    """The half-days [start, end) a turn keeps the asset from every other
    member: its booked time; while it is out (handed over in the half-day
    `out_slot`), from then on when that was before its booking began (an early
    hand-over, see `in_the_way`), and until the end of now when it is overdue.
    The one rule both for a new booking's clash (`booking_problem`'s `taken`)
    and for the calendar and the sheet (the early half-days are hers, not free)."""
    if state != "handed_over":
        return slot_from, slot_to
    start = slot_from if out_slot is None else min(slot_from, out_slot)
    end = max(slot_to, now_slot + 1) if is_overdue(state, slot_to, now_slot) else slot_to
    return start, end


def waits_for_return(state: str, hers: bool, overdue_out: bool) -> bool:
    """A half-day of a booked turn while another member's turn is out past its
    end: not hers to have (as the half-days nobody booked are not free): she
    waits for the asset to come back. Held up (`held_up`) are those turns
    that have begun and the next one; on the calendar every booked half-day
    from today on waits, as every free one says it is still out."""
    return overdue_out and state == "booked" and not hers


def half_days(slot_from: int, slot_to: int) -> int:
    return slot_to - slot_from


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class BookingProblem(str):
    """Why a booking cannot be made (a key the services translate)."""


EMPTY = BookingProblem("empty")
PAST = BookingProblem("past")
TOO_LONG = BookingProblem("too_long")
TAKEN = BookingProblem("taken")
NOT_AVAILABLE = BookingProblem("not_available")
INACTIVE = BookingProblem("inactive")


def booking_problem(slot_range: tuple[int, int], *, today: date, asset_state: str,
                    member_active: bool, taken: Iterable[tuple[int, int]]
                    ) -> BookingProblem | None:
    """The first reason this booking cannot be made, else None."""
    start, end = slot_range
    if end <= start:
        return EMPTY
    if start < slot_of(today):
        return PAST
    if end - start > MAX_HALF_DAYS:
        return TOO_LONG
    if asset_state != "available":
        return NOT_AVAILABLE
    if not member_active:
        return INACTIVE
    if any(overlaps(slot_range, other) for other in taken):
        return TAKEN
    return None


def usage_fee(*, fee: int, unit: str, half_day_count: int, minutes: int | None,
              is_owner: bool, owners_pay_fee: bool) -> int:
    """The fee for one turn: per day (a half-day is half a day's fee, rounded
    half up) or per hour of use (minutes, rounded half up); nothing for an
    owner when the group decided owners do not pay."""
    if is_owner and not owners_pay_fee:
        return 0
    if unit == "hour":
        return half_up_div(fee * (minutes or 0), 60)
    return half_up_div(fee * half_day_count, 2)


@dataclass(frozen=True)
class RepairSplit:
    from_fund: int
    shares: dict[int, int] = field(default_factory=dict)  # membership id -> amount

    @property
    def total(self) -> int:
        return self.from_fund + sum(self.shares.values())


class RepairError(ValueError):
    """A repair that cannot be paid as asked (a key the services translate)."""


def split_repair(cost: int, *, fund_balance: int, mode: str,
                 owners: Sequence[tuple[int, int]]) -> RepairSplit:
    """Mode `fund`: the maintenance fund pays what it holds, the owners the rest
    in their shares; mode `owners`: the owners pay all of it. `owners` are
    (membership id, share) in a stable order; the parts add up to the cost."""
    if cost <= 0:
        raise RepairError("cost")
    if mode not in ("fund", "owners"):
        raise RepairError("mode")
    from_fund = min(cost, max(fund_balance, 0)) if mode == "fund" else 0
    rest = cost - from_fund
    if rest == 0:
        return RepairSplit(from_fund)
    if not owners:
        raise RepairError("no_owners")
    parts = largest_remainder(rest, [share for _member, share in owners])
    return RepairSplit(from_fund, {member: part for (member, _share), part
                                   in zip(owners, parts, strict=True) if part})


def share_basis_points(shares: Sequence[int]) -> list[int]:
    """Each owner's share of the whole in basis points (hundredths of a
    percent), rounded by largest remainder so that the shown shares add up to
    100 %; equal remainders go to the earliest in the list."""
    if not shares or sum(shares) <= 0:
        return [0] * len(shares)
    return largest_remainder(10_000, list(shares))


def shares_from_amounts(amounts: Mapping[int, int]) -> list[tuple[int, int]]:
    """Owners' shares from what each paid (the round's split): those who paid
    something, by membership id."""
    return sorted((member, amount) for member, amount in amounts.items() if amount > 0)


@dataclass
class UsageLine:
    membership_id: int
    half_days: int = 0
    minutes: int = 0
    turns: int = 0
    fees: int = 0
    repairs: int = 0  # her part of the repairs the owners paid


@dataclass
class UsageReport:
    lines: list[UsageLine]
    fees: int  # what the asset earned
    repairs: int  # what it cost in repairs
    repairs_from_fund: int
    fund_balance: int

    @property
    def net(self) -> int:
        return self.fees - self.repairs


def usage_report(bookings: Iterable[tuple[int, int, int, int | None, int | None]],
                 repairs: Iterable[tuple[int, int]],
                 repair_shares: Iterable[tuple[int, int]], fund_balance: int
                 ) -> UsageReport:
    """`bookings`: (membership id, slot_from, slot_to, minutes, fee) of the
    returned turns; `repairs`: (cost, from the fund); `repair_shares`:
    (membership id, amount)."""
    lines: dict[int, UsageLine] = {}
    fees = 0
    for member, start, end, minutes, fee in bookings:
        line = lines.setdefault(member, UsageLine(member))
        line.turns += 1
        line.half_days += end - start
        line.minutes += minutes or 0
        line.fees += fee or 0
        fees += fee or 0
    for member, amount in repair_shares:
        lines.setdefault(member, UsageLine(member)).repairs += amount
    repair_list = list(repairs)
    return UsageReport(sorted(lines.values(), key=lambda line: line.membership_id), fees,
                       sum(cost for cost, _fund in repair_list),
                       sum(fund for _cost, fund in repair_list), fund_balance)
