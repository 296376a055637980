"""A savings group's cycle, meeting by meeting (spec/savings.md).

What a meeting records is kept as entered; every save runs the whole cycle
through the engine (`coop.savings.domain`, the contract of
spec/savings-preview.md), so the same rules judge a page, the API, the
preview and the share-out. Closing a meeting posts its movements to the
group's ledger (accounts `sg_*`), checks the ledger against the engine's
figures to the minor unit, and issues the numbered meeting record.

Functions take the session first, flush, never commit, and raise DomainError
(409 `Conflict` for a state that does not allow the move)."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale, gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError
from coop.groups.models import Group, Membership
from coop.i18n import fmt_date, fmt_money, fmt_number, local_today
from coop.ledger import services as ledger
from coop.ledger.models import SAVINGS_GROUP_KINDS, Account, Posting
from coop.money import to_string as money_string
from coop.savings import domain
from coop.savings.models import (
    Attendance,
    CashDifference,
    Confirmation,
    Correction,
    CycleMember,
    Fine,
    FineType,
    Installment,
    KeyHolder,
    Repayment,
    SavingsCycle,
    SavingsLoan,
    SavingsMeeting,
    ShareOut,
    ShareOutLine,
    SocialGrant,
)

if TYPE_CHECKING:  # the PDFs' module is imported when a paper is made
    from coop.savings.paper import MeetingRecordData

DRAFT, ACTIVE, SHARING_OUT, CLOSED, CANCELLED = (
    "draft", "active", "sharing_out", "closed", "cancelled")
RUNNING = (ACTIVE, SHARING_OUT)
OPEN, MEETING_CLOSED = "open", "closed"
REGULAR, SHARE_OUT = "regular", "share_out"

CYCLE_STATE_NAMES = {DRAFT: _l("being set up"), ACTIVE: _l("running"),
                     SHARING_OUT: _l("sharing out"),
                     CLOSED: lazy_pgettext("savings cycle", "closed"),
                     CANCELLED: lazy_pgettext("savings cycle", "cancelled")}
MEETING_STATE_NAMES = {OPEN: lazy_pgettext("savings meeting", "open"),
                       MEETING_CLOSED: lazy_pgettext("savings meeting", "closed")}

# The figures of the engine's messages that are money: shown as the reader writes them.
_MONEY_PARAMS = ("amount", "owed", "limit", "savings", "cash")
_ENGINE_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# A loan's term out of the cycle's range, as the engine finds it ("meetings[5].loans[0].months").
_SCALED_SETTINGS = ("settings.rate_bp", "settings.loan_multiple")
_LOAN_MONTHS = re.compile(r"meetings\[[0-9]+\]\.loans\[[0-9]+\]\.months")


class Conflict(DomainError):
    status = 409


# --------------------------------------------------------------------------
# The cycle: set-up, members, key-holders, activation
# --------------------------------------------------------------------------


@dataclass
class CycleSettings:
    """The settings of spec/savings.md §4, money in minor units."""

    start_date: date
    share_out_date: date
    share_value: int
    min_shares: int = 1
    max_shares: int = 5
    social_contribution: int = 0
    interest_method: str = "flat"
    rate_bp: int = 1000
    loan_multiple: int = 300
    max_term_months: int = 3
    loan_unit: int = 100
    payout_unit: int = 1
    confirm_loans_above: int = 0
    confirmations_required: int = 2
    withdrawal_rule: str = "savings_only"
    members_see_all_lines: bool = True
    fine_types: list[tuple[str, str, int, str]] = field(default_factory=list)


SETTING_NAMES = ("start_date", "share_out_date", "share_value", "min_shares", "max_shares",
                 "social_contribution", "interest_method", "rate_bp", "loan_multiple",
                 "max_term_months", "loan_unit", "payout_unit", "confirm_loans_above",
                 "confirmations_required", "withdrawal_rule", "members_see_all_lines")


def default_fine_types() -> list[tuple[str, str, int, str]]:
    return [("late", gettext("Late"), 500, "loan"), ("absent", gettext("Absent"), 2000, "loan")]


def _check_settings(group: Group, settings: CycleSettings) -> None:
    """The engine judges the settings (one set of rules); its fault names the field."""
    scenario = {"currency": group.currency, "settings": _settings_json(group, settings),
                "members": [{"id": "a"}, {"id": "b"}],
                "meetings": [{"date": settings.start_date.isoformat()}]}
    try:
        domain.preview(scenario)
    except domain.ScenarioError as error:
        raise _domain_error(error, group.currency) from None
    if not 0 <= settings.confirm_loans_above < 10**14:
        raise DomainError(_l("Must not be negative."), field="confirm_loans_above")
    if not 1 <= settings.confirmations_required <= 3:
        raise DomainError(_l("Between 1 and 3 key-holders."), field="confirmations_required")


def create_cycle(session: Session, group: Group, settings: CycleSettings,
                 actor: User | None) -> SavingsCycle:
    if not settings.fine_types:
        settings.fine_types = default_fine_types()
    _check_settings(group, settings)
    number = (session.scalar(select(func.max(SavingsCycle.number)).where(
        SavingsCycle.group_id == group.id)) or 0) + 1
    carried = _social_carried(session, group)
    cycle = SavingsCycle(group_id=group.id, number=number, state=DRAFT,
                         created_by_id=actor.id if actor else None, opening_social=carried,
                         **{name: getattr(settings, name) for name in SETTING_NAMES})
    session.add(cycle)
    _set_fine_types(cycle, settings.fine_types)
    session.flush()
    return cycle


def update_cycle(session: Session, cycle: SavingsCycle, group: Group,
                 settings: CycleSettings) -> None:
    if cycle.state != DRAFT:
        raise Conflict(_l("The settings are fixed for this cycle once it runs (it is %(state)s)"
                          "; a new share value needs a new cycle.",
                          state=CYCLE_STATE_NAMES[cycle.state]))
    if not settings.fine_types:
        settings.fine_types = [(t.code, t.name, t.default_amount, t.to_fund)
                               for t in cycle.fine_types]
    _check_settings(group, settings)
    for name in SETTING_NAMES:
        setattr(cycle, name, getattr(settings, name))
    cycle.fine_types.clear()
    session.flush()
    _set_fine_types(cycle, settings.fine_types)
    session.flush()


def _set_fine_types(cycle: SavingsCycle, types: Sequence[tuple[str, str, int, str]]) -> None:
    for position, (code, name, amount, fund) in enumerate(types, start=1):
        cycle.fine_types.append(FineType(position=position, code=code, name=name or code,
                                         default_amount=amount, to_fund=fund))


def cycles(session: Session, group: Group) -> list[SavingsCycle]:
    return list(session.scalars(select(SavingsCycle).where(
        SavingsCycle.group_id == group.id).order_by(SavingsCycle.number.desc())))


def get_cycle(session: Session, group: Group, cycle_id: int) -> SavingsCycle | None:
    cycle = session.get(SavingsCycle, cycle_id)
    return cycle if cycle is not None and cycle.group_id == group.id else None


def running_cycle(session: Session, group: Group) -> SavingsCycle | None:
    return session.scalar(select(SavingsCycle).where(
        SavingsCycle.group_id == group.id, SavingsCycle.state.in_(RUNNING)))


def _lock(session: Session, cycle: SavingsCycle) -> None:
    """Serialise everything that changes a cycle's meetings or members: an
    UPDATE of its row, held to the end of the transaction; then read the
    cycle afresh (another request may have moved it while we waited)."""
    session.execute(update(SavingsCycle).where(SavingsCycle.id == cycle.id)
                    .values(version=SavingsCycle.version + 1))
    session.refresh(cycle)


def enrol(session: Session, cycle: SavingsCycle, membership: Membership) -> CycleMember:
    """She gets the next passbook number; joining a running cycle, she takes
    part from its next meeting."""
    _lock(session, cycle)
    if cycle.state not in (DRAFT, ACTIVE):
        raise Conflict(_l("Members join a cycle while it is set up or running (it is "
                          "%(state)s).", state=CYCLE_STATE_NAMES[cycle.state]))
    if membership.group_id != cycle.group_id or not membership.active:
        raise DomainError(_l("She is not an active member of this group."), field="membership")
    if session.scalar(select(CycleMember.id).where(CycleMember.cycle_id == cycle.id,
                                                   CycleMember.membership_id == membership.id)):
        raise DomainError(_l("She is already in this cycle."), field="membership")
    if _open_meeting(session, cycle) is not None:
        raise Conflict(_l("Close the open meeting first; she joins from the next one."))
    last = session.scalar(select(func.max(SavingsMeeting.number)).where(
        SavingsMeeting.cycle_id == cycle.id)) or 0
    number = (session.scalar(select(func.max(CycleMember.passbook_no)).where(
        CycleMember.cycle_id == cycle.id)) or 0) + 1
    member = CycleMember(group_id=cycle.group_id, cycle_id=cycle.id,
                         membership_id=membership.id, passbook_no=number,
                         joined_meeting_no=last + 1)
    session.add(member)
    session.flush()
    return member


def unenrol(session: Session, cycle: SavingsCycle, member: CycleMember) -> None:
    """Only while the cycle is set up (a passbook number is never reused once it runs)."""
    _lock(session, cycle)
    if cycle.state != DRAFT:
        raise Conflict(_l("Once the cycle runs, a member leaves by a withdrawal at a meeting."))
    for holder in list(cycle.key_holders):
        if holder.membership_id == member.membership_id:
            cycle.key_holders.remove(holder)
    session.flush()
    number = member.passbook_no
    session.delete(member)
    session.flush()
    # Before the cycle runs nothing is printed: the numbers close up.
    for later in session.scalars(select(CycleMember).where(
            CycleMember.cycle_id == cycle.id, CycleMember.passbook_no > number)
            .order_by(CycleMember.passbook_no)):
        later.passbook_no -= 1
        session.flush()


def cycle_members(session: Session, cycle: SavingsCycle) -> list[CycleMember]:
    return list(session.scalars(select(CycleMember).where(
        CycleMember.cycle_id == cycle.id).order_by(CycleMember.passbook_no)))


def get_member(session: Session, cycle: SavingsCycle, member_id: int) -> CycleMember | None:
    member = session.get(CycleMember, member_id)
    return member if member is not None and member.cycle_id == cycle.id else None


def member_of(session: Session, cycle: SavingsCycle, membership: Membership | None
              ) -> CycleMember | None:
    if membership is None:
        return None
    return session.scalar(select(CycleMember).where(
        CycleMember.cycle_id == cycle.id, CycleMember.membership_id == membership.id))


def set_key_holders(session: Session, cycle: SavingsCycle, membership_ids: Sequence[int]) -> None:
    """Three members of the cycle, none a treasurer (§2); fixed at activation."""
    _lock(session, cycle)
    if cycle.state != DRAFT:
        raise Conflict(_l("The key-holders are fixed for this cycle once it runs."))
    ids = [i for i in membership_ids if i]
    if len(ids) != 3 or len(set(ids)) != 3:
        raise DomainError(_l("Choose three different key-holders."), field="key_holders")
    enrolled = {m.membership_id: m for m in cycle_members(session, cycle)}
    for membership_id in ids:
        member = enrolled.get(membership_id)
        if member is None:
            raise DomainError(_l("A key-holder must be a member of this cycle."),
                              field="key_holders")
        if member.membership.is_treasurer:
            raise DomainError(_l("%(name)s is a treasurer: the keys are held by members who do "
                                 "not keep the books.", name=member.name), field="key_holders")
    cycle.key_holders.clear()
    session.flush()
    for position, membership_id in enumerate(ids, start=1):
        cycle.key_holders.append(KeyHolder(membership_id=membership_id, position=position))
    session.flush()


@dataclass
class OpeningBalance:
    """A member's balances from the paper books (§4.3)."""

    member_id: int
    shares: int = 0
    loan_principal: int = 0
    loan_interest: int = 0
    due_dates: tuple[date, ...] = ()
    fines: tuple[tuple[int, int], ...] = ()  # (fine type id, amount) still owed


def set_opening(session: Session, cycle: SavingsCycle, group: Group, *,
                balances: Sequence[OpeningBalance], income: int, social_fund: int) -> None:
    """A group that adopts Coop in the middle of its cycle (§4.3): its
    members' shares so far and loans outstanding, its income so far (interest
    and fines posted) and its social fund. Only while the cycle is set up."""
    _lock(session, cycle)
    if cycle.state != DRAFT:
        raise Conflict(_l("Opening balances are entered while the cycle is set up."))
    members = {m.id: m for m in cycle_members(session, cycle)}
    types = {t.id: t for t in cycle.fine_types}
    for old in session.scalars(select(Fine).where(
            Fine.cycle_member_id.in_(list(members)), Fine.meeting_id.is_(None))):
        session.delete(old)
    if income < 0 or social_fund < 0:
        raise DomainError(_l("Must not be negative."), field="income")
    any_balance = income > 0 or social_fund > 0
    for b in balances:
        member = members.get(b.member_id)
        if member is None:
            raise DomainError(_l("There is no such member in this cycle."), field="member")
        if min(b.shares, b.loan_principal, b.loan_interest) < 0:
            raise DomainError(_l("%(name)s: must not be negative.", name=member.name),
                              field="member")
        if (b.loan_principal or b.loan_interest) and not b.due_dates:
            raise DomainError(_l("%(name)s: give the due dates left on her loan.",
                                 name=member.name), field="due_dates")
        if not (b.loan_principal or b.loan_interest) and b.due_dates:
            raise DomainError(_l("%(name)s: due dates without a loan.", name=member.name),
                              field="due_dates")
        for day in b.due_dates:
            if day > cycle.share_out_date:
                raise DomainError(_l("%(name)s: a due date after the share-out (%(day)s).",
                                     name=member.name, day=fmt_date(day)), field="due_dates")
        for type_id, amount in b.fines:
            if type_id not in types:
                raise DomainError(_l("Unknown kind of fine."), field="fine_type")
            if amount <= 0:
                raise DomainError(_l("%(name)s: a fine owed is more than zero.",
                                     name=member.name), field="fines")
            session.add(Fine(meeting_id=None, cycle_member_id=member.id, fine_type_id=type_id,
                             amount=amount, state="due"))
            any_balance = True
        member.opening_shares = b.shares
        member.opening_loan_principal = b.loan_principal
        member.opening_loan_interest = b.loan_interest
        member.opening_due_dates = ",".join(d.isoformat() for d in sorted(b.due_dates))[:200]
        any_balance = any_balance or bool(b.shares or b.loan_principal or b.loan_interest)
    cycle.opening_income = income
    cycle.opening_social = social_fund
    cycle.adopted_mid_cycle = any_balance
    session.flush()
    opening = opening_of(session, cycle)
    if opening is not None and opening.loan_bag(cycle.share_value) < 0:
        raise DomainError(_l("With these balances the loan bag would hold less than nothing: "
                             "the savings and income so far are less than what is owed."),
                          field="income")
    if opening is not None and opening.social_bag() < 0:
        raise DomainError(_l("With these balances the social bag would hold less than "
                             "nothing: the social fund is less than the fines owed to it."),
                          field="social_fund")


def opening_fines(session: Session, cycle: SavingsCycle) -> list[Fine]:
    """The fines members still owed when the group adopted Coop (§4.3)."""
    return list(session.scalars(select(Fine).join(
        CycleMember, CycleMember.id == Fine.cycle_member_id).where(
        CycleMember.cycle_id == cycle.id, Fine.meeting_id.is_(None)).order_by(Fine.id)))


def opening_of(session: Session, cycle: SavingsCycle) -> domain.Opening | None:
    members = cycle_members(session, cycle)
    return _opening(session, cycle, members, _engine_ids(members))


def _post_opening(session: Session, group: Group, cycle: SavingsCycle,
                  opening: domain.Opening, accounts: Accounts) -> None:
    """The paper books' balances as postings (kind sg_opening), and the loans
    brought in with what remains of their schedules."""
    members = cycle_members(session, cycle)
    ids = _engine_ids(members)
    carried = _social_carried(session, group)

    def post(debit: int, credit: int, amount: int, memo: str = "") -> None:
        ledger.post(session, group, debit=debit, credit=credit, amount=amount,
                    kind="sg_opening", memo=memo)

    interest = 0
    number = 0
    for member in members:
        balance = opening.members.get(ids[member.id])
        if balance is None:
            continue
        post(accounts.box_loan, accounts.member(member.id), cycle.share_value * balance.shares)
        if balance.loan_principal or balance.loan_interest:
            post(accounts.member(member.id, "sg_loan"), accounts.box_loan,
                 balance.loan_principal)
            post(accounts.member(member.id, "sg_loan"), accounts.income, balance.loan_interest)
            interest += balance.loan_interest
            number += 1
            loan = SavingsLoan(group_id=cycle.group_id, cycle_id=cycle.id, meeting_id=None,
                               cycle_member_id=member.id, number=number,
                               principal=balance.loan_principal,
                               term_months=max(1, min(12, len(balance.due_dates))),
                               purpose="", state="active",
                               interest_charged=balance.loan_interest)
            for inst in domain.opening_installments(balance, cycle.interest_method):
                loan.installments.append(Installment(
                    seq=inst.seq, due_date=inst.due_date, principal_due=inst.principal_due,
                    interest_due=inst.interest_due))
            session.add(loan)
    fund_account = {"loan": accounts.income, "social": accounts.social}
    types = {t.id: t for t in cycle.fine_types}
    for fine in opening_fines(session, cycle):
        post(accounts.member(fine.cycle_member_id, "sg_dues"),
             fund_account[types[fine.fine_type_id].to_fund], fine.amount)
    post(accounts.box_loan, accounts.income,
         opening.income - interest - opening.fines_owed(domain.LOAN_FUND))
    post(accounts.box_social, accounts.social,
         opening.social_fund - carried - opening.fines_owed(domain.SOCIAL_FUND))
    session.flush()


def activate(session: Session, cycle: SavingsCycle, group: Group, *,
             counted_loan: int | None = None, counted_social: int | None = None,
             key_holder_ids: Sequence[int] = (), actor: User | None = None,
             actor_membership: Membership | None = None) -> None:
    """draft → active (§4.1): two members at least, three key-holders, the
    settings valid; they are fixed from now on. A group that adopts Coop
    mid-cycle counts its bags, which must hold what its balances say, and
    the key-holders confirm the count (recorded, §4.3)."""
    _lock(session, cycle)
    if cycle.state != DRAFT:
        raise Conflict(_l("This cycle is %(state)s, not being set up.",
                          state=CYCLE_STATE_NAMES[cycle.state]))
    members = cycle_members(session, cycle)
    if len(members) < 2:
        raise DomainError(_l("A cycle needs two members at least."), field="members")
    if len(cycle.key_holders) != 3:
        raise DomainError(_l("Choose the three key-holders first."), field="key_holders")
    treasurers = {m.membership_id for m in members if m.membership.is_treasurer}
    if any(h.membership_id in treasurers for h in cycle.key_holders):
        raise DomainError(_l("A treasurer cannot hold a key."), field="key_holders")
    _check_settings(group, _settings_of(cycle))
    if running_cycle(session, group) is not None:
        raise Conflict(_l("Another cycle of this group is running; share it out first."))
    opening = opening_of(session, cycle)
    if opening is None:
        cycle.opening_social = _social_carried(session, group)
    else:
        for bag, counted, want in (
                ("loan", counted_loan, opening.loan_bag(cycle.share_value)),
                ("social", counted_social, opening.social_bag())):
            if counted != want:
                raise DomainError(_l(
                    "The %(bag)s holds %(counted)s as counted by the key-holders, but the "
                    "balances entered say %(expected)s. Check the balances or count again.",
                    bag=_bag_name(bag),
                    counted=fmt_money(counted, group.currency) if counted is not None else "—",
                    expected=fmt_money(want, group.currency)), field=f"counted_{bag}")
        _confirm(session, None, cycle, opening_subject(cycle), key_holder_ids, actor,
                 actor_membership, cycle.confirmations_required)
    cycle.state = ACTIVE
    cycle.activated_at = utcnow()
    session.flush()
    accounts = Accounts(session, cycle)
    for member in members:
        accounts.member(member.id)
    if opening is not None:
        _post_opening(session, group, cycle, opening, accounts)


def cancel_cycle(session: Session, cycle: SavingsCycle) -> None:
    _lock(session, cycle)
    if cycle.state != DRAFT:
        raise Conflict(_l("Only a cycle being set up can be cancelled."))
    cycle.state = CANCELLED
    session.flush()


def _settings_of(cycle: SavingsCycle) -> CycleSettings:
    return CycleSettings(**{name: getattr(cycle, name) for name in SETTING_NAMES},
                         fine_types=[(t.code, t.name, t.default_amount, t.to_fund)
                                     for t in cycle.fine_types])


def _social_carried(session: Session, group: Group) -> int:
    """The social fund as the group's books hold it now (carried from the last cycle)."""
    account_id = session.scalar(select(Account.id).where(
        Account.group_id == group.id, Account.kind == "sg_social"))
    return 0 if account_id is None else ledger.account_balance(session, account_id)


# --------------------------------------------------------------------------
# The scenario: the cycle as the engine reads it
# --------------------------------------------------------------------------


def to_minor(text: str | None) -> int:
    """A money string of the engine's result back in minor units."""
    if text is None:
        return 0
    negative = text.startswith("-")
    whole, _, part = text.lstrip("-").partition(".")
    value = int(whole + part)
    return -value if negative else value


def _settings_json(group: Group, s: CycleSettings) -> dict[str, Any]:
    money = lambda minor: money_string(minor, group.currency)  # noqa: E731
    return {
        "share_value": money(s.share_value), "min_shares": s.min_shares,
        "max_shares": s.max_shares, "social_contribution": money(s.social_contribution),
        "interest_method": s.interest_method, "rate_bp": s.rate_bp,
        "loan_multiple": s.loan_multiple, "max_term_months": s.max_term_months,
        "loan_unit": money(s.loan_unit), "payout_unit": money(s.payout_unit),
        "withdrawal_rule": s.withdrawal_rule,
        "fine_types": [{"code": code, "name": name[:200], "amount": money(amount),
                        "to_fund": fund} for code, name, amount, fund in s.fine_types],
        "start_date": s.start_date.isoformat(), "share_out_date": s.share_out_date.isoformat()}


@dataclass
class Run:
    """A cycle run through the engine: the scenario, its result, and the
    cycle's rows by the engine's names."""

    cycle: SavingsCycle
    members: list[CycleMember]
    meetings: list[SavingsMeeting]
    ids: dict[int, str]  # cycle member id → the engine's member id
    scenario: dict[str, Any]
    result: dict[str, Any]
    entries: MeetingEntries  # what the meetings recorded, as read for the scenario
    opening: domain.Opening | None = None  # a cycle adopted mid-way: its paper books
    # The meetings' corrections (by meeting index), as the engine takes them.
    corrections: dict[int, list[domain.Correction]] = field(default_factory=dict)

    def member_index(self, member_id: str) -> int:
        return next(j for j, m in enumerate(self.members) if self.ids[m.id] == member_id)

    def figures(self, number: int) -> dict[str, Any]:
        return self.result["meetings"][number - 1]

    def rerun(self, scenario: dict[str, Any]) -> Run:
        """The same cycle with its scenario changed (a share-out meeting added,
        'if we shared out today'): the engine run as `run_cycle` runs it, with
        the paper books and the corrections. Raises `domain.ScenarioError`."""
        return dataclasses.replace(self, scenario=scenario, result=domain.preview(
            scenario, self.opening, self.corrections))


@dataclass
class MeetingEntries:
    attendance: dict[int, list[Attendance]] = field(default_factory=lambda: defaultdict(list))
    repayments: dict[int, list[Repayment]] = field(default_factory=lambda: defaultdict(list))
    fines: dict[int, list[Fine]] = field(default_factory=lambda: defaultdict(list))
    payments: dict[int, list[Fine]] = field(default_factory=lambda: defaultdict(list))
    waivers: dict[int, list[Fine]] = field(default_factory=lambda: defaultdict(list))
    grants: dict[int, list[SocialGrant]] = field(default_factory=lambda: defaultdict(list))
    loans: dict[int, list[SavingsLoan]] = field(default_factory=lambda: defaultdict(list))
    write_offs: dict[int, list[SavingsLoan]] = field(default_factory=lambda: defaultdict(list))
    differences: dict[int, list[CashDifference]] = field(
        default_factory=lambda: defaultdict(list))
    corrections: dict[int, list[Correction]] = field(default_factory=lambda: defaultdict(list))


def meeting_entries(session: Session, meetings: Sequence[SavingsMeeting]) -> MeetingEntries:
    """Everything the meetings recorded, in a fixed number of queries."""
    ids = [m.id for m in meetings]
    out = MeetingEntries()
    if not ids:
        return out
    for a in session.scalars(select(Attendance).where(Attendance.meeting_id.in_(ids))):
        out.attendance[a.meeting_id].append(a)
    for r in session.scalars(select(Repayment).where(Repayment.meeting_id.in_(ids))
                             .order_by(Repayment.id)):
        out.repayments[r.meeting_id].append(r)
    for f in session.scalars(select(Fine).where(
            Fine.meeting_id.in_(ids) | Fine.paid_meeting_id.in_(ids)
            | Fine.waived_meeting_id.in_(ids)).order_by(Fine.id)):
        if f.meeting_id in ids:
            out.fines[f.meeting_id].append(f)
        if f.paid_meeting_id in ids and not f.paid_at_once:
            out.payments[f.paid_meeting_id].append(f)  # type: ignore[index]
        if f.waived_meeting_id in ids:
            out.waivers[f.waived_meeting_id].append(f)  # type: ignore[index]
    for g in session.scalars(select(SocialGrant).where(SocialGrant.meeting_id.in_(ids))
                             .order_by(SocialGrant.id)):
        out.grants[g.meeting_id].append(g)
    for loan in session.scalars(select(SavingsLoan).where(
            SavingsLoan.meeting_id.in_(ids) | SavingsLoan.written_off_meeting_id.in_(ids))
            .order_by(SavingsLoan.id)):
        if loan.meeting_id in ids and loan.state != "cancelled":
            out.loans[loan.meeting_id].append(loan)
        if loan.written_off_meeting_id in ids:
            out.write_offs[loan.written_off_meeting_id].append(loan)  # type: ignore[index]
    for d in session.scalars(select(CashDifference).where(CashDifference.meeting_id.in_(ids))
                             .order_by(CashDifference.id)):
        out.differences[d.meeting_id].append(d)
    for c in session.scalars(select(Correction).where(Correction.meeting_id.in_(ids))
                             .order_by(Correction.id)):
        out.corrections[c.meeting_id].append(c)
    return out


def _engine_ids(members: Sequence[CycleMember]) -> dict[int, str]:
    """Her name (and passbook number when two share a name): the engine's
    messages name her as the group knows her."""
    names = [m.name.strip()[:56] or "—" for m in members]
    return {m.id: (name if names.count(name) == 1 else f"{name} ({m.passbook_no})")
            for m, name in zip(members, names, strict=True)}


def run_cycle(session: Session, cycle: SavingsCycle, group: Group, *,
              through: int | None = None, share_out: bool = True) -> Run | None:
    """The cycle through the engine, up to meeting `through` (all by default,
    the open one included); None before its first meeting. With `share_out`
    False a share-out meeting is run as a regular one: its entries are
    judged while the treasurer enters them, before the debts allow a
    share-out (which its close requires)."""
    members = cycle_members(session, cycle)
    query = select(SavingsMeeting).where(SavingsMeeting.cycle_id == cycle.id)
    if through is not None:
        query = query.where(SavingsMeeting.number <= through)
    meetings = list(session.scalars(query.order_by(SavingsMeeting.number)))
    if not meetings:
        return None
    entries = meeting_entries(session, meetings)
    ids = _engine_ids(members)
    by_id = {m.id: m for m in members}
    money = lambda minor: money_string(minor, group.currency)  # noqa: E731
    fine_codes = {t.id: t.code for t in cycle.fine_types}
    withdrawals: dict[int, list[str]] = defaultdict(list)
    for m in members:
        if m.withdrawn_meeting_id is not None:
            withdrawals[m.withdrawn_meeting_id].append(ids[m.id])
    raw_meetings = []
    for meeting in meetings:
        register = {a.cycle_member_id: a for a in entries.attendance[meeting.id]}
        absent = [ids[i] for i, a in register.items() if a.status == "absent"]
        represented = [ids[i] for i, a in register.items() if a.status == "represented"]
        mtg: dict[str, Any] = {
            "date": meeting.date.isoformat(), "kind": meeting.kind,
            "absent": sorted(absent, key=lambda x: list(ids.values()).index(x)),
            "represented": sorted(represented, key=lambda x: list(ids.values()).index(x)),
            "social": [ids[m.id] for m in members
                       if m.id in register and register[m.id].social > 0],
            "shares": [register[m.id].shares if m.id in register else 0 for m in members],
            "repayments": [{"member": ids[r.cycle_member_id], "amount": money(r.amount)}
                           for r in entries.repayments[meeting.id]],
            "fines": [{"member": ids[f.cycle_member_id], "type": fine_codes[f.fine_type_id],
                       "amount": money(f.amount), "paid": f.paid_at_once}
                      for f in entries.fines[meeting.id]],
            "fine_payments": [{"member": ids[f.cycle_member_id],
                               "type": fine_codes[f.fine_type_id]}
                              for f in entries.payments[meeting.id]],
            "fine_waivers": [{"member": ids[f.cycle_member_id],
                              "type": fine_codes[f.fine_type_id], "reason": f.waive_reason}
                             for f in entries.waivers[meeting.id]],
            "write_offs": [{"member": ids[loan.cycle_member_id],
                            "reason": loan.write_off_reason}
                           for loan in entries.write_offs[meeting.id]],
            "grants": [{"member": ids[g.cycle_member_id], "amount": money(g.amount),
                        "reason": g.reason} for g in entries.grants[meeting.id]],
            "loans": [{"member": ids[loan.cycle_member_id], "principal": money(loan.principal),
                       "months": loan.term_months, "purpose": loan.purpose}
                      for loan in entries.loans[meeting.id]],
            "withdrawals": [{"member": x} for x in withdrawals.get(meeting.id, [])],
            "differences": [{"bag": d.bag, "amount": money(d.amount), "reason": d.reason}
                            for d in entries.differences[meeting.id]],
        }
        if meeting.kind == SHARE_OUT:
            for key in ("loans", "withdrawals"):
                if not mtg[key]:
                    del mtg[key]
            if not share_out:
                mtg["kind"] = REGULAR
        # The social fund carried from the last cycle enters as the first
        # meeting's opening (it is in the books already; never posted again).
        if meeting.number == 1 and cycle.opening_social and not cycle.adopted_mid_cycle:
            mtg["differences"].insert(0, {"bag": "social",
                                          "amount": money(cycle.opening_social),
                                          "reason": gettext("social fund carried from the "
                                                            "last cycle")})
        raw_meetings.append(mtg)
    first_meeting = {m.id: m.joined_meeting_no for m in members}
    scenario = {"currency": group.currency, "settings": _settings_json(group, _settings_of(cycle)),
                "members": [{"id": ids[m.id], "name": m.name[:200],
                             "joined": min(first_meeting[m.id], len(meetings))}
                            for m in members if first_meeting[m.id] <= len(meetings)],
                "meetings": raw_meetings}
    # Members who join later than these meetings take no part yet.
    joined_members = [m for m in members if first_meeting[m.id] <= len(meetings)]
    for mtg in raw_meetings:
        mtg["shares"] = [mtg["shares"][members.index(m)] for m in joined_members]
    opening = _opening(session, cycle, joined_members, ids)
    corrections = _corrections(meetings, entries, ids)
    try:
        result = domain.preview(scenario, opening, corrections)
    except domain.ScenarioError as error:
        raise _domain_error(error, group.currency, meetings, by_id) from None
    return Run(cycle=cycle, members=joined_members, meetings=meetings, ids=ids,
               scenario=scenario, result=result, entries=entries, opening=opening,
               corrections=corrections)


def _corrections(meetings: Sequence[SavingsMeeting], entries: MeetingEntries,
                 ids: dict[int, str]) -> dict[int, list[domain.Correction]]:
    """The meetings' corrections as the engine takes them, by meeting index."""
    out: dict[int, list[domain.Correction]] = {}
    for k, meeting in enumerate(meetings):
        rows = entries.corrections[meeting.id]
        if rows:
            out[k] = [domain.ShareAdjustment(ids[c.cycle_member_id], c.shares, c.reason)
                      if c.kind == "shares" else
                      domain.InterestWaiver(ids[c.cycle_member_id], c.amount, c.reason)
                      for c in rows]
    return out


def _due_dates(text: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in text.split(",") if d.strip())


def _opening(session: Session, cycle: SavingsCycle, members: Sequence[CycleMember],
             ids: dict[int, str]) -> domain.Opening | None:
    """What a group that adopted Coop mid-cycle brought from its paper books."""
    if not cycle.adopted_mid_cycle:
        return None
    codes = {t.id: t.code for t in cycle.fine_types}
    owed: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for fine in opening_fines(session, cycle):
        owed[fine.cycle_member_id].append((codes[fine.fine_type_id], fine.amount))
    return domain.Opening(
        members={ids[m.id]: domain.OpeningMember(
            shares=m.opening_shares, loan_principal=m.opening_loan_principal,
            loan_interest=m.opening_loan_interest, due_dates=_due_dates(m.opening_due_dates),
            fines=tuple(owed[m.id]))
            for m in members if m.joined_meeting_no == 1},
        income=cycle.opening_income, social_fund=cycle.opening_social,
        fine_funds={t.code: t.to_fund for t in cycle.fine_types})


def _domain_error(error: domain.ScenarioError, currency: str,
                  meetings: Sequence[SavingsMeeting] = (),
                  members: dict[int, CycleMember] | None = None) -> DomainError:
    """The engine's fault in the reader's language, its amounts as she writes them."""
    params = dict(error.params)
    for name in _MONEY_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and _ENGINE_AMOUNT.fullmatch(value):
            params[name] = fmt_money(to_minor(value), currency)
    multiple = params.get("multiple")  # "3.00" × her savings: a number as the reader writes it
    if isinstance(multiple, str) and _ENGINE_AMOUNT.fullmatch(multiple):
        params["multiple"] = fmt_number(Decimal(to_minor(multiple)) / 100)
    day = params.get("date")
    if isinstance(day, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
        params["date"] = fmt_date(date.fromisoformat(day))
    if isinstance(params.get("members"), str):
        params["members"] = _shortfalls(params["members"], currency)
    path = error.field
    if _LOAN_MONTHS.fullmatch(path) and "high" in params:
        text = str(_loan_term(int(str(params["high"]))))
    elif path in _SCALED_SETTINGS and "high" in params:  # as typed: 25 %, × 3 (not 2500, 300)
        low, high = (fmt_number(Decimal(int(str(params[n]))) / 100) for n in ("low", "high"))
        if path == "settings.rate_bp":
            text = gettext("The interest per month is %(low)s to %(high)s.",
                           low=f"{low}\u00a0%", high=f"{high}\u00a0%")
            path = "settings.rate_percent"
        else:
            text = gettext("The multiple is %(low)s to %(high)s.", low=low, high=high)
    else:
        text = gettext(error.template)
        text = text % params if params else text
    message = text
    if path.startswith("meetings[") and meetings:
        index = int(path[len("meetings["):path.index("]")])
        if index < len(meetings):
            number = meetings[index].number
            message = gettext("Meeting %(number)s: %(message)s", number=number, message=message)
        path = path[path.index("]") + 1:].lstrip(".") or "meeting"
    elif path.startswith("settings."):
        path = path[len("settings."):]
    status = DomainError(message, field=path)
    return status


def _shortfalls(text: str, currency: str) -> str:
    """The engine's "Cholpon 2300.00 > 1500.00; …" (who owes more than her
    share-out) with the amounts as the reader writes them."""
    parts = []
    for part in text.split("; "):
        words = part.rsplit(" ", 3)
        if (len(words) == 4 and words[2] == ">" and _ENGINE_AMOUNT.fullmatch(words[1])
                and _ENGINE_AMOUNT.fullmatch(words[3])):
            part = gettext("%(name)s owes %(owed)s, her share-out is %(entitlement)s",
                           name=words[0], owed=fmt_money(to_minor(words[1]), currency),
                           entitlement=fmt_money(to_minor(words[3]), currency))
        parts.append(part)
    return "; ".join(parts)


# --------------------------------------------------------------------------
# Meetings
# --------------------------------------------------------------------------


def meetings_of(session: Session, cycle: SavingsCycle) -> list[SavingsMeeting]:
    return list(session.scalars(select(SavingsMeeting).where(
        SavingsMeeting.cycle_id == cycle.id).order_by(SavingsMeeting.number)))


def get_meeting(session: Session, cycle: SavingsCycle, meeting_id: int) -> SavingsMeeting | None:
    meeting = session.get(SavingsMeeting, meeting_id)
    return meeting if meeting is not None and meeting.cycle_id == cycle.id else None


def _open_meeting(session: Session, cycle: SavingsCycle) -> SavingsMeeting | None:
    return session.scalar(select(SavingsMeeting).where(
        SavingsMeeting.cycle_id == cycle.id, SavingsMeeting.state == OPEN))


def open_meeting(session: Session, cycle: SavingsCycle, group: Group, *, day: date,
                 kind: str, actor: User | None) -> SavingsMeeting:
    """A new meeting (§5 step 1), its register ready with every enrolled
    member absent until the roll call."""
    _lock(session, cycle)
    if cycle.state != ACTIVE:
        raise Conflict(_l("Meetings are held while the cycle runs (it is %(state)s).",
                          state=CYCLE_STATE_NAMES[cycle.state]))
    if kind not in (REGULAR, SHARE_OUT):
        raise DomainError(_l("Unknown kind of meeting."), field="kind")
    current = _open_meeting(session, cycle)
    if current is not None:
        raise Conflict(_l("Meeting %(number)s is still open; close it first.",
                          number=current.number))
    last = session.scalar(select(SavingsMeeting).where(SavingsMeeting.cycle_id == cycle.id)
                          .order_by(SavingsMeeting.number.desc()).limit(1))
    if day > local_today():
        raise DomainError(_l("The meeting's date cannot be in the future."), field="date")
    if day < cycle.start_date:
        raise DomainError(_l("The cycle starts on %(day)s.", day=fmt_date(cycle.start_date)),
                          field="date")
    if last is not None and day <= last.date:
        raise DomainError(_l("The previous meeting was on %(day)s; this one comes after it.",
                             day=fmt_date(last.date)), field="date")
    meeting = SavingsMeeting(group_id=cycle.group_id, cycle_id=cycle.id,
                             number=(last.number if last else 0) + 1, date=day, kind=kind,
                             state=OPEN, created_by_id=actor.id if actor else None)
    session.add(meeting)
    session.flush()
    for member in cycle_members(session, cycle):
        if member.state == "active" and member.joined_meeting_no <= meeting.number:
            session.add(Attendance(meeting_id=meeting.id, cycle_member_id=member.id,
                                   status="absent"))
    if kind == SHARE_OUT:
        cycle.state = SHARING_OUT
    session.flush()
    return meeting


def _editable(session: Session, meeting: SavingsMeeting) -> SavingsCycle:
    cycle = session.get(SavingsCycle, meeting.cycle_id)
    assert cycle is not None
    _lock(session, cycle)
    session.refresh(meeting)
    if meeting.state != OPEN:
        raise Conflict(_l("Meeting %(number)s is closed; a closed meeting is changed only by "
                          "reopening it.", number=meeting.number))
    return cycle


def check_meeting(session: Session, meeting: SavingsMeeting, group: Group, *,
                  share_out: bool = False) -> Run:
    """The whole cycle with this meeting's entries through the engine; its
    first fault is refused (the caller rolls back: nothing half-written).
    The share-out itself is judged at the close (`share_out`)."""
    cycle = session.get(SavingsCycle, meeting.cycle_id)
    assert cycle is not None
    session.flush()
    run = run_cycle(session, cycle, group, through=meeting.number, share_out=share_out)
    assert run is not None
    return run


@dataclass
class RegisterLine:
    """One member's line of the register: roll call, shares, social, repayment."""

    member_id: int
    status: str
    shares: int = 0
    social: bool = False
    repayment: int = 0


def save_register(session: Session, meeting: SavingsMeeting, group: Group,
                  lines: Iterable[RegisterLine]) -> Run:
    cycle = _editable(session, meeting)
    rows = {a.cycle_member_id: a for a in session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id))}
    repayments = {r.cycle_member_id: r for r in session.scalars(
        select(Repayment).where(Repayment.meeting_id == meeting.id))}
    for line in lines:
        row = rows.get(line.member_id)
        if row is None:
            raise DomainError(_l("She takes no part in this meeting."), field="member")
        if line.status not in ("present", "represented", "absent"):
            raise DomainError(_l("Present, represented or absent."), field="status")
        row.status = line.status
        row.shares = line.shares
        row.social = cycle.social_contribution if line.social else 0
        if line.shares < 0:
            raise DomainError(_l("Must not be negative."), field="shares")
        repayment = repayments.get(line.member_id)
        if line.repayment < 0:
            raise DomainError(_l("Must not be negative."), field="repayment")
        if line.repayment and repayment is None:
            session.add(Repayment(meeting_id=meeting.id, cycle_member_id=line.member_id,
                                  amount=line.repayment))
        elif line.repayment and repayment is not None:
            repayment.amount = line.repayment
        elif repayment is not None:
            session.delete(repayment)
    return check_meeting(session, meeting, group)


def _member_of_meeting(session: Session, meeting: SavingsMeeting, member_id: int) -> CycleMember:
    member = session.get(CycleMember, member_id)
    if member is None or member.cycle_id != meeting.cycle_id:
        raise DomainError(_l("There is no such member in this cycle."), field="member")
    return member


def add_fine(session: Session, meeting: SavingsMeeting, group: Group, *, member_id: int,
             fine_type_id: int, amount: int | None, paid: bool) -> Run:
    cycle = _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    fine_type = next((t for t in cycle.fine_types if t.id == fine_type_id), None)
    if fine_type is None:
        raise DomainError(_l("Unknown kind of fine."), field="fine_type")
    amount = fine_type.default_amount if amount is None else amount
    if amount <= 0:
        raise DomainError(_l("A fine is more than zero."), field="amount")
    session.add(Fine(meeting_id=meeting.id, cycle_member_id=member.id,
                     fine_type_id=fine_type.id, amount=amount, paid_at_once=paid,
                     paid_meeting_id=meeting.id if paid else None))
    return check_meeting(session, meeting, group)


def _earliest_due(session: Session, meeting: SavingsMeeting, member: CycleMember,
                  fine_type_id: int) -> Fine:
    # A fine owed from the paper books (no meeting) comes first.
    fine = session.scalar(select(Fine).outerjoin(SavingsMeeting,
                                                 SavingsMeeting.id == Fine.meeting_id)
                          .where(Fine.cycle_member_id == member.id,
                                 Fine.fine_type_id == fine_type_id,
                                 Fine.paid_meeting_id.is_(None),
                                 Fine.waived_meeting_id.is_(None),
                                 Fine.meeting_id.is_(None)
                                 | (SavingsMeeting.number < meeting.number))
                          .order_by(func.coalesce(SavingsMeeting.number, 0), Fine.id).limit(1))
    if fine is None:
        raise DomainError(_l("%(name)s owes no fine of this kind.", name=member.name),
                          field="fine_type")
    return fine


def pay_fine(session: Session, meeting: SavingsMeeting, group: Group, *, member_id: int,
             fine_type_id: int) -> Run:
    _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    fine = _earliest_due(session, meeting, member, fine_type_id)
    fine.paid_meeting_id = meeting.id
    return check_meeting(session, meeting, group)


def waive_fine(session: Session, meeting: SavingsMeeting, group: Group, *, member_id: int,
               fine_type_id: int, reason: str) -> Run:
    _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    if len(reason.strip()) < 3:
        raise DomainError(_l("Say why."), field="reason")
    fine = _earliest_due(session, meeting, member, fine_type_id)
    fine.waived_meeting_id = meeting.id
    fine.waive_reason = reason.strip()[:500]
    return check_meeting(session, meeting, group)


def add_grant(session: Session, meeting: SavingsMeeting, group: Group, *, member_id: int,
              amount: int, reason: str) -> Run:
    _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    if not reason.strip():
        raise DomainError(_l("Say why."), field="reason")
    if amount <= 0:
        raise DomainError(_l("A grant is more than zero."), field="amount")
    session.add(SocialGrant(meeting_id=meeting.id, cycle_member_id=member.id, amount=amount,
                            reason=reason.strip()[:500]))
    return check_meeting(session, meeting, group)


def add_loan(session: Session, meeting: SavingsMeeting, group: Group, *, member_id: int,
             principal: int, months: int, purpose: str) -> Run:
    cycle = _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    if meeting.kind == SHARE_OUT:
        raise DomainError(_l("No loans at the share-out meeting."), field="principal")
    if principal <= 0:
        raise DomainError(_l("A loan is more than zero."), field="principal")
    if not 1 <= months <= cycle.max_term_months:
        raise DomainError(_loan_term(cycle.max_term_months), field="months")
    session.add(SavingsLoan(group_id=cycle.group_id, cycle_id=cycle.id, meeting_id=meeting.id,
                            cycle_member_id=member.id, principal=principal, term_months=months,
                            purpose=purpose.strip()[:500], state="draft"))
    return check_meeting(session, meeting, group)


def _loan_term(most: int) -> Any:
    return _l("A loan's term is 1 to %(most)s months: the longest the group's rules allow.",
              most=most)


def add_write_off(session: Session, meeting: SavingsMeeting, group: Group, *, member_id: int,
                  reason: str) -> Run:
    _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    if len(reason.strip()) < 3:
        raise DomainError(_l("Say why."), field="reason")
    loan = session.scalar(select(SavingsLoan).where(
        SavingsLoan.cycle_member_id == member.id, SavingsLoan.state == "active",
        SavingsLoan.written_off_meeting_id.is_(None)))
    if loan is None:
        raise DomainError(_l("%(name)s has no loan to write off.", name=member.name),
                          field="member")
    loan.written_off_meeting_id = meeting.id
    loan.write_off_reason = reason.strip()[:500]
    return check_meeting(session, meeting, group)


def add_share_adjustment(session: Session, meeting: SavingsMeeting, group: Group, *,
                         member_id: int, shares: int, reason: str) -> Run:
    """A mistake in an older meeting's shares, corrected at this one (§5.4):
    older meetings are never changed. Confirmed with the close by two
    key-holders at least; her shares may not fall below none."""
    _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    if shares == 0:
        raise DomainError(_l("More or fewer shares: not zero."), field="shares")
    if len(reason.strip()) < 5:
        raise DomainError(_l("Say why, in five letters at least."), field="reason")
    session.add(Correction(meeting_id=meeting.id, cycle_member_id=member.id, kind="shares",
                           shares=shares, amount=0, reason=reason.strip()[:500]))
    return check_meeting(session, meeting, group)


def add_interest_waiver(session: Session, meeting: SavingsMeeting, group: Group, *,
                        member_id: int, amount: int, reason: str) -> Run:
    """The group waives part of the interest charged on her loan and not yet
    paid (§6.3); confirmed with the close by two key-holders at least."""
    _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    if amount <= 0:
        raise DomainError(_l("A waiver is more than zero."), field="amount")
    if len(reason.strip()) < 5:
        raise DomainError(_l("Say why, in five letters at least."), field="reason")
    session.add(Correction(meeting_id=meeting.id, cycle_member_id=member.id, kind="interest",
                           shares=0, amount=amount, reason=reason.strip()[:500]))
    return check_meeting(session, meeting, group)


def add_withdrawal(session: Session, meeting: SavingsMeeting, group: Group, *,
                   member_id: int) -> Run:
    _editable(session, meeting)
    member = _member_of_meeting(session, meeting, member_id)
    if meeting.kind == SHARE_OUT:
        raise DomainError(_l("At the share-out everyone is paid out; no withdrawals."),
                          field="member")
    if member.state != "active" or member.withdrawn_meeting_id is not None:
        raise DomainError(_l("%(name)s is not an active member of the cycle.", name=member.name),
                          field="member")
    member.withdrawn_meeting_id = meeting.id
    return check_meeting(session, meeting, group)


def add_difference(session: Session, meeting: SavingsMeeting, group: Group, *, bag: str,
                   amount: int, reason: str) -> Run:
    _editable(session, meeting)
    if bag not in ("loan", "social"):
        raise DomainError(_l("The loan bag or the social bag."), field="bag")
    if amount == 0:
        raise DomainError(_l("A difference is not zero."), field="amount")
    if len(reason.strip()) < 5:
        raise DomainError(_l("Say why, in five letters at least."), field="reason")
    session.add(CashDifference(meeting_id=meeting.id, bag=bag, amount=amount,
                               reason=reason.strip()[:500]))
    return check_meeting(session, meeting, group)


def same_entry(session: Session, meeting: SavingsMeeting, kind: str, *, member_id: int = 0,
               fine_type_id: int = 0, amount: int = 0, shares: int = 0, bag: str = ""
               ) -> Any:
    """A line already at this meeting like the one about to be added (Back,
    and the same form filled in again): the page asks before a second one
    moves the money again. A second loan, write-off or withdrawal of hers is
    refused by the rules, and the register is set, not added to."""
    def first(query: Any) -> Any:
        return session.scalars(query).first()

    if kind == "fine":
        return first(select(Fine).where(
            Fine.meeting_id == meeting.id, Fine.cycle_member_id == member_id,
            Fine.fine_type_id == fine_type_id, Fine.amount == amount))
    if kind in ("fine_payment", "waiver"):
        at = Fine.paid_meeting_id if kind == "fine_payment" else Fine.waived_meeting_id
        return first(select(Fine).where(
            at == meeting.id, Fine.cycle_member_id == member_id,
            Fine.fine_type_id == fine_type_id, Fine.paid_at_once.is_(False)))
    if kind == "grant":
        return first(select(SocialGrant).where(
            SocialGrant.meeting_id == meeting.id, SocialGrant.cycle_member_id == member_id,
            SocialGrant.amount == amount))
    if kind in ("share_adjustment", "interest_waiver"):
        return first(select(Correction).where(
            Correction.meeting_id == meeting.id, Correction.cycle_member_id == member_id,
            Correction.kind == ("shares" if kind == "share_adjustment" else "interest"),
            Correction.shares == shares, Correction.amount == amount))
    if kind == "difference":
        return first(select(CashDifference).where(
            CashDifference.meeting_id == meeting.id, CashDifference.bag == bag,
            CashDifference.amount == amount))
    return None


ENTRY_KINDS = ("fine", "fine_payment", "waiver", "grant", "loan", "write_off", "withdrawal",
               "difference", "share_adjustment", "interest_waiver")


def remove_entry(session: Session, meeting: SavingsMeeting, group: Group, *, kind: str,
                 entry_id: int) -> Run:
    """Take back a line entered at this open meeting."""
    _editable(session, meeting)
    gone = lambda: DomainError(_l("There is no such line at this meeting."))  # noqa: E731
    if kind == "fine":
        fine = session.get(Fine, entry_id)
        if fine is None or fine.meeting_id != meeting.id:
            raise gone()
        session.delete(fine)
    elif kind in ("fine_payment", "waiver"):
        fine = session.get(Fine, entry_id)
        column = "paid_meeting_id" if kind == "fine_payment" else "waived_meeting_id"
        if fine is None or getattr(fine, column) != meeting.id or (
                kind == "fine_payment" and fine.paid_at_once):
            raise gone()
        setattr(fine, column, None)
    elif kind == "grant":
        grant = session.get(SocialGrant, entry_id)
        if grant is None or grant.meeting_id != meeting.id:
            raise gone()
        session.delete(grant)
    elif kind == "loan":
        loan = session.get(SavingsLoan, entry_id)
        if loan is None or loan.meeting_id != meeting.id or loan.state == "cancelled":
            raise gone()
        if loan.number is None:
            session.delete(loan)
        else:  # disbursed at an earlier closing of this meeting: kept, cancelled (§5.4)
            loan.state = "cancelled"
    elif kind == "write_off":
        loan = session.get(SavingsLoan, entry_id)
        if loan is None or loan.written_off_meeting_id != meeting.id:
            raise gone()
        loan.written_off_meeting_id = None
        loan.write_off_reason = ""
    elif kind == "withdrawal":
        member = session.get(CycleMember, entry_id)
        if member is None or member.withdrawn_meeting_id != meeting.id:
            raise gone()
        member.withdrawn_meeting_id = None
    elif kind == "difference":
        difference = session.get(CashDifference, entry_id)
        if difference is None or difference.meeting_id != meeting.id:
            raise gone()
        session.delete(difference)
    elif kind in ("share_adjustment", "interest_waiver"):
        correction = session.get(Correction, entry_id)
        if correction is None or correction.meeting_id != meeting.id or correction.kind != (
                "shares" if kind == "share_adjustment" else "interest"):
            raise gone()
        session.delete(correction)
    else:
        raise gone()
    return check_meeting(session, meeting, group)


def expected_cash(run: Run, meeting: SavingsMeeting) -> dict[str, tuple[int, int]]:
    """Per bag: (expected at the opening, expected at the close) of this meeting.
    The opening is the last meeting's close; at the first meeting, the cash the
    paper books hold (a cycle adopted mid-way, §4.3, as counted at its start),
    else the social fund carried from the last cycle and an empty loan bag."""
    k = meeting.number
    after = run.figures(k)
    if k > 1:
        before = run.figures(k - 1)
        opening = {bag: to_minor(before[f"{bag}_bag"]) for bag in ("loan", "social")}
    elif run.opening is not None:
        opening = {"loan": run.opening.loan_bag(run.cycle.share_value),
                   "social": run.opening.social_bag()}
    else:
        opening = {"loan": 0, "social": run.cycle.opening_social}
    return {bag: (opening[bag], to_minor(after[f"{bag}_bag"])) for bag in ("loan", "social")}


# --------------------------------------------------------------------------
# Key-holders' confirmations
# --------------------------------------------------------------------------


def opening_subject(cycle: SavingsCycle) -> str:
    """The subject of the key-holders' opening count of a cycle adopted mid-way."""
    return f"opening:{cycle.id}"


def opening_confirmations(session: Session, cycle: SavingsCycle) -> list[Confirmation]:
    return list(session.scalars(select(Confirmation).where(
        Confirmation.meeting_id.is_(None), Confirmation.group_id == cycle.group_id,
        Confirmation.subject == opening_subject(cycle)).order_by(Confirmation.id)))


def _confirm(session: Session, meeting: SavingsMeeting | None, cycle: SavingsCycle,
             subject: str, key_holder_ids: Sequence[int], actor: User | None,
             actor_membership: Membership | None, needed: int) -> list[Confirmation]:
    """`needed` distinct key-holders of the cycle confirm; recorded by the
    treasurer on behalf of those without a login (flagged). No meeting: the
    opening count of a cycle adopted mid-way."""
    holders = {h.id: h for h in cycle.key_holders}
    chosen = _check_key_holders(cycle, key_holder_ids, needed)
    rows = []
    for holder_id in chosen:
        holder = holders[holder_id]
        own = actor_membership is not None and actor_membership.id == holder.membership_id
        row = Confirmation(group_id=cycle.group_id,
                           meeting_id=meeting.id if meeting is not None else None,
                           subject=subject, closing=meeting.reopened if meeting else 0,
                           key_holder_id=holder.id,
                           on_behalf=not own, recorded_by_id=actor.id if actor else None)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _check_key_holders(cycle: SavingsCycle, key_holder_ids: Sequence[int],
                       needed: int) -> list[int]:
    """`needed` distinct key-holders of this cycle (their ids), or refused."""
    holders = {h.id for h in cycle.key_holders}
    chosen = [i for i in key_holder_ids if i]
    if len(set(chosen)) != len(chosen):
        raise DomainError(_l("The same key-holder cannot confirm twice."), field="key_holders")
    if any(i not in holders for i in chosen):
        raise DomainError(_l("Only this cycle's key-holders confirm."), field="key_holders")
    if len(chosen) < needed:
        raise DomainError(_l("%(count)s key-holders must confirm; %(given)s did.",
                             count=needed, given=len(chosen)), field="key_holders")
    return chosen


def confirmations(session: Session, meeting: SavingsMeeting, subject: str) -> list[Confirmation]:
    return list(session.scalars(select(Confirmation).where(
        Confirmation.meeting_id == meeting.id, Confirmation.subject == subject,
        Confirmation.closing == meeting.reopened).order_by(Confirmation.id)))


# --------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------


class Accounts:
    """The cycle's savings accounts (made on first use): the group's two bags,
    income and social fund, and each member's savings, loan and fines due."""

    def __init__(self, session: Session, cycle: SavingsCycle) -> None:
        self.session = session
        self.group_id = cycle.group_id
        rows = session.scalars(select(Account).where(
            Account.group_id == cycle.group_id, Account.kind.in_(SAVINGS_GROUP_KINDS)))
        self.group = {a.kind: a.id for a in rows}
        for kind in SAVINGS_GROUP_KINDS:
            if kind not in self.group:
                account = Account(group_id=cycle.group_id, kind=kind)
                session.add(account)
                session.flush()
                self.group[kind] = account.id
        self.members: dict[tuple[str, int], int] = {
            (a.kind, a.cycle_member_id): a.id for a in session.scalars(
                select(Account).join(CycleMember, CycleMember.id == Account.cycle_member_id)
                .where(CycleMember.cycle_id == cycle.id))}

    def member(self, cycle_member_id: int, kind: str = "sg_shares") -> int:
        key = (kind, cycle_member_id)
        if key not in self.members:
            for each in ("sg_shares", "sg_loan", "sg_dues"):
                account = Account(group_id=self.group_id, kind=each,
                                  cycle_member_id=cycle_member_id)
                self.session.add(account)
                self.session.flush()
                self.members[(each, cycle_member_id)] = account.id
        return self.members[key]

    @property
    def box_loan(self) -> int:
        return self.group["sg_box_loan"]

    @property
    def box_social(self) -> int:
        return self.group["sg_box_social"]

    @property
    def income(self) -> int:
        return self.group["sg_income"]

    @property
    def social(self) -> int:
        return self.group["sg_social"]


class _Poster:
    def __init__(self, session: Session, group: Group, meeting: SavingsMeeting,
                 accounts: Accounts, actor: User | None) -> None:
        self.session, self.group, self.meeting = session, group, meeting
        self.accounts, self.actor = accounts, actor

    def __call__(self, debit: int, credit: int, amount: int, kind: str, memo: str = "") -> None:
        posting = ledger.post(self.session, self.group, debit=debit, credit=credit, amount=amount,
                              kind=kind, memo=memo, actor=self.actor)
        if posting is not None:
            posting.sg_meeting_id = self.meeting.id


def _post_meeting(session: Session, group: Group, run: Run, meeting: SavingsMeeting,
                  accounts: Accounts, actor: User | None) -> None:
    """Every movement of the meeting (§8), from what it recorded and the
    engine's figures (interest charged, how each repayment was applied)."""
    k = meeting.number
    figures = run.figures(k)
    V = run.cycle.share_value
    post = _Poster(session, group, meeting, accounts, actor)
    acct = accounts.member
    by_engine_id = {run.ids[m.id]: m for m in run.members}
    entries = run.entries
    for j, line in enumerate(figures["members"]):
        member = run.members[j]
        post(accounts.box_loan, acct(member.id), V * line["shares_bought"], "sg_shares")
        post(accounts.box_social, accounts.social, to_minor(line["social"]), "sg_social_in")
    reasons = {(c.cycle_member_id, c.kind): c.reason for c in entries.corrections[meeting.id]}
    for adjustment in figures.get("adjustments", []):
        member = by_engine_id[adjustment["member"]]
        amount = to_minor(adjustment["amount"])
        reason = reasons.get((member.id, "shares"), "")
        if amount > 0:
            post(accounts.box_loan, acct(member.id), amount, "sg_adjustment", reason)
        else:
            post(acct(member.id), accounts.box_loan, -amount, "sg_adjustment", reason)
    loans_here = [loan for loan in run.result["loans"] if loan["meeting"] == k]
    for loan in loans_here:
        member = by_engine_id[loan["member"]]
        post(acct(member.id, "sg_loan"), accounts.box_loan, to_minor(loan["principal"]),
             "sg_loan_out")
        if run.cycle.interest_method == "flat":
            post(acct(member.id, "sg_loan"), accounts.income, to_minor(loan["interest_charged"]),
                 "sg_interest")
    if run.cycle.interest_method == "declining":
        # the interest charged as her installments fell due at this meeting:
        # what is left of their interest, with what a waiver took of it (posted
        # as the waiver) and less what a loan brought in carried (posted at the
        # start)
        for loan in run.result["loans"]:
            member = by_engine_id[loan["member"]]
            interest = sum(to_minor(i["interest_due"]) + to_minor(i.get("interest_waived"))
                           - to_minor(i.get("interest_brought"))
                           for i in loan["installments"]
                           if i["falls_due_meeting"] == k and i["interest_due"] is not None)
            post(acct(member.id, "sg_loan"), accounts.income, interest, "sg_interest")
    for repayment in figures["repayments"]:
        member = by_engine_id[repayment["member"]]
        post(accounts.box_loan, acct(member.id, "sg_loan"), to_minor(repayment["amount"]),
             "sg_repayment")
    fund_account = {"loan": accounts.income, "social": accounts.social}
    bag_account = {"loan": accounts.box_loan, "social": accounts.box_social}
    for fine in entries.fines[meeting.id]:
        fund = fine.fine_type.to_fund
        post(acct(fine.cycle_member_id, "sg_dues"), fund_account[fund], fine.amount, "sg_fine")
        if fine.paid_at_once:
            post(bag_account[fund], acct(fine.cycle_member_id, "sg_dues"), fine.amount,
                 "sg_fine_paid")
    for fine in entries.payments[meeting.id]:
        fund = fine.fine_type.to_fund
        post(bag_account[fund], acct(fine.cycle_member_id, "sg_dues"), fine.amount,
             "sg_fine_paid")
    for fine in entries.waivers[meeting.id]:
        fund = fine.fine_type.to_fund
        post(fund_account[fund], acct(fine.cycle_member_id, "sg_dues"), fine.amount,
             "sg_waiver", fine.waive_reason)
    for waiver in figures.get("interest_waivers", []):
        member = by_engine_id[waiver["member"]]
        post(accounts.income, acct(member.id, "sg_loan"), to_minor(waiver["amount"]),
             "sg_interest_waiver", reasons.get((member.id, "interest"), ""))
    for write_off in figures["write_offs"]:
        member = by_engine_id[write_off["member"]]
        post(accounts.income, acct(member.id, "sg_loan"),
             to_minor(write_off["principal"]) + to_minor(write_off["interest"]), "sg_write_off")
    for grant in entries.grants[meeting.id]:
        post(accounts.social, accounts.box_social, grant.amount, "sg_grant", grant.reason)
    for out in figures["withdrawals"]:
        member = by_engine_id[out["member"]]
        loan_part = _loan_outstanding(run, out["member"], k)
        _pay_out(post, accounts, member.id, profit=to_minor(out["profit"]), loan=loan_part,
                 dues=to_minor(out["set_off"]) - loan_part, residual=to_minor(out["residual"]),
                 cash=to_minor(out["cash"]))
    for difference in entries.differences[meeting.id]:
        if difference.bag == "loan":
            post(accounts.box_loan, accounts.income, difference.amount, "sg_cash_difference",
                 difference.reason)
        else:
            post(accounts.box_social, accounts.social, difference.amount, "sg_cash_difference",
                 difference.reason)
    share_out = run.result.get("share_out")
    if meeting.kind == SHARE_OUT and share_out is not None:
        for j, line in enumerate(share_out["members"]):
            member = run.members[j]
            before = figures["members"][j]
            loan_part = to_minor(before["loan_principal"]) + to_minor(before["loan_interest"])
            _pay_out(post, accounts, member.id, profit=to_minor(line["profit"]), loan=loan_part,
                     dues=to_minor(line["set_off"]) - loan_part,
                     residual=to_minor(line["residual"]), cash=to_minor(line["cash"]))


def _pay_out(post: _Poster, accounts: Accounts, member_id: int, *, profit: int, loan: int,
             dues: int, residual: int, cash: int) -> None:
    """Her part of the income, her debts set off, the coins to the social
    fund, the cash in her hand (§9.4)."""
    acct = accounts.member
    post(accounts.income, acct(member_id), profit, "sg_profit")
    post(acct(member_id), acct(member_id, "sg_loan"), loan, "sg_set_off")
    post(acct(member_id), acct(member_id, "sg_dues"), dues, "sg_set_off")
    post(acct(member_id), accounts.social, residual, "sg_residual")
    post(accounts.box_social, accounts.box_loan, residual, "sg_bag_move")
    post(acct(member_id), accounts.box_loan, cash, "sg_payout")


def _loan_outstanding(run: Run, member: str, k: int) -> int:
    """What her loan set off at meeting k still owed (principal and posted interest)."""
    total = 0
    for loan in run.result["loans"]:
        if loan["member"] == member and loan["state"] == "set_off" and loan["closed_meeting"] == k:
            for i in loan["installments"]:
                total += to_minor(i["principal_due"]) - to_minor(i["principal_paid"])
                if i["interest_due"] is not None:
                    total += to_minor(i["interest_due"]) - to_minor(i["interest_paid"])
    return total


def _check_ledger(session: Session, group: Group, run: Run, meeting: SavingsMeeting,
                  accounts: Accounts) -> None:
    """The ledger holds exactly the engine's figures after this meeting: a
    mismatch is a bug, and nothing is written (the caller rolls back)."""
    balances = ledger.balances(session, group)
    figures = run.figures(meeting.number)
    shared_out = meeting.kind == SHARE_OUT and run.result.get("share_out") is not None
    carried = run.result.get("social_fund_carried")
    want = {
        accounts.box_loan: 0 if shared_out else -to_minor(figures["loan_bag"]),
        accounts.box_social: -to_minor(carried if shared_out else figures["social_bag"]),
        accounts.income: 0 if shared_out else to_minor(figures["income"]),
        accounts.social: to_minor(carried if shared_out else figures["social_fund"]),
    }
    for j, line in enumerate(figures["members"]):
        member = run.members[j]
        want[accounts.member(member.id)] = 0 if shared_out else to_minor(line["savings"])
        want[accounts.member(member.id, "sg_loan")] = 0 if shared_out else -(
            to_minor(line["loan_principal"]) + to_minor(line["loan_interest"]))
        want[accounts.member(member.id, "sg_dues")] = 0 if shared_out else -to_minor(
            line["fines_due"])
    wrong = {a: (balances.get(a, 0), w) for a, w in want.items() if balances.get(a, 0) != w}
    if wrong:
        raise RuntimeError(f"savings ledger differs from the engine at meeting {meeting.id}: "
                           f"{wrong}")


# --------------------------------------------------------------------------
# Closing, reopening, the share-out
# --------------------------------------------------------------------------


@dataclass
class Counts:
    opening_loan: int | None
    opening_social: int | None
    closing_loan: int
    closing_social: int


def check_close(session: Session, meeting: SavingsMeeting, group: Group, *, counts: Counts,
                key_holder_ids: Sequence[int]) -> Run:
    """Everything that would refuse closing this meeting, checked before
    anything is written: the meeting still open, the whole cycle through the
    engine (at the share-out meeting, the share-out itself), each bag's count
    as the books expect it, enough distinct key-holders of this cycle. The
    share-out's question calls it first, so a close that would be refused is
    refused before it is asked; `close_meeting` calls it again under the lock."""
    session.refresh(meeting)
    if meeting.state != OPEN:
        raise Conflict(_l("Meeting %(number)s is already closed.", number=meeting.number))
    cycle = session.get(SavingsCycle, meeting.cycle_id)
    assert cycle is not None
    run = check_meeting(session, meeting, group, share_out=True)
    expected = expected_cash(run, meeting)
    _check_opening_counts(run, meeting, group, counts, expected)
    for bag, counted in (("loan", counts.closing_loan), ("social", counts.closing_social)):
        want = expected[bag][1]
        if counted != want:
            raise DomainError(_l(
                "The %(bag)s counted %(counted)s but the books expect %(expected)s: count "
                "again, or record the difference of %(difference)s with its reason.",
                bag=_bag_name(bag), counted=fmt_money(counted, group.currency),
                expected=fmt_money(want, group.currency),
                difference=fmt_money(counted - want, group.currency)),
                field=f"closing_{bag}")
    _check_key_holders(cycle, key_holder_ids, _keys_needed(cycle, run, meeting))
    return run


def _check_opening_counts(run: Run, meeting: SavingsMeeting, group: Group, counts: Counts,
                          expected: dict[str, tuple[int, int]]) -> None:
    """Each bag counted at the opening holds what the last close left in it
    (§5 step 3), or a difference of that bag is recorded at this meeting
    (§5.2): it explains the gap, and the closing count, checked next, must
    then match the close the difference is part of. A bag not counted at the
    opening is not compared: its closing count still is."""
    recorded = {d.bag for d in run.entries.differences[meeting.id]}
    for bag, counted in (("loan", counts.opening_loan), ("social", counts.opening_social)):
        want = expected[bag][0]
        if counted is None or counted == want or bag in recorded:
            continue
        raise DomainError(_l(
            "The %(bag)s counted %(counted)s at the opening but the books expect "
            "%(expected)s: check the count, or record the difference of %(difference)s "
            "with its reason.",
            bag=_bag_name(bag), counted=fmt_money(counted, group.currency),
            expected=fmt_money(want, group.currency),
            difference=fmt_money(counted - want, group.currency)),
            field=f"opening_{bag}")


def _keys_needed(cycle: SavingsCycle, run: Run, meeting: SavingsMeeting) -> int:
    """How many key-holders confirm this meeting's close."""
    needed = cycle.confirmations_required
    if any(loan.principal > cycle.confirm_loans_above
           for loan in run.entries.loans[meeting.id]):
        needed = max(needed, 2)  # a loan above the group's limit: two keys (§6.1 rule 7)
    if run.entries.corrections[meeting.id]:
        needed = max(needed, 2)  # a correction of shares or interest: two keys (§5.4, §6.3)
    return needed


def close_meeting(session: Session, meeting: SavingsMeeting, group: Group, *, counts: Counts,
                  key_holder_ids: Sequence[int], actor: User | None,
                  actor_membership: Membership | None = None) -> Run:
    """Close (§5.3): everything checked again (`check_close`), every movement
    posted in this one transaction, the ledger checked against the engine,
    the meeting record issued. At the share-out meeting this confirms the
    share-out (§9.3) and closes the cycle. A second close finds the meeting
    closed: 409."""
    cycle = session.get(SavingsCycle, meeting.cycle_id)
    assert cycle is not None
    _lock(session, cycle)
    run = check_close(session, meeting, group, counts=counts, key_holder_ids=key_holder_ids)
    subject = "share_out" if meeting.kind == SHARE_OUT else "close"
    _confirm(session, meeting, cycle, subject, key_holder_ids, actor, actor_membership,
             _keys_needed(cycle, run, meeting))
    meeting.opening_loan_count = counts.opening_loan
    meeting.opening_social_count = counts.opening_social
    meeting.closing_loan_count = counts.closing_loan
    meeting.closing_social_count = counts.closing_social
    accounts = Accounts(session, cycle)
    _post_meeting(session, group, run, meeting, accounts, actor)
    _check_ledger(session, group, run, meeting, accounts)
    meeting.state = MEETING_CLOSED
    meeting.closed_at = utcnow()
    meeting.closed_by_id = actor.id if actor else None
    share_out = None
    if meeting.kind == SHARE_OUT:
        share_out = _record_share_out(session, cycle, meeting, run, actor)
    _sync(session, cycle, run, closed_through=meeting.number)
    session.flush()
    _issue_papers(session, group, cycle, meeting, run, share_out, actor)
    return run


def _paper_confirmations(session: Session, meeting: SavingsMeeting) -> list[Any]:
    from coop.savings import paper

    what = {"close": gettext("count and close"), "share_out": gettext("share-out"),
            "reopen": gettext("reopening")}
    return [paper.Confirmation(name=c.key_holder.membership.user.name,
                               what=what.get(c.subject, c.subject), on_behalf=c.on_behalf,
                               recorded_by=_user_name(session, c.recorded_by_id))
            for c in confirmations(session, meeting, "close")
            + confirmations(session, meeting, "share_out")]


def _user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return str(user.name) if user else ""


def _issue_papers(session: Session, group: Group, cycle: SavingsCycle, meeting: SavingsMeeting,
                  run: Run, share_out: ShareOut | None, actor: User | None) -> None:
    """The numbered meeting record (and, at the share-out, the share-out
    sheet), issued in the group's language and never changed; a record issued
    again after a reopening refers to the one it replaces."""
    from coop.documents import services as documents
    from coop.documents.models import SAVINGS_MEETING, SAVINGS_SHARE_OUT, Document
    from coop.savings import paper

    info = documents.group_info(session, group)
    locale = documents.language(group.language)
    holders = [h.membership.user.name for h in cycle.key_holders]
    with force_locale(locale):  # the record's words in its own language, whoever closes
        signed = _paper_confirmations(session, meeting)
    previous = None
    if meeting.reopened:
        previous = session.scalar(select(Document).where(
            Document.group_id == group.id,
            Document.subject == record_subject(meeting, meeting.reopened - 1)))
    data = _record_cash(paper.meeting_record_from_preview(
        run.scenario, run.result, meeting.number - 1, group=info, cycle_number=cycle.number,
        confirmations=signed, key_holders=holders,
        replaces=previous.number if previous else "", locale=locale), run, meeting)
    subject = record_subject(meeting, meeting.reopened)
    documents.issue(session, group, SAVINGS_MEETING, [documents.Pending(
        subject=subject, locale=locale, build=lambda stamp: paper.meeting_record_pdf(data, stamp),
        refers_to_id=previous.id if previous else None)], actor)
    if share_out is not None:
        sheet = paper.share_out_from_preview(
            run.scenario, run.result, group=info, cycle_number=cycle.number,
            confirmations=signed, key_holders=holders, locale=locale)
        issued = documents.issue(session, group, SAVINGS_SHARE_OUT, [documents.Pending(
            subject=f"savings_share_out:c{cycle.id}", locale=locale,
            build=lambda stamp: paper.share_out_sheet_pdf(sheet, stamp),
            amount=share_out.equity)], actor)
        share_out.document_id = issued[f"savings_share_out:c{cycle.id}"].id
        session.flush()


def _record_cash(data: MeetingRecordData, run: Run, meeting: SavingsMeeting
                 ) -> MeetingRecordData:
    """The record's cash as the meeting's page shows it (`expected_cash`): the
    opening the books expect with what was counted then (None: not counted),
    the close the books expect (§5.1: the differences recorded at this meeting
    are part of it, as on the page) with what was counted then, and those
    differences. (The engine alone starts a cycle's first meeting from empty
    bags, the social fund carried from the last cycle entering as a difference.)"""
    from coop.savings import paper

    expected = expected_cash(run, meeting)
    recorded = run.entries.differences[meeting.id]
    bags = (paper.LOAN, paper.SOCIAL)
    return dataclasses.replace(
        data,
        opening=[paper.BagCount(bag, expected[bag][0], getattr(meeting, f"opening_{bag}_count"))
                 for bag in bags],
        closing=[paper.BagCount(bag, expected[bag][1], getattr(meeting, f"closing_{bag}_count"))
                 for bag in bags],
        differences=[paper.DifferenceLine(d.bag, d.amount, d.reason) for d in recorded])


def _bag_name(bag: str) -> str:
    return str(_l("loan bag") if bag == "loan" else _l("social bag"))


def _record_share_out(session: Session, cycle: SavingsCycle, meeting: SavingsMeeting, run: Run,
                      actor: User | None) -> ShareOut:
    result = run.result["share_out"]
    share_out = ShareOut(group_id=cycle.group_id, cycle_id=cycle.id, meeting_id=meeting.id,
                         equity=to_minor(result["equity"]), total_shares=result["total_shares"],
                         payout_unit=cycle.payout_unit,
                         confirmed_by_id=actor.id if actor else None)
    for member, line in zip(run.members, result["members"], strict=True):
        share_out.lines.append(ShareOutLine(
            cycle_member_id=member.id, passbook_no=member.passbook_no, shares=line["shares"],
            **{name: to_minor(line[name]) for name in (
                "savings", "profit", "entitlement", "set_off", "net", "cash", "residual")}))
    session.add(share_out)
    cycle.state = CLOSED
    cycle.closed_at = utcnow()
    for member in run.members:
        if member.state == "active":
            member.state = "shared_out"
    session.flush()
    return share_out


def reopen_meeting(session: Session, meeting: SavingsMeeting, group: Group, *, reason: str,
                   key_holder_ids: Sequence[int], actor: User | None,
                   actor_membership: Membership | None = None) -> None:
    """The last closed meeting of a running cycle, open again (§5.4): every
    posting it made is reversed (both stay in the books), its entries are
    drafts again, and re-closing issues a new record that replaces the old."""
    cycle = session.get(SavingsCycle, meeting.cycle_id)
    assert cycle is not None
    _lock(session, cycle)
    session.refresh(meeting)
    if meeting.state != MEETING_CLOSED:
        raise Conflict(_l("Meeting %(number)s is open already.", number=meeting.number))
    if cycle.state != ACTIVE:
        raise Conflict(_l("Only a meeting of a running cycle can be reopened (it is %(state)s).",
                          state=CYCLE_STATE_NAMES[cycle.state]))
    last = session.scalar(select(func.max(SavingsMeeting.number)).where(
        SavingsMeeting.cycle_id == cycle.id))
    if meeting.number != last:
        raise Conflict(_l("Only the last meeting can be reopened; correct an older mistake "
                          "at the next meeting."))
    if len(reason.strip()) < 5:
        raise DomainError(_l("Say why, in five letters at least."), field="reason")
    _confirm(session, meeting, cycle, "reopen", key_holder_ids, actor, actor_membership,
             cycle.confirmations_required)
    originals = list(session.scalars(select(Posting).where(
        Posting.sg_meeting_id == meeting.id, Posting.reverses_id.is_(None),
        Posting.id.not_in(ledger.reversed_entries()))
        .order_by(Posting.id)))
    for posting in originals:
        mirror = ledger.post(session, group, debit=posting.credit_account_id,
                             credit=posting.debit_account_id, amount=posting.amount,
                             kind="reversal", memo=reason.strip()[:300], actor=actor,
                             reverses_id=posting.id)
        assert mirror is not None
        mirror.sg_meeting_id = meeting.id
    meeting.state = OPEN
    meeting.reopened += 1
    meeting.reopen_reason = reason.strip()[:500]
    meeting.closed_at = None
    session.flush()
    run = run_cycle(session, cycle, group, through=meeting.number - 1) if meeting.number > 1 \
        else None
    _sync(session, cycle, run, closed_through=meeting.number - 1)
    session.flush()


def _sync(session: Session, cycle: SavingsCycle, run: Run | None, *, closed_through: int) -> None:
    """The states shown on the pages (loans, installments, repayments,
    fines, members), as the engine has them after the closed meetings."""
    meetings = {m.number: m for m in meetings_of(session, cycle)}
    number_of = {m.id: m.number for m in meetings.values()}
    closed = {m.id for m in meetings.values() if m.number <= closed_through}
    loans = list(session.scalars(select(SavingsLoan).where(SavingsLoan.cycle_id == cycle.id)
                                 .order_by(SavingsLoan.id)))
    engine_loans = run.result["loans"] if run else []
    by_meeting: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for loan in engine_loans:
        by_meeting[loan["meeting"]].append(loan)
    for loan in loans:
        if loan.state == "cancelled":
            continue
        k = number_of[loan.meeting_id] if loan.meeting_id is not None else 0
        if loan.meeting_id is None and run is None:  # brought in; no meeting closed yet
            loan.state = "active"
            for inst in loan.installments:
                inst.principal_paid = inst.interest_paid = 0
                inst.falls_due_meeting_no = None
            continue
        if loan.meeting_id is not None and loan.meeting_id not in closed:
            loan.state = "draft"
            loan.installments.clear()
            continue
        engine = by_meeting[k].pop(0)
        loan.number = engine["number"]
        loan.state = engine["state"]
        loan.interest_charged = to_minor(engine["interest_charged"])
        loan.closed_meeting_id = meetings[engine["closed_meeting"]].id \
            if engine["closed_meeting"] else None
        loan.installments.clear()
        session.flush()
        for i in engine["installments"]:
            loan.installments.append(Installment(
                seq=i["seq"], due_date=date.fromisoformat(i["due_date"]),
                principal_due=to_minor(i["principal_due"]),
                interest_due=None if i["interest_due"] is None else to_minor(i["interest_due"]),
                principal_paid=to_minor(i["principal_paid"]),
                interest_paid=to_minor(i["interest_paid"]),
                falls_due_meeting_no=i["falls_due_meeting"]))
    loan_ids = {(loan.number): loan.id for loan in loans if loan.number is not None}
    for k, meeting in meetings.items():
        repayments = list(session.scalars(select(Repayment).where(
            Repayment.meeting_id == meeting.id).order_by(Repayment.id)))
        engine_lines = run.figures(k)["repayments"] if run and k <= closed_through else []
        for repayment, line in zip(repayments, engine_lines, strict=False):
            repayment.loan_id = loan_ids.get(line["loan"])
            repayment.interest_part = to_minor(line["interest"])
            repayment.principal_part = to_minor(line["principal"])
        if k > closed_through:
            for repayment in repayments:
                repayment.loan_id, repayment.interest_part, repayment.principal_part = None, 0, 0
    fines = list(session.scalars(select(Fine).join(SavingsMeeting, SavingsMeeting.id ==
                                                   Fine.meeting_id)
                                 .where(SavingsMeeting.cycle_id == cycle.id)))
    for fine in fines + opening_fines(session, cycle):  # (an opening fine has no meeting)
        if fine.meeting_id is not None and fine.meeting_id not in closed:
            fine.state = "draft"
        elif fine.paid_meeting_id in closed:
            fine.state = "paid"
        elif fine.waived_meeting_id in closed:
            fine.state = "waived"
        else:
            fine.state = "due"
    for member in cycle_members(session, cycle):
        if member.withdrawn_meeting_id is not None:
            member.state = "withdrawn" if member.withdrawn_meeting_id in closed else "active"
        if member.state == "withdrawn" or cycle.state == CLOSED:
            for fine in session.scalars(select(Fine).where(Fine.cycle_member_id == member.id,
                                                           Fine.state == "due")):
                fine.state = "set_off"
    session.flush()


# --------------------------------------------------------------------------
# What members see
# --------------------------------------------------------------------------


def closed_run(session: Session, cycle: SavingsCycle, group: Group) -> Run | None:
    """The cycle as its closed meetings left it (what the books hold)."""
    last = session.scalar(select(func.max(SavingsMeeting.number)).where(
        SavingsMeeting.cycle_id == cycle.id, SavingsMeeting.state == MEETING_CLOSED))
    if not last:
        return None
    return run_cycle(session, cycle, group, through=last)


def savings_balances(session: Session, cycle: SavingsCycle) -> dict[str, int]:
    """The group's savings accounts as the ledger holds them (cash = −balance)."""
    accounts = Accounts(session, cycle)
    return {kind: ledger.account_balance(session, account_id)
            for kind, account_id in accounts.group.items()}


def claim_version(session: Session, cycle: SavingsCycle, shown: str | int | None) -> None:
    """The form was made from the cycle as it is now: a form sent twice, or
    after another change (another tab, Back), finds the cycle moved on (409).
    Holds the cycle's row lock to the end of the transaction."""
    try:
        version = int(shown or -1)
    except (TypeError, ValueError):
        version = -1
    moved = session.execute(update(SavingsCycle).where(
        SavingsCycle.id == cycle.id, SavingsCycle.version == version)
        .values(version=SavingsCycle.version + 1)).rowcount == 0  # type: ignore[attr-defined]
    session.refresh(cycle)
    if moved:
        raise Conflict(_l("This was already done, or the meeting changed since this page was "
                          "shown. Here it is as it is now: check it, then try again if "
                          "needed."))


def meeting_record(session: Session, meeting: SavingsMeeting) -> Any:
    """The meeting's issued record (the latest, after a reopening), or None."""
    from coop.documents.models import Document

    return session.scalar(select(Document).where(
        Document.group_id == meeting.group_id,
        Document.subject == record_subject(meeting, meeting.reopened)))


def record_subject(meeting: SavingsMeeting, closing: int) -> str:
    return f"savings_meeting:m{meeting.id}:c{closing}"


@dataclass
class PassbookLine:
    meeting: SavingsMeeting
    line: dict[str, Any]
    repayment_interest: int
    repayment_principal: int
    loan_out: int
    fines_imposed: int
    fines_paid: int
    shares_adjusted: int = 0  # an older meeting's mistake corrected at this one


@dataclass
class Passbook:
    member: CycleMember
    lines: list[PassbookLine]
    loans: list[SavingsLoan]
    projected: dict[str, int] | None
    total_shares: int
    equity: int | None
    # After the share-out: her line of it (shares, savings, profit,
    # entitlement, set_off, net, cash, residual) and its meeting; no projection.
    shared_out: dict[str, int] | None = None
    share_out_meeting: SavingsMeeting | None = None


def passbook(session: Session, cycle: SavingsCycle, group: Group, member: CycleMember
             ) -> Passbook:
    """Her line at every closed meeting, her loans, and 'if we shared out today'."""
    run = closed_run(session, cycle, group)
    lines: list[PassbookLine] = []
    projected = None
    shared_out = None
    share_out_meeting = None
    total_shares = 0
    equity = None
    if run is not None and member.id in {m.id for m in run.members}:
        j = [m.id for m in run.members].index(member.id)
        name = run.ids[member.id]
        entries = meeting_entries(session, run.meetings)
        for meeting, figures in zip(run.meetings, run.result["meetings"], strict=True):
            repaid = [r for r in figures["repayments"] if r["member"] == name]
            lines.append(PassbookLine(
                meeting=meeting, line=figures["members"][j],
                repayment_interest=sum(to_minor(r["interest"]) for r in repaid),
                repayment_principal=sum(to_minor(r["principal"]) for r in repaid),
                loan_out=sum(loan.principal for loan in entries.loans[meeting.id]
                             if loan.cycle_member_id == member.id),
                fines_imposed=sum(f.amount for f in entries.fines[meeting.id]
                                  if f.cycle_member_id == member.id),
                fines_paid=sum(f.amount for f in entries.fines[meeting.id]
                               if f.cycle_member_id == member.id and f.paid_at_once)
                + sum(f.amount for f in entries.payments[meeting.id]
                      if f.cycle_member_id == member.id),
                shares_adjusted=sum(a["shares"] for a in figures.get("adjustments", [])
                                    if a["member"] == name)))
        indicators = run.result["indicators"]
        done = run.result["share_out"]
        for row in indicators.get("projected_share_out") or [] if done is None else []:
            if row["id"] == name:
                projected = {"entitlement": to_minor(row["entitlement"]),
                             "net": to_minor(row["net"]), "cash": None, "residual": None}
        if projected is not None:
            projected.update(projected_payout(session, cycle, group, run, member) or {})
        if done is not None and done["members"][j]["shares"]:
            # what the share-out gave her, not "if we shared out today"
            mine = done["members"][j]
            shared_out = {"shares": mine["shares"], **{k: to_minor(mine[k]) for k in (
                "savings", "profit", "entitlement", "set_off", "net", "cash", "residual")}}
            share_out_meeting = run.meetings[done["meeting"] - 1]
        last = run.result["meetings"][-1]
        total_shares = sum(m["shares"] for m in last["members"])
        equity = cycle.share_value * total_shares + to_minor(last["income"])
    loans = list(session.scalars(select(SavingsLoan).where(
        SavingsLoan.cycle_member_id == member.id, SavingsLoan.state.not_in(("draft",
                                                                            "cancelled")))
        .order_by(SavingsLoan.number)))
    return Passbook(member=member, lines=lines, loans=loans, projected=projected,
                    total_shares=total_shares, equity=equity, shared_out=shared_out,
                    share_out_meeting=share_out_meeting)


def projected_payout(session: Session, cycle: SavingsCycle, group: Group, run: Run,
                     member: CycleMember) -> dict[str, int] | None:
    """Her line of the share-out page's projection 'if we shared out today'
    (`share_out_view`: the engine's share-out, the cycle's payout unit):
    her part, debts set off, net, the cash she would be handed and the coins
    to the social fund; None when no share-out could be made today. The
    passbook says what the share-out page says."""
    view = share_out_view(session, cycle, group, closed=run, draft=False)
    if view is None or view.confirmed is not None:
        return None
    row = next((r for r in view.rows if r["member"].id == member.id), None)
    if row is None:
        return None
    return {k: row[k] for k in ("entitlement", "set_off", "net", "cash", "residual")}


@dataclass
class ShareOutView:
    confirmed: ShareOut | None
    run: Run | None
    rows: list[dict[str, Any]]
    equity: int
    total_shares: int
    income: int
    loan_bag: int
    value_per_share: int
    return_on_savings: str | None
    tie_breaks: list[tuple[CycleMember, CycleMember, int]]
    social_fund_carried: int | None
    refusal: str | None = None  # why a share-out today would be refused
    projected: list[dict[str, Any]] = field(default_factory=list)
    # The share-out meeting open now: the draft is what its close would
    # confirm (its entries saved so far included), not "if we shared out today".
    meeting: SavingsMeeting | None = None


def _projected_rows(run: Run) -> list[dict[str, Any]]:
    by_name = {run.ids[m.id]: m for m in run.members}
    return [{"member": by_name[r["id"]], "entitlement": to_minor(r["entitlement"]),
             "net": to_minor(r["net"])}
            for r in run.result["indicators"].get("projected_share_out") or []]


def _refused_view(refusal: str, projected: list[dict[str, Any]],
                  meeting: SavingsMeeting | None = None) -> ShareOutView:
    return ShareOutView(
        confirmed=None, run=None, rows=[], equity=0, total_shares=0, income=0,
        loan_bag=0, value_per_share=0, return_on_savings=None, tie_breaks=[],
        social_fund_carried=None, projected=projected, refusal=refusal, meeting=meeting)


def share_out_view(session: Session, cycle: SavingsCycle, group: Group,
                   closed: Run | None = None, *, draft: bool = True) -> ShareOutView | None:
    """The confirmed share-out; while the share-out meeting is open, the
    share-out its close would confirm (its entries so far included; only with
    `draft`: the treasurer's, as the open meeting's page is hers alone until
    it closes); else the projection 'if we shared out today' computed as the
    share-out meeting would. Drafts are never posted. `closed`: the cycle's
    closed run when the caller has it already (not used for the draft)."""
    confirmed = session.scalar(select(ShareOut).where(ShareOut.cycle_id == cycle.id))
    coming = _open_meeting(session, cycle) if confirmed is None and draft else None
    if coming is not None and coming.kind == SHARE_OUT:
        try:
            run = run_cycle(session, cycle, group)
        except DomainError as refused:
            try:  # her figures as entered so far, before the debts allow the share-out
                so_far = run_cycle(session, cycle, group, share_out=False)
            except DomainError:
                so_far = None
            return _refused_view(str(refused.message),
                                 _projected_rows(so_far) if so_far else [], coming)
        assert run is not None
        return _share_out_figures(run, None, coming)
    run = closed if closed is not None else closed_run(session, cycle, group)
    if run is None:
        return None
    if confirmed is None:
        scenario = dict(run.scenario)
        last = dict(scenario["meetings"][-1])
        if last.get("kind") != SHARE_OUT:  # project: a share-out now, nothing else
            scenario["meetings"] = [*scenario["meetings"], {
                "date": last["date"], "kind": SHARE_OUT,
                "absent": [], "shares": [0] * len(scenario["members"]), "social": "none"}]
            # the projection's meeting is the same day: move it a day on
            day = date.fromisoformat(last["date"])
            scenario["meetings"][-1]["date"] = date.fromordinal(day.toordinal() + 1).isoformat()
            scenario["settings"] = dict(scenario["settings"])
            if scenario["meetings"][-1]["date"] > scenario["settings"]["share_out_date"]:
                scenario["settings"]["share_out_date"] = scenario["meetings"][-1]["date"]
        try:
            run = run.rerun(scenario)
        except domain.ScenarioError as error:
            return _refused_view(str(_domain_error(error, group.currency).message),
                                 _projected_rows(run))
    return _share_out_figures(run, confirmed, None)


def _share_out_figures(run: Run, confirmed: ShareOut | None,
                       meeting: SavingsMeeting | None) -> ShareOutView | None:
    """The share-out of a run that ends in one, for the pages."""
    out = run.result["share_out"]
    if out is None:
        return None
    rows = []
    for member, line in zip(run.members, out["members"], strict=True):
        rows.append({"member": member, "shares": line["shares"],
                     **{k: to_minor(line[k]) for k in ("savings", "entitlement", "profit",
                                                        "set_off", "net", "cash", "residual")}})
    equity = to_minor(out["equity"])
    total = out["total_shares"]
    ties = []
    for a in rows:
        for b in rows:
            if (a["member"].passbook_no < b["member"].passbook_no and a["shares"] == b["shares"]
                    and a["shares"] and a["entitlement"] != b["entitlement"]):
                ties.append((a["member"], b["member"], a["entitlement"] - b["entitlement"]))
    return ShareOutView(
        confirmed=confirmed, run=run, rows=rows, equity=equity, total_shares=total,
        income=to_minor(out["income"]), loan_bag=to_minor(out["loan_bag"]),
        value_per_share=to_minor(out["value_per_share"]),
        return_on_savings=out["return_on_savings"], tie_breaks=ties,
        social_fund_carried=None if run.result["social_fund_carried"] is None
        else to_minor(run.result["social_fund_carried"]), meeting=meeting)


def import_meeting(session: Session, meeting: SavingsMeeting, group: Group, data: bytes
                   ) -> Run:
    """The paper meeting form, typed into a spreadsheet, entered all at once
    into an open meeting with nothing entered yet: every bad line reported
    (MeetingFileError), or the whole form entered; a rule of the cycle
    broken (a loan above her limit…) names the member's line."""
    from coop.savings.meeting_file import MeetingFileError, read_meeting_file
    from coop.suppliers.domain import RowError

    cycle = _editable(session, meeting)
    entries = meeting_entries(session, [meeting])
    if any((entries.repayments[meeting.id], entries.fines[meeting.id],
            entries.payments[meeting.id], entries.waivers[meeting.id],
            entries.grants[meeting.id], entries.loans[meeting.id],
            entries.write_offs[meeting.id], entries.differences[meeting.id])) or any(
            a.shares or a.social for a in entries.attendance[meeting.id]):
        raise Conflict(_l("This meeting has entries already: a paper form is entered into a "
                          "meeting with nothing entered yet."))
    taking_part = {a.cycle_member_id for a in entries.attendance[meeting.id]}
    members = [m for m in cycle_members(session, cycle) if m.id in taking_part]
    by_passbook = {m.passbook_no: m for m in members}
    codes: dict[str, str] = {}
    for t in cycle.fine_types:
        codes[t.code.lower()] = t.code
        codes[t.name.lower()] = t.code
    lines = read_meeting_file(data, group.currency, codes,
                              {m.passbook_no: m.name for m in members})
    line_of = {by_passbook[x.passbook].id: x.line for x in lines}
    type_ids = {t.code: t.id for t in cycle.fine_types}

    def refused(error: DomainError, line: int) -> MeetingFileError:
        return MeetingFileError([RowError(line, "", error.message)])

    try:
        save_register(session, meeting, group, [
            RegisterLine(by_passbook[x.passbook].id, x.attendance, shares=x.shares,
                         social=x.social, repayment=x.repayment) for x in lines])
    except DomainError as error:
        in_engine = [m for m in cycle_members(session, cycle)
                     if m.joined_meeting_no <= meeting.number]
        raise refused(error, _line_at(error.field, lines, in_engine, line_of)) from None
    for x in lines:
        member = by_passbook[x.passbook]
        try:
            if x.fine:
                add_fine(session, meeting, group, member_id=member.id,
                         fine_type_id=type_ids[x.fine], amount=None, paid=x.fine_paid)
            if x.loan:
                add_loan(session, meeting, group, member_id=member.id, principal=x.loan,
                         months=x.months, purpose=x.purpose)
        except DomainError as error:
            raise refused(error, x.line) from None
    return check_meeting(session, meeting, group)


def _line_at(path: str | None, lines: Sequence[Any], members: Sequence[CycleMember],
             line_of: dict[int, int]) -> int:
    """The file's line of the member the engine's path names (shares[j], repayments[i])."""
    import re

    match = re.match(r"(shares|repayments|social)\[(\d+)\]", path or "")
    if not match:
        return lines[0].line if lines else 1
    index = int(match.group(2))
    if match.group(1) == "repayments":
        paying = [x for x in lines if x.repayment]
        return paying[index].line if index < len(paying) else lines[0].line
    if match.group(1) == "shares" and index < len(members):
        return line_of.get(members[index].id, lines[0].line)
    return lines[0].line


# --------------------------------------------------------------------------
# Paper on demand (not numbered: they change until the cycle ends)
# --------------------------------------------------------------------------


def _paper_context(session: Session, group: Group, locale: str) -> tuple[Any, str]:
    from coop.documents import services as documents

    return documents.group_info(session, group), locale


def passbook_pdf(session: Session, cycle: SavingsCycle, group: Group, member: CycleMember,
                 locale: str) -> bytes | None:
    from coop.savings import paper

    run = closed_run(session, cycle, group)
    if run is None or member.id not in {m.id for m in run.members}:
        return None
    info, locale = _paper_context(session, group, locale)
    data = paper.passbook_from_preview(run.scenario, run.result, run.ids[member.id], group=info,
                                       printed_on=local_today(), cycle_number=cycle.number,
                                       locale=locale)
    payout = (projected_payout(session, cycle, group, run, member)
              if data.projected is not None and not data.projected.shared_out else None)
    if payout is not None and data.projected is not None:  # as the share-out page says
        data = dataclasses.replace(data, projected=dataclasses.replace(
            data.projected, entitlement=payout["entitlement"], debt=payout["set_off"],
            net=payout["net"], cash=payout["cash"], residual=payout["residual"],
            paid_out=True))
    return paper.passbook_pdf(data)


def loan_card_pdf(session: Session, cycle: SavingsCycle, group: Group, loan: SavingsLoan,
                  locale: str) -> bytes | None:
    from coop.savings import paper

    run = closed_run(session, cycle, group)
    if run is None or loan.number is None:
        return None
    info, locale = _paper_context(session, group, locale)
    return paper.loan_card_pdf(paper.loan_card_from_preview(
        run.scenario, run.result, loan.number, group=info, printed_on=local_today(),
        cycle_number=cycle.number, locale=locale))


def blank_form_pdf(session: Session, cycle: SavingsCycle, group: Group, locale: str) -> bytes:
    """The form for the next meeting: members in passbook order, what each
    owes to remind her, the cash the bags should hold at the opening."""
    from coop.savings import paper

    info, locale = _paper_context(session, group, locale)
    run = closed_run(session, cycle, group)
    if run is not None:
        data = paper.blank_form_from_preview(run.scenario, run.result, group=info,
                                             printed_on=local_today(),
                                             cycle_number=cycle.number, locale=locale)
        return paper.blank_meeting_form_pdf(data)
    members = [m for m in cycle_members(session, cycle) if m.state == "active"]
    rows = [paper.BlankRow(m.passbook_no, m.name) for m in members]
    settings = _settings_of(cycle)
    cycle_info = paper.CycleInfo(
        number=cycle.number, currency=group.currency, share_value=settings.share_value,
        min_shares=settings.min_shares, max_shares=settings.max_shares,
        social_contribution=settings.social_contribution,
        interest_method=settings.interest_method, rate_bp=settings.rate_bp,
        loan_multiple=settings.loan_multiple, max_term_months=settings.max_term_months,
        payout_unit=settings.payout_unit, start_date=settings.start_date,
        share_out_date=settings.share_out_date)
    opening = opening_of(session, cycle)  # a cycle adopted mid-way: its paper books' cash
    return paper.blank_meeting_form_pdf(paper.BlankFormData(
        group=info, cycle=cycle_info, meeting=1, members=rows,
        opening=[paper.BagCount("loan", opening.loan_bag(cycle.share_value) if opening else 0,
                                None),
                 paper.BagCount("social", opening.social_bag() if opening
                                else cycle.opening_social, None)],
        printed_on=local_today(), locale=locale))


def share_out_pdf(session: Session, cycle: SavingsCycle, group: Group, locale: str,
                  view: ShareOutView | None = None) -> bytes | None:
    """The projected share-out as a draft (watermarked, no number); the
    confirmed one is the issued sheet. While the share-out meeting is open,
    the draft of what its close would confirm. None when there is no sheet
    to print (`view.refusal` says why)."""
    from coop.savings import paper

    view = view or share_out_view(session, cycle, group)
    if view is None or view.run is None:
        return None
    info, locale = _paper_context(session, group, locale)
    data = paper.share_out_from_preview(
        view.run.scenario, view.run.result, group=info, cycle_number=cycle.number,
        key_holders=[h.membership.user.name for h in cycle.key_holders], locale=locale,
        printed_on=local_today())
    if view.confirmed is None and view.meeting is None:
        # The projection runs a share-out the day after the last closed
        # meeting (the engine wants each meeting after the one before): that
        # day is no meeting of the group's. The draft gives the figures' own
        # meeting and the share-out still to come (the open share-out
        # meeting's date, else the cycle's planned date).
        last = view.run.meetings[-1]
        coming = _open_meeting(session, cycle)
        data = dataclasses.replace(
            data, as_of=(last.number, last.date),
            planned=coming.date if coming is not None and coming.kind == SHARE_OUT
            else cycle.share_out_date)
    return paper.share_out_sheet_pdf(data, None)


def meeting_text(session: Session, cycle: SavingsCycle, group: Group, meeting: SavingsMeeting,
                 locale: str) -> str | None:
    """A closed meeting as plain text, to paste into the group's chat."""
    from coop.savings import paper

    if meeting.state != MEETING_CLOSED:
        return None
    run = run_cycle(session, cycle, group, through=meeting.number)
    assert run is not None
    info, locale = _paper_context(session, group, locale)
    data = _record_cash(paper.meeting_record_from_preview(
        run.scenario, run.result, meeting.number - 1, group=info, cycle_number=cycle.number,
        key_holders=[h.membership.user.name for h in cycle.key_holders], locale=locale),
        run, meeting)
    return paper.meeting_text(data)
