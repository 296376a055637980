"""Supplier quotes for a round: the link a supplier gets, her revisions (never
edited), the treasurer's counter-offers and the award.

quote ─┬─ revisions ── lines ── tiers      (what the supplier offered, each time)
       ├─ counter-offers ── lines           (what the treasurer asked for)
       └─ awards                            (which round item went to which revision)

Quantities in thousandths of the unit, prices in millionths of the major unit,
money in minor units (coop.quantities, coop.money)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db
from coop.orders.models import Round, RoundItem
from coop.suppliers.models import Supplier


class Quote(db.Model):  # type: ignore[name-defined,misc]
    """One supplier asked for prices in one round, through a link of her own.

    Only the SHA-256 of the link's random token is kept; a new link replaces it."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("round_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_expires_at: Mapped[datetime]
    link_revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship()
    supplier: Mapped[Supplier] = relationship()
    revisions: Mapped[list[QuoteRevision]] = relationship(
        back_populates="quote", order_by="QuoteRevision.number")
    counter_offers: Mapped[list[CounterOffer]] = relationship(
        back_populates="quote", order_by="CounterOffer.id")
    awards: Mapped[list[QuoteAward]] = relationship(
        back_populates="quote", order_by="QuoteAward.id")

    @property
    def latest(self) -> QuoteRevision | None:
        return self.revisions[-1] if self.revisions else None


class QuoteRevision(db.Model):  # type: ignore[name-defined,misc]
    """What the supplier sent once: an offer, or a refusal (`declined`). The
    key of the form that sent it, if any: the same form sent twice finds it."""

    __tablename__ = "quote_revisions"
    __table_args__ = (
        UniqueConstraint("quote_id", "number"),
        CheckConstraint("number > 0", name="number"),
        CheckConstraint("delivery_fee >= 0", name="delivery_fee"),
        CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0", name="lead_time"),
        Index("uq_quote_revisions_quote_id_idempotency_key", "quote_id", "idempotency_key",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    number: Mapped[int]
    declined: Mapped[bool] = mapped_column(default=False)
    delivery_fee: Mapped[int] = mapped_column(default=0)  # minor units
    lead_time_days: Mapped[int | None]
    valid_until: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")  # the reason, when declined
    idempotency_key: Mapped[str | None] = mapped_column(String(64))  # the form's
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    quote: Mapped[Quote] = relationship(back_populates="revisions")
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="revision", order_by="QuoteLine.id", cascade="all, delete-orphan")


class QuoteLine(db.Model):  # type: ignore[name-defined,misc]
    """A product in a revision: can she deliver it, in what packs, at what prices."""

    __tablename__ = "quote_lines"
    __table_args__ = (
        UniqueConstraint("revision_id", "round_item_id"),
        CheckConstraint("pack_size IS NULL OR pack_size > 0", name="pack_size"),
        CheckConstraint("max_quantity IS NULL OR max_quantity >= 0", name="max_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("quote_revisions.id"), index=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"), index=True)
    available: Mapped[bool] = mapped_column(default=True)
    pack_size: Mapped[int | None]  # thousandths of the unit
    max_quantity: Mapped[int | None]  # thousandths; None = no limit
    article_code: Mapped[str | None] = mapped_column(String(64))  # her own code, if given

    revision: Mapped[QuoteRevision] = relationship(back_populates="lines")
    item: Mapped[RoundItem] = relationship()
    tiers: Mapped[list[QuoteTier]] = relationship(
        order_by="QuoteTier.min_qty", cascade="all, delete-orphan")


class QuoteTier(db.Model):  # type: ignore[name-defined,misc]
    """From `min_qty` (pooled, thousandths) on, `unit_price` (millionths)."""

    __tablename__ = "quote_tiers"
    __table_args__ = (
        UniqueConstraint("line_id", "min_qty"),
        CheckConstraint("min_qty >= 0", name="min_qty"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("quote_lines.id"), index=True)
    min_qty: Mapped[int]
    unit_price: Mapped[int]


class CounterOffer(db.Model):  # type: ignore[name-defined,misc]
    """The treasurer's answer to a quote: target prices and a message."""

    __tablename__ = "counter_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    quote: Mapped[Quote] = relationship(back_populates="counter_offers")
    lines: Mapped[list[CounterOfferLine]] = relationship(
        order_by="CounterOfferLine.id", cascade="all, delete-orphan")


class CounterOfferLine(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "counter_offer_lines"
    __table_args__ = (
        UniqueConstraint("counter_offer_id", "round_item_id"),
        CheckConstraint("target_price >= 0", name="target_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_offer_id: Mapped[int] = mapped_column(ForeignKey("counter_offers.id"), index=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"), index=True)
    target_price: Mapped[int]  # millionths of the major unit

    item: Mapped[RoundItem] = relationship()


class QuoteAward(db.Model):  # type: ignore[name-defined,misc]
    """A round item bought on a quote's revision (one award per round item)."""

    __tablename__ = "quote_awards"
    __table_args__ = (UniqueConstraint("round_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("quote_revisions.id"), index=True)
    round_item_id: Mapped[int] = mapped_column(ForeignKey("round_items.id"))
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)

    quote: Mapped[Quote] = relationship(back_populates="awards")
    revision: Mapped[QuoteRevision] = relationship()
    item: Mapped[RoundItem] = relationship()
