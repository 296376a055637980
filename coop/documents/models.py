"""Issued documents: numbered, stored as they were printed, never changed.

A counter row per (group, type, year) hands out the numbers; it is locked by
an UPDATE while a number is taken, so numbers are gapless and unique even
when many documents are issued at the same moment (coop.documents.services)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import utcnow
from coop.extensions import db

# Issued (numbered and stored) document types and their number prefixes.
PURCHASE_ORDER, INVOICE, CREDIT_NOTE, SALES_INVOICE = (
    "purchase_order", "invoice", "credit_note", "sales_invoice")
# A savings group's meeting record and share-out sheet (coop/savings).
SAVINGS_MEETING, SAVINGS_SHARE_OUT = "savings_meeting", "savings_share_out"
# What a supplier delivered against her purchase order, signed on delivery day.
DISCREPANCY_REPORT = "discrepancy_report"
ISSUED_TYPES = (PURCHASE_ORDER, INVOICE, CREDIT_NOTE, SALES_INVOICE, SAVINGS_MEETING,
                SAVINGS_SHARE_OUT, DISCREPANCY_REPORT)


class DocumentCounter(db.Model):  # type: ignore[name-defined,misc]
    """The last number handed out for one type of document of a group in a year."""

    __tablename__ = "document_counters"
    __table_args__ = (
        UniqueConstraint("group_id", "doc_type", "year"),
        CheckConstraint("last >= 0", name="last"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(24))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class Document(db.Model):  # type: ignore[name-defined,misc]
    """A numbered PDF as it was issued: its bytes and their SHA-256.

    `subject` names what it is the document of ("invoice:r12:m34"): one
    document per subject, so issuing it again finds the first one."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("group_id", "doc_type", "number"),
        UniqueConstraint("group_id", "subject"),
        CheckConstraint(
            "doc_type IN ('purchase_order', 'invoice', 'credit_note', 'sales_invoice', "
            "'savings_meeting', 'savings_share_out', 'discrepancy_report')",
            name="doc_type"),
        CheckConstraint("seq > 0", name="seq"),
        CheckConstraint("size > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(24))
    year: Mapped[int]
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(32))  # INV-2026-0007
    subject: Mapped[str] = mapped_column(String(64))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    # A credit note: the invoice it corrects and the ledger entry it documents; a
    # savings meeting record issued again after a reopening, a discrepancy report
    # issued again after the delivery's record changed: the one it replaces.
    refers_to_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), index=True)
    amount: Mapped[int | None]  # the document's total, minor units (for listings)
    locale: Mapped[str] = mapped_column(String(8))
    issued_on: Mapped[date]  # the date printed on it (the group's day)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Loaded only when asked for: listings never read the bytes.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"
