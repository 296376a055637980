from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import utcnow
from coop.extensions import db


class SupplierPayment(db.Model):  # type: ignore[name-defined,misc]
    """The group pays a supplier, in cash, by bank or from the mobile wallet,
    for a round or on account. The idempotency key comes from the form (or the
    API's header), so a double click or a resent form records one payment."""

    __tablename__ = "supplier_payments"
    __table_args__ = (
        UniqueConstraint("group_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("method IN ('cash', 'bank', 'mobile')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    amount: Mapped[int]  # minor units
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(120), default="")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
