from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db

# cash, bank and mobile are the group's money, one account per way of holding
# it; suppliers is what the group still owes for purchases that no supplier
# account carries (transport, bills settled before supplier accounts);
# supplier is what it owes one supplier (coop/payables); seed_loan is what a
# member owes the fund for seed it lent her, apart from her purchases, and
# seed_stock the value of the seed in the group's stock (coop/season).
# equipment is the maintenance fund of one jointly owned asset (coop/equipment).
# buyers is what buyers of joint sales still owe the group (sales paid later).
ACCOUNT_KINDS = ("member", "fund", "cash", "suppliers", "bank", "mobile", "supplier",
                 "seed_loan", "seed_stock", "equipment", "buyers",
                 *("sg_shares", "sg_loan", "sg_dues", "sg_box_loan", "sg_box_social",
                   "sg_income", "sg_social"))
MEMBER_KINDS = ("member", "seed_loan")
# A savings group's accounts (coop/savings, spec/savings.md §8), apart from the
# purchase accounts: savings are not purchase credit. The first three are a
# cycle member's, the others the group's.
SAVINGS_MEMBER_KINDS = ("sg_shares", "sg_loan", "sg_dues")
SAVINGS_GROUP_KINDS = ("sg_box_loan", "sg_box_social", "sg_income", "sg_social")
MONEY_KINDS = ("cash", "bank", "mobile")


class Account(db.Model):  # type: ignore[name-defined,misc]
    """One per member per group, plus the group's fund, its money (cash, bank,
    mobile wallet), what it owes for purchases, and one per supplier. Its
    balance is derived from the postings, never stored."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("group_id", "kind", "membership_id"),
        CheckConstraint("kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', "
                        "'supplier', 'seed_loan', 'seed_stock', 'equipment', 'buyers', "
                        "'sg_shares', 'sg_loan', 'sg_dues', 'sg_box_loan', 'sg_box_social', "
                        "'sg_income', 'sg_social')", name="kind"),
        CheckConstraint("(kind IN ('sg_shares', 'sg_loan', 'sg_dues')) = "
                        "(cycle_member_id IS NOT NULL)", name="cycle_member_link"),
        UniqueConstraint("kind", "cycle_member_id"),
        CheckConstraint("(kind IN ('member', 'seed_loan')) = (membership_id IS NOT NULL)",
                        name="member_link"),
        CheckConstraint("(kind = 'supplier') = (supplier_id IS NOT NULL)", name="supplier_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # one account of each member kind per membership (the unique constraint above)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), unique=True)
    cycle_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("savings_cycle_members.id"), index=True)


class Posting(db.Model):  # type: ignore[name-defined,misc]
    """An immutable double-entry movement: `amount` leaves the debit account's
    credit and enters the credit account's. Corrections are new postings."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        # A form's key, kept with the entry it made: the same form sent twice
        # (a double click, Back and resend) finds the first entry. (Unique
        # indexes, not constraints: SQLite adds them without rebuilding the table.)
        Index("uq_postings_group_id_idempotency_key", "group_id", "idempotency_key",
              unique=True),
        # A posting is reversed at most once, whatever the timing.
        Index("uq_postings_reverses_id", "reverses_id", unique=True),
        # A savings meeting's postings, and all a programme's indicators need of
        # them read from the index alone (coop/savings/indicators.py: every
        # posting of 1,000 groups is summed per meeting); purchase postings
        # (no meeting) are not in it.
        Index("ix_postings_sg_meeting", "sg_meeting_id", "debit_account_id",
              "credit_account_id", "amount", "kind",
              sqlite_where=text("sg_meeting_id IS NOT NULL"),
              postgresql_where=text("sg_meeting_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[int]  # minor units, always positive
    kind: Mapped[str] = mapped_column(String(24))  # charge, payment, levy, write_off, …
    memo: Mapped[str] = mapped_column(String(300), default="")
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    sg_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("savings_meetings.id"))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    debit_account: Mapped[Account] = relationship(foreign_keys=[debit_account_id])
    credit_account: Mapped[Account] = relationship(foreign_keys=[credit_account_id])


PAYMENT_METHODS = ("cash", "bank", "mobile")


class Payment(db.Model):  # type: ignore[name-defined,misc]
    """A member's payment into the group's cash. The idempotency key comes from
    the form, so a double click or a resent form records one payment."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("group_id", "idempotency_key"),
        UniqueConstraint("group_id", "receipt_year", "receipt_seq"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("method IN ('cash', 'bank', 'mobile')", name="method"),
        CheckConstraint("receipt_seq > 0", name="receipt_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    amount: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(120), default="")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"))
    # The receipt's number: gapless per group and year (RCPT-2026-0007).
    receipt_year: Mapped[int]
    receipt_seq: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def receipt_number(self) -> str:
        return f"{self.receipt_year}-{self.receipt_seq:04d}"
