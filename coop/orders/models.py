from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db
from coop.groups.models import Group, Membership
from coop.suppliers.models import Product, Supplier


def new_change_token() -> int:
    """A fresh value for Round.change_token (coop/orders/changes.py)."""
    return secrets.randbits(62) + 1


ROUND_STATES = ("draft", "open", "closed", "quoting", "awarded", "received", "settled",
                "cancelled")
COST_RULES = ("value", "weight", "quantity", "equal", "per_member")


class Round(db.Model):  # type: ignore[name-defined,misc]
    """One pooled purchase, with its own copy of the group's split settings."""

    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'open', 'closed', 'quoting', 'awarded', 'received', "
            "'settled', 'cancelled')", name="state"),
        CheckConstraint("loss_policy IN ('product', 'round', 'fund')", name="loss_policy"),
        CheckConstraint("levy_basis_points >= 0 AND levy_basis_points <= 10000", name="levy"),
        CheckConstraint("cash_rounding >= 0", name="cash_rounding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    deadline: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="draft")
    loss_policy: Mapped[str] = mapped_column(String(16), default="product")
    levy_basis_points: Mapped[int] = mapped_column(default=0)
    cash_rounding: Mapped[int] = mapped_column(default=0)
    delivery_place: Mapped[str] = mapped_column(String(200), default="")
    delivery_date: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A new random value whenever anything the round's split is made of
    # changes (coop/orders/changes.py): the key of the split cache. Random, not
    # a counter, so that a database restored from a backup cannot meet cache
    # entries of the timeline it left.
    change_token: Mapped[int] = mapped_column(default=new_change_token, server_default="0")

    group: Mapped[Group] = relationship()
    items: Mapped[list[RoundItem]] = relationship(
        back_populates="round", order_by="RoundItem.position, RoundItem.id",
        cascade="all, delete-orphan")
    shared_costs: Mapped[list[SharedCost]] = relationship(
        back_populates="round", order_by="SharedCost.id", cascade="all, delete-orphan")


class RoundItem(db.Model):  # type: ignore[name-defined,misc]
    """A product on offer in a round. Until the award, prices and pack size come
    from the catalog; the award freezes them here (awarded_* and the tiers)."""

    __tablename__ = "round_items"
    __table_args__ = (UniqueConstraint("round_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    awarded_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    awarded_pack_size: Mapped[int | None]
    awarded_article_code: Mapped[str | None] = mapped_column(String(64))  # the supplier's own

    round: Mapped[Round] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
    awarded_supplier: Mapped[Supplier | None] = relationship()
    awarded_tiers: Mapped[list[AwardedTier]] = relationship(
        order_by="AwardedTier.min_qty", cascade="all, delete-orphan")


class AwardedTier(db.Model):  # type: ignore[name-defined,misc]
    """A price tier frozen at the award (thousandths / millionths, as PriceTier)."""

    __tablename__ = "awarded_tiers"
    __table_args__ = (UniqueConstraint("round_item_id", "min_qty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"), index=True)
    min_qty: Mapped[int]
    unit_price: Mapped[int]


class SharedCost(db.Model):  # type: ignore[name-defined,misc]
    """Transport, fees…: split over the participants by `rule` (spec rule 7)."""

    __tablename__ = "shared_costs"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("rule IN ('value', 'weight', 'quantity', 'equal', 'per_member')",
                        name="rule"),
        Index("uq_shared_costs_round_id_idempotency_key", "round_id", "idempotency_key",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    amount: Mapped[int]  # minor units
    rule: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))  # the form's
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    # set when the cost is an awarded quote's delivery fee (coop.quotes)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))

    round: Mapped[Round] = relationship(back_populates="shared_costs")
    supplier: Mapped[Supplier | None] = relationship()


class Request(db.Model):  # type: ignore[name-defined,misc]
    """A member's order line: firm quantity and tolerance (thousandths)."""

    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("round_id", "membership_id", "round_item_id"),
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("tolerance >= 0", name="tolerance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    quantity: Mapped[int]
    tolerance: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    item: Mapped[RoundItem] = relationship()
    membership: Mapped[Membership] = relationship()


class RequestChange(db.Model):  # type: ignore[name-defined,misc]
    """Who changed an order line, when, from what to what. Never edited."""

    __tablename__ = "request_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    old_quantity: Mapped[int]
    old_tolerance: Mapped[int]
    new_quantity: Mapped[int]
    new_tolerance: Mapped[int]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundEvent(db.Model):  # type: ignore[name-defined,misc]
    """A state move of a round: who, when, from, to, and an optional note."""

    __tablename__ = "round_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class Delivery(db.Model):  # type: ignore[name-defined,misc]
    """What arrived of a product on one day; several deliveries add up."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("received >= 0", name="received"),
        CheckConstraint("damaged >= 0 AND damaged <= received", name="damaged"),
        # The form's key on each product line it recorded: sent twice, once.
        Index("uq_deliveries_round_item_id_idempotency_key", "round_item_id",
              "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"), index=True)
    received: Mapped[int]  # thousandths of the unit
    damaged: Mapped[int] = mapped_column(default=0)
    delivered_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))  # the form's
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditNote(db.Model):  # type: ignore[name-defined,misc]
    """A supplier's credit for damaged goods: lowers the bill, so the loss."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        Index("uq_credit_notes_round_id_idempotency_key", "round_id", "idempotency_key",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"), index=True)
    amount: Mapped[int]  # minor units
    note: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))  # the form's
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Settlement(db.Model):  # type: ignore[name-defined,misc]
    """The split a round was settled with, kept as it was (one per round)."""

    __tablename__ = "settlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)
    scenario_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime] = mapped_column(default=utcnow)


class SplitChange(db.Model):  # type: ignore[name-defined,misc]
    """An order change that took the round from `previous_token` to `token`
    (its change tokens): the lines as they became, so that a process that
    holds the round's split at `previous_token` brings it up to date line by
    line (coop/orders/cache.py) instead of splitting the whole round again.
    Written in the order's transaction, under the round's row lock; only the
    last few are kept (coop/orders/changes.py)."""

    __tablename__ = "split_changes"
    __table_args__ = (
        UniqueConstraint("round_id", "token"),
        # the way from a token starts at the change made from it (cache._order_path)
        Index("ix_split_changes_round_id_previous_token", "round_id", "previous_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    previous_token: Mapped[int]
    token: Mapped[int]
    # JSON: [[membership_id, round_item_id, quantity, tolerance], ...], each the
    # line as it is now (0, 0: taken away); quantities in thousandths
    lines: Mapped[str] = mapped_column(Text)
