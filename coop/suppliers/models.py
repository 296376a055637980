from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db


class Supplier(db.Model):  # type: ignore[name-defined,misc]
    """A supplier the group buys from (or asks for quotes)."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    contact_person: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(8), default="ru")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    products: Mapped[list[Product]] = relationship(
        back_populates="supplier", order_by="Product.name")


class Product(db.Model):  # type: ignore[name-defined,misc]
    """A catalog item. Quantities in thousandths of the unit, prices in
    millionths of the major currency unit, weight in grams (coop.quantities).
    Retired, never deleted once a round used it."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("supplier_id", "article_code"),
        CheckConstraint("granularity > 0", name="granularity"),
        CheckConstraint("pack_size > 0", name="pack_size"),
        CheckConstraint("pack_size % granularity = 0", name="pack_multiple"),
        CheckConstraint("weight_grams >= 0", name="weight"),
        CheckConstraint("seed_rate IS NULL OR seed_rate > 0", name="seed_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    article_code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    pack_size: Mapped[int]  # thousandths of the unit
    pack_container: Mapped[str | None] = mapped_column(String(32))  # units.CONTAINERS
    granularity: Mapped[int]  # thousandths of the unit
    weight_grams: Mapped[int] = mapped_column(default=0)  # per unit
    retail_price: Mapped[int | None]  # per unit, millionths of the major unit
    # seed to sow one сотка (100 m²), thousandths of the unit; None: not seed
    seed_rate: Mapped[int | None]
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    supplier: Mapped[Supplier] = relationship(back_populates="products")
    price_tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="product", order_by="PriceTier.min_qty",
        cascade="all, delete-orphan")


class PriceTier(db.Model):  # type: ignore[name-defined,misc]
    """A list price: from `min_qty` (pooled, thousandths) on, `unit_price` (millionths)."""

    __tablename__ = "price_tiers"
    __table_args__ = (
        UniqueConstraint("product_id", "min_qty"),
        CheckConstraint("min_qty >= 0", name="min_qty"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    min_qty: Mapped[int]
    unit_price: Mapped[int]

    product: Mapped[Product] = relationship(back_populates="price_tiers")
