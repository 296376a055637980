"""Jointly owned equipment: assets and their owners, bookings, the waiting
list, hand-over and return, usage fees into the asset's maintenance fund,
repairs, and the usage report.

Books: the maintenance fund is a ledger account of kind `equipment`, one per
asset. A usage fee debits the member's account and credits it (she pays it
with her other debts); a repair debits it (what the fund pays) and the owners'
accounts (their shares of the rest), and credits the cash, bank or mobile
wallet that paid the mechanic.

A turn taken back before its booked end frees the rest of its time: the
booking then ends with the half-day the asset came back in (`booked_to`
keeps the end she booked), the waiting list gets the freed time, and the
usage fee by the day is for the time she held it (the spec's "usage fee" and
"days used"; the freed days are another member's to book and pay for). A
turn handed over before its booking began and back before it began holds
the half-day it came back in, not its booked time (`booked_from` keeps that).
The asset is handed over only when no other turn of it is out, and before
its booking begins only when no other member is booked until then (it would
keep the asset from her). A
turn out past its end is overdue: the pages and the sheet say so (no fee for
lateness: the spec sets none).

No two bookings of one asset overlap: bookings of an asset take its row lock
(`booking_lock`) before they look, and the database refuses an overlap anyway
(an exclusion constraint on PostgreSQL, triggers on SQLite; see the migration).

Functions take the session first, flush, never commit, raise DomainError."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from coop.auth.models import User
from coop.db import utcnow
from coop.equipment import domain
from coop.equipment.models import (
    ASSET_STATES,
    FEE_UNITS,
    HOLDING_STATES,
    Asset,
    AssetOwner,
    Booking,
    Repair,
    RepairShare,
    Wait,
)
from coop.errors import DomainError
from coop.groups.models import Group, Membership
from coop.i18n import fmt_date, fmt_money
from coop.ledger import services as ledger
from coop.ledger.models import Account

STATE_NAMES = {"available": _l("available"), "in_repair": _l("in repair"),
               "retired": _l("retired")}
BOOKING_STATE_NAMES = {"booked": _l("booked"), "handed_over": _l("handed over"),
                       "returned": _l("returned"), "cancelled": _l("cancelled"),
                       domain.MISSED: _l("not taken")}
FEE_UNIT_NAMES = {"day": _l("per day"), "hour": _l("per hour")}
PROBLEMS = {
    domain.EMPTY: _l("The end of the booking must be after its start."),
    domain.PAST: _l("A booking cannot start in the past."),
    domain.TOO_LONG: _l("A booking can be at most 60 days long."),
    domain.TAKEN: _l("This time is already booked. You can join the waiting list."),
    domain.NOT_AVAILABLE: _l("This equipment cannot be booked now (it is in repair or "
                             "retired)."),
    domain.INACTIVE: _l("This member is no longer active in the group."),
}
MAX_AMOUNT = ledger.MAX_AMOUNT


# --------------------------------------------------------------------------
# Assets and owners
# --------------------------------------------------------------------------


def maintenance_account(session: Session, asset: Asset) -> int:
    """The asset's maintenance fund in the books (made with the asset)."""
    if asset.account_id is None:
        account = Account(group_id=asset.group_id, kind="equipment")
        session.add(account)
        session.flush()
        asset.account_id = account.id
        session.flush()
    return asset.account_id


def fund_balance(session: Session, asset: Asset) -> int:
    return ledger.account_balance(session, maintenance_account(session, asset))


def _check_money(amount: int, field: str) -> None:
    if amount < 0:
        raise DomainError(_l("The amount must not be negative."), field=field)
    if amount >= MAX_AMOUNT:
        raise DomainError(_l("The amount is too large."), field=field)


def _member(session: Session, group: Group, membership_id: int | None,
            field: str = "member") -> Membership:
    member = session.get(Membership, membership_id or 0)
    if member is None or member.group_id != group.id:
        raise DomainError(_l("Unknown member."), field=field)
    return member


def owners_from_round(session: Session, group: Group, round_id: int, product_id: int
                      ) -> dict[int, int]:
    """{membership id: what she paid for the product} from the round's split."""
    from coop.orders.models import Round
    from coop.orders.services import compute_split, load_round

    rnd = session.get(Round, round_id)
    if rnd is None or rnd.group_id != group.id:
        raise DomainError(_l("Unknown round."), field="round")
    result = compute_split(session, load_round(session, rnd))
    for product in result.outcome.products:
        item = result.items.get(product.id)
        if item is None or item.product_id != product_id:
            continue
        paid: dict[int, int] = {}
        for line in product.lines():
            membership_id = int(result.outcome.members[line.member].id)
            paid[membership_id] = paid.get(membership_id, 0) + line.amount
        return paid
    raise DomainError(_l("This product is not in the round."), field="product")


@dataclass
class AssetInput:
    name: str
    purchase_value: int = 0
    bought_on: date | None = None
    kept_at: str = ""
    keeper_id: int | None = None
    fee: int = 0
    fee_unit: str = "day"
    owners_pay_fee: bool = True
    round_id: int | None = None
    product_id: int | None = None
    owners: dict[int, int] | None = None  # membership id -> share, when bought by hand


def _apply(session: Session, group: Group, asset: Asset, data: AssetInput) -> None:
    name = (data.name or "").strip()
    if not name:
        raise DomainError(_l("Give the equipment a name."), field="name")
    _check_money(data.purchase_value, "purchase_value")
    _check_money(data.fee, "fee")
    if data.fee_unit not in FEE_UNITS:
        raise DomainError(_l("Choose per day or per hour."), field="fee_unit")
    if asset.state == "retired" and data.fee:
        raise DomainError(_l("A retired asset takes no usage fee."), field="fee")
    keeper = (_member(session, group, data.keeper_id, "keeper")
              if data.keeper_id else None)
    asset.name = name[:160]
    asset.purchase_value = data.purchase_value
    asset.bought_on = data.bought_on
    asset.kept_at = (data.kept_at or "").strip()[:200]
    asset.keeper_id = keeper.id if keeper else None
    asset.fee = data.fee
    asset.fee_unit = data.fee_unit
    asset.owners_pay_fee = data.owners_pay_fee


def create_asset(session: Session, group: Group, data: AssetInput, actor: User) -> Asset:
    """A new asset; its owners from the round's split when it was bought through
    one (`round_id` and `product_id`), else as given (`owners`)."""
    asset = Asset(group_id=group.id, created_by_id=actor.id, state="available")
    _apply(session, group, asset, data)
    if data.round_id:
        if not data.product_id:
            raise DomainError(_l("Choose the product of the round that was the equipment."),
                              field="product")
        shares = owners_from_round(session, group, data.round_id, data.product_id)
        asset.round_id, asset.product_id = data.round_id, data.product_id
        if not data.purchase_value:
            asset.purchase_value = sum(shares.values())
    else:
        shares = data.owners or {}
    session.add(asset)
    session.flush()
    set_owners(session, asset, shares)
    maintenance_account(session, asset)
    return asset


def update_asset(session: Session, asset: Asset, data: AssetInput) -> Asset:
    _apply(session, asset.group, asset, data)
    if data.owners is not None and asset.round_id is None:
        set_owners(session, asset, data.owners)
    session.flush()
    return asset


def set_owners(session: Session, asset: Asset, shares: dict[int, int]) -> None:
    """Replace the owners: each a member of the group with a positive share."""
    for membership_id, share in shares.items():
        _member(session, asset.group, membership_id, "owners")
        if share < 0 or share >= MAX_AMOUNT:
            raise DomainError(_l("A share must be a positive amount."), field="owners")
    asset.owners.clear()
    session.flush()
    for membership_id, share in sorted(shares.items()):
        if share > 0:
            asset.owners.append(AssetOwner(membership_id=membership_id, share=share))
    session.flush()


def set_state(session: Session, asset: Asset, state: str, *, today: date) -> None:
    """Available, in repair or retired. A retired asset keeps no bookings to
    come and takes no fee (a turn whose time passed without a hand-over is
    over: it does not hold the asset back)."""
    if state not in ASSET_STATES:
        raise DomainError(_l("Unknown state."), field="state")
    if state == "retired":
        open_ = session.scalar(select(Booking.id).where(
            Booking.asset_id == asset.id,
            (Booking.state == "handed_over")
            | ((Booking.state == "booked") & (Booking.slot_to > domain.slot_of(today))))
            .limit(1))
        if open_ is not None:
            raise DomainError(_l("Cancel or close its bookings first."), field="state")
        asset.fee = 0
    asset.state = state
    session.flush()


def list_assets(session: Session, group: Group) -> list[Asset]:
    return list(session.scalars(select(Asset).where(Asset.group_id == group.id)
                                .order_by(Asset.state == "retired", Asset.name)))


def asset_in_group(session: Session, group: Group, asset_id: int) -> Asset | None:
    asset = session.get(Asset, asset_id)
    return asset if asset is not None and asset.group_id == group.id else None


# --------------------------------------------------------------------------
# Bookings
# --------------------------------------------------------------------------


def lock_asset(session: Session, asset: Asset) -> None:
    """Bookings of one asset are checked one after the other: an UPDATE of its
    row, a row lock on PostgreSQL and the write lock on SQLite."""
    session.execute(update(Asset).where(Asset.id == asset.id)
                    .values(booking_lock=Asset.booking_lock + 1)
                    .execution_options(synchronize_session=False))


def held_span(booking: Booking, now_slot: int) -> tuple[int, int]:
    """The half-days a turn keeps the asset from others (domain.held_span): a
    turn out since before its booking began holds it from the half-day it was
    handed over in, one out past its end until now."""
    out_slot = None if booking.handed_over_at is None else local_slot(booking.handed_over_at)
    return domain.held_span(booking.state, booking.slot_from, booking.slot_to, out_slot,
                            now_slot)


def now_slot_on(today: date) -> int:
    """Now's half-day on the day a caller books for (`today`): the clock's when
    that is today, else the morning of that day (a form sent across midnight)."""
    now = local_slot()
    return now if domain.slot_day(now) == today else domain.slot_of(today)


def _holding(session: Session, asset: Asset, slot_range: tuple[int, int], now_slot: int,
             except_id: int | None = None) -> list[Booking]:
    """The asset's turns whose held half-days (held_span) meet `slot_range`, in
    order: booked ones by their time, a turn out by all it holds."""
    query = select(Booking).where(
        Booking.asset_id == asset.id, Booking.state.in_(HOLDING_STATES),
        (Booking.slot_from < slot_range[1]) & (Booking.slot_to > slot_range[0])
        | (Booking.state == "handed_over"))
    if except_id is not None:
        query = query.where(Booking.id != except_id)
    turns = session.scalars(query.order_by(Booking.slot_from, Booking.id))
    return [b for b in turns if domain.overlaps(held_span(b, now_slot), slot_range)]


def _taken(session: Session, asset: Asset, slot_range: tuple[int, int],
           except_id: int | None = None, now_slot: int | None = None
           ) -> list[tuple[int, int]]:
    now_slot = local_slot() if now_slot is None else now_slot
    return [held_span(b, now_slot)
            for b in _holding(session, asset, slot_range, now_slot, except_id)]


def span_text(slot_from: int, slot_to: int) -> str:
    """When a booking runs, as the reader writes it: "10.12.2028" for a whole
    day, "10.12.2028 (after midday)" for half of one, else "10.12.2028 (after
    midday) – 12.12.2028 (until midday)"."""
    first, last = domain.slot_day(slot_from), domain.end_day(slot_to)
    after, until = domain.is_afternoon(slot_from), domain.ends_midday(slot_to)
    if first == last:
        if after or until:
            return f"{fmt_date(first)} ({_('after midday') if after else _('until midday')})"
        return fmt_date(first)
    start = f"{fmt_date(first)} ({_('after midday')})" if after else fmt_date(first)
    end = f"{fmt_date(last)} ({_('until midday')})" if until else fmt_date(last)
    return f"{start} – {end}"


TAKEN_NAMED = 3  # the holders a refusal names; more are "…"


def taken_message(session: Session, asset: Asset, slot_range: tuple[int, int],
                  now_slot: int | None = None) -> str:
    """Why a taken slot is refused, naming who holds it and when, so that she
    can find that booking (and the treasurer cancel it); a turn out that holds
    it, who has the asset and until when (as a refused hand-over says)."""
    now_slot = local_slot() if now_slot is None else now_slot
    holders = _holding(session, asset, slot_range, now_slot)
    out = next((b for b in holders if b.state == "handed_over"), None)
    if out is not None:
        return out_message(out, now_slot)
    if not holders:  # taken by a booking not yet visible here (at the same moment)
        return str(PROBLEMS[domain.TAKEN])
    named = "; ".join(f"{b.membership.user.name}, {span_text(b.slot_from, b.slot_to)}"
                      for b in holders[:TAKEN_NAMED])
    if len(holders) > TAKEN_NAMED:
        named += "; …"
    return _("This time is already booked: %(holders)s. You can join the waiting list.",
             holders=named)


def out_message(out: Booking, now_slot: int) -> str:
    """Why a booking over the time a turn out holds is refused: who has the
    asset, and until when she has it (or was to bring it back)."""
    name, due = out.membership.user.name, due_text(out.slot_to)
    if domain.is_overdue(out.state, out.slot_to, now_slot):
        return _("This time is taken: the equipment is still out with %(name)s, who was to "
                 "return it on %(date)s. You can join the waiting list.", name=name, date=due)
    return _("This time is taken: the equipment is out with %(name)s until %(date)s. You can "
             "join the waiting list.", name=name, date=due)


def booking_by_key(session: Session, group_id: int, key: str | None) -> Booking | None:
    if not key:
        return None
    return session.scalar(select(Booking).where(Booking.group_id == group_id,
                                                Booking.idempotency_key == key))


def book(session: Session, asset: Asset, member: Membership, slot_range: tuple[int, int],
         *, actor: User, today: date, note: str = "", idempotency_key: str | None = None
         ) -> Booking:
    """Book the asset for her over [slot_from, slot_to). The same form sent
    twice makes one booking."""
    return book_once(session, asset, member, slot_range, actor=actor, today=today, note=note,
                     idempotency_key=idempotency_key)[0]


def book_once(session: Session, asset: Asset, member: Membership, slot_range: tuple[int, int],
              *, actor: User, today: date, note: str = "", idempotency_key: str | None = None
              ) -> tuple[Booking, bool]:
    """As `book`, and whether this call made it (False: the same key booked it before)."""
    if member.group_id != asset.group_id:
        raise DomainError(_l("Unknown member."), field="member")
    existing = booking_by_key(session, asset.group_id, idempotency_key)
    if existing is not None:
        return existing, False
    lock_asset(session, asset)
    existing = booking_by_key(session, asset.group_id, idempotency_key)  # under the lock
    if existing is not None:
        return existing, False
    session.refresh(asset)
    now_slot = now_slot_on(today)
    problem = domain.booking_problem(slot_range, today=today, asset_state=asset.state,
                                     member_active=member.active,
                                     taken=_taken(session, asset, slot_range,
                                                  now_slot=now_slot))
    if problem == domain.TAKEN:
        raise DomainError(taken_message(session, asset, slot_range, now_slot),
                          field="day_from")
    if problem is not None:
        raise DomainError(PROBLEMS[problem], field="day_from")
    booking = Booking(group_id=asset.group_id, asset_id=asset.id, membership_id=member.id,
                      slot_from=slot_range[0], slot_to=slot_range[1], state="booked",
                      note=(note or "").strip()[:300], idempotency_key=idempotency_key,
                      created_by_id=actor.id)
    session.add(booking)
    session.flush()
    return booking, True


def join_waiting_list(session: Session, asset: Asset, member: Membership,
                      slot_range: tuple[int, int], *, today: date) -> Wait:
    """Wait for a slot that is taken; booked for her when it comes free. The
    same request twice keeps one place."""
    problem = domain.booking_problem(slot_range, today=today, asset_state=asset.state,
                                     member_active=member.active, taken=[])
    if problem is not None:
        raise DomainError(PROBLEMS[problem], field="day_from")
    found = session.scalar(select(Wait).where(
        Wait.asset_id == asset.id, Wait.membership_id == member.id, Wait.state == "waiting",
        Wait.slot_from == slot_range[0], Wait.slot_to == slot_range[1]))
    if found is not None:
        return found
    wait = Wait(asset_id=asset.id, membership_id=member.id, slot_from=slot_range[0],
                slot_to=slot_range[1], state="waiting")
    session.add(wait)
    session.flush()
    return wait


def cancel_wait(session: Session, wait: Wait) -> None:
    if wait.state == "waiting":
        wait.state = "cancelled"
        session.flush()


def _promote_waits(session: Session, asset: Asset, actor: User, today: date) -> list[Booking]:
    """Book the waiting list's requests that fit now, first come first served."""
    made = []
    for wait in session.scalars(select(Wait).where(
            Wait.asset_id == asset.id, Wait.state == "waiting").order_by(Wait.id)):
        slot_range = (wait.slot_from, wait.slot_to)
        member = session.get(Membership, wait.membership_id)
        assert member is not None
        if domain.booking_problem(slot_range, today=today, asset_state=asset.state,
                                  member_active=member.active,
                                  taken=_taken(session, asset, slot_range,
                                               now_slot=now_slot_on(today))) is not None:
            continue
        booking = Booking(group_id=asset.group_id, asset_id=asset.id,
                          membership_id=wait.membership_id, slot_from=wait.slot_from,
                          slot_to=wait.slot_to, state="booked", created_by_id=actor.id)
        session.add(booking)
        session.flush()
        wait.state, wait.booking_id = "booked", booking.id
        made.append(booking)
    session.flush()
    return made


def _move(session: Session, booking: Booking, from_state: str, **values: object) -> bool:
    """Move the booking out of `from_state`, once: a conditional UPDATE, so the
    same form sent twice moves it once (False the second time)."""
    moved = session.execute(update(Booking).where(
        Booking.id == booking.id, Booking.state == from_state).values(**values)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(booking)
    return bool(moved)


def cancel_booking(session: Session, booking: Booking, *, actor: User, today: date
                   ) -> list[Booking]:
    """Cancel a booking not yet handed over; the waiting list gets the slot.
    Returns the bookings made from the waiting list."""
    asset = booking.asset
    lock_asset(session, asset)
    if booking.state == "cancelled":
        return []
    if not _move(session, booking, "booked", state="cancelled", cancelled_at=utcnow()):
        raise DomainError(_l("Only a booking not yet handed over can be cancelled."))
    return _promote_waits(session, asset, actor, today)


def hand_over(session: Session, booking: Booking, *, condition: str,
              now: datetime | None = None) -> bool:
    """The keeper hands the asset over, noting its condition. False when it was
    handed over already (the form sent twice). Refused while another turn of
    the asset is out (handed over and not taken back): it is not in the
    keeper's hands; and before her booking begins while another member's
    booking lies between now and its start (domain.in_the_way). Under the
    asset's lock, so that two hand-overs sent at once cannot both find it
    in, nor a booking made at the same moment slip in between."""
    condition = (condition or "").strip()
    if not condition:
        raise DomainError(_l("Note the condition it is handed over in."), field="condition")
    if booking.state == "handed_over":
        return False
    asset = booking.asset
    lock_asset(session, asset)
    session.refresh(asset)
    session.refresh(booking)
    if booking.state == "handed_over":
        return False
    if asset.state != "available":
        raise DomainError(PROBLEMS[domain.NOT_AVAILABLE])
    now = now or utcnow()
    out = session.scalar(select(Booking).where(
        Booking.asset_id == asset.id, Booking.state == "handed_over", Booking.id != booking.id)
        .order_by(Booking.slot_to, Booking.id).limit(1))
    if out is not None:
        raise DomainError(still_out_message(out, local_slot(now)), field="condition")
    first = _in_the_way(session, booking, local_slot(now))
    if first is not None:
        raise DomainError(in_the_way_message(first), field="condition")
    if not _move(session, booking, "booked", state="handed_over", handed_over_at=now,
                 condition_out=condition[:300]):
        if booking.state == "handed_over":
            return False
        raise DomainError(_l("Only a booked turn can be handed over."))
    return True


def _in_the_way(session: Session, booking: Booking, now_slot: int) -> Booking | None:
    """Another member's booked turn between now and the start of `booking`
    (domain.in_the_way): handed over now, it would keep the asset from her."""
    if booking.slot_from <= now_slot:
        return None
    others = session.execute(select(Booking.id, Booking.membership_id, Booking.state,
                                    Booking.slot_from, Booking.slot_to).where(
        Booking.asset_id == booking.asset_id, Booking.id != booking.id,
        Booking.state == "booked", Booking.slot_to > now_slot,
        Booking.slot_from < booking.slot_from)).all()
    first = domain.in_the_way((booking.membership_id, booking.slot_from),
                              [tuple(t) for t in others], now_slot)
    return None if first is None else session.get(Booking, first)


def in_the_way_message(first: Booking) -> str:
    """Why an early hand-over is refused: whose booking comes first, and when."""
    return _("%(name)s is booked before her: %(when)s. It can be handed over before a "
             "booking begins only when nobody is booked until then.",
             name=first.membership.user.name, when=span_text(first.slot_from, first.slot_to))


def still_out_message(out: Booking, now_slot: int) -> str:
    """Why the asset cannot be handed over: who has it, and when she was (or
    is) to bring it back."""
    name, due = out.membership.user.name, due_text(out.slot_to)
    if domain.is_overdue(out.state, out.slot_to, now_slot):
        return _("It is still with %(name)s: she was to return it on %(date)s. Take it back "
                 "before handing it over again.", name=name, date=due)
    return _("It is still with %(name)s: she is to return it on %(date)s. Take it back "
             "before handing it over again.", name=name, date=due)


def is_owner(asset: Asset, membership_id: int) -> bool:
    return any(owner.membership_id == membership_id for owner in asset.owners)


def fee_for(asset: Asset, booking: Booking, minutes: int | None,
            held: tuple[int, int] | None = None) -> int:
    """The usage fee of her turn, by the day over the half-days she held it
    (`held`, as domain.held_when_back; her booking unless given), or by the
    hour."""
    start, end = (booking.slot_from, booking.slot_to) if held is None else held
    return domain.usage_fee(fee=asset.fee, unit=asset.fee_unit,
                            half_day_count=domain.half_days(start, end),
                            minutes=minutes, is_owner=is_owner(asset, booking.membership_id),
                            owners_pay_fee=asset.owners_pay_fee)


def local_slot(moment: datetime | None = None) -> int:
    """The half-day a moment (naive UTC, now by default) falls in, in the
    group's time zone (as `local_today`)."""
    return domain.slot_at(to_user_timezone(moment or utcnow()))


def due_text(slot_to: int) -> str:
    """When a turn ending at `slot_to` is due back: "05.12.2026", or
    "05.12.2026 (until midday)"."""
    day = fmt_date(domain.end_day(slot_to))
    return f"{day} ({_('until midday')})" if domain.ends_midday(slot_to) else day


def free_from_text(slot: int) -> str:
    """The half-day `slot` as "05.12.2026" or "05.12.2026 (after midday)"."""
    day = fmt_date(domain.slot_day(slot))
    return f"{day} ({_('after midday')})" if domain.is_afternoon(slot) else day


def take_back(session: Session, booking: Booking, *, condition: str, minutes: int | None,
              actor: User, now: datetime | None = None) -> bool:
    """The keeper takes the asset back; see `take_back_once`. False when it was
    taken back already."""
    return take_back_once(session, booking, condition=condition, minutes=minutes, actor=actor,
                          now=now)[0]


def take_back_once(session: Session, booking: Booking, *, condition: str, minutes: int | None,
                   actor: User, now: datetime | None = None) -> tuple[bool, list[Booking]]:
    """The keeper takes the asset back, noting its condition (and the hours it
    ran when the fee is by the hour); the usage fee goes from her account into
    the asset's maintenance fund. Back before the end of her booking (`now`,
    naive UTC, the moment of the return), the booking ends with the half-day
    it came back in, the rest is free and the waiting list gets it. Whether
    this call took it back (False: taken back already), and the bookings made
    from the waiting list. Handed over before its booking began and back
    before it began, it holds (and pays for) the half-day it came back in, and
    all of the booked time is free (`booked_from` and `booked_to` keep what
    was booked): domain.held_when_back."""
    asset = booking.asset
    condition = (condition or "").strip()
    if not condition:
        raise DomainError(_l("Note the condition it came back in."), field="condition")
    if asset.fee_unit == "hour" and asset.fee and minutes is None:
        raise DomainError(_l("Say how many hours it was used."), field="hours")
    if minutes is not None and not 0 <= minutes <= domain.MAX_MINUTES:
        raise DomainError(_l("The hours are out of range."), field="hours")
    if booking.state == "returned":
        return False, []
    now = now or utcnow()
    held = None
    if booking.state == "handed_over":
        held = domain.held_when_back(booking.slot_from, booking.slot_to, local_slot(now))
    shortened: dict[str, object] = {}
    if held is not None:
        lock_asset(session, asset)  # the freed time goes to one waiting list at a time
        kept: tuple[int, int] | None = held
        if held[0] != booking.slot_from:  # back before it began: the half-day it came back in
            if _taken(session, asset, held, except_id=booking.id):
                # another member's booking holds that half-day: the row keeps her
                # first booked half-day instead (one half-day all the same)
                first = (booking.slot_from, booking.slot_from + 1)
                kept = first if first[1] < booking.slot_to else None
            else:
                shortened["booked_from"] = booking.slot_from
        if kept is not None:
            shortened.update(slot_from=kept[0], slot_to=kept[1], booked_to=booking.slot_to)
    fee = fee_for(asset, booking, minutes, held)
    if not _move(session, booking, "handed_over", state="returned", returned_at=now,
                 condition_back=condition[:300], hours=minutes, fee=fee, **shortened):
        if booking.state == "returned":
            return False, []
        raise DomainError(_l("Only a turn that was handed over can be taken back."))
    member = booking.membership
    posting = ledger.post(session, asset.group, debit=ledger.member_account(session, member),
                          credit=maintenance_account(session, asset), amount=fee,
                          kind="equipment_fee", memo=asset.name, actor=actor,
                          membership_id=member.id)
    booking.fee_posting_id = posting.id if posting is not None else None
    session.flush()
    if held is None:
        return True, []
    session.refresh(asset)
    return True, _promote_waits(session, asset, actor, to_user_timezone(now).date())


def bookings_ahead(session: Session, asset: Asset, today: date) -> list[Booking]:
    """Every booking of the asset still ahead or running, however far ahead
    (a booking is allowed for any day to come, so the pages, the API and the
    sheet show them all), and every turn handed over and not yet taken back,
    even past its last day: the keeper has it to take back. In order."""
    return list(session.scalars(select(Booking).where(
        Booking.asset_id == asset.id, Booking.state.in_(HOLDING_STATES),
        (Booking.slot_to > domain.slot_of(today)) | (Booking.state == "handed_over"))
        .order_by(Booking.slot_from, Booking.id)))


def past_turns(session: Session, asset: Asset, today: date, limit: int
               ) -> tuple[list[Booking], bool]:
    """The asset's history, latest first: the turns whose time is over and
    that are not still out (those are in `bookings_ahead`): taken back, or
    never handed over (shown "not taken", domain.shown_state). At most
    `limit`, and whether there are earlier ones."""
    turns = list(session.scalars(select(Booking).where(
        Booking.asset_id == asset.id, Booking.state.in_(("booked", "returned")),
        Booking.slot_to <= domain.slot_of(today))
        .order_by(Booking.slot_from.desc(), Booking.id.desc()).limit(limit + 1)))
    return turns[:limit], len(turns) > limit


def out_turns(session: Session, group: Group) -> dict[int, Booking]:
    """{asset id: its turn handed over and not yet taken back} (one at a time:
    hand_over refuses a second), for the list's state column, with who has it
    (read at once, not a query per asset)."""
    return {b.asset_id: b for b in session.scalars(select(Booking).where(
        Booking.group_id == group.id, Booking.state == "handed_over")
        .options(selectinload(Booking.membership).selectinload(Membership.user)))}


def overdue_turns(session: Session, group: Group, now_slot: int) -> list[Booking]:
    """The group's turns out past their end (domain.is_overdue), the longest
    overdue first."""
    return list(session.scalars(select(Booking).where(
        Booking.group_id == group.id, Booking.state == "handed_over",
        Booking.slot_to <= now_slot).order_by(Booking.slot_to, Booking.id)))


def held_up(session: Session, overdue: list[Booking], now_slot: int) -> dict[int, Booking]:
    """{booked turn's id: the overdue turn that keeps the asset from her}
    (domain.held_up), over the assets of `overdue` (turns out past their end,
    as overdue_turns reads them); not her own turn (she has it)."""
    if not overdue:
        return {}
    by_id = {b.id: b for b in overdue}
    today = domain.slot_of(domain.slot_day(now_slot))
    found: dict[int, Booking] = {}
    for asset_id in {b.asset_id for b in overdue}:
        turns = session.execute(select(Booking.id, Booking.state, Booking.slot_from,
                                       Booking.slot_to, Booking.membership_id).where(
            Booking.asset_id == asset_id,
            ((Booking.state == "booked") & (Booking.slot_to > today))
            | Booking.id.in_([b.id for b in overdue if b.asset_id == asset_id]))).all()
        whose = {turn[0]: turn[4] for turn in turns}
        for turn_id, blocker in domain.held_up([tuple(t[:4]) for t in turns], now_slot).items():
            if whose[turn_id] != by_id[blocker].membership_id:
                found[turn_id] = by_id[blocker]
    return found


def waiting(session: Session, asset: Asset) -> list[Wait]:
    return list(session.scalars(select(Wait).where(
        Wait.asset_id == asset.id, Wait.state == "waiting").order_by(Wait.id)))


def booking_in_group(session: Session, group: Group, booking_id: int) -> Booking | None:
    booking = session.get(Booking, booking_id)
    return booking if booking is not None and booking.group_id == group.id else None


def upcoming(session: Session, group: Group, today: date, member: Membership | None = None,
             *, out_too: bool = False) -> list[Booking]:
    """Bookings not yet taken back, from today on (all of the group, or hers);
    with `out_too`, every turn handed over and not yet back, even past its end
    (she has it to bring back)."""
    ahead = Booking.slot_to > domain.slot_of(today)
    query = select(Booking).where(Booking.group_id == group.id,
                                  Booking.state.in_(("booked", "handed_over")),
                                  (ahead | (Booking.state == "handed_over")) if out_too
                                  else ahead)
    if member is not None:
        query = query.where(Booking.membership_id == member.id)
    return list(session.scalars(query.order_by(Booking.slot_from)))


# --------------------------------------------------------------------------
# Repairs
# --------------------------------------------------------------------------


def repair_by_key(session: Session, group_id: int, key: str | None) -> Repair | None:
    if not key:
        return None
    return session.scalar(select(Repair).where(Repair.group_id == group_id,
                                               Repair.idempotency_key == key))


def record_repair(session: Session, asset: Asset, *, cost: int, description: str, mode: str,
                  method: str, repaired_on: date, actor: User, idempotency_key: str,
                  overdraw: bool = False) -> Repair:
    """A repair: the maintenance fund pays what it holds (mode `fund`), the
    owners the rest in their shares, largest remainder (or all of it, mode
    `owners`). Money leaves the cash, the bank or the mobile wallet (more
    than it holds only with `overdraw`, see ledger.pay_from)."""
    if cost <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="cost")
    if cost >= MAX_AMOUNT:
        raise DomainError(_l("The amount is too large."), field="cost")
    description = (description or "").strip()
    if not description:
        raise DomainError(_l("Say what was repaired."), field="description")
    existing = repair_by_key(session, asset.group_id, idempotency_key)
    if existing is not None:
        return existing
    lock_asset(session, asset)
    existing = repair_by_key(session, asset.group_id, idempotency_key)
    if existing is not None:
        return existing
    account = maintenance_account(session, asset)
    owners = [(o.membership_id, o.share) for o in asset.owners]
    try:
        split = domain.split_repair(cost, fund_balance=ledger.account_balance(session, account),
                                    mode=mode, owners=owners)
    except domain.RepairError as exc:
        if str(exc) == "no_owners":
            raise DomainError(_l("The fund holds only %(amount)s and the equipment has no "
                                 "owners to share the rest.",
                                 amount=fmt_money(ledger.account_balance(session, account),
                                                  asset.group.currency)),
                              field="mode") from exc
        raise DomainError(_l("Choose how the repair is paid."), field="mode") from exc
    paid_from = ledger.pay_from(session, asset.group, method, cost, overdraw=overdraw)
    repair = Repair(group_id=asset.group_id, asset_id=asset.id, cost=cost,
                    from_fund=split.from_fund, mode=mode, method=method,
                    description=description[:300], repaired_on=repaired_on,
                    idempotency_key=idempotency_key, created_by_id=actor.id)
    session.add(repair)
    session.flush()
    memo = f"{asset.name}: {description}"
    ledger.post(session, asset.group, debit=account, credit=paid_from, amount=split.from_fund,
                kind="equipment_repair", memo=memo, actor=actor)
    for membership_id, amount in split.shares.items():
        member = session.get(Membership, membership_id)
        assert member is not None
        posting = ledger.post(session, asset.group,
                              debit=ledger.member_account(session, member), credit=paid_from,
                              amount=amount, kind="equipment_repair_share", memo=memo,
                              actor=actor, membership_id=membership_id)
        assert posting is not None
        session.add(RepairShare(repair_id=repair.id, membership_id=membership_id,
                                amount=amount, posting_id=posting.id))
    session.flush()
    return repair


def repairs(session: Session, asset: Asset) -> list[Repair]:
    return list(session.scalars(select(Repair).where(Repair.asset_id == asset.id)
                                .order_by(Repair.repaired_on.desc(), Repair.id.desc())))


def repair_shares(session: Session, repair_ids: list[int]) -> dict[int, list[RepairShare]]:
    found: dict[int, list[RepairShare]] = {}
    for share in session.scalars(select(RepairShare).where(
            RepairShare.repair_id.in_(repair_ids)).order_by(RepairShare.id)):
        found.setdefault(share.repair_id, []).append(share)
    return found


def usage_report(session: Session, asset: Asset) -> domain.UsageReport:
    turns = session.execute(select(Booking.membership_id, Booking.slot_from, Booking.slot_to,
                                   Booking.hours, Booking.fee).where(
        Booking.asset_id == asset.id, Booking.state == "returned")).all()
    done = session.execute(select(Repair.cost, Repair.from_fund).where(
        Repair.asset_id == asset.id)).all()
    shares = session.execute(select(RepairShare.membership_id, RepairShare.amount)
                             .join(Repair, Repair.id == RepairShare.repair_id)
                             .where(Repair.asset_id == asset.id)).all()
    return domain.usage_report([tuple(t) for t in turns], [tuple(r) for r in done],
                               [tuple(s) for s in shares], fund_balance(session, asset))
