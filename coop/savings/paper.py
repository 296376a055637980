"""The savings group's paper (spec/savings.md §12): what each document prints,
as plain data, and the ReportLab builders that turn it into PDF bytes.

Nothing here touches the database or the request. Services fill the
dataclasses from the books; the `*_from_preview` functions fill them from
the engine's result (`coop.savings.preview`, spec/savings-preview.md
"Result") and its scenario, which is how the tests build them and a template
for the services. Money in minor units (int), counts as int, dates as date.

References of the sheets made on demand (not numbered): PB-C{cycle}M{passbook}
(passbook), LC-C{cycle}L{loan} (loan card), MF-C{cycle}M{meeting} (blank
meeting form). The meeting record (SGM-…) and the share-out sheet (SGS-…) are
issued documents: their Stamp comes from coop.documents' `issue(...)`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from coop.documents import pdf
from coop.documents.domain import GroupInfo, Stamp
from coop.documents.parts import align_right as _right
from coop.documents.parts import facts as _facts
from coop.documents.parts import meta as _meta
from coop.documents.parts import title as _title
from coop.documents.pdf import BOX, bold, para, rich, styles
from coop.i18n import current_locale, fmt_date, fmt_money, fmt_number
from coop.money import minor_digits, parse_amount, to_decimal
from coop.unit_text import currency_name

LOAN, SOCIAL = "loan", "social"
PRESENT, REPRESENTED, ABSENT = "present", "represented", "absent"


def passbook_reference(cycle: int, passbook_no: int) -> str:
    return f"PB-C{cycle}M{passbook_no}"


def loan_card_reference(cycle: int, loan: int) -> str:
    return f"LC-C{cycle}L{loan}"


def blank_form_reference(cycle: int, meeting: int) -> str:
    return f"MF-C{cycle}M{meeting}"


# --------------------------------------------------------------------------
# What the documents print
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleInfo:
    """The cycle's frozen settings (SavingsCycle, spec §4; in a scenario:
    `settings`), and the cycle's number within the group."""

    number: int
    currency: str
    share_value: int
    min_shares: int
    max_shares: int
    social_contribution: int
    interest_method: str  # "flat" | "declining"
    rate_bp: int  # per month; 500 = 5 %
    loan_multiple: int  # hundredths: 300 = 3 × her savings
    max_term_months: int
    payout_unit: int
    start_date: date
    share_out_date: date


@dataclass(frozen=True)
class Confirmation:
    """A key-holder's confirmation (SavingsConfirmation): her name, what she
    confirmed ("opening count", "closing count", "share-out": the caller's
    translated words, may be empty), and `on_behalf` when the treasurer
    recorded it for a key-holder without a login (`recorded_by` = treasurer)."""

    name: str
    what: str = ""
    on_behalf: bool = False
    recorded_by: str = ""


@dataclass(frozen=True)
class BagCount:
    """One bag's cash: what the books expect and `counted`, what the counters
    counted (None: not counted). The engine's own reading (`Preview.bags`):
    opening expected = counted = the previous meeting's `loan_bag` /
    `social_bag` (0 at the first meeting); closing counted = this meeting's
    `loan_bag` / `social_bag`, expected = counted − Σ this bag's differences.
    A meeting record the services issue puts instead what the meeting's page
    shows (`expected_cash`): the opening expected beside the opening count (a
    count that differs is printed with its shortage or surplus), and the
    close expected with the recorded differences in it (§5.1) beside the
    closing count."""

    bag: str  # LOAN | SOCIAL
    expected: int
    counted: int | None


@dataclass(frozen=True)
class MemberLine:
    """One cycle member at one meeting, in passbook order. From the engine's
    `meetings[k].members[j]`: attendance, social, shares_bought, shares,
    savings, loan_principal + loan_interest (= loan_balance), fines_due,
    overdue; `repaid_interest` / `repaid_principal` = Σ of her
    `meetings[k].repayments[]`; `loan` = principal of `loans[]` with
    `meeting` = k+1; fines and grants from the meeting's entries (see the
    FineLine, GrantLine lists)."""

    passbook_no: int
    name: str
    attendance: str | None  # PRESENT | REPRESENTED | ABSENT | None (not enrolled)
    social: int = 0
    shares_bought: int = 0
    shares: int = 0  # held after the meeting
    savings: int = 0  # V × shares
    repaid_interest: int = 0
    repaid_principal: int = 0
    fines_imposed: int = 0
    fines_paid: int = 0
    grant: int = 0
    loan: int = 0  # disbursed at this meeting
    loan_balance: int = 0  # principal + posted interest of her active loan after the close
    fines_due: int = 0
    overdue: int = 0
    state: str = "active"  # not_joined | active | withdrawn


@dataclass(frozen=True)
class FineLine:
    """A fine imposed, paid or waived at the meeting (SavingsFine; scenario
    `fines[]`, `fine_payments[]`, `fine_waivers[]`): `kind` is the fine
    type's name; `paid` true when paid at this meeting."""

    passbook_no: int
    name: str
    kind: str
    amount: int
    imposed: bool = True
    paid: bool = False
    waived: bool = False


@dataclass(frozen=True)
class GrantLine:
    """A social-fund grant (scenario `grants[]`)."""

    passbook_no: int
    name: str
    amount: int
    reason: str = ""


@dataclass(frozen=True)
class LoanLine:
    """A loan disbursed at the meeting (engine `loans[]` with `meeting` = k+1)."""

    number: int
    passbook_no: int
    name: str
    principal: int
    months: int
    interest: int | None  # flat: all of it, charged at disbursement; declining: None
    purpose: str = ""


@dataclass(frozen=True)
class WriteOffLine:
    """A write-off (engine `meetings[k].write_offs[]`)."""

    passbook_no: int
    name: str
    loan: int
    principal: int
    interest: int
    reason: str = ""


@dataclass(frozen=True)
class CorrectionLine:
    """A correction (engine `meetings[k].adjustments[]` with `shares`, or
    `.interest_waivers[]` with `loan`): shares adjusted for an older
    meeting's mistake, or interest waived."""

    passbook_no: int
    name: str
    amount: int  # signed for shares: V × shares
    reason: str = ""
    shares: int = 0
    loan: int | None = None


@dataclass(frozen=True)
class WithdrawalLine:
    """A withdrawal (engine `meetings[k].withdrawals[]`)."""

    passbook_no: int
    name: str
    shares: int
    savings: int
    profit: int
    set_off: int
    cash: int
    residual: int


@dataclass(frozen=True)
class DifferenceLine:
    """A recorded cash difference (SavingsCashDifference; scenario
    `differences[]`): signed, negative = shortage."""

    bag: str
    amount: int
    reason: str


@dataclass(frozen=True)
class MeetingRecordData:
    """The meeting record (§12.2). `members`: every cycle member in passbook
    order (engine `meetings[k].members`); the lists: the meeting's entries in
    the order entered; `opening`, `closing`: one BagCount per bag (LOAN then
    SOCIAL); `income`, `social_fund` = engine `meetings[k].income`,
    `.social_fund` after the close; `key_holders`: the cycle's three names,
    one signature line each; `replaces`: the number of the record this one
    replaces after a reopen (SGM-2026-0003), else ""."""

    group: GroupInfo
    cycle: CycleInfo
    number: int  # the meeting's number in the cycle
    date: date
    kind: str  # "regular" | "share_out"
    members: list[MemberLine]
    opening: list[BagCount]
    closing: list[BagCount]
    fines: list[FineLine] = field(default_factory=list)
    grants: list[GrantLine] = field(default_factory=list)
    loans: list[LoanLine] = field(default_factory=list)
    write_offs: list[WriteOffLine] = field(default_factory=list)
    withdrawals: list[WithdrawalLine] = field(default_factory=list)
    differences: list[DifferenceLine] = field(default_factory=list)
    confirmations: list[Confirmation] = field(default_factory=list)
    key_holders: list[str] = field(default_factory=list)
    corrections: list[CorrectionLine] = field(default_factory=list)
    income: int = 0
    social_fund: int = 0
    replaces: str = ""
    locale: str = "ru"  # for meeting_text (the PDF takes the stamp's)


@dataclass(frozen=True)
class ShareOutLine:
    """One member's share-out (engine `share_out.members[j]`, passbook order)."""

    passbook_no: int
    name: str
    shares: int
    savings: int
    entitlement: int
    profit: int
    set_off: int
    net: int
    cash: int
    residual: int


@dataclass(frozen=True)
class ShareOutData:
    """The share-out sheet (§12.4) from the engine's `share_out`: equity (E),
    total_shares (S), income (N), savings (V·S), loan_bag (the cash counted
    and shared out), value_per_share (minor units, E/S half up),
    return_on_savings_tenths (58 = 5,8 %; None when V·S = 0), and
    `social_fund` = `meetings[-1].social_fund` before the share-out,
    `social_fund_carried` = engine `social_fund_carried`."""

    group: GroupInfo
    cycle: CycleInfo
    date: date
    members: list[ShareOutLine]
    equity: int
    total_shares: int
    income: int
    savings: int
    loan_bag: int
    value_per_share: int
    return_on_savings_tenths: int | None
    social_fund: int
    social_fund_carried: int
    confirmations: list[Confirmation] = field(default_factory=list)
    key_holders: list[str] = field(default_factory=list)
    locale: str = "ru"  # the preview's language (an issued sheet takes the stamp's)
    printed_on: date | None = None  # the preview's date
    # A draft made before the share-out meeting ("if we shared out today"):
    # its figures are those of the last closed meeting (number, date), and
    # the share-out itself is still to come, on `planned`; `date` is then
    # nobody's meeting and is not printed.
    as_of: tuple[int, date] | None = None
    planned: date | None = None


@dataclass(frozen=True)
class PassbookRow:
    """One meeting in her passbook: from `meetings[k]` and its
    `members[j]` (attendance, shares_bought, shares, savings, social,
    loan_principal + loan_interest = loan_balance), her repayments in
    `meetings[k].repayments`, her loan in `loans[]` with `meeting` = k+1, and
    her fines in the meeting's entries."""

    meeting: int
    date: date
    attendance: str | None
    shares_bought: int
    shares: int
    savings: int
    social: int
    fines_imposed: int
    fines_paid: int
    loan: int
    repaid_interest: int
    repaid_principal: int
    loan_balance: int
    written_off: int = 0  # her `meetings[k].write_offs[]`: principal + interest
    shares_adjusted: int = 0  # her `meetings[k].adjustments[]`: an older meeting corrected


@dataclass(frozen=True)
class ProjectedShareOut:
    """Her share-out if it were today (§11 projected share-out; engine
    `indicators.projected_share_out[j]`, or `share_out.members[j]` once shared
    out): her shares of all shares, the group's equity E = savings + net
    income, her entitlement, her debts set off and the net."""

    shares: int
    total_shares: int
    equity: int
    entitlement: int
    debt: int
    net: int
    shared_out: bool = False  # True: the confirmed share-out, not a projection
    # once shared out: what she was handed, the coins to the social fund, the day
    cash: int = 0
    residual: int = 0
    on: date | None = None
    # a projection with the share-out page's cash and coins (`cash`, `residual`:
    # what she would be handed at the cycle's payout unit); False: the net only
    paid_out: bool = False


@dataclass(frozen=True)
class PassbookData:
    """Her passbook (§12.1)."""

    group: GroupInfo
    cycle: CycleInfo
    passbook_no: int
    name: str
    rows: list[PassbookRow]
    projected: ProjectedShareOut | None
    printed_on: date
    locale: str


@dataclass(frozen=True)
class ScheduleLine:
    """An installment (engine `loans[i].installments[]`); `interest` None while
    declining interest is not posted yet."""

    seq: int
    due_date: date
    principal: int
    interest: int | None
    principal_paid: int = 0
    interest_paid: int = 0


@dataclass(frozen=True)
class RepaymentLine:
    """A repayment on this loan (engine `meetings[k].repayments[]` with
    `loan` = its number)."""

    meeting: int
    date: date
    amount: int
    interest: int
    principal: int


@dataclass(frozen=True)
class LoanCardData:
    """The loan card (§12.3) from engine `loans[i]` and the cycle."""

    group: GroupInfo
    cycle: CycleInfo
    number: int
    passbook_no: int
    name: str
    principal: int
    months: int
    disbursed_on: date
    purpose: str
    schedule: list[ScheduleLine]
    repayments: list[RepaymentLine]
    state: str  # active | repaid | written_off | set_off
    printed_on: date
    locale: str


@dataclass(frozen=True)
class BlankRow:
    """A member pre-printed on the blank form: from the last closed meeting's
    `members[j]` (loan_principal + loan_interest, fines_due), to remind."""

    passbook_no: int
    name: str
    loan_balance: int = 0
    fines_due: int = 0


@dataclass(frozen=True)
class BlankFormData:
    """The blank meeting form (§12.5) for meeting `meeting`; `opening`: the
    expected opening cash per bag (the last close's loan_bag / social_bag)."""

    group: GroupInfo
    cycle: CycleInfo
    meeting: int
    members: list[BlankRow]
    opening: list[BagCount]
    printed_on: date
    locale: str


# --------------------------------------------------------------------------
# Words shared by the documents
# --------------------------------------------------------------------------


def _bag(bag: str) -> str:
    return _("Loan fund") if bag == LOAN else _("Social fund")


def _attendance(value: str | None) -> str:
    return {PRESENT: _("present"), REPRESENTED: _("represented"),
            ABSENT: _("absent")}.get(value or "", "—")


def _method(method: str) -> str:
    return _("flat") if method == "flat" else _("declining balance")


def _percent(tenths: int | None) -> str:
    if tenths is None:
        return "—"
    return format_decimal(Decimal(tenths) / 10, format="#,##0.0", locale=current_locale()) + " %"


def _rate(cycle: CycleInfo) -> str:
    number = format_decimal(Decimal(cycle.rate_bp) / 100, format="#,##0.##",
                            locale=current_locale())
    return _("%(rate)s %% a month, %(method)s", rate=number, method=_method(cycle.interest_method))


def _multiple(cycle: CycleInfo) -> str:
    # as the pages write it: "3 ×", "2,5 ×", never "3,00 ×"
    return _("%(multiple)s × her savings",
             multiple=fmt_number(Decimal(cycle.loan_multiple) / 100))


def _money(amount: int, currency: str, blank_zero: bool = True) -> str:
    return "" if blank_zero and amount == 0 else fmt_money(amount, currency)


def _num(amount: int, currency: str, blank_zero: bool = False) -> str:
    """An amount without the currency, for the columns of a wide table (the
    currency is named once, above it: see _in_currency)."""
    if blank_zero and amount == 0:
        return ""
    digits = minor_digits(currency)
    return format_decimal(to_decimal(amount, currency),
                          format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                          locale=current_locale())


def _in_currency(currency: str) -> Flowable:
    return para(_("Amounts in %(currency)s.", currency=currency_name(currency)),
                styles().why)


def _count(value: int, blank_zero: bool = True) -> str:
    return "" if blank_zero and value == 0 else str(value)


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def _confirmed_by(item: Confirmation) -> str:
    text = item.name if not item.what else f"{item.name}: {item.what}"
    if item.on_behalf:
        text += " — " + (_("recorded on her behalf by %(name)s", name=item.recorded_by)
                         if item.recorded_by else _("recorded on her behalf"))
    return text


def _confirmations(items: Sequence[Confirmation], width: float) -> list[Flowable]:
    s = styles()
    story: list[Flowable] = [para(_("Confirmed by the key-holders"), s.h3)]
    if not items:
        story.append(para(_("Not confirmed yet."), s.small))
    story += [para("• " + _confirmed_by(item), s.small) for item in items]
    return [KeepTogether(story)]


def _signature_block(key_holders: Sequence[str], width: float) -> list[Flowable]:
    labels = [_("Treasurer")] + [_("Key-holder %(name)s", name=name) for name in key_holders]
    rows = [labels[i:i + 2] for i in range(0, len(labels), 2)]
    return [pdf.gap(8), KeepTogether([pdf.signatures(row, width) for row in rows])]


def _head(texts: Sequence[str], numeric_from: int) -> list[Any]:
    s = styles()
    return [para(text, s.head_right if i >= numeric_from else s.head)
            for i, text in enumerate(texts)]


def _cycle_facts(group: GroupInfo, cycle: CycleInfo) -> list[tuple[str, str]]:
    cur = cycle.currency
    return [(_("Cycle"), _("Cycle %(number)d: %(start)s – %(end)s", number=cycle.number,
                           start=fmt_date(cycle.start_date), end=fmt_date(cycle.share_out_date))),
            (_("Share value"), fmt_money(cycle.share_value, cur)),
            (_("Interest"), _rate(cycle)),
            (_("Loan limit"), _multiple(cycle)),
            (_("Social fund contribution"), fmt_money(cycle.social_contribution, cur))]


# --------------------------------------------------------------------------
# Meeting record (§12.2)
# --------------------------------------------------------------------------


def meeting_record_pdf(data: MeetingRecordData, stamp: Stamp) -> bytes:
    with force_locale(stamp.locale):
        return _meeting_record(data, stamp)


def _meeting_title(data: MeetingRecordData) -> str:
    if data.kind == "share_out":
        return _("Meeting %(number)d (share-out), %(date)s", number=data.number,
                 date=fmt_date(data.date))
    return _("Meeting %(number)d, %(date)s", number=data.number, date=fmt_date(data.date))


def _member_table(data: MeetingRecordData, width: float) -> Flowable:
    cur = data.cycle.currency
    head = [_("No."), _("Member"), _("Attendance"), _("Social fund"), _("Shares bought"),
            _("Shares held"), _("Interest paid"), _("Principal paid"), _("Fines imposed"),
            _("Fines paid"), _("Grant"), _("Loan given"), _("Loan balance")]
    rows: list[list[Any]] = [_head(head, 3)]
    s = styles()
    shown = [m for m in data.members if m.attendance is not None or m.state != "not_joined"]
    for m in shown:
        rows.append([str(m.passbook_no), para(m.name, s.cell), _attendance(m.attendance),
                     _num(m.social, cur, True), _count(m.shares_bought), str(m.shares),
                     _num(m.repaid_interest, cur, True), _num(m.repaid_principal, cur, True),
                     _num(m.fines_imposed, cur, True), _num(m.fines_paid, cur, True),
                     _num(m.grant, cur, True), _num(m.loan, cur, True),
                     _num(m.loan_balance, cur, True)])

    def total(name: str) -> int:
        return sum(getattr(m, name) for m in shown)

    present = sum(1 for m in shown if m.attendance in (PRESENT, REPRESENTED))
    rows.append(["", _("Total"), f"{present}/{sum(1 for m in shown if m.attendance)}",
                 _num(total("social"), cur), str(total("shares_bought")),
                 str(total("shares")), _num(total("repaid_interest"), cur),
                 _num(total("repaid_principal"), cur),
                 _num(total("fines_imposed"), cur), _num(total("fines_paid"), cur),
                 _num(total("grant"), cur), _num(total("loan"), cur),
                 _num(total("loan_balance"), cur)])
    widths = [9 * mm, 0.0, 21 * mm] + [18 * mm] * 10
    widths[4] = widths[5] = 15 * mm
    widths[1] = width - sum(widths)
    return pdf.table(rows, widths, numeric=range(3, 13),
                     extra=[("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                            ("LINEABOVE", (0, -1), (-1, -1), 0.8, pdf.INK)])


def _cash_table(opening: Sequence[BagCount], closing: Sequence[BagCount], cur: str,
                width: float) -> Flowable:
    rows: list[list[Any]] = [_head([_("Bag"), _("Opening: expected"), _("Opening: counted"),
                                    _("Closing: expected"), _("Closing: counted")], 1)]
    for bag in (LOAN, SOCIAL):
        first = next((b for b in opening if b.bag == bag), None)
        last = next((b for b in closing if b.bag == bag), None)
        rows.append([_bag(bag),
                     _num(first.expected, cur) if first else "",
                     _opening_counted(first, cur) if first else "",
                     _num(last.expected, cur) if last else "",
                     _num(last.counted, cur) if last and last.counted is not None else ""])
    other = (width - 40 * mm) / 4
    return pdf.table(rows, [40 * mm] + [other] * 4, numeric=range(1, 5))


def _opening_counted(bag: BagCount, cur: str) -> str:
    """The opening as counted; one the books did not expect says by how much."""
    if bag.counted is None:
        return ""
    if bag.counted == bag.expected:
        return _num(bag.counted, cur)
    gap = (_("shortage %(amount)s", amount=_num(bag.expected - bag.counted, cur))
           if bag.counted < bag.expected
           else _("surplus %(amount)s", amount=_num(bag.counted - bag.expected, cur)))
    return f"{_num(bag.counted, cur)}\n{gap}"


def _entries(data: MeetingRecordData, width: float) -> list[Flowable]:
    """The lines of steps 7–9 that the member table only sums: each fine, grant,
    loan, write-off and withdrawal, with its reason or purpose."""
    s, cur = styles(), data.cycle.currency
    lines: list[tuple[str, str, str, str]] = []
    for fine in data.fines:
        if fine.waived:
            what = _("Fine waived: %(kind)s", kind=fine.kind)
        elif fine.imposed and fine.paid:
            what = _("Fine imposed and paid: %(kind)s", kind=fine.kind)
        elif fine.imposed:
            what = _("Fine imposed: %(kind)s", kind=fine.kind)
        else:
            what = _("Fine paid: %(kind)s", kind=fine.kind)
        lines.append((str(fine.passbook_no), fine.name, what, fmt_money(fine.amount, cur)))
    for grant in data.grants:
        what = _("Social fund grant")
        if grant.reason:
            what += f": {grant.reason}"
        lines.append((str(grant.passbook_no), grant.name, what, fmt_money(grant.amount, cur)))
    for loan in data.loans:
        if loan.interest is None:
            what = ngettext("Loan no. %(loan)d for %(num)d month",
                            "Loan no. %(loan)d for %(num)d months", loan.months, loan=loan.number)
        else:
            what = ngettext("Loan no. %(loan)d for %(num)d month, interest %(interest)s",
                            "Loan no. %(loan)d for %(num)d months, interest %(interest)s",
                            loan.months, loan=loan.number,
                            interest=fmt_money(loan.interest, cur))
        if loan.purpose:
            what += f" ({loan.purpose})"
        lines.append((str(loan.passbook_no), loan.name, what, fmt_money(loan.principal, cur)))
    for item in data.write_offs:
        what = _("Loan no. %(loan)d written off: principal %(principal)s, interest "
                 "%(interest)s", loan=item.loan, principal=fmt_money(item.principal, cur),
                 interest=fmt_money(item.interest, cur))
        if item.reason:
            what += f" ({item.reason})"
        lines.append((str(item.passbook_no), item.name, what,
                      fmt_money(item.principal + item.interest, cur)))
    for c in data.corrections:
        if c.loan is None:
            what = _("Shares corrected: %(shares)+d", shares=c.shares)
        else:
            what = _("Interest waived on loan no. %(loan)d", loan=c.loan)
        if c.reason:
            what += f" ({c.reason})"
        lines.append((str(c.passbook_no), c.name, what, fmt_money(c.amount, cur)))
    for w in data.withdrawals:
        what = _("Withdrawal: %(shares)d shares, savings %(savings)s, profit %(profit)s, "
                 "set off %(set_off)s; residual %(residual)s to the social fund",
                 shares=w.shares, savings=fmt_money(w.savings, cur),
                 profit=fmt_money(w.profit, cur), set_off=fmt_money(w.set_off, cur),
                 residual=fmt_money(w.residual, cur))
        lines.append((str(w.passbook_no), w.name, what, fmt_money(w.cash, cur)))
    if not lines:
        return []
    lines.sort(key=lambda line: int(line[0]))  # passbook order, entry order within
    rows: list[list[Any]] = [_head([_("No."), _("Member"), _("What"), _("Amount")], 3)]
    rows += [[no, para(name, s.cell), para(what, s.cell), amount]
             for no, name, what, amount in lines]
    return [para(_("Fines, grants, loans"), s.h3),
            pdf.table(rows, [9 * mm, 50 * mm, width - 94 * mm, 35 * mm], numeric=(3,))]


def _differences(items: Sequence[DifferenceLine], cur: str, width: float) -> list[Flowable]:
    if not items:
        return []
    s = styles()
    rows: list[list[Any]] = [_head([_("Bag"), _("Reason"), _("Difference")], 2)]
    rows += [[_bag(d.bag), para(d.reason, s.cell),
              (_("shortage %(amount)s", amount=fmt_money(-d.amount, cur)) if d.amount < 0
               else _("surplus %(amount)s", amount=fmt_money(d.amount, cur)))] for d in items]
    return [para(_("Cash differences"), s.h3),
            pdf.table(rows, [40 * mm, width - 85 * mm, 45 * mm], numeric=(2,))]


def _meeting_record(data: MeetingRecordData, stamp: Stamp) -> bytes:
    s, cur = styles(), data.cycle.currency
    width = pdf.frame_width(pdf.LANDSCAPE)
    title = _("Meeting record")
    story: list[Flowable] = [_title(title, stamp.reference)]
    if data.replaces:
        story.append(rich(bold(_("Replaces %(number)s", number=data.replaces)), s.body))
    story += [
        _facts([(_("Meeting"), _meeting_title(data)),
                (_("Cycle"), _("Cycle %(number)d: %(start)s – %(end)s", number=data.cycle.number,
                               start=fmt_date(data.cycle.start_date),
                               end=fmt_date(data.cycle.share_out_date))),
                (_("Share value"), fmt_money(data.cycle.share_value, cur)),
                (_("Interest"), _rate(data.cycle))], width),
        pdf.gap(3), para(_("Members"), s.h3), _in_currency(cur), _member_table(data, width)]
    story += _entries(data, width)
    story += [para(_("Cash in the box"), s.h3),
              _cash_table(data.opening, data.closing, cur, width)]
    story += _differences(data.differences, cur, width)
    story += [pdf.gap(2), _right(pdf.totals_table(
        [(_("Group income so far (interest and fines)"), fmt_money(data.income, cur)),
         (_("Social fund"), fmt_money(data.social_fund, cur))], 110 * mm, strong_last=False),
        width)]
    story += _confirmations(data.confirmations, width)
    story += _signature_block(data.key_holders, width)
    return pdf.render(_meta(data.group, stamp, title), story, first=pdf.LANDSCAPE,
                      subject=_meeting_title(data))


# --------------------------------------------------------------------------
# Copy as text (§12.6)
# --------------------------------------------------------------------------


def meeting_text(data: MeetingRecordData) -> str:
    """The closed meeting for WhatsApp or Telegram: short plain lines."""
    with force_locale(data.locale):
        return _meeting_text(data)


def _meeting_text(data: MeetingRecordData) -> str:
    cur = data.cycle.currency
    shown = [m for m in data.members if m.attendance is not None]
    present = sum(1 for m in shown if m.attendance in (PRESENT, REPRESENTED))
    lines = [data.group.name, _meeting_title(data)]
    if data.replaces:
        lines.append(_("Replaces %(number)s", number=data.replaces))
    lines.append(_("Present: %(present)d of %(members)d", present=present, members=len(shown)))
    shares = sum(m.shares_bought for m in shown)
    lines.append(_("Shares bought: %(shares)d (%(amount)s)", shares=shares,
                   amount=fmt_money(shares * data.cycle.share_value, cur)))
    lines.append(_("Social fund: %(amount)s", amount=fmt_money(sum(m.social for m in shown), cur)))
    repaid = sum(m.repaid_interest + m.repaid_principal for m in shown)
    if repaid:
        lines.append(_("Repayments: %(amount)s", amount=fmt_money(repaid, cur)))
    fines = sum(m.fines_paid for m in shown)
    if fines:
        lines.append(_("Fines paid: %(amount)s", amount=fmt_money(fines, cur)))
    for grant in data.grants:
        lines.append(_("Grant to %(name)s: %(amount)s", name=grant.name,
                       amount=fmt_money(grant.amount, cur)))
    for loan in data.loans:
        lines.append(_("Loan to %(name)s: %(amount)s", name=loan.name,
                       amount=fmt_money(loan.principal, cur)))
    for c in data.corrections:
        if c.loan is None:
            lines.append(_("Shares of %(name)s corrected: %(shares)+d (%(reason)s)",
                           name=c.name, shares=c.shares, reason=c.reason))
        else:
            lines.append(_("Interest waived for %(name)s: %(amount)s (%(reason)s)",
                           name=c.name, amount=fmt_money(c.amount, cur), reason=c.reason))
    lines.append("")
    for m in shown:
        parts = [_attendance(m.attendance)]
        if m.shares_bought:
            parts.append(ngettext("%(num)d share", "%(num)d shares", m.shares_bought))
        if m.social:
            parts.append(_("social %(amount)s", amount=fmt_money(m.social, cur)))
        if m.repaid_interest or m.repaid_principal:
            parts.append(_("repaid %(amount)s", amount=fmt_money(
                m.repaid_interest + m.repaid_principal, cur)))
        if m.fines_imposed:
            parts.append(_("fine %(amount)s", amount=fmt_money(m.fines_imposed, cur)))
        if m.fines_paid:
            parts.append(_("fine paid %(amount)s", amount=fmt_money(m.fines_paid, cur)))
        if m.loan:
            parts.append(_("loan %(amount)s", amount=fmt_money(m.loan, cur)))
        lines.append(f"{m.passbook_no}. {m.name}: " + ", ".join(parts))
    lines.append("")
    for bag in data.opening:
        if bag.counted is not None and bag.counted != bag.expected:
            lines.append(_("%(bag)s at the opening: counted %(counted)s, expected %(expected)s",
                           bag=_bag(bag.bag), counted=fmt_money(bag.counted, cur),
                           expected=fmt_money(bag.expected, cur)))
    for bag in data.closing:
        if bag.counted is not None:
            lines.append(_("%(bag)s: %(amount)s in the box", bag=_bag(bag.bag),
                           amount=fmt_money(bag.counted, cur)))
    for d in data.differences:
        lines.append(_("%(bag)s difference %(amount)s: %(reason)s", bag=_bag(d.bag),
                       amount=fmt_money(d.amount, cur), reason=d.reason))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Share-out sheet (§12.4)
# --------------------------------------------------------------------------


def share_out_sheet_pdf(data: ShareOutData, stamp: Stamp | None) -> bytes:
    """The issued sheet with its stamp; with None, the preview: a big
    "DRAFT — not confirmed" across every page and no number."""
    locale = stamp.locale if stamp else data.locale
    with force_locale(locale):
        draft = stamp is None
        if stamp is None:
            stamp = Stamp("", data.printed_on or data.date, locale)
        return _share_out(data, stamp, draft)


def tie_breaks(data: ShareOutData) -> list[str]:
    """The sentences that explain why members with equal shares get different
    entitlements (§9.2 step 2, §10.2: members will ask)."""
    cur = data.cycle.currency
    by_shares: dict[int, list[ShareOutLine]] = {}
    for line in data.members:
        if line.shares > 0:
            by_shares.setdefault(line.shares, []).append(line)
    sentences = []
    for shares, lines in by_shares.items():
        top = max(line.entitlement for line in lines)
        low = min(line.entitlement for line in lines)
        if top == low:
            continue
        more = [line.name for line in lines if line.entitlement == top]
        if len(more) == 1:
            sentences.append(ngettext(
                "%(names)s bought %(num)d share each; %(more)s gets %(difference)s more: with "
                "equal remainders the extra %(unit)s goes to the member with the smaller "
                "passbook number.",
                "%(names)s bought %(num)d shares each; %(more)s gets %(difference)s more: with "
                "equal remainders the extra %(unit)s goes to the member with the smaller "
                "passbook number.", shares,
                names=_names([line.name for line in lines]), more=_names(more),
                difference=fmt_money(top - low, cur), unit=fmt_money(1, cur)))
            continue
        # several get more: the verb agrees with how many they are
        sentences.append(ngettext(
            "%(names)s bought the same number of shares (%(shares)d each); %(more)s gets "
            "%(difference)s more: with equal remainders the extra %(unit)s goes to the "
            "member with the smaller passbook number.",
            "%(names)s bought the same number of shares (%(shares)d each); %(more)s get "
            "%(difference)s more each: with equal remainders the extra %(unit)s goes to the "
            "members with the smaller passbook numbers.", len(more), shares=shares,
            names=_names([line.name for line in lines]), more=_names(more),
            difference=fmt_money(top - low, cur), unit=fmt_money(1, cur)))
    return sentences


def _share_out(data: ShareOutData, stamp: Stamp, draft: bool) -> bytes:
    s, cur = styles(), data.cycle.currency
    width = pdf.frame_width(pdf.LANDSCAPE)
    title = _("Share-out sheet")
    story: list[Flowable] = [_title(title, stamp.reference)]
    if draft:
        story.append(rich(bold(_("DRAFT — not confirmed")), s.h2))
    story += [_facts([
        (_("Cycle"), _("Cycle %(number)d: %(start)s – %(end)s", number=data.cycle.number,
                       start=fmt_date(data.cycle.start_date),
                       end=fmt_date(data.cycle.share_out_date))),
        *([(_("Planned share-out"), fmt_date(data.planned or data.cycle.share_out_date)),
           (_("Figures as of"), _("Meeting %(number)d, %(date)s", number=data.as_of[0],
                                  date=fmt_date(data.as_of[1])))]
          if draft and data.as_of else [(_("Share-out meeting"), fmt_date(data.date))]),
        (_("Share value"), fmt_money(data.cycle.share_value, cur)),
        (_("Payout unit"), fmt_money(data.cycle.payout_unit, cur))], width), pdf.gap(2),
        _in_currency(cur), pdf.gap(1)]
    head = [_("No."), _("Member"), _("Shares"), _("Savings"), _("Profit"), _("Entitlement"),
            _("Set off (debts)"), _("Net"), _("Cash paid"), _("Residual to the social fund"),
            _("Received (signature)")]
    rows: list[list[Any]] = [_head(head, 2)]
    for m in data.members:
        rows.append([str(m.passbook_no), para(m.name, s.cell), str(m.shares),
                     _num(m.savings, cur), _num(m.profit, cur),
                     _num(m.entitlement, cur), _num(m.set_off, cur, True),
                     _num(m.net, cur), _num(m.cash, cur),
                     _num(m.residual, cur), ""])

    def total(name: str) -> int:
        return sum(getattr(m, name) for m in data.members)

    rows.append(["", _("Total"), str(total("shares")), _num(total("savings"), cur),
                 _num(total("profit"), cur), _num(total("entitlement"), cur),
                 _num(total("set_off"), cur), _num(total("net"), cur),
                 _num(total("cash"), cur), _num(total("residual"), cur), ""])
    widths = [9 * mm, 0.0, 13 * mm] + [20 * mm] * 7 + [34 * mm]
    widths[1] = width - sum(widths)
    story.append(pdf.table(rows, widths, numeric=range(2, 10),
                           extra=[("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, pdf.INK),
                                  ("TOPPADDING", (0, 1), (-1, -2), 6),
                                  ("BOTTOMPADDING", (0, 1), (-1, -2), 6),
                                  ("LINEBEFORE", (10, 0), (10, -1), 0.3, pdf.RULE)]))
    for sentence in tie_breaks(data):
        story += [pdf.gap(2), para(sentence, s.small)]
    figures = [
        (_("Shares (S)"), str(data.total_shares)),
        (_("Savings (share value × S)"), fmt_money(data.savings, cur)),
        (_("Income of the cycle (N): interest and fines"), fmt_money(data.income, cur)),
        (_("Equity to share (E = savings + N)"), fmt_money(data.equity, cur)),
        (_("Value of one share at the share-out (E / S)"),
         fmt_money(data.value_per_share, cur)),
        (_("Return on savings (N / savings)"), _percent(data.return_on_savings_tenths))]
    paid, residual = total("cash"), total("residual")
    check = [
        (_("Loan-fund cash counted"), fmt_money(data.loan_bag, cur)),
        (_("Cash paid out"), fmt_money(paid, cur)),
        (_("Residuals to the social fund"), fmt_money(residual, cur)),
        (_("Paid out + residuals"), fmt_money(paid + residual, cur))]
    social = [
        (_("Social fund before the share-out"), fmt_money(data.social_fund, cur)),
        (_("Residuals"), fmt_money(residual, cur)),
        (_("Social fund carried to the next cycle"), fmt_money(data.social_fund_carried, cur))]
    half = (width - 8 * mm) / 2
    story += [pdf.gap(3), KeepTogether([
        para(_("The figures"), s.h3), pdf.totals_table(figures, half, strong_last=False)])]
    story.append(KeepTogether([para(_("Reconciliation"), s.h3), pdf.table(
        [[pdf.totals_table(check, half), pdf.totals_table(social, half)]],
        [half + 4 * mm, half + 4 * mm], header_rows=0, rules=False,
        extra=[("LEFTPADDING", (0, 0), (-1, -1), 0)])]))
    story += _confirmations(data.confirmations, width)
    story += _signature_block(data.key_holders, width)
    meta = _meta(data.group, stamp, title)
    if draft:
        meta = dataclasses.replace(meta, watermark=_("DRAFT — not confirmed"))
    return pdf.render(meta, story, first=pdf.LANDSCAPE, subject=title)


# --------------------------------------------------------------------------
# Passbook (§12.1)
# --------------------------------------------------------------------------


def passbook_pdf(data: PassbookData) -> bytes:
    with force_locale(data.locale):
        return _passbook(data)


def _passbook(data: PassbookData) -> bytes:
    s, cur = styles(), data.cycle.currency
    width = pdf.frame_width(pdf.LANDSCAPE)
    reference = passbook_reference(data.cycle.number, data.passbook_no)
    stamp = Stamp(reference, data.printed_on, data.locale)
    title = _("Passbook")
    story: list[Flowable] = [
        _title(title, reference),
        _facts([(_("Member"), data.name), (_("Passbook no."), str(data.passbook_no)),
                *_cycle_facts(data.group, data.cycle)], width),
        pdf.gap(2), _in_currency(cur), pdf.gap(1)]
    head = [_("No."), _("Date"), _("Attendance"), _("Shares bought"), _("Shares held"),
            _("Savings"), _("Social fund"), _("Fines imposed"), _("Fines paid"),
            _("Loan given"), _("Interest paid"), _("Principal paid"), _("Loan balance"),
            _("Key-holder's initials")]
    rows: list[list[Any]] = [[*_head(head[:13], 3), para(head[13], s.head)]]
    for r in data.rows:
        rows.append([str(r.meeting), fmt_date(r.date), _attendance(r.attendance),
                     _count(r.shares_bought) + (f" ({r.shares_adjusted:+d})"
                                                if r.shares_adjusted else ""),
                     str(r.shares), _num(r.savings, cur),
                     _num(r.social, cur, True), _num(r.fines_imposed, cur, True),
                     _num(r.fines_paid, cur, True), _num(r.loan, cur, True),
                     _num(r.repaid_interest, cur, True), _num(r.repaid_principal, cur, True),
                     _num(r.loan_balance, cur) + (
                         "\n" + _("written off %(amount)s", amount=_num(r.written_off, cur))
                         if r.written_off else ""), ""])
    spans = []
    p = data.projected
    if p is not None and p.shared_out:  # the share-out: a row of its own, what happened
        spans = [("SPAN", (2, len(rows)), (12, len(rows)))]
        rows.append(["", fmt_date(p.on) if p.on else "", para(_(
            "Share-out: your part %(entitlement)s; set off %(debt)s; handed to you in cash "
            "%(cash)s; coins to the social fund %(coins)s; loan balance %(balance)s.",
            entitlement=_num(p.entitlement, cur), debt=_num(p.debt, cur),
            cash=_num(p.cash, cur), coins=_num(p.residual, cur), balance=_num(0, cur)),
            s.cell)] + [""] * 11)
    for _blank in range(max(0, 6 - len(data.rows) - len(spans))):
        rows.append([""] * 14)
    widths = [9 * mm, 22 * mm, 21 * mm, 14 * mm, 14 * mm] + [0.0] * 8 + [22 * mm]
    each = (width - sum(widths)) / 8
    widths = [w or each for w in widths]
    story.append(pdf.table(rows, widths, numeric=range(3, 13), grid=True,
                           extra=[("TOPPADDING", (0, 1), (-1, -1), 5),
                                  ("BOTTOMPADDING", (0, 1), (-1, -1), 5), *spans]))
    if p is not None and p.shared_out:
        story += [para(_("Your share-out"), s.h3), rich(bold(_(
            "%(cash)s handed to you in cash", cash=fmt_money(p.cash, cur))), s.body),
            _cash_and_coins(p, cur, s)]
        if p.debt:
            story.append(para(_("Your debts were set off against your part: your loan is "
                                "repaid."), s.small))
    elif p is not None and p.paid_out and p.residual:  # as the share-out page says
        story += [para(_("Your share-out if it were today"), s.h3), rich(bold(_(
            "%(cash)s would be handed to you in cash", cash=fmt_money(p.cash, cur))), s.body),
            _cash_and_coins(p, cur, s),
            para(_("This changes with every meeting until the share-out."), s.small)]
    elif p is not None:
        story += [para(_("Your share-out if it were today"), s.h3), rich(bold(
            fmt_money(p.net, cur)), s.body), para(_(
                "Your %(shares)d of %(total)d shares × %(equity)s (the group's savings and "
                "income) = %(entitlement)s; less your debts %(debt)s = %(net)s.", shares=p.shares,
                total=p.total_shares, equity=fmt_money(p.equity, cur),
                entitlement=fmt_money(p.entitlement, cur), debt=fmt_money(p.debt, cur),
                net=fmt_money(p.net, cur)), s.small),
            para(_("This changes with every meeting until the share-out."), s.small)]
    return pdf.render(_meta(data.group, stamp, title), story, first=pdf.LANDSCAPE,
                      subject=data.name)


def _cash_and_coins(p: Any, cur: str, s: Any) -> Any:
    """How her share-out comes to the cash she is handed and the coins that go
    to the social fund: the held share-out and the projection say it alike."""
    return para(_(
        "Your %(shares)d of %(total)d shares × %(equity)s (the group's savings and "
        "income) = %(entitlement)s; less your debts %(debt)s = %(net)s: %(cash)s in "
        "cash and %(coins)s in coins to the social fund.", shares=p.shares,
        total=p.total_shares, equity=fmt_money(p.equity, cur),
        entitlement=fmt_money(p.entitlement, cur), debt=fmt_money(p.debt, cur),
        net=fmt_money(p.net, cur), cash=fmt_money(p.cash, cur),
        coins=fmt_money(p.residual, cur)), s.small)


# --------------------------------------------------------------------------
# Loan card (§12.3)
# --------------------------------------------------------------------------


def loan_card_pdf(data: LoanCardData) -> bytes:
    with force_locale(data.locale):
        return _loan_card(data)


def _loan_state(state: str) -> str:
    return {"active": _("being repaid"), "repaid": _("repaid"),
            "written_off": _("written off"), "set_off": _("set off at the share-out")
            }.get(state, state)


def _loan_card(data: LoanCardData) -> bytes:
    s, cur, width = styles(), data.cycle.currency, pdf.frame_width()
    reference = loan_card_reference(data.cycle.number, data.number)
    stamp = Stamp(reference, data.printed_on, data.locale)
    title = _("Loan card")
    story: list[Flowable] = [
        _title(title, reference),
        _facts([(_("Member"), _("%(name)s, passbook no. %(number)d", name=data.name,
                                number=data.passbook_no)),
                (_("Loan"), _("no. %(number)d, given on %(date)s", number=data.number,
                              date=fmt_date(data.disbursed_on))),
                (_("Principal"), fmt_money(data.principal, cur)),
                (_("Interest"), _rate(data.cycle)),
                (_("Term"), ngettext("%(num)d month", "%(num)d months", data.months)),
                (_("Purpose"), data.purpose),
                (_("State"), _loan_state(data.state))], width),
        para(_("Schedule"), s.h3)]
    rows: list[list[Any]] = [_head([_("No."), _("Due date"), _("Principal"), _("Interest"),
                                    _("Total"), _("Paid")], 2)]
    for line in data.schedule:
        interest = "—" if line.interest is None else fmt_money(line.interest, cur)
        total = line.principal + (line.interest or 0)
        rows.append([str(line.seq), fmt_date(line.due_date), fmt_money(line.principal, cur),
                     interest, fmt_money(total, cur),
                     fmt_money(line.principal_paid + line.interest_paid, cur)])
    interest_total = sum(line.interest or 0 for line in data.schedule)
    principal_total = sum(line.principal for line in data.schedule)
    rows.append(["", _("Total"), fmt_money(principal_total, cur), fmt_money(interest_total, cur),
                 fmt_money(principal_total + interest_total, cur),
                 fmt_money(sum(li.principal_paid + li.interest_paid for li in data.schedule),
                           cur)])
    other = (width - 12 * mm - 30 * mm) / 4
    story.append(pdf.table(rows, [12 * mm, 30 * mm] + [other] * 4, numeric=range(2, 6),
                           extra=[("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, pdf.INK)]))
    if any(line.interest is None for line in data.schedule):
        story.append(para(_("Declining balance: the interest of an installment is worked out "
                            "on the principal still owed when it falls due."), s.small))
    story.append(para(_("Repayments"), s.h3))
    rows = [_head([_("Meeting"), _("Date"), _("Amount"), _("Interest"), _("Principal")], 2)]
    for r in data.repayments:
        rows.append([str(r.meeting), fmt_date(r.date), fmt_money(r.amount, cur),
                     fmt_money(r.interest, cur), fmt_money(r.principal, cur)])
    if not data.repayments:
        rows.append(["", _("No repayments yet."), "", "", ""])
    paid_principal = sum(r.principal for r in data.repayments)
    paid_interest = sum(r.interest for r in data.repayments)
    rows.append(["", _("Total"), fmt_money(paid_principal + paid_interest, cur),
                 fmt_money(paid_interest, cur), fmt_money(paid_principal, cur)])
    other = (width - 20 * mm - 30 * mm) / 3
    story.append(pdf.table(rows, [20 * mm, 30 * mm] + [other] * 3, numeric=range(2, 5),
                           extra=[("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, pdf.INK)]))
    owed_principal = data.principal - paid_principal
    owed_interest = max(interest_total - paid_interest, 0)
    if data.state == "active":
        story += [pdf.gap(3), _right(pdf.totals_table(
            [(_("Principal still owed"), fmt_money(owed_principal, cur)),
             (_("Interest still owed"), fmt_money(owed_interest, cur)),
             (_("She still owes"), fmt_money(owed_principal + owed_interest, cur))], 95 * mm),
            width)]
    story += [pdf.gap(10), KeepTogether([pdf.signatures(
        [_("Borrower"), _("Treasurer")], width)])]
    return pdf.render(_meta(data.group, stamp, title), story, subject=data.name)


# --------------------------------------------------------------------------
# Blank meeting form (§12.5)
# --------------------------------------------------------------------------


def blank_meeting_form_pdf(data: BlankFormData) -> bytes:
    with force_locale(data.locale):
        return _blank_form(data)


def _blank_form(data: BlankFormData) -> bytes:
    s, cur = styles(), data.cycle.currency
    width = pdf.frame_width(pdf.LANDSCAPE)
    reference = blank_form_reference(data.cycle.number, data.meeting)
    stamp = Stamp(reference, data.printed_on, data.locale)
    title = _("Meeting form")
    story: list[Flowable] = [
        _title(title, reference),
        _facts([(_("Meeting"), _("Meeting %(number)d, date: ____________", number=data.meeting)),
                (_("Share value"), fmt_money(data.cycle.share_value, cur)),
                (_("Shares per meeting"), _("%(min)d to %(max)d", min=data.cycle.min_shares,
                                             max=data.cycle.max_shares)),
                (_("Social fund contribution"), fmt_money(data.cycle.social_contribution, cur))],
               width),
        pdf.gap(3)]
    head = [_("No."), _("Member"), _("Owes (loan, fines)"), _("present"), _("represented"),
            _("absent"), _("Shares"), _("Social fund"), _("Repayment"), _("Fine"), _("Loan")]
    rows: list[list[Any]] = [_head(head, 2)]
    for m in data.members:
        owes = m.loan_balance + m.fines_due
        rows.append([str(m.passbook_no), para(m.name, s.cell), _money(owes, cur),
                     BOX, BOX, BOX, "", "", "", "", ""])
    rows.append(["", _("Total"), "", "", "", "", "", "", "", "", ""])
    widths = [9 * mm, 0.0, 26 * mm, 18 * mm, 18 * mm, 18 * mm, 15 * mm] + [24 * mm] * 4
    widths[1] = width - sum(widths)
    story.append(pdf.table(rows, widths, numeric=(2,), grid=True,
                           extra=[("TOPPADDING", (0, 1), (-1, -1), 7),
                                  ("BOTTOMPADDING", (0, 1), (-1, -1), 7),
                                  ("ALIGN", (3, 1), (5, -1), "CENTER"),
                                  ("FONTSIZE", (3, 1), (5, -1), 12),
                                  ("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD)]))
    rows = [_head([_("Bag"), _("Opening: expected"), _("Opening: counted"),
                   _("Closing: expected"), _("Closing: counted")], 1)]
    for bag in (LOAN, SOCIAL):
        first = next((b for b in data.opening if b.bag == bag), None)
        rows.append([_bag(bag), fmt_money(first.expected, cur) if first else "", "", "", ""])
    other = (width - 40 * mm) / 4
    story += [KeepTogether([para(_("Cash in the box"), s.h3), pdf.table(
        rows, [40 * mm] + [other] * 4, numeric=range(1, 5), grid=True,
        extra=[("TOPPADDING", (0, 1), (-1, -1), 8), ("BOTTOMPADDING", (0, 1), (-1, -1), 8)])])]
    story += [pdf.gap(6), KeepTogether([pdf.signatures(
        [_("Treasurer"), _("Key-holder"), _("Key-holder"), _("Key-holder")], width)])]
    return pdf.render(_meta(data.group, stamp, title), story, first=pdf.LANDSCAPE,
                      subject=title)


# --------------------------------------------------------------------------
# From the engine's result (spec/savings-preview.md), for tests and services
# --------------------------------------------------------------------------


class _Reader:
    """The scenario and the engine's result, read once: names, passbook
    numbers (the scenario's member order), money in minor units."""

    def __init__(self, scenario: dict[str, Any], result: dict[str, Any]) -> None:
        self.scenario, self.result = scenario, result
        self.currency = result["currency"]
        members = scenario["members"]
        self.ids = [m if isinstance(m, str) else m["id"] for m in members]
        self.names = {mid: (mid if isinstance(m, str) else m.get("name") or mid)
                      for mid, m in zip(self.ids, members, strict=True)}
        self.passbook = {mid: n for n, mid in enumerate(self.ids, start=1)}
        self.fine_types = {f["code"]: (f.get("name") or f["code"], self.money(f["amount"]))
                           for f in scenario["settings"].get("fine_types", [])}

    def money(self, text: str | None) -> int:
        return 0 if text is None else parse_amount(str(text), self.currency,
                                                   allow_negative=True)

    def cycle(self, number: int) -> CycleInfo:
        st = self.scenario["settings"]
        return CycleInfo(
            number=number, currency=self.currency, share_value=self.money(st["share_value"]),
            min_shares=st.get("min_shares", 1), max_shares=st.get("max_shares", 5),
            social_contribution=self.money(st.get("social_contribution", "0")),
            interest_method=st.get("interest_method", "flat"), rate_bp=st.get("rate_bp", 1000),
            loan_multiple=st.get("loan_multiple", 300),
            max_term_months=st.get("max_term_months", 3),
            payout_unit=self.money(st["payout_unit"]) if "payout_unit" in st else 1,
            start_date=date.fromisoformat(st["start_date"]),
            share_out_date=date.fromisoformat(st["share_out_date"]))

    def fines(self, k: int) -> list[FineLine]:
        """The fines of meeting k (0-based) with their amounts: a payment or
        waiver pays the oldest due fine of that member and type."""
        due: dict[tuple[str, str], list[int]] = {}
        found: list[FineLine] = []
        for index, mtg in enumerate(self.scenario["meetings"][:k + 1]):
            found = []
            for entry in mtg.get("fine_payments", []) + [
                    dict(e, _waived=True) for e in mtg.get("fine_waivers", [])]:
                key = (entry["member"], entry["type"])
                amount = due[key].pop(0) if due.get(key) else 0
                found.append(FineLine(self.passbook[entry["member"]], self.names[entry["member"]],
                                      self.fine_types[entry["type"]][0], amount, imposed=False,
                                      paid=not entry.get("_waived"),
                                      waived=bool(entry.get("_waived"))))
            for entry in mtg.get("fines", []):
                amount = self.money(entry["amount"]) if "amount" in entry else \
                    self.fine_types[entry["type"]][1]
                if not entry.get("paid"):
                    due.setdefault((entry["member"], entry["type"]), []).append(amount)
                found.append(FineLine(self.passbook[entry["member"]], self.names[entry["member"]],
                                      self.fine_types[entry["type"]][0], amount, imposed=True,
                                      paid=bool(entry.get("paid"))))
            if index == k:
                return found
        return found

    def member_lines(self, k: int) -> list[MemberLine]:
        mtg = self.result["meetings"][k]
        raw = self.scenario["meetings"][k]
        fines = self.fines(k)
        lines = []
        for j, m in enumerate(mtg["members"]):
            mid = m["id"]
            no = j + 1
            repaid = [r for r in mtg["repayments"] if r["member"] == mid]
            lines.append(MemberLine(
                passbook_no=no, name=self.names[mid], attendance=m["attendance"],
                social=self.money(m["social"]), shares_bought=m["shares_bought"],
                shares=m["shares"], savings=self.money(m["savings"]),
                repaid_interest=sum(self.money(r["interest"]) for r in repaid),
                repaid_principal=sum(self.money(r["principal"]) for r in repaid),
                fines_imposed=sum(f.amount for f in fines if f.passbook_no == no and f.imposed),
                fines_paid=sum(f.amount for f in fines if f.passbook_no == no and f.paid),
                grant=sum(self.money(g["amount"]) for g in raw.get("grants", [])
                          if g["member"] == mid),
                loan=sum(self.money(loan["principal"]) for loan in self.result["loans"]
                         if loan["member"] == mid and loan["meeting"] == k + 1),
                loan_balance=self.money(m["loan_principal"]) + self.money(m["loan_interest"]),
                fines_due=self.money(m["fines_due"]), overdue=self.money(m["overdue"]),
                state=m["state"]))
        return lines

    def purpose(self, number: int) -> str:
        count = 0
        for mtg in self.scenario["meetings"]:
            for loan in mtg.get("loans", []):
                count += 1
                if count == number:
                    return str(loan.get("purpose", ""))
        return ""

    def bags(self, k: int) -> tuple[list[BagCount], list[BagCount]]:
        meetings = self.result["meetings"]
        before = meetings[k - 1] if k > 0 else None
        opening = [BagCount(bag, self.money(before[f"{bag}_bag"]) if before else 0,
                            self.money(before[f"{bag}_bag"]) if before else 0)
                   for bag in (LOAN, SOCIAL)]
        differences = self.scenario["meetings"][k].get("differences", [])
        closing = []
        for bag in (LOAN, SOCIAL):
            counted = self.money(meetings[k][f"{bag}_bag"])
            moved = sum(self.money(d["amount"]) for d in differences if d["bag"] == bag)
            closing.append(BagCount(bag, counted - moved, counted))
        return opening, closing


def meeting_record_from_preview(
        scenario: dict[str, Any], result: dict[str, Any], k: int, *, group: GroupInfo,
        cycle_number: int = 1, confirmations: Sequence[Confirmation] = (),
        key_holders: Sequence[str] = (), replaces: str = "", locale: str = "ru"
) -> MeetingRecordData:
    """The record of meeting k (0-based) of a previewed scenario."""
    r = _Reader(scenario, result)
    mtg, raw = result["meetings"][k], scenario["meetings"][k]
    opening, closing = r.bags(k)
    loans = [LoanLine(loan["number"], r.passbook[loan["member"]], r.names[loan["member"]],
                      r.money(loan["principal"]), loan["months"],
                      sum(r.money(i["interest_due"]) for i in loan["installments"])
                      if scenario["settings"].get("interest_method", "flat") == "flat" else None,
                      r.purpose(loan["number"]))
             for loan in result["loans"] if loan["meeting"] == k + 1]
    return MeetingRecordData(
        group=group, cycle=r.cycle(cycle_number), number=mtg["number"],
        date=date.fromisoformat(mtg["date"]), kind=mtg["kind"], members=r.member_lines(k),
        opening=opening, closing=closing, fines=r.fines(k),
        grants=[GrantLine(r.passbook[g["member"]], r.names[g["member"]], r.money(g["amount"]),
                          g.get("reason", "")) for g in raw.get("grants", [])],
        loans=loans,
        write_offs=[WriteOffLine(r.passbook[w["member"]], r.names[w["member"]], w["loan"],
                                 r.money(w["principal"]), r.money(w["interest"]),
                                 src.get("reason", ""))
                    for w, src in zip(mtg["write_offs"], raw.get("write_offs", []), strict=False)],
        withdrawals=[WithdrawalLine(r.passbook[w["member"]], r.names[w["member"]], w["shares"],
                                    r.money(w["savings"]), r.money(w["profit"]),
                                    r.money(w["set_off"]), r.money(w["cash"]),
                                    r.money(w["residual"])) for w in mtg["withdrawals"]],
        differences=[DifferenceLine(d["bag"], r.money(d["amount"]), d.get("reason", ""))
                     for d in raw.get("differences", [])],
        corrections=[CorrectionLine(r.passbook[c["member"]], r.names[c["member"]],
                                    r.money(c["amount"]), c.get("reason", ""),
                                    shares=c["shares"])
                     for c in mtg.get("adjustments", [])]
        + [CorrectionLine(r.passbook[c["member"]], r.names[c["member"]], r.money(c["amount"]),
                          c.get("reason", ""), loan=c["loan"])
           for c in mtg.get("interest_waivers", [])],
        confirmations=list(confirmations), key_holders=list(key_holders),
        income=r.money(mtg["income"]), social_fund=r.money(mtg["social_fund"]),
        replaces=replaces, locale=locale)


def share_out_from_preview(
        scenario: dict[str, Any], result: dict[str, Any], *, group: GroupInfo,
        cycle_number: int = 1, confirmations: Sequence[Confirmation] = (),
        key_holders: Sequence[str] = (), locale: str = "ru", printed_on: date | None = None
) -> ShareOutData:
    """The share-out sheet of a previewed scenario that ends in a share-out."""
    r = _Reader(scenario, result)
    so = result["share_out"]
    if so is None:
        raise ValueError("the scenario has no share-out")
    last = result["meetings"][so["meeting"] - 1]
    tenths = so["return_on_savings"]
    return ShareOutData(
        group=group, cycle=r.cycle(cycle_number), date=date.fromisoformat(last["date"]),
        members=[ShareOutLine(j + 1, r.names[m["id"]], m["shares"], r.money(m["savings"]),
                              r.money(m["entitlement"]), r.money(m["profit"]),
                              r.money(m["set_off"]), r.money(m["net"]), r.money(m["cash"]),
                              r.money(m["residual"])) for j, m in enumerate(so["members"])],
        equity=r.money(so["equity"]), total_shares=so["total_shares"],
        income=r.money(so["income"]), savings=r.money(so["savings"]),
        loan_bag=r.money(so["loan_bag"]), value_per_share=r.money(so["value_per_share"]),
        return_on_savings_tenths=None if tenths is None else int(Decimal(tenths) * 10),
        social_fund=r.money(last["social_fund"]),
        social_fund_carried=r.money(result["social_fund_carried"]),
        confirmations=list(confirmations), key_holders=list(key_holders), locale=locale,
        printed_on=printed_on)


def passbook_from_preview(
        scenario: dict[str, Any], result: dict[str, Any], member: str, *, group: GroupInfo,
        printed_on: date, cycle_number: int = 1, locale: str = "ru") -> PassbookData:
    """Her passbook (member = her id in the scenario) as of the last meeting."""
    r = _Reader(scenario, result)
    no = r.passbook[member]
    rows = []
    for k, mtg in enumerate(result["meetings"]):
        line = r.member_lines(k)[no - 1]
        if line.state == "not_joined":
            continue
        rows.append(PassbookRow(
            meeting=mtg["number"], date=date.fromisoformat(mtg["date"]),
            attendance=line.attendance, shares_bought=line.shares_bought, shares=line.shares,
            savings=line.savings, social=line.social, fines_imposed=line.fines_imposed,
            fines_paid=line.fines_paid, loan=line.loan, repaid_interest=line.repaid_interest,
            repaid_principal=line.repaid_principal, loan_balance=line.loan_balance,
            written_off=sum(r.money(w["principal"]) + r.money(w["interest"])
                            for w in mtg["write_offs"] if w["member"] == member),
            shares_adjusted=sum(a["shares"] for a in mtg.get("adjustments", [])
                                if a["member"] == member)))
    last = result["meetings"][-1]
    projected = None
    if result["share_out"] is not None:
        so = result["share_out"]
        mine = so["members"][no - 1]
        projected = ProjectedShareOut(mine["shares"], so["total_shares"], r.money(so["equity"]),
                                      r.money(mine["entitlement"]), r.money(mine["set_off"]),
                                      r.money(mine["net"]), shared_out=True,
                                      cash=r.money(mine["cash"]),
                                      residual=r.money(mine["residual"]),
                                      on=date.fromisoformat(
                                          result["meetings"][so["meeting"] - 1]["date"]))
    else:
        ind = result["indicators"]
        mine = next(p for p in ind["projected_share_out"] if p["id"] == member)
        entitlement, net = r.money(mine["entitlement"]), r.money(mine["net"])
        projected = ProjectedShareOut(
            last["members"][no - 1]["shares"], sum(m["shares"] for m in last["members"]),
            r.money(ind["savings"]) + r.money(ind["net_income"]), entitlement,
            entitlement - net, net)
    return PassbookData(group=group, cycle=r.cycle(cycle_number), passbook_no=no,
                        name=r.names[member], rows=rows, projected=projected,
                        printed_on=printed_on, locale=locale)


def loan_card_from_preview(
        scenario: dict[str, Any], result: dict[str, Any], number: int, *, group: GroupInfo,
        printed_on: date, cycle_number: int = 1, locale: str = "ru") -> LoanCardData:
    """The card of loan `number` (engine `loans[].number`)."""
    r = _Reader(scenario, result)
    loan = next(loan for loan in result["loans"] if loan["number"] == number)
    meetings = result["meetings"]
    repayments = [RepaymentLine(m["number"], date.fromisoformat(m["date"]), r.money(p["amount"]),
                                r.money(p["interest"]), r.money(p["principal"]))
                  for m in meetings for p in m["repayments"] if p["loan"] == number]
    return LoanCardData(
        group=group, cycle=r.cycle(cycle_number), number=number,
        passbook_no=r.passbook[loan["member"]], name=r.names[loan["member"]],
        principal=r.money(loan["principal"]), months=loan["months"],
        disbursed_on=date.fromisoformat(meetings[loan["meeting"] - 1]["date"]),
        purpose=r.purpose(number),
        schedule=[ScheduleLine(i["seq"], date.fromisoformat(i["due_date"]),
                               r.money(i["principal_due"]),
                               None if i["interest_due"] is None else r.money(i["interest_due"]),
                               r.money(i["principal_paid"]), r.money(i["interest_paid"]))
                  for i in loan["installments"]],
        repayments=repayments, state=loan["state"], printed_on=printed_on, locale=locale)


def blank_form_from_preview(
        scenario: dict[str, Any], result: dict[str, Any], *, group: GroupInfo,
        printed_on: date, cycle_number: int = 1, locale: str = "ru") -> BlankFormData:
    """The blank form of the meeting after the last one of the preview."""
    r = _Reader(scenario, result)
    last = result["meetings"][-1]
    rows = [BlankRow(j + 1, r.names[m["id"]],
                     r.money(m["loan_principal"]) + r.money(m["loan_interest"]),
                     r.money(m["fines_due"]))
            for j, m in enumerate(last["members"]) if m["state"] != "withdrawn"]
    return BlankFormData(group=group, cycle=r.cycle(cycle_number), meeting=last["number"] + 1,
                         members=rows,
                         opening=[BagCount(bag, r.money(last[f"{bag}_bag"]), None)
                                  for bag in (LOAN, SOCIAL)],
                         printed_on=printed_on, locale=locale)
