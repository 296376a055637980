"""Joint sales: lots of pooled produce, members' contributions (corrected by
new rows, never overwritten), buyers, sales, costs, and the closing.

Quantities in thousandths of the lot's unit, unit prices in millionths, price
factors in thousandths, money in minor units (coop.quantities, coop.money)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db
from coop.groups.models import Group, Membership

BUYER_KINDS = ("shop", "wholesaler", "market", "exporter")
COST_KINDS = ("transport", "market_fee", "packaging", "certification", "other")


class SaleLot(db.Model):  # type: ignore[name-defined,misc]
    """A lot of one product that the members pool and sell together. It takes
    the group's levy when created; the treasurer may change it until closing."""

    __tablename__ = "sale_lots"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'closed')", name="state"),
        CheckConstraint("levy_basis_points >= 0 AND levy_basis_points <= 10000", name="levy"),
        CheckConstraint("step > 0", name="step"),
        CheckConstraint("period_to IS NULL OR period_to >= period_from", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    product: Mapped[str] = mapped_column(String(160))
    unit: Mapped[str] = mapped_column(String(24))
    step: Mapped[int] = mapped_column(default=1000)  # smallest quantity, thousandths
    period_from: Mapped[date]
    period_to: Mapped[date | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    levy_basis_points: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default="open")
    # Bumped by every change of stock (contribution, correction, sale): the row
    # lock that serialises two sales of the last jars at the same moment.
    stock_lock: Mapped[int] = mapped_column(default=0, server_default="0")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship()
    grades: Mapped[list[SaleGrade]] = relationship(
        back_populates="lot", order_by="SaleGrade.position, SaleGrade.id",
        cascade="all, delete-orphan")


class SaleGrade(db.Model):  # type: ignore[name-defined,misc]
    """A quality grade of a lot and its price factor (thousandths: 800 = 0.8).
    `unsold_action` is what the closing decided for what was left of it."""

    __tablename__ = "sale_grades"
    __table_args__ = (
        UniqueConstraint("lot_id", "name"),
        CheckConstraint("factor > 0 AND factor <= 100000", name="factor"),
        CheckConstraint("unsold_action IS NULL OR unsold_action IN ('return', 'carry')",
                        name="unsold_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(80))
    factor: Mapped[int] = mapped_column(default=1000)
    unsold_action: Mapped[str | None] = mapped_column(String(8))

    lot: Mapped[SaleLot] = relationship(back_populates="grades")


class Contribution(db.Model):  # type: ignore[name-defined,misc]
    """Produce a member brought, as recorded. Never edited: a correction is a
    new row (`kind` 'correction') with the signed change, referring to the
    contribution it corrects; 'carried' rows come from a closed lot's unsold."""

    __tablename__ = "sale_contributions"
    __table_args__ = (
        CheckConstraint("kind IN ('delivery', 'correction', 'carried')", name="kind"),
        CheckConstraint("(kind = 'correction') = (corrects_id IS NOT NULL)", name="corrects"),
        CheckConstraint("kind = 'correction' OR quantity > 0", name="quantity"),
        CheckConstraint("quantity <> 0", name="nonzero"),
        Index("uq_sale_contributions_lot_id_idempotency_key", "lot_id", "idempotency_key",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("sale_grades.id"), index=True)
    quantity: Mapped[int]  # thousandths; a correction's may be negative
    kind: Mapped[str] = mapped_column(String(16), default="delivery")
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("sale_contributions.id"),
                                                    index=True)
    brought_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(300), default="")
    # the form's: the same form sent twice records once (a correction's rows share it)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # Produce she brought to repay this seed loan in kind: hers physically, but
    # its share of the lot goes to the solidarity fund (coop.season.loans).
    seed_loan_id: Mapped[int | None] = mapped_column(ForeignKey("seed_loans.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    membership: Mapped[Membership] = relationship()
    grade: Mapped[SaleGrade] = relationship()


class Buyer(db.Model):  # type: ignore[name-defined,misc]
    """Someone the group sells to: a shop, a wholesaler, a market, an exporter."""

    __tablename__ = "sale_buyers"
    __table_args__ = (
        UniqueConstraint("group_id", "name"),
        CheckConstraint("kind IN ('shop', 'wholesaler', 'market', 'exporter')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    contact: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16), default="shop")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sale(db.Model):  # type: ignore[name-defined,misc]
    """A sale of part of a lot to a buyer, paid into the group's cash (the
    posting), or paid later (`paid_later`): then the posting is what the buyer
    owes (the group's `buyers` account) and her payments (SalePayment) bring
    the money in, by `due_on` if a day was agreed. A mistaken sale is
    cancelled by a reversal, never deleted."""

    __tablename__ = "sales"
    __table_args__ = (
        Index("uq_sales_lot_id_idempotency_key", "lot_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("sale_buyers.id"), index=True)
    sold_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(300), default="")
    # the form's, kept here too: a sale at price 0 makes no entry to keep it
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), index=True)
    # the buyer pays later: the posting is a debt (buyers ← payables), paid by SalePayment
    paid_later: Mapped[bool] = mapped_column(default=False, server_default=false())
    due_on: Mapped[date | None]  # the day agreed to pay by, if any
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    cancel_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"),
                                                          index=True)

    buyer: Mapped[Buyer] = relationship()
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.id", cascade="all, delete-orphan")

    @property
    def revenue(self) -> int:
        return sum(line.amount for line in self.lines)


class SalePayment(db.Model):  # type: ignore[name-defined,misc]
    """What a buyer paid of a sale paid later, on a day, by cash, bank or
    mobile money (the posting: that money account ← buyers). A payment
    recorded by mistake is cancelled by a reversal, never edited."""

    __tablename__ = "sale_payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("method IN ('cash', 'bank', 'mobile')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"), index=True)
    amount: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    paid_on: Mapped[date]
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    cancel_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"),
                                                          index=True)


class SaleLine(db.Model):  # type: ignore[name-defined,misc]
    """How much of a grade a sale sold, at what unit price (millionths), and
    the line's amount (half-up, minor units) as it was invoiced."""

    __tablename__ = "sale_lines"
    __table_args__ = (
        UniqueConstraint("sale_id", "grade_id"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"), index=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("sale_grades.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[int]
    amount: Mapped[int]

    sale: Mapped[Sale] = relationship(back_populates="lines")
    grade: Mapped[SaleGrade] = relationship()


class SaleCost(db.Model):  # type: ignore[name-defined,misc]
    """A cost of selling a lot, paid from the group's cash (the posting), and
    how it is shared: by contributed value, by quantity, or equally."""

    __tablename__ = "sale_costs"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("kind IN ('transport', 'market_fee', 'packaging', 'certification', "
                        "'other')", name="kind"),
        CheckConstraint("rule IN ('value', 'quantity', 'equal')", name="rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(160), default="")
    amount: Mapped[int]
    rule: Mapped[str] = mapped_column(String(16), default="value")
    paid_on: Mapped[date]
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    cancel_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"),
                                                          index=True)


class LotClosing(db.Model):  # type: ignore[name-defined,misc]
    """The split a lot was closed with, kept as it was (one per lot): its
    inputs and its result, as JSON, and the new lot the unsold was carried to."""

    __tablename__ = "sale_lot_closings"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), unique=True)
    input_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    levy_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"))
    carried_to_id: Mapped[int | None] = mapped_column(ForeignKey("sale_lots.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SalePayout(db.Model):  # type: ignore[name-defined,misc]
    """A member's payout of a closed lot, as posted to her account."""

    __tablename__ = "sale_payouts"
    __table_args__ = (UniqueConstraint("lot_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    amount: Mapped[int]  # minor units; negative when the costs were more than her share
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"))

    lot: Mapped[SaleLot] = relationship()


class FundPayout(db.Model):  # type: ignore[name-defined,misc]
    """The share of a closed lot earned by produce returned for a seed loan:
    posted to the solidarity fund, not to the borrower (one per lot and loan)."""

    __tablename__ = "sale_fund_payouts"
    __table_args__ = (UniqueConstraint("lot_id", "seed_loan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    seed_loan_id: Mapped[int] = mapped_column(ForeignKey("seed_loans.id"), index=True)
    amount: Mapped[int]  # minor units; negative when the costs were more than its share
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"))
    # the produce's value as returned, leaving the seed stock account (seed_return_lot)
    value_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"))


class CashPayout(db.Model):  # type: ignore[name-defined,misc]
    """Cash the treasurer handed to a member out of what her account holds.
    The idempotency key comes from the form: a double click pays once."""

    __tablename__ = "sale_cash_payouts"
    __table_args__ = (
        UniqueConstraint("group_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("sale_lots.id"), index=True)
    amount: Mapped[int]
    note: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
