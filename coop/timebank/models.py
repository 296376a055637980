"""The time bank: hours of help between the members of a group.

A transfer moves minutes from the account of the one who received help to
the account of the one who gave it. Only a confirmed transfer has movements,
and its movements add up to zero; balances are the sums of the movements,
never stored. Nothing is edited or deleted: a correction is a reversal."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db

TRANSFER_STATES = ("pending", "confirmed", "rejected")
# who recorded it and how: the receiver of the help (confirmed at once), the
# provider (pending), the coordinator from the paper register (on behalf),
# the bank (start credit, paying for the group's work), a reversal
TRANSFER_KINDS = ("exchange", "start_credit", "bank_payment", "donation", "reversal")
POST_KINDS = ("offer", "request")
ACCOUNT_KINDS = ("time_member", "time_bank")


class TimeBankSettings(db.Model):  # type: ignore[name-defined,misc]
    """A group's time bank and its rules. Its row is also the lock every path
    that moves hours takes first (`services.lock_bank`), so that two transfers
    of one group are checked one after the other, and the transfers' numbers
    are gapless (`last_number`)."""

    __tablename__ = "time_bank_settings"
    __table_args__ = (
        CheckConstraint("step_minutes > 0 AND step_minutes <= 60", name="step"),
        CheckConstraint("max_minutes_per_transfer > 0", name="max"),
        CheckConstraint("floor_minutes IS NULL OR floor_minutes <= 0", name="floor"),
        CheckConstraint("start_credit_minutes >= 0", name="start_credit"),
        CheckConstraint("last_number >= 0", name="last_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    step_minutes: Mapped[int] = mapped_column(default=15)
    max_minutes_per_transfer: Mapped[int] = mapped_column(default=720)
    floor_minutes: Mapped[int | None] = mapped_column(default=-600)
    warn_below_minutes: Mapped[int | None] = mapped_column(default=-300)
    warn_above_minutes: Mapped[int | None] = mapped_column(default=2400)
    start_credit_minutes: Mapped[int] = mapped_column(default=0)
    provider_may_record: Mapped[bool] = mapped_column(default=True)
    last_number: Mapped[int] = mapped_column(default=0)


class TimeAccount(db.Model):  # type: ignore[name-defined,misc]
    """One per membership, and one per group: the bank's."""

    __tablename__ = "time_accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('time_member', 'time_bank')", name="kind"),
        CheckConstraint("(kind = 'time_member') = (membership_id IS NOT NULL)",
                        name="member_link"),
        Index("uq_time_accounts_bank", "group_id", unique=True,
              sqlite_where=text("kind = 'time_bank'"),
              postgresql_where=text("kind = 'time_bank'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), unique=True)


class TimeCategory(db.Model):  # type: ignore[name-defined,misc]
    """A kind of help, the same for every group, named in each language."""

    __tablename__ = "time_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_ru: Mapped[str] = mapped_column(String(80))
    name_ky: Mapped[str] = mapped_column(String(80))
    name_tg: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, locale: str) -> str:
        return str(getattr(self, f"name_{locale}", None) or self.name_ru)


class TimePost(db.Model):  # type: ignore[name-defined,misc]
    """An offer of help or a request for it, on the group's notice board."""

    __tablename__ = "time_posts"
    __table_args__ = (CheckConstraint("kind IN ('offer', 'request')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("time_categories.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")
    active: Mapped[bool] = mapped_column(default=True)
    valid_until: Mapped[date] = mapped_column(Date)
    for_group: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[TimeCategory] = relationship()


class TimeBatch(db.Model):  # type: ignore[name-defined,misc]
    """Several transfers recorded together (a wedding: four women helped one
    family): all or nothing, once per key."""

    __tablename__ = "time_batches"
    __table_args__ = (UniqueConstraint("group_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimeTransfer(db.Model):  # type: ignore[name-defined,misc]
    """`minutes` of help given to the owner of `from_account` by the owner of
    `to_account`: when confirmed, `from` goes down and `to` goes up."""

    __tablename__ = "time_transfers"
    __table_args__ = (
        UniqueConstraint("group_id", "number"),
        CheckConstraint("state IN ('pending', 'confirmed', 'rejected')", name="state"),
        CheckConstraint("kind IN ('exchange', 'start_credit', 'bank_payment', 'donation', "
                        "'reversal')", name="kind"),
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint("from_account_id <> to_account_id", name="two_accounts"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal"),
        Index("uq_time_transfers_group_id_idempotency_key", "group_id", "idempotency_key",
              unique=True),
        # reversed at most once, whatever the timing
        Index("uq_time_transfers_reverses_id", "reverses_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), default="exchange")
    state: Mapped[str] = mapped_column(String(16))
    from_account_id: Mapped[int] = mapped_column(ForeignKey("time_accounts.id"), index=True)
    to_account_id: Mapped[int] = mapped_column(ForeignKey("time_accounts.id"), index=True)
    minutes: Mapped[int]
    category_id: Mapped[int] = mapped_column(ForeignKey("time_categories.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("time_posts.id"))
    date_of_service: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("time_transfers.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("time_batches.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[TimeCategory] = relationship()


class TimeMovement(db.Model):  # type: ignore[name-defined,misc]
    """One side of a confirmed transfer; immutable. One per account and
    transfer, so a transfer confirmed twice at once moves once."""

    __tablename__ = "time_movements"
    __table_args__ = (
        UniqueConstraint("transfer_id", "account_id"),
        CheckConstraint("minutes <> 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("time_transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("time_accounts.id"), index=True)
    minutes: Mapped[int]


class TimeCoordinator(db.Model):  # type: ignore[name-defined,misc]
    """A member the treasurer made a coordinator of the time bank: she keeps
    the register (paper slips, batches, imports), confirms and corrects
    records, and sees the bank's reports; nothing else of the treasurer's.
    The treasurer is a coordinator without a row here."""

    __tablename__ = "time_coordinators"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
