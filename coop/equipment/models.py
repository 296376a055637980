"""Jointly owned equipment: the group's assets, who paid for them and in what
shares, bookings (no two of one asset overlap: the database refuses it), the
waiting list, and repairs.

A booking runs over half-days: a slot is an integer, the day's ordinal × 2
(+1 for the afternoon); `slot_to` is exclusive. Money in minor units."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db
from coop.groups.models import Group, Membership

ASSET_STATES = ("available", "in_repair", "retired")
FEE_UNITS = ("day", "hour")
BOOKING_STATES = ("booked", "handed_over", "returned", "cancelled")
# The states that hold the asset's slots: the database allows no two of them
# to overlap (the partial exclusion constraint on PostgreSQL, triggers on SQLite).
HOLDING_STATES = ("booked", "handed_over", "returned")
WAIT_STATES = ("waiting", "booked", "cancelled")
REPAIR_MODES = ("fund", "owners")


class Asset(db.Model):  # type: ignore[name-defined,misc]
    """A motoblock, a seed drill, a dryer… that belongs to the group. Its
    maintenance fund is a ledger account of kind `equipment` (`account_id`)."""

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint("state IN ('available', 'in_repair', 'retired')", name="state"),
        CheckConstraint("fee_unit IN ('day', 'hour')", name="fee_unit"),
        CheckConstraint("fee >= 0", name="fee"),
        CheckConstraint("purchase_value >= 0", name="purchase_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    purchase_value: Mapped[int] = mapped_column(default=0)
    bought_on: Mapped[date | None]
    kept_at: Mapped[str] = mapped_column(String(200), default="")
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"))
    state: Mapped[str] = mapped_column(String(16), default="available")
    fee: Mapped[int] = mapped_column(default=0)  # minor units per day or per hour
    fee_unit: Mapped[str] = mapped_column(String(8), default="day")
    owners_pay_fee: Mapped[bool] = mapped_column(default=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), unique=True)
    # Bumped by every booking of the asset: the row lock that makes two
    # bookings of one slot at the same moment wait for each other.
    booking_lock: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship()
    keeper: Mapped[Membership | None] = relationship()
    owners: Mapped[list[AssetOwner]] = relationship(
        back_populates="asset", order_by="AssetOwner.id", cascade="all, delete-orphan")


class AssetOwner(db.Model):  # type: ignore[name-defined,misc]
    """A member who paid for the asset, and her share (what she paid, in minor
    units: the shares are weights, their sum the purchase value)."""

    __tablename__ = "asset_owners"
    __table_args__ = (
        UniqueConstraint("asset_id", "membership_id"),
        CheckConstraint("share > 0", name="share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    share: Mapped[int]

    asset: Mapped[Asset] = relationship(back_populates="owners")
    membership: Mapped[Membership] = relationship()


class Booking(db.Model):  # type: ignore[name-defined,misc]
    """A member's turn with the asset: booked, handed over (condition noted),
    returned (condition, hours, the usage fee posted), or cancelled. Taken
    back early, it ends where it came back (`booked_to` keeps what was booked;
    `booked_from` too, when it came back before it began)."""

    __tablename__ = "asset_bookings"
    __table_args__ = (
        CheckConstraint("slot_to > slot_from", name="slots"),
        CheckConstraint("state IN ('booked', 'handed_over', 'returned', 'cancelled')",
                        name="state"),
        CheckConstraint("fee IS NULL OR fee >= 0", name="fee"),
        Index("ix_asset_bookings_asset_id_slot_from", "asset_id", "slot_from"),
        Index("uq_asset_bookings_group_id_idempotency_key", "group_id", "idempotency_key",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    slot_from: Mapped[int]
    slot_to: Mapped[int]
    # Her booking's end as she booked it, when she brought the asset back
    # before it: `slot_to` is then the end of the half-day it came back in,
    # the rest free for others (services.take_back).
    booked_to: Mapped[int | None]
    # Her booking's start as she booked it, when the asset went out before it
    # and came back before it began: `slot_from`/`slot_to` are then the time
    # she held it, all of her booked time free for others (services.take_back).
    booked_from: Mapped[int | None]
    state: Mapped[str] = mapped_column(String(16), default="booked")
    note: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    handed_over_at: Mapped[datetime | None]
    condition_out: Mapped[str] = mapped_column(String(300), default="")
    returned_at: Mapped[datetime | None]
    condition_back: Mapped[str] = mapped_column(String(300), default="")
    hours: Mapped[int | None]  # minutes used, when the fee is by the hour
    fee: Mapped[int | None]  # the usage fee charged at the return
    fee_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]

    asset: Mapped[Asset] = relationship()
    membership: Mapped[Membership] = relationship()


class Wait(db.Model):  # type: ignore[name-defined,misc]
    """A place on the waiting list for a slot that was taken; booked for her
    as soon as the slot comes free, in the order they asked."""

    __tablename__ = "asset_waits"
    __table_args__ = (
        CheckConstraint("slot_to > slot_from", name="slots"),
        CheckConstraint("state IN ('waiting', 'booked', 'cancelled')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    slot_from: Mapped[int]
    slot_to: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("asset_bookings.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    membership: Mapped[Membership] = relationship()


class Repair(db.Model):  # type: ignore[name-defined,misc]
    """A repair paid from the asset's maintenance fund and, for what the fund
    does not hold (or all of it, mode `owners`), by its owners in their shares."""

    __tablename__ = "asset_repairs"
    __table_args__ = (
        UniqueConstraint("group_id", "idempotency_key"),
        CheckConstraint("cost > 0", name="cost"),
        CheckConstraint("from_fund >= 0 AND from_fund <= cost", name="from_fund"),
        CheckConstraint("mode IN ('fund', 'owners')", name="mode"),
        CheckConstraint("method IN ('cash', 'bank', 'mobile')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    cost: Mapped[int]
    from_fund: Mapped[int] = mapped_column(default=0)
    mode: Mapped[str] = mapped_column(String(8), default="fund")
    method: Mapped[str] = mapped_column(String(16), default="cash")
    description: Mapped[str] = mapped_column(String(300))
    repaired_on: Mapped[date]
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepairShare(db.Model):  # type: ignore[name-defined,misc]
    """An owner's part of a repair the fund did not pay (largest remainder)."""

    __tablename__ = "asset_repair_shares"
    __table_args__ = (
        UniqueConstraint("repair_id", "membership_id"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("asset_repairs.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    amount: Mapped[int]
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"))

    membership: Mapped[Membership] = relationship()
