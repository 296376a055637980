"""A savings group's books (spec/savings.md §3): the cycle and its settings,
the members with their passbook numbers, the key-holders, the meetings and
what was entered at each, the loans and their schedules, the share-out.

What a meeting records is kept as entered (the draft while the meeting is
open); the figures derived from it (loan states, installments, fine states)
are written at each close by the engine (`coop.savings.domain`) and the money
itself lives in the ledger (account kinds `sg_*`, postings with
`sg_meeting_id`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db

CYCLE_STATES = ("draft", "active", "sharing_out", "closed", "cancelled")
MEETING_STATES = ("open", "closed")
MEETING_KINDS = ("regular", "share_out")
ATTENDANCE = ("present", "represented", "absent")
LOAN_STATES = ("draft", "active", "repaid", "written_off", "set_off", "cancelled")
FINE_STATES = ("draft", "due", "paid", "waived", "set_off")
FUNDS = ("loan", "social")
METHODS = ("flat", "declining")
WITHDRAWAL_RULES = ("savings_only", "with_profit")


class SavingsCycle(db.Model):  # type: ignore[name-defined,misc]
    """One savings period of a group, ending in a share-out. Its settings are
    fixed once it is active (a new share value is a new cycle)."""

    __tablename__ = "savings_cycles"
    __table_args__ = (
        UniqueConstraint("group_id", "number"),
        CheckConstraint("state IN ('draft', 'active', 'sharing_out', 'closed', 'cancelled')",
                        name="state"),
        CheckConstraint("share_value >= 1", name="share_value"),
        CheckConstraint("min_shares >= 0 AND max_shares >= 1 AND min_shares <= max_shares "
                        "AND max_shares <= 20", name="shares"),
        CheckConstraint("interest_method IN ('flat', 'declining')", name="method"),
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 2000", name="rate"),
        CheckConstraint("withdrawal_rule IN ('savings_only', 'with_profit')",
                        name="withdrawal_rule"),
        CheckConstraint("confirmations_required >= 1 AND confirmations_required <= 3",
                        name="confirmations"),
        # One cycle of a group runs at a time.
        Index("uq_savings_cycles_running", "group_id", unique=True,
              sqlite_where=text("state IN ('active', 'sharing_out')"),
              postgresql_where=text("state IN ('active', 'sharing_out')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default="draft")
    start_date: Mapped[date]
    share_out_date: Mapped[date]
    share_value: Mapped[int]
    min_shares: Mapped[int] = mapped_column(default=1)
    max_shares: Mapped[int] = mapped_column(default=5)
    social_contribution: Mapped[int] = mapped_column(default=0)
    interest_method: Mapped[str] = mapped_column(String(16), default="flat")
    rate_bp: Mapped[int] = mapped_column(default=1000)
    loan_multiple: Mapped[int] = mapped_column(default=300)
    max_term_months: Mapped[int] = mapped_column(default=3)
    loan_unit: Mapped[int] = mapped_column(default=100)
    payout_unit: Mapped[int] = mapped_column(default=1)
    confirm_loans_above: Mapped[int] = mapped_column(default=0)
    confirmations_required: Mapped[int] = mapped_column(default=2)
    withdrawal_rule: Mapped[str] = mapped_column(String(16), default="savings_only")
    members_see_all_lines: Mapped[bool] = mapped_column(default=True)
    # The social fund it starts with: what the previous cycle carried over, or
    # what a group that adopts Coop mid-cycle brings (§4.3) with its income so far.
    opening_social: Mapped[int] = mapped_column(default=0)
    opening_income: Mapped[int] = mapped_column(default=0, server_default="0")
    adopted_mid_cycle: Mapped[bool] = mapped_column(default=False, server_default=false())
    activated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every change of the cycle's meetings: the row lock that
    # serialises two treasurers closing, reopening or sharing out at once.
    version: Mapped[int] = mapped_column(default=0)

    fine_types: Mapped[list[FineType]] = relationship(
        order_by="FineType.position", cascade="all, delete-orphan")
    members: Mapped[list[CycleMember]] = relationship(order_by="CycleMember.passbook_no")
    key_holders: Mapped[list[KeyHolder]] = relationship(
        order_by="KeyHolder.position", cascade="all, delete-orphan")


class FineType(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_fine_types"
    __table_args__ = (
        UniqueConstraint("cycle_id", "code"),
        CheckConstraint("default_amount > 0", name="amount"),
        CheckConstraint("to_fund IN ('loan', 'social')", name="fund"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("savings_cycles.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    default_amount: Mapped[int]
    to_fund: Mapped[str] = mapped_column(String(8), default="loan")


class CycleMember(db.Model):  # type: ignore[name-defined,misc]
    """A member of the group enrolled in a cycle; her passbook number is the
    order of the passbook and the tie-break of every split."""

    __tablename__ = "savings_cycle_members"
    __table_args__ = (
        UniqueConstraint("cycle_id", "passbook_no"),
        UniqueConstraint("cycle_id", "membership_id"),
        CheckConstraint("state IN ('active', 'withdrawn', 'shared_out')", name="state"),
        CheckConstraint("passbook_no >= 1 AND joined_meeting_no >= 1", name="numbers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("savings_cycles.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    passbook_no: Mapped[int]
    joined_meeting_no: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(16), default="active")
    # Brought in from the paper books when the group adopts Coop mid-cycle (§4.3).
    opening_shares: Mapped[int] = mapped_column(default=0, server_default="0")
    opening_loan_principal: Mapped[int] = mapped_column(default=0, server_default="0")
    opening_loan_interest: Mapped[int] = mapped_column(default=0, server_default="0")
    opening_due_dates: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The meeting at which she leaves (a draft while that meeting is open).
    withdrawn_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("savings_meetings.id", use_alter=True))

    membership = relationship("Membership")

    @property
    def name(self) -> str:
        return str(self.membership.user.name)


class KeyHolder(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_key_holders"
    __table_args__ = (
        UniqueConstraint("cycle_id", "position"),
        UniqueConstraint("cycle_id", "membership_id"),
        CheckConstraint("position BETWEEN 1 AND 3", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("savings_cycles.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    position: Mapped[int]

    membership = relationship("Membership")


class SavingsMeeting(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_meetings"
    __table_args__ = (
        UniqueConstraint("cycle_id", "number"),
        CheckConstraint("state IN ('open', 'closed')", name="state"),
        CheckConstraint("kind IN ('regular', 'share_out')", name="kind"),
        # One meeting of a cycle is open at a time.
        Index("uq_savings_meetings_open", "cycle_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("savings_cycles.id"), index=True)
    number: Mapped[int]
    date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16), default="regular")
    state: Mapped[str] = mapped_column(String(8), default="open")
    note: Mapped[str] = mapped_column(String(2000), default="")
    # Cash counted in each bag at the opening and at the close (minor units).
    opening_loan_count: Mapped[int | None]
    opening_social_count: Mapped[int | None]
    closing_loan_count: Mapped[int | None]
    closing_social_count: Mapped[int | None]
    # How many times it was reopened: confirmations belong to one closing.
    reopened: Mapped[int] = mapped_column(default=0)
    reopen_reason: Mapped[str] = mapped_column(String(500), default="")
    # Its meeting record is the document of subject `savings_meeting:m{id}:c{reopened}`
    # (no link back from the meeting: documents refer to postings, postings to meetings).
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(db.Model):  # type: ignore[name-defined,misc]
    """One line of the attendance-cum-savings register: her roll call, the
    shares she bought and the social contribution she paid at a meeting."""

    __tablename__ = "savings_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "cycle_member_id"),
        CheckConstraint("status IN ('present', 'represented', 'absent')", name="status"),
        CheckConstraint("shares >= 0 AND social >= 0", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("savings_meetings.id"), index=True)
    cycle_member_id: Mapped[int] = mapped_column(ForeignKey("savings_cycle_members.id"))
    status: Mapped[str] = mapped_column(String(12))
    shares: Mapped[int] = mapped_column(default=0)  # shares bought at this meeting
    social: Mapped[int] = mapped_column(default=0)  # social contribution paid


class Repayment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_repayments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("savings_meetings.id"), index=True)
    cycle_member_id: Mapped[int] = mapped_column(ForeignKey("savings_cycle_members.id"))
    amount: Mapped[int]
    # How the close applied it (interest first, then principal).
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("savings_loans.id"))
    interest_part: Mapped[int] = mapped_column(default=0)
    principal_part: Mapped[int] = mapped_column(default=0)


class Fine(db.Model):  # type: ignore[name-defined,misc]
    """Imposed at `meeting_id`; paid at once, or later at `paid_meeting_id`, or
    waived at `waived_meeting_id`."""

    __tablename__ = "savings_fines"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("state IN ('draft', 'due', 'paid', 'waived', 'set_off')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a fine still owed when the group adopted Coop mid-cycle (§4.3).
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("savings_meetings.id"),
                                                   index=True)
    cycle_member_id: Mapped[int] = mapped_column(ForeignKey("savings_cycle_members.id"))
    fine_type_id: Mapped[int] = mapped_column(ForeignKey("savings_fine_types.id"))
    amount: Mapped[int]
    paid_at_once: Mapped[bool] = mapped_column(default=False)
    paid_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("savings_meetings.id"))
    waived_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("savings_meetings.id"))
    waive_reason: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(8), default="draft")

    fine_type: Mapped[FineType] = relationship()


class SocialGrant(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_social_grants"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("savings_meetings.id"), index=True)
    cycle_member_id: Mapped[int] = mapped_column(ForeignKey("savings_cycle_members.id"))
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))


class SavingsLoan(db.Model):  # type: ignore[name-defined,misc]
    """Disbursed at `meeting_id` (a draft while that meeting is open); numbered
    in the cycle at the close."""

    __tablename__ = "savings_loans"
    __table_args__ = (
        CheckConstraint("principal > 0", name="principal"),
        CheckConstraint("term_months BETWEEN 1 AND 12", name="term"),
        CheckConstraint("state IN ('draft', 'active', 'repaid', 'written_off', 'set_off', "
                        "'cancelled')", name="state"),
        UniqueConstraint("cycle_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("savings_cycles.id"), index=True)
    # None for a loan brought in from the paper books (§4.3).
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("savings_meetings.id"),
                                                   index=True)
    cycle_member_id: Mapped[int] = mapped_column(ForeignKey("savings_cycle_members.id"))
    number: Mapped[int | None]
    principal: Mapped[int]
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default="draft")
    interest_charged: Mapped[int] = mapped_column(default=0)
    written_off_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("savings_meetings.id"))
    write_off_reason: Mapped[str] = mapped_column(String(500), default="")
    closed_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("savings_meetings.id"))

    installments: Mapped[list[Installment]] = relationship(
        order_by="Installment.seq", cascade="all, delete-orphan")


class Installment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_installments"
    __table_args__ = (UniqueConstraint("loan_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("savings_loans.id"), index=True)
    seq: Mapped[int]
    due_date: Mapped[date]
    principal_due: Mapped[int]
    interest_due: Mapped[int | None]
    principal_paid: Mapped[int] = mapped_column(default=0)
    interest_paid: Mapped[int] = mapped_column(default=0)
    falls_due_meeting_no: Mapped[int | None]


class CashDifference(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_cash_differences"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount"),
        CheckConstraint("bag IN ('loan', 'social')", name="bag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("savings_meetings.id"), index=True)
    bag: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int]  # counted − expected
    reason: Mapped[str] = mapped_column(String(500))


class Correction(db.Model):  # type: ignore[name-defined,misc]
    """A correction entered at a meeting, confirmed with its close by two
    key-holders at least: her shares adjusted for a mistake in an older
    meeting's record (§5.4), or interest on her loan waived (§6.3)."""

    __tablename__ = "savings_corrections"
    __table_args__ = (
        CheckConstraint("kind IN ('shares', 'interest')", name="kind"),
        CheckConstraint("(kind = 'shares' AND shares <> 0 AND amount = 0) OR "
                        "(kind = 'interest' AND shares = 0 AND amount > 0)", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("savings_meetings.id"), index=True)
    cycle_member_id: Mapped[int] = mapped_column(ForeignKey("savings_cycle_members.id"))
    kind: Mapped[str] = mapped_column(String(8))
    shares: Mapped[int] = mapped_column(default=0)  # more (or, negative, fewer) shares
    amount: Mapped[int] = mapped_column(default=0)  # interest waived
    reason: Mapped[str] = mapped_column(String(500))


class Confirmation(db.Model):  # type: ignore[name-defined,misc]
    """A key-holder confirms a count, a loan, a write-off, a reopening or the
    share-out; recorded by the treasurer for one without a login."""

    __tablename__ = "savings_confirmations"
    __table_args__ = (
        UniqueConstraint("meeting_id", "subject", "closing", "key_holder_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    # None for the opening count of a group that adopted Coop mid-cycle
    # (subject `opening:<cycle id>`, recorded once, at the activation).
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("savings_meetings.id"),
                                                   index=True)
    subject: Mapped[str] = mapped_column(String(32))  # close, reopen, share_out, opening:…
    closing: Mapped[int] = mapped_column(default=0)  # the meeting's `reopened` at the time
    key_holder_id: Mapped[int] = mapped_column(ForeignKey("savings_key_holders.id"))
    on_behalf: Mapped[bool] = mapped_column(default=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    key_holder: Mapped[KeyHolder] = relationship()


class ShareOut(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_share_outs"
    __table_args__ = (
        UniqueConstraint("cycle_id"),
        CheckConstraint("state IN ('confirmed')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("savings_cycles.id"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("savings_meetings.id"))
    equity: Mapped[int]
    total_shares: Mapped[int]
    payout_unit: Mapped[int]
    state: Mapped[str] = mapped_column(String(12), default="confirmed")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[ShareOutLine]] = relationship(
        order_by="ShareOutLine.passbook_no", cascade="all, delete-orphan")


class ShareOutLine(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "savings_share_out_lines"
    __table_args__ = (UniqueConstraint("share_out_id", "cycle_member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    share_out_id: Mapped[int] = mapped_column(ForeignKey("savings_share_outs.id"), index=True)
    cycle_member_id: Mapped[int] = mapped_column(ForeignKey("savings_cycle_members.id"))
    passbook_no: Mapped[int]
    shares: Mapped[int]
    savings: Mapped[int]
    profit: Mapped[int]
    entitlement: Mapped[int]
    set_off: Mapped[int]
    net: Mapped[int]
    cash: Mapped[int]
    residual: Mapped[int]
