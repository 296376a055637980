from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db
from coop.groups.models import Membership
from coop.suppliers.models import Product

SURVEY_STATES = ("draft", "open", "closed", "converted")
ANSWER_SOURCES = ("member", "treasurer", "paper", "import")
LOAN_STATES = ("proposed", "approved", "delivered", "repaid", "written_off", "cancelled")
REPAY_MODES = ("cash", "kind", "payout")
REPAYMENT_KINDS = ("cash", "kind", "payout", "write_off")
STOCK_KINDS = ("loan_return", "out", "in")


class Survey(db.Model):  # type: ignore[name-defined,misc]
    """A survey of the members' intentions before a round."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'open', 'closed', 'converted')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    note: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    closes_on: Mapped[date | None]
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), unique=True)
    # Bumped by every answer and state move: the row lock that serialises them.
    lock: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[SurveyItem]] = relationship(
        back_populates="survey", order_by="SurveyItem.position, SurveyItem.id",
        cascade="all, delete-orphan")


class SurveyItem(db.Model):  # type: ignore[name-defined,misc]
    """A catalog product the survey asks about."""

    __tablename__ = "survey_items"
    __table_args__ = (UniqueConstraint("survey_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    survey: Mapped[Survey] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class SurveyAnswer(db.Model):  # type: ignore[name-defined,misc]
    """A member's intention for one product: firm and maybe (thousandths of
    the unit); `area` (thousandths of a сотка) when she gave her land instead."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("survey_id", "membership_id", "item_id"),
        CheckConstraint("firm >= 0", name="firm"),
        CheckConstraint("maybe >= 0", name="maybe"),
        CheckConstraint("area IS NULL OR area > 0", name="area"),
        CheckConstraint("source IN ('member', 'treasurer', 'paper', 'import')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_items.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    firm: Mapped[int] = mapped_column(default=0)
    maybe: Mapped[int] = mapped_column(default=0)
    area: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(16), default="member")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[SurveyItem] = relationship()
    membership: Mapped[Membership] = relationship()


class SurveyWish(db.Model):  # type: ignore[name-defined,misc]
    """Something a member wants that is not in the catalog (free text)."""

    __tablename__ = "survey_wishes"
    __table_args__ = (UniqueConstraint("survey_id", "membership_id", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[str] = mapped_column(String(60), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    membership: Mapped[Membership] = relationship()


class HouseholdProfile(db.Model):  # type: ignore[name-defined,misc]
    """A member's optional household profile: seen by her and the treasurer,
    counted in the group's indicators, never shown to other members."""

    __tablename__ = "household_profiles"
    __table_args__ = (
        CheckConstraint("household_size IS NULL OR household_size BETWEEN 1 AND 60",
                        name="household_size"),
        CheckConstraint("land IS NULL OR land >= 0", name="land"),
        CheckConstraint("livestock IS NULL OR livestock >= 0", name="livestock"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), unique=True)
    household_size: Mapped[int | None]
    land: Mapped[int | None]  # thousandths of a сотка
    livestock: Mapped[int | None]  # heads
    migrant_abroad: Mapped[bool | None]
    services_wanted: Mapped[str] = mapped_column(String(300), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeedLoan(db.Model):  # type: ignore[name-defined,misc]
    """Seed the solidarity fund lends a member: her allocation of a product in
    a round, repaid after the harvest at `repay_bp`/10 000 of it."""

    __tablename__ = "seed_loans"
    __table_args__ = (
        CheckConstraint("state IN ('proposed', 'approved', 'delivered', 'repaid', "
                        "'written_off', 'cancelled')", name="state"),
        CheckConstraint("repay_mode IN ('cash', 'kind', 'payout')", name="repay_mode"),
        CheckConstraint("repay_bp BETWEEN 10000 AND 30000", name="repay_bp"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("value > 0", name="value"),
        Index("uq_seed_loans_group_id_idempotency_key", "group_id", "idempotency_key",
              unique=True),
        # One loan per member, round and product (a cancelled one aside: see services).
        Index("ix_seed_loans_round_member", "round_id", "membership_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]  # thousandths of the product's unit
    value: Mapped[int]  # minor units: her goods value of it in the round's split
    repay_mode: Mapped[str] = mapped_column(String(8))
    repay_bp: Mapped[int] = mapped_column(default=10000)
    due_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    note: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    delivery_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"))
    lock: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    membership: Mapped[Membership] = relationship()
    product: Mapped[Product] = relationship()
    repayments: Mapped[list[SeedRepayment]] = relationship(
        back_populates="loan", order_by="SeedRepayment.id")


class SeedRepayment(db.Model):  # type: ignore[name-defined,misc]
    """A repayment of a seed loan (or its write-off): `principal` clears her
    seed-loan account, `income` goes to the fund; `quantity` returned in kind."""

    __tablename__ = "seed_repayments"
    __table_args__ = (
        CheckConstraint("kind IN ('cash', 'kind', 'payout', 'write_off')", name="kind"),
        CheckConstraint("principal >= 0 AND income >= 0 AND principal + income > 0",
                        name="amounts"),
        CheckConstraint("quantity >= 0", name="quantity"),
        Index("uq_seed_repayments_group_id_idempotency_key", "group_id", "idempotency_key",
              unique=True),
        # A lot's payout is deducted once per loan, whatever the timing.
        Index("uq_seed_repayments_loan_id_lot_id", "loan_id", "lot_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("seed_loans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    principal: Mapped[int] = mapped_column(default=0)
    income: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[int] = mapped_column(default=0)
    method: Mapped[str | None] = mapped_column(String(16))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    # returned in kind into a sales lot in the fund's name: that contribution
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("sale_contributions.id"),
                                                        unique=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    loan: Mapped[SeedLoan] = relationship(back_populates="repayments")

    @property
    def amount(self) -> int:
        return self.principal + self.income


class SeedStockMove(db.Model):  # type: ignore[name-defined,misc]
    """The group's seed stock register: seed in (returned loans, brought in)
    and out, per product, with its value at the stated valuation."""

    __tablename__ = "seed_stock_moves"
    __table_args__ = (
        CheckConstraint("kind IN ('loan_return', 'out', 'in')", name="kind"),
        CheckConstraint("quantity <> 0", name="quantity"),
        Index("uq_seed_stock_moves_group_id_idempotency_key", "group_id", "idempotency_key",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]  # thousandths; positive in, negative out
    value: Mapped[int] = mapped_column(default=0)  # minor units, signed as quantity
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("seed_loans.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()
