"""The indicators of savings groups (spec/savings.md §11), from the books.

For one group or a whole programme (every group of the installation, or of a
region), as of a group's last closed meeting or as of the last meeting it
closed in each quarter (SAVIX reports quarterly). The figures come from SQL
aggregates over the ledger (accounts `sg_*`), the attendance register, the
loans with their installments and repayments, and the grants: eight queries
(two more when a cycle was adopted mid-way, for its opening balances),
however many groups, members and meetings there are.

Each as-of point is a closed meeting t of a cycle. Postings, repayments and
grants count if their meeting is one of the cycle's meetings 1..t; at a
share-out meeting the figures are those before the share-out (the share-out
postings are left out, and the loans it sets off are still outstanding), as
the engine (`domain._Cycle._indicators`) gives them.

A set of groups sums numerators and denominators (`Figures.__add__`) and
never averages percentages; money is summed per currency only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, case, cast, extract, func, or_, select
from sqlalchemy.orm import Session, aliased

from coop.groups.models import Group
from coop.ledger.models import Account, Posting
from coop.money import half_up_div
from coop.savings.domain import ATTENDANCE_WINDOW, PAR_DAYS, percentage
from coop.savings.models import (
    Attendance,
    CycleMember,
    Fine,
    FineType,
    Installment,
    Repayment,
    SavingsCycle,
    SavingsLoan,
    SavingsMeeting,
    SocialGrant,
)

# Postings of the share-out itself: left out at a share-out meeting (the
# indicators are taken before it).
SHARE_OUT_KINDS = ("sg_profit", "sg_set_off", "sg_residual", "sg_bag_move", "sg_payout")
LEDGER_KINDS = ("sg_box_loan", "sg_box_social", "sg_income", "sg_social", "sg_shares",
                "sg_loan", "sg_dues")
GONE_LOAN_STATES = ("draft", "cancelled")


@dataclass
class Figures:
    """The sums behind the indicators: integers (money in minor units) that
    add up across groups of one currency."""

    groups: int = 0
    members: int = 0
    members_at_start: int = 0
    withdrawn: int = 0
    present: int = 0
    represented: int = 0
    enrolled: int = 0
    savings: int = 0
    loans_outstanding_count: int = 0
    loans_outstanding: int = 0
    interest_receivable: int = 0
    loans_disbursed_count: int = 0
    loans_disbursed: int = 0
    loan_bag: int = 0
    social_bag: int = 0
    at_risk: int = 0
    at_risk_30: int = 0
    net_income: int = 0
    savings_days: int = 0  # Σ SV × days: the denominator of the annualised return
    written_off: int = 0
    social_fund: int = 0
    grants_count: int = 0
    grants: int = 0
    fines_due: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                          for f in fields(self)})

    # -- the indicators: percentages in exact tenths, None for a zero denominator

    @staticmethod
    def tenths(numerator: int, denominator: int) -> int | None:
        return half_up_div(1000 * numerator, denominator) if denominator > 0 else None

    @property
    def drop_out_rate(self) -> int | None:
        return self.tenths(self.withdrawn, self.members_at_start)

    @property
    def attendance_in_person(self) -> int | None:
        return self.tenths(self.present, self.enrolled)

    @property
    def attendance_with_representative(self) -> int | None:
        return self.tenths(self.present + self.represented, self.enrolled)

    @property
    def savings_per_member(self) -> int | None:
        return half_up_div(self.savings, self.members) if self.members else None

    @property
    def members_with_loan(self) -> int | None:
        return self.tenths(self.loans_outstanding_count, self.members)

    @property
    def average_loan(self) -> int | None:
        return (half_up_div(self.loans_disbursed, self.loans_disbursed_count)
                if self.loans_disbursed_count else None)

    @property
    def loan_fund_utilisation(self) -> int | None:
        return self.tenths(self.loans_outstanding, self.loans_outstanding + self.loan_bag)

    @property
    def par0(self) -> int | None:
        return self.tenths(self.at_risk, self.loans_outstanding)

    @property
    def par30(self) -> int | None:
        return self.tenths(self.at_risk_30, self.loans_outstanding)

    @property
    def return_on_savings(self) -> int | None:
        return self.tenths(self.net_income, self.savings)

    @property
    def return_on_savings_annualised(self) -> int | None:
        return self.tenths(self.net_income * 365, self.savings_days)

    @property
    def write_off_ratio(self) -> int | None:
        return self.tenths(self.written_off, self.loans_disbursed)

    @property
    def total_assets(self) -> int:
        return (self.loan_bag + self.social_bag + self.loans_outstanding
                + self.interest_receivable + self.fines_due)


@dataclass
class GroupIndicators:
    """One group as of one closed meeting."""

    group_id: int
    group_name: str
    village: str
    region: str
    currency: str
    language: str
    cycle_id: int
    cycle_number: int
    meeting_id: int
    meeting_number: int
    date: date
    figures: Figures = field(default_factory=Figures)

    @property
    def quarter(self) -> tuple[int, int]:
        return self.date.year, (self.date.month - 1) // 3 + 1

    def engine_dict(self) -> dict[str, Any]:
        """As `coop.savings.preview` writes its `indicators` (without the
        projected share-out): for comparing with the engine."""
        f = self.figures
        digits = 2

        def money(minor: int | None) -> str | None:
            if minor is None:
                return None
            whole, part = divmod(abs(minor), 10**digits)
            return f"{'-' if minor < 0 else ''}{whole}.{part:0{digits}d}"

        return {
            "as_of_meeting": self.meeting_number, "date": self.date.isoformat(),
            "members": f.members, "members_at_start": f.members_at_start,
            "withdrawn": f.withdrawn,
            "drop_out_rate": percentage(f.withdrawn, f.members_at_start),
            "attendance_in_person": percentage(f.present, f.enrolled),
            "attendance_with_representative": percentage(f.present + f.represented, f.enrolled),
            "savings": money(f.savings), "savings_per_member": money(f.savings_per_member),
            "loans_outstanding_count": f.loans_outstanding_count,
            "loans_outstanding": money(f.loans_outstanding),
            "interest_receivable": money(f.interest_receivable),
            "members_with_loan": percentage(f.loans_outstanding_count, f.members),
            "loans_disbursed_count": f.loans_disbursed_count,
            "loans_disbursed": money(f.loans_disbursed), "average_loan": money(f.average_loan),
            "loan_fund_utilisation": percentage(f.loans_outstanding,
                                                f.loans_outstanding + f.loan_bag),
            "par0": percentage(f.at_risk, f.loans_outstanding),
            "par30": percentage(f.at_risk_30, f.loans_outstanding),
            "net_income": money(f.net_income),
            "return_on_savings": percentage(f.net_income, f.savings),
            "return_on_savings_annualised": percentage(f.net_income * 365, f.savings_days),
            "written_off": money(f.written_off),
            "write_off_ratio": percentage(f.written_off, f.loans_disbursed),
            "social_fund": money(f.social_fund), "grants_count": f.grants_count,
            "grants": money(f.grants), "fines_due": money(f.fines_due),
            "total_assets": money(f.total_assets),
        }


# --------------------------------------------------------------------------
# The as-of points: one closed meeting per group (and per quarter)
# --------------------------------------------------------------------------


def _points(*, group_ids: Sequence[int] | None, region: str | None, cycle_id: int | None,
            by_quarter: bool) -> Any:
    """(meeting id, cycle id, t, date, kind) of each as-of meeting: per group
    (and quarter), its last closed meeting."""
    m = SavingsMeeting
    keys: list[Any] = [m.group_id]
    if by_quarter:
        keys.append(cast(extract("year", m.date), Integer) * 4
                    + (cast(extract("month", m.date), Integer) - 1) // 3)
    last = select(*keys, func.max(m.date).label("last_date")).where(m.state == "closed")
    if cycle_id is not None:
        last = last.where(m.cycle_id == cycle_id)
    if group_ids is not None:
        last = last.where(m.group_id.in_(list(group_ids)))
    if region is not None:
        last = last.join(Group, Group.id == m.group_id).where(Group.region == region)
    last_sub = last.group_by(*keys).subquery()
    chosen = aliased(SavingsMeeting)
    query = select(chosen.id.label("pm_id"), chosen.cycle_id, chosen.number.label("t"),
                   chosen.date.label("day"), chosen.kind).join(
        last_sub, and_(chosen.group_id == last_sub.c.group_id,
                       chosen.date == last_sub.c.last_date)).where(chosen.state == "closed")
    if cycle_id is not None:
        query = query.where(chosen.cycle_id == cycle_id)
    return query.cte("points")


def _counted(meeting: Any, points: Any) -> Any:
    """The meetings of a point's cycle up to its meeting t."""
    return and_(meeting.cycle_id == points.c.cycle_id, meeting.number <= points.c.t)


# --------------------------------------------------------------------------
# The queries
# --------------------------------------------------------------------------


def compute(session: Session, *, group_ids: Sequence[int] | None = None,
            region: str | None = None, cycle_id: int | None = None,
            by_quarter: bool = False) -> list[GroupIndicators]:
    """The indicators of each group (of `group_ids`, of `region`, of all when
    both are None; of one cycle) as of its last closed meeting, or as of the
    last it closed in each quarter; in group name order, then by date."""
    p = _points(group_ids=group_ids, region=region, cycle_id=cycle_id, by_quarter=by_quarter)
    rows: dict[int, GroupIndicators] = {}
    first = aliased(SavingsMeeting)
    first_date = select(first.date).where(first.cycle_id == p.c.cycle_id,
                                          first.number == 1).scalar_subquery()
    opening_social: dict[int, int] = {}
    adopted: dict[int, tuple[int, int]] = {}  # cycle id → (share value, income so far)
    for r in session.execute(
            select(p.c.pm_id, p.c.t, p.c.day, SavingsCycle.id, SavingsCycle.number,
                   SavingsCycle.opening_social, SavingsCycle.adopted_mid_cycle,
                   SavingsCycle.share_value, SavingsCycle.opening_income, Group.id,
                   Group.name, Group.village, Group.region, Group.currency, Group.language,
                   first_date.label("first_date"))
            .join(SavingsCycle, SavingsCycle.id == p.c.cycle_id)
            .join(Group, Group.id == SavingsCycle.group_id)):
        (pm_id, t, day, cid, cnumber, social, is_adopted, share_value, income, gid, gname,
         village, gregion, currency, language, first_day) = r
        if is_adopted:
            adopted[cid] = (share_value, income)
        rows[pm_id] = GroupIndicators(
            group_id=gid, group_name=gname, village=village or "", region=gregion or "",
            currency=currency, language=language, cycle_id=cid, cycle_number=cnumber,
            meeting_id=pm_id, meeting_number=t, date=_day(day), figures=Figures(groups=1))
        opening_social[pm_id] = social
        rows[pm_id].figures.savings_days = max(1, (_day(day) - _day(first_day or day)).days)
    if not rows:
        return []
    _members(session, p, rows)
    _attendance(session, p, rows)
    _ledger(session, p, rows, opening_social)
    if adopted:
        _opening(session, rows, adopted)
    _grants(session, p, rows)
    _loans(session, p, rows)
    for row in rows.values():
        row.figures.savings_days *= row.figures.savings
    return _one_per_group_and_period(rows.values(), by_quarter)


def _ints(values: Iterable[Any]) -> list[int]:
    """Sums as integers (PostgreSQL sums integers as numeric; none is 0)."""
    return [int(v or 0) for v in values]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _one_per_group_and_period(rows: Iterable[GroupIndicators], by_quarter: bool
                              ) -> list[GroupIndicators]:
    """Two cycles' meetings on one day (a share-out, then the next cycle's
    first meeting): the later cycle speaks for the group."""
    chosen: dict[tuple[Any, ...], GroupIndicators] = {}
    for row in rows:
        key = (row.group_id, row.quarter if by_quarter else None)
        if key not in chosen or row.cycle_number > chosen[key].cycle_number:
            chosen[key] = row
    return sorted(chosen.values(), key=lambda r: (r.group_name.casefold(), r.group_id, r.date))


def _members(session: Session, p: Any, rows: dict[int, GroupIndicators]) -> None:
    left = aliased(SavingsMeeting)
    gone = and_(CycleMember.withdrawn_meeting_id.is_not(None), left.number <= p.c.t)
    query = (select(p.c.pm_id,
                    func.sum(case((and_(CycleMember.joined_meeting_no <= p.c.t, ~gone), 1),
                                  else_=0)),
                    func.sum(case((CycleMember.joined_meeting_no == 1, 1), else_=0)),
                    func.sum(case((gone, 1), else_=0)))
             .join(CycleMember, CycleMember.cycle_id == p.c.cycle_id)
             .outerjoin(left, left.id == CycleMember.withdrawn_meeting_id)
             .group_by(p.c.pm_id))
    for pm_id, *values in session.execute(query):
        f = rows[pm_id].figures
        f.members, f.members_at_start, f.withdrawn = _ints(values)


def _attendance(session: Session, p: Any, rows: dict[int, GroupIndicators]) -> None:
    m = aliased(SavingsMeeting)
    query = (select(p.c.pm_id,
                    func.sum(case((Attendance.status == "present", 1), else_=0)),
                    func.sum(case((Attendance.status == "represented", 1), else_=0)),
                    func.count(Attendance.id))
             .join(m, and_(_counted(m, p), m.number > p.c.t - ATTENDANCE_WINDOW))
             .join(Attendance, Attendance.meeting_id == m.id)
             .group_by(p.c.pm_id))
    for pm_id, *values in session.execute(query):
        f = rows[pm_id].figures
        f.present, f.represented, f.enrolled = _ints(values)


def _ledger(session: Session, p: Any, rows: dict[int, GroupIndicators],
            opening_social: dict[int, int]) -> None:
    """Each kind's balance (credits − debits) from the postings of meetings
    1..t: summed per meeting first (each posting read once, however many
    quarters count it), then over the meetings of each point."""
    m = aliased(SavingsMeeting)
    debit, credit = aliased(Account), aliased(Account)
    per_kind = [func.sum(case((credit.kind == kind, Posting.amount), else_=0)
                         - case((debit.kind == kind, Posting.amount), else_=0)).label(kind)
                for kind in LEDGER_KINDS]
    per_meeting = (select(m.cycle_id, m.number, *per_kind)
                   .join(Posting, Posting.sg_meeting_id == m.id)
                   .join(debit, debit.id == Posting.debit_account_id)
                   .join(credit, credit.id == Posting.credit_account_id)
                   .where(m.cycle_id.in_(select(p.c.cycle_id)),
                          or_(m.kind != "share_out", Posting.kind.not_in(SHARE_OUT_KINDS)))
                   .group_by(m.id, m.cycle_id, m.number)
                   .cte("per_meeting"))
    query = (select(p.c.pm_id, *[func.sum(per_meeting.c[kind]) for kind in LEDGER_KINDS])
             .join(per_meeting, and_(per_meeting.c.cycle_id == p.c.cycle_id,
                                     per_meeting.c.number <= p.c.t))
             .group_by(p.c.pm_id))
    for pm_id, row in rows.items():  # the social fund the cycle started with
        row.figures.social_fund = row.figures.social_bag = opening_social[pm_id]
    for pm_id, *balances in session.execute(query):
        b = dict(zip(LEDGER_KINDS, _ints(balances), strict=True))
        f = rows[pm_id].figures
        f.loan_bag = -b["sg_box_loan"]
        f.social_bag -= b["sg_box_social"]
        f.net_income = b["sg_income"]
        f.social_fund += b["sg_social"]
        f.savings = b["sg_shares"]
        f.interest_receivable = -b["sg_loan"]  # less the principal, in _loans
        f.fines_due = -b["sg_dues"]


def _opening(session: Session, rows: dict[int, GroupIndicators],
             adopted: dict[int, tuple[int, int]]) -> None:
    """A cycle adopted mid-way starts from the paper books' balances
    (spec/savings.md §4.3), posted at its activation with no meeting: her
    shares so far, loans and fines still owed, the income so far. Two
    queries over the adopted cycles' members; the loans brought in are
    counted with the others (`_loans`)."""
    members: dict[int, tuple[int, int]] = {}
    for cid, shares, owed in session.execute(
            select(CycleMember.cycle_id, func.sum(CycleMember.opening_shares),
                   func.sum(CycleMember.opening_loan_principal
                            + CycleMember.opening_loan_interest))
            .where(CycleMember.cycle_id.in_(list(adopted)), CycleMember.joined_meeting_no == 1)
            .group_by(CycleMember.cycle_id)):
        members[cid] = (int(shares or 0), int(owed or 0))
    fines: dict[tuple[int, str], int] = {}
    for cid, fund, amount in session.execute(
            select(CycleMember.cycle_id, FineType.to_fund, func.sum(Fine.amount))
            .join(CycleMember, CycleMember.id == Fine.cycle_member_id)
            .join(FineType, FineType.id == Fine.fine_type_id)
            .where(CycleMember.cycle_id.in_(list(adopted)), Fine.meeting_id.is_(None))
            .group_by(CycleMember.cycle_id, FineType.to_fund)):
        fines[(cid, fund)] = int(amount or 0)
    for row in rows.values():
        if row.cycle_id not in adopted:
            continue
        share_value, income = adopted[row.cycle_id]
        shares, owed = members.get(row.cycle_id, (0, 0))
        loan_fines = fines.get((row.cycle_id, "loan"), 0)
        social_fines = fines.get((row.cycle_id, "social"), 0)
        f = row.figures
        f.savings += share_value * shares
        f.net_income += income
        f.loan_bag += share_value * shares + income - owed - loan_fines
        f.social_bag -= social_fines
        f.interest_receivable += owed  # less the principal, in _loans
        f.fines_due += loan_fines + social_fines


def _grants(session: Session, p: Any, rows: dict[int, GroupIndicators]) -> None:
    m = aliased(SavingsMeeting)
    query = (select(p.c.pm_id, func.count(SocialGrant.id), func.sum(SocialGrant.amount))
             .join(m, _counted(m, p))
             .join(SocialGrant, SocialGrant.meeting_id == m.id)
             .group_by(p.c.pm_id))
    for pm_id, *values in session.execute(query):
        rows[pm_id].figures.grants_count, rows[pm_id].figures.grants = _ints(values)


def _loan_flags(p: Any, ended: Any) -> tuple[Any, Any]:
    """Whether a loan is still outstanding at t, and whether it was written
    off by t (`ended`: the meeting that closed the loan, if any)."""
    loan = SavingsLoan
    # At a share-out meeting the loans it sets off count as outstanding (before it).
    outstanding = or_(ended.id.is_(None), ended.number > p.c.t,
                      and_(ended.number == p.c.t, ended.kind == "share_out",
                           loan.state == "set_off"))
    written_off = and_(loan.state == "written_off", ended.number <= p.c.t)
    return outstanding, written_off


def _loans(session: Session, p: Any, rows: dict[int, GroupIndicators]) -> None:
    """Disbursed, outstanding, written off; interest receivable (the loan
    accounts less the principal); the portfolio at risk. Three queries that
    each go from the points to the rows by indexed keys."""
    loan = SavingsLoan
    given, ended = aliased(SavingsMeeting), aliased(SavingsMeeting)
    outstanding, written_off = _loan_flags(p, ended)
    # Loans brought in from the paper books (no meeting) are outstanding
    # from the start but were not disbursed in Coop's books.
    in_coop = loan.meeting_id.is_not(None)
    for pm_id, *values in session.execute(
            select(p.c.pm_id, func.sum(case((in_coop, 1), else_=0)),
                   func.sum(case((in_coop, loan.principal), else_=0)),
                   func.sum(case((outstanding, 1), else_=0)),
                   func.sum(case((outstanding, loan.principal), else_=0)),
                   func.sum(case((written_off, loan.principal), else_=0)))
            .join(loan, loan.cycle_id == p.c.cycle_id)
            .outerjoin(given, given.id == loan.meeting_id)
            .where(or_(loan.meeting_id.is_(None), given.number <= p.c.t))
            .outerjoin(ended, ended.id == loan.closed_meeting_id)
            .where(loan.state.not_in(GONE_LOAN_STATES))
            .group_by(p.c.pm_id)):
        f = rows[pm_id].figures
        (f.loans_disbursed_count, f.loans_disbursed, f.loans_outstanding_count,
         f.loans_outstanding, f.written_off) = _ints(values)
    # What was repaid on each loan by t: the principal part lowers the
    # outstanding and the amount written off; the principal and interest
    # parts tell which installments are paid (below).
    m, ended = aliased(SavingsMeeting), aliased(SavingsMeeting)
    outstanding, written_off = _loan_flags(p, ended)
    paid: dict[tuple[int, int], int] = {}
    principal_paid: dict[tuple[int, int], int] = {}
    for pm_id, loan_id, is_out, is_off, amount, principal in session.execute(
            select(p.c.pm_id, loan.id, case((outstanding, 1), else_=0),
                   case((written_off, 1), else_=0), func.sum(Repayment.amount),
                   func.sum(Repayment.principal_part))
            .join(m, _counted(m, p))
            .join(Repayment, Repayment.meeting_id == m.id)
            .join(loan, loan.id == Repayment.loan_id)
            .outerjoin(ended, ended.id == loan.closed_meeting_id)
            # a loan repaid by t counts in neither figure: left out early
            .where(loan.state.not_in(GONE_LOAN_STATES), or_(outstanding, written_off))
            .group_by(p.c.pm_id, p.c.t, loan.id, ended.id, ended.number, ended.kind,
                      loan.state)):
        f = rows[pm_id].figures
        f.loans_outstanding -= int(principal or 0) * is_out
        f.written_off -= int(principal or 0) * is_off
        paid[(pm_id, loan_id)] = int(amount or 0)
        principal_paid[(pm_id, loan_id)] = int(principal or 0)
    for row in rows.values():
        row.figures.interest_receivable -= row.figures.loans_outstanding
    # At risk: an outstanding loan with an installment fallen due by t and
    # not fully paid by t (savings-preview.md, step 12). A repayment fills the
    # installments in order, interest first, so the principal paid fills the
    # principal parts in order and the interest paid the interest parts; but
    # declining interest is posted only when its installment falls due, and
    # a repayment made ahead has already gone past it to later principal: the
    # loan's whole amount paid may cover every installment fallen due while
    # the interest of one of them is still owed. So principal and interest
    # are each compared with their own running total.
    given, ended = aliased(SavingsMeeting), aliased(SavingsMeeting)
    outstanding, _written_off = _loan_flags(p, ended)
    # Only the installments fallen due by t: they come first in a schedule
    # (due dates in order), so their running total is the schedule's.
    query = (select(p.c.pm_id, loan.id, loan.principal, Installment.seq, Installment.due_date,
                    Installment.principal_due, Installment.interest_due)
             .join(loan, loan.cycle_id == p.c.cycle_id)
             .outerjoin(given, given.id == loan.meeting_id)
             .outerjoin(ended, ended.id == loan.closed_meeting_id)
             .join(Installment, Installment.loan_id == loan.id)
             .where(or_(loan.meeting_id.is_(None), given.number <= p.c.t),
                    Installment.falls_due_meeting_no <= p.c.t)
             .where(loan.state.not_in(GONE_LOAN_STATES), outstanding))
    schedules: dict[tuple[int, int], list[Any]] = {}
    for r in session.execute(query):
        schedules.setdefault((r[0], r[1]), []).append(r)
    for (pm_id, loan_id), schedule in schedules.items():
        row = rows[pm_id]
        principal_in = principal_paid.get((pm_id, loan_id), 0)
        interest_in = paid.get((pm_id, loan_id), 0) - principal_in
        principal_due_by, interest_due_by, earliest = 0, 0, None
        schedule.sort(key=lambda r: r[3])
        for _pm, _loan, _principal, _seq, due_date, principal_due, interest_due in schedule:
            principal_due_by += principal_due
            interest_due_by += interest_due or 0
            if principal_in < principal_due_by or interest_in < interest_due_by:
                earliest = _day(due_date)
                break
        if earliest is None:
            continue
        unpaid = schedule[0][2] - principal_in
        row.figures.at_risk += unpaid
        if (row.date - earliest).days >= PAR_DAYS:
            row.figures.at_risk_30 += unpaid


# --------------------------------------------------------------------------
# Sets of groups
# --------------------------------------------------------------------------


def totals(rows: Iterable[GroupIndicators]) -> dict[str, Figures]:
    """Per currency: the sums of the groups' figures (numerators and
    denominators; the percentages are taken from the sums)."""
    out: dict[str, Figures] = {}
    for row in rows:
        out[row.currency] = out.get(row.currency, Figures()) + row.figures
    return dict(sorted(out.items()))


def regions(session: Session) -> list[str]:
    """The regions of groups that hold savings meetings (for the filter)."""
    return [r for r in session.scalars(
        select(Group.region).join(SavingsCycle, SavingsCycle.group_id == Group.id)
        .where(Group.region != "").distinct().order_by(Group.region))]
