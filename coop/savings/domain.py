"""The savings-group engine: one whole cycle of a group (ГВП / VSLA), meeting by
meeting, to its share-out (spec/savings-preview.md, the contract).

Pure: no Flask, no database. Money in integer minor units; a money string is
parsed to an integer at the edge and formatted back only in the result. The
same scenario always gives the same result, to the last tyiyn or diram:
members who cannot read a ledger check every figure against their passbook.

`preview(scenario)` takes the scenario JSON (as Python objects) and returns the
result JSON; bad input raises `ScenarioError` with `.field`, the JSON path of
the first fault met, in the order the contract reads a scenario.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NoReturn

from coop.money import half_up_div, largest_remainder

# Minor digits of the currencies a scenario may use (ISO 4217).
CURRENCY_DIGITS = {"KGS": 2, "TJS": 2, "USD": 2, "EUR": 2, "RUB": 2, "KZT": 2, "UZS": 2,
                   "JPY": 0}
MAX_MAJOR = 10**12
MAX_ID = 64
MAX_NAME = 200
MAX_REASON = 500
MAX_NOTE = 2000
MAX_SHARE_VALUE = 10**9
MAX_CYCLE_MONTHS = 24
MIN_YEAR, MAX_YEAR = 1900, 2999  # a cycle's dates, two years on, stay in the calendar
ATTENDANCE_WINDOW = 4
PAR_DAYS = 30

_MONEY = re.compile(r"-?[0-9]+(?:\.([0-9]+))?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MISSING = object()

PRESENT, REPRESENTED, ABSENT = "present", "represented", "absent"
NOT_JOINED, ACTIVE, WITHDRAWN = "not_joined", "active", "withdrawn"
LOAN_FUND, SOCIAL_FUND = "loan", "social"

_TOP_KEYS = ("currency", "settings", "members", "meetings")
_SETTING_KEYS = ("share_value", "min_shares", "max_shares", "social_contribution",
                 "interest_method", "rate_bp", "loan_multiple", "max_term_months", "loan_unit",
                 "payout_unit", "withdrawal_rule", "fine_types", "start_date", "share_out_date")
_MEETING_KEYS = ("date", "kind", "note", "absent", "represented", "social", "shares",
                 "repayments", "fines", "fine_payments", "fine_waivers", "write_offs", "grants",
                 "loans", "withdrawals", "differences")


class ScenarioError(ValueError):
    """Bad input: `field` is the JSON path at fault, `message` says what is wrong."""

    def __init__(self, field: str, message: str,
                 params: dict[str, object] | None = None) -> None:
        self.field = field
        self.template = message
        self.params = params or {}
        self.message = message % self.params if self.params else message
        super().__init__(f"{field}: {self.message}")

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of `gettext` (the figures stay as they are)."""
        text = gettext(self.template)
        return text % self.params if self.params else text


def N_(text: str) -> str:
    """Marks a message for the catalogs; the edges translate it (ScenarioError.translated)."""
    return text


def _fail(path: str, message: str, **params: object) -> NoReturn:
    raise ScenarioError(path, message, params)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day if that month is shorter."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def percentage(numerator: int, denominator: int) -> str | None:
    """Exact with one decimal ("93.3", "-4.4"); None when the denominator is 0."""
    if denominator == 0:
        return None
    tenths = half_up_div(1000 * numerator, denominator)
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{tenth}"


def loan_schedule(principal: int, months: int, disbursed: date) -> list[tuple[date, int]]:
    """(due date, principal due) of each installment: equal parts, the extra
    minor units to the earliest installments."""
    parts = largest_remainder(principal, [1] * months)
    return [(add_months(disbursed, i + 1), parts[i]) for i in range(months)]


def share_out_split(equity: int, shares: list[int]) -> list[int]:
    """Each member's entitlement: the largest remainder of E over her shares,
    equal remainders to the earlier member in passbook order."""
    return largest_remainder(equity, shares)


# --------------------------------------------------------------------------
# The cycle's state
# --------------------------------------------------------------------------


@dataclass(slots=True)
class Settings:
    share_value: int
    min_shares: int
    max_shares: int
    social_contribution: int
    interest_method: str
    rate_bp: int
    loan_multiple: int
    max_term_months: int
    loan_unit: int
    payout_unit: int
    withdrawal_rule: str
    fine_types: dict[str, tuple[int, str]]  # code -> (amount, fund)
    start_date: date
    share_out_date: date


@dataclass(slots=True)
class Installment:
    seq: int
    due_date: date
    principal_due: int
    interest_due: int | None
    principal_paid: int = 0
    interest_paid: int = 0
    falls_due_meeting: int | None = None
    # the services' interest waivers taken from this installment's interest
    # (interest_due is what is left of it: charged less waived)
    interest_waived: int = 0
    # interest it carried from the paper books when the group adopted Coop
    # (a declining-balance loan's, on its first installment: posted then)
    interest_brought: int = 0

    def unpaid(self) -> int:
        return (self.principal_due - self.principal_paid
                + (self.interest_due or 0) - self.interest_paid)


@dataclass(slots=True)
class Loan:
    number: int
    member: int
    meeting: int
    principal: int
    months: int
    installments: list[Installment]
    state: str = ACTIVE
    closed_meeting: int | None = None
    interest_charged: int = 0
    interest_waived: int = 0

    def unpaid_principal(self) -> int:
        return sum(i.principal_due - i.principal_paid for i in self.installments)

    def unpaid_interest(self) -> int:
        return sum((i.interest_due or 0) - i.interest_paid for i in self.installments)

    def outstanding(self) -> int:
        return self.unpaid_principal() + self.unpaid_interest()


@dataclass(slots=True)
class Fine:
    code: str
    amount: int
    fund: str
    state: str = "due"


@dataclass(slots=True)
class Member:
    id: str
    joined: int
    state: str = NOT_JOINED
    shares: int = 0
    loan: Loan | None = None
    fines: list[Fine] = field(default_factory=list)

    def fines_due(self, fund: str | None = None) -> int:
        return sum(f.amount for f in self.fines
                   if f.state == "due" and (fund is None or f.fund == fund))


# --------------------------------------------------------------------------
# Reading the scenario
# --------------------------------------------------------------------------


def _object(value: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...]
            ) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(path or "$", N_("must be an object"))
    for key in value:
        if key not in allowed:
            _fail(_join(path, str(key)), N_("unknown field"))
    for key in required:
        if key not in value:
            _fail(_join(path, key), N_("is required"))
    return value


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _int(value: Any, path: str, low: int, high: int) -> int:
    if type(value) is not int:
        _fail(path, N_("must be a whole number"))
    if not low <= value <= high:
        _fail(path, N_("must be between %(low)s and %(high)s"), low=low, high=high)
    return value


def _choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        _fail(path, N_("must be one of: %(choices)s"), choices=", ".join(choices))
    return value


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str):
        _fail(path, N_("must be a string"))
    if len(value) > limit:
        _fail(path, N_("must be at most %(limit)s characters"), limit=limit)
    return value


def _id(value: Any, path: str) -> str:
    if not isinstance(value, str):
        _fail(path, N_("must be a string"))
    if not 1 <= len(value) <= MAX_ID:
        _fail(path, N_("must be 1 to %(limit)s characters"), limit=MAX_ID)
    return value


def _date(value: Any, path: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        _fail(path, N_('must be a date written "YYYY-MM-DD"'))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        _fail(path, N_('"%(value)s" is not a date'), value=value)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        _fail(path, N_("must be a date between %(low)s and %(high)s"), low=MIN_YEAR,
              high=MAX_YEAR)
    return day


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(path, N_("must be a list"))
    return value


class _Money:
    """Parse and format the money strings of one currency."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.digits = CURRENCY_DIGITS[currency]
        self.scale = 10**self.digits
        self._texts: dict[int, str] = {}  # a cycle prints the same few amounts again and again

    def parse(self, value: Any, path: str, *, signed: bool = False) -> int:
        if not isinstance(value, str):
            _fail(path, N_('must be an amount in a string, like "50" or "401.50"'))
        match = _MONEY.fullmatch(value)
        if match is None:
            _fail(path, N_('"%(value)s" is not an amount like "50" or "401.50"'),
                  value=value[:40])
        decimals = match.group(1) or ""
        if len(decimals) > self.digits:
            _fail(path, N_("an amount in %(currency)s has at most %(digits)s decimals"),
                  currency=self.currency, digits=self.digits)
        negative = value.startswith("-")
        if negative and not signed:
            _fail(path, N_("must not be negative"))
        whole = value.lstrip("-").split(".")[0].lstrip("0") or "0"
        if len(whole) > len(str(MAX_MAJOR)) or int(whole) >= MAX_MAJOR:
            _fail(path, N_("is too large"))
        minor = int(whole) * self.scale + (int(decimals.ljust(self.digits, "0"))
                                           if self.digits else 0)
        return -minor if negative else minor

    def text(self, minor: int) -> str:
        text = self._texts.get(minor)
        if text is None:
            if self.digits:
                whole, part = divmod(abs(minor), self.scale)
                text = f"{'-' if minor < 0 else ''}{whole}.{part:0{self.digits}d}"
            else:
                text = str(minor)
            self._texts[minor] = text
        return text


# --------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningMember:
    """What a member brings into Coop from the cycle's paper books (§4.3):
    her shares so far, what remains of her loan (principal, interest
    already charged and unpaid, the due dates left) and the fines she still
    owes (type code, amount), each paid or waived later like any other."""

    shares: int = 0
    loan_principal: int = 0
    loan_interest: int = 0
    due_dates: tuple[date, ...] = ()
    fines: tuple[tuple[str, int], ...] = ()


def opening_installments(balance: OpeningMember, method: str) -> list[Installment]:
    """The rest of a loan brought in: its principal over the due dates left
    (the extra minor units to the earliest), flat interest already charged
    likewise; declining interest already charged on the first, the rest
    charged as each installment falls due."""
    dates = sorted(balance.due_dates)
    principal = largest_remainder(balance.loan_principal, [1] * len(dates))
    if method == "flat":
        interest: list[int | None] = list(largest_remainder(balance.loan_interest,
                                                            [1] * len(dates)))
    else:
        interest = [balance.loan_interest or None] + [None] * (len(dates) - 1)
    installments = [Installment(i + 1, day, principal[i], interest[i])
                    for i, day in enumerate(dates)]
    if method != "flat" and installments:
        installments[0].interest_brought = balance.loan_interest
    return installments


@dataclass(frozen=True)
class Opening:
    """A group that adopts Coop in the middle of a cycle (spec/savings.md §4.3):
    its members' balances (by member id) and the income posted so far (interest
    and fines, collected or still owed) and the social fund. Not part of the
    scenario JSON (savings-preview.md: the services bring it); the engine
    starts the cycle from it, so every rule after it holds as usual."""

    members: dict[str, OpeningMember]
    income: int = 0
    social_fund: int = 0
    # Fine type code → the fund it goes to (the cycle's fine types).
    fine_funds: dict[str, str] = field(default_factory=dict)

    def fines_owed(self, fund: str) -> int:
        return sum(amount for m in self.members.values() for code, amount in m.fines
                   if self.fine_funds.get(code, LOAN_FUND) == fund)

    def loan_bag(self, share_value: int) -> int:
        """The cash the loan bag must hold: savings and income, less what is
        owed to it (loans, interest, fines to the loan fund)."""
        shares = sum(m.shares for m in self.members.values())
        owed = sum(m.loan_principal + m.loan_interest for m in self.members.values())
        return share_value * shares + self.income - owed - self.fines_owed(LOAN_FUND)

    def social_bag(self) -> int:
        """The social fund less the fines to it still owed."""
        return self.social_fund - self.fines_owed(SOCIAL_FUND)


@dataclass(frozen=True)
class ShareAdjustment:
    """A mistake in an older meeting's shares, corrected at the current one
    (spec/savings.md §5.4): `shares` more (or, negative, fewer) shares for
    her, the cash with them into (or out of) the loan bag. Never below 0."""

    member: str
    shares: int
    reason: str = ""


@dataclass(frozen=True)
class InterestWaiver:
    """The group waives part of the interest posted on her loan and not yet
    paid (§6.3): the latest installments' interest first; the group's income
    falls by as much."""

    member: str
    amount: int
    reason: str = ""


Correction = ShareAdjustment | InterestWaiver


def preview(scenario: Any, opening: Opening | None = None,
            corrections: Mapping[int, Sequence[Correction]] | None = None) -> dict[str, Any]:
    """The contract's result JSON for a scenario JSON (both as Python objects);
    `opening`, for a group that adopts Coop mid-cycle, and `corrections` (by
    meeting index), decided with key-holders' confirmations, are the
    services' own: not part of the scenario JSON (savings-preview.md). A
    meeting with corrections gains the lists `adjustments` and
    `interest_waivers` in the result, a loan with a waiver `interest_waived`."""
    cycle = _Cycle(scenario)
    if opening is not None:
        cycle.open_with(opening)
    cycle.corrections = dict(corrections or {})
    return cycle.run()


class _Cycle:
    """One cycle, read and run meeting by meeting: the group's balances (loan
    and social bags, income, social fund), each member's shares, loan and fines."""

    def __init__(self, scenario: Any) -> None:
        top = _object(scenario, "", _TOP_KEYS, _TOP_KEYS)
        currency = top["currency"]
        if not isinstance(currency, str) or currency not in CURRENCY_DIGITS:
            _fail("currency", N_("must be one of: %(choices)s"),
                  choices=", ".join(CURRENCY_DIGITS))
        self.money = _Money(currency)
        self.settings = self._settings(top["settings"])
        self.raw_meetings = _list(top["meetings"], "meetings")
        if not self.raw_meetings:
            _fail("meetings", N_("at least one meeting is required"))
        self.members = self._members(top["members"])
        self.index = {m.id: j for j, m in enumerate(self.members)}
        self.loans: list[Loan] = []
        self.loan_bag = self.social_bag = self.income = self.social_fund = 0
        self.disbursed = self.written_off = self.grants = self.grants_count = 0
        self.withdrawn = 0
        self.attendance: list[tuple[int, int, int]] = []  # present, represented, enrolled
        self.meetings_out: list[dict[str, Any]] = []
        self.first_date: date | None = None
        self._indicators_out: dict[str, Any] = {}
        self.corrections: dict[int, Sequence[Correction]] = {}

    def open_with(self, opening: Opening) -> None:
        """Start from a cycle's balances kept on paper before Coop (§4.3)."""
        settings = self.settings
        for member_id, balance in opening.members.items():
            j = self.index.get(member_id)
            if j is None or self.members[j].joined != 1:
                _fail("opening", N_('"%(id)s" is not a member of this cycle from its start'),
                      id=member_id)
            member = self.members[j]
            member.shares = balance.shares
            if balance.loan_principal or balance.loan_interest:
                if not balance.due_dates:
                    _fail("opening", N_("%(member)s: give the due dates of her loan"),
                          member=member_id)
                loan = Loan(len(self.loans) + 1, j, 0, balance.loan_principal,
                            len(balance.due_dates),
                            opening_installments(balance, settings.interest_method),
                            interest_charged=balance.loan_interest)
                self.loans.append(loan)
                member.loan = loan
            for code, amount in balance.fines:
                if code not in settings.fine_types:
                    _fail("opening", N_('"%(id)s" is not a fine type of this cycle'), id=code)
                if amount <= 0:
                    _fail("opening", N_("%(member)s: a fine owed is above 0"), member=member_id)
                member.fines.append(Fine(code, amount, settings.fine_types[code][1]))
        self.income = opening.income
        self.social_fund = opening.social_fund
        self.social_bag = opening.social_bag()
        self.loan_bag = opening.loan_bag(settings.share_value)
        if self.loan_bag < 0:
            _fail("opening", N_("the loan bag cannot hold less than nothing: the income so far "
                                "is too small for what is owed"))
        if self.social_bag < 0:
            _fail("opening", N_("the social bag cannot hold less than nothing: the social fund "
                                "is smaller than the fines owed to it"))

    # -- settings and members ------------------------------------------------

    def _settings(self, raw: Any) -> Settings:
        base = "settings"
        obj = _object(raw, base, _SETTING_KEYS, ("share_value", "start_date", "share_out_date"))
        money = self.money

        def amount(key: str, default: int, minimum: int) -> int:
            if key not in obj:
                return default
            value = money.parse(obj[key], f"{base}.{key}")
            if value < minimum:
                _fail(f"{base}.{key}", N_("must be at least %(amount)s"),
                      amount=money.text(minimum))
            return value

        share_value = amount("share_value", 0, 1)
        if share_value > MAX_SHARE_VALUE:
            _fail(f"{base}.share_value", N_("must be at most %(amount)s"),
                  amount=money.text(MAX_SHARE_VALUE))
        min_shares = _int(obj.get("min_shares", 1), f"{base}.min_shares", 0, 20)
        max_shares = _int(obj.get("max_shares", 5), f"{base}.max_shares", 1, 20)
        if min_shares > max_shares:
            _fail(f"{base}.min_shares", N_("is above max_shares (%(max)s)"), max=max_shares)
        social = amount("social_contribution", 0, 0)
        method = _choice(obj.get("interest_method", "flat"), f"{base}.interest_method",
                         ("flat", "declining"))
        rate_bp = _int(obj.get("rate_bp", 1000), f"{base}.rate_bp", 0, 2000)
        multiple = _int(obj.get("loan_multiple", 300), f"{base}.loan_multiple", 1, 1000)
        term = _int(obj.get("max_term_months", 3), f"{base}.max_term_months", 1, 12)
        loan_unit = amount("loan_unit", 100, 1)
        payout_unit = amount("payout_unit", 1, 1)
        rule = _choice(obj.get("withdrawal_rule", "savings_only"), f"{base}.withdrawal_rule",
                       ("savings_only", "with_profit"))
        fine_types = self._fine_types(obj.get("fine_types", _MISSING))
        start = _date(obj["start_date"], f"{base}.start_date")
        share_out = _date(obj["share_out_date"], f"{base}.share_out_date")
        if share_out <= start:
            _fail(f"{base}.share_out_date", N_("must be after the start date"))
        if share_out > add_months(start, MAX_CYCLE_MONTHS):
            _fail(f"{base}.share_out_date",
                  N_("must be at most %(months)s months after the start date"),
                  months=MAX_CYCLE_MONTHS)
        return Settings(share_value, min_shares, max_shares, social, method, rate_bp, multiple,
                        term, loan_unit, payout_unit, rule, fine_types, start, share_out)

    def _fine_types(self, raw: Any) -> dict[str, tuple[int, str]]:
        if raw is _MISSING:
            return {"late": (500, LOAN_FUND), "absent": (2000, LOAN_FUND)}
        types: dict[str, tuple[int, str]] = {}
        for i, item in enumerate(_list(raw, "settings.fine_types")):
            base = f"settings.fine_types[{i}]"
            obj = _object(item, base, ("code", "name", "amount", "to_fund"), ("code", "amount"))
            code = _id(obj["code"], f"{base}.code")
            if code in types:
                _fail(f"{base}.code", N_('"%(id)s" is there twice'), id=code)
            if "name" in obj:
                _text(obj["name"], f"{base}.name", MAX_NAME)
            amount = self.money.parse(obj["amount"], f"{base}.amount")
            if amount <= 0:
                _fail(f"{base}.amount", N_("must be above 0"))
            fund = _choice(obj.get("to_fund", LOAN_FUND), f"{base}.to_fund",
                           (LOAN_FUND, SOCIAL_FUND))
            types[code] = (amount, fund)
        return types

    def _members(self, raw: Any) -> list[Member]:
        members: list[Member] = []
        seen: set[str] = set()
        count = len(self.raw_meetings)
        for j, item in enumerate(_list(raw, "members")):
            base = f"members[{j}]"
            obj = _object(item, base, ("id", "name", "joined"), ("id",))
            member_id = _id(obj["id"], f"{base}.id")
            if member_id in seen:
                _fail(f"{base}.id", N_('"%(id)s" is there twice'), id=member_id)
            seen.add(member_id)
            if "name" in obj:
                _text(obj["name"], f"{base}.name", MAX_NAME)
            joined = _int(obj.get("joined", 1), f"{base}.joined", 1, count)
            members.append(Member(member_id, joined))
        if sum(1 for m in members if m.joined == 1) < 2:
            _fail("members", N_("at least two members must be there from the first meeting"))
        return members

    # -- helpers -----------------------------------------------------------

    def _member(self, value: Any, path: str) -> int:
        """The index of an enrolled (active) member named in an entry."""
        member_id = _id(value, path)
        j = self.index.get(member_id)
        if j is None:
            _fail(path, N_('"%(id)s" is not a member of this cycle'), id=member_id)
        state = self.members[j].state
        if state == NOT_JOINED:
            _fail(path, N_("%(member)s has not joined yet"), member=member_id)
        if state == WITHDRAWN:
            _fail(path, N_("%(member)s has left the cycle"), member=member_id)
        return j

    @staticmethod
    def _entries(mtg: dict[str, Any], key: str, base: str, allowed: tuple[str, ...],
                 required: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
        """The entries of one list of a meeting, each checked when its turn comes."""
        if key not in mtg:
            return
        path = f"{base}.{key}"
        for i, item in enumerate(_list(mtg[key], path)):
            yield f"{path}[{i}]", _object(item, f"{path}[{i}]", allowed, required)

    def _savings(self, member: Member) -> int:
        return self.settings.share_value * member.shares

    # -- the cycle -----------------------------------------------------------

    def run(self) -> dict[str, Any]:
        share_out = None
        carried = None
        count = len(self.raw_meetings)
        previous: date | None = None
        for k, raw in enumerate(self.raw_meetings):
            base = f"meetings[{k}]"
            mtg = _object(raw, base, _MEETING_KEYS, ("date",))
            day = _date(mtg["date"], f"{base}.date")
            if previous is None and day < self.settings.start_date:
                _fail(f"{base}.date", N_("must be on or after the start date"))
            if previous is not None and day <= previous:
                _fail(f"{base}.date", N_("must be after the previous meeting's date"))
            previous = day
            if self.first_date is None:
                self.first_date = day
            kind = _choice(mtg.get("kind", "regular"), f"{base}.kind", ("regular", "share_out"))
            if kind == "share_out" and k != count - 1:
                _fail(f"{base}.kind", N_("only the last meeting may be the share-out"))
            if "note" in mtg:
                _text(mtg["note"], f"{base}.note", MAX_NOTE)
            self.meetings_out.append(self._meeting(k, mtg, day, kind))
            if kind == "share_out":
                share_out, carried = self._share_out(k, base)
        return {
            "currency": self.money.currency,
            "meetings": self.meetings_out,
            "loans": [self._loan_out(loan) for loan in self.loans],
            "share_out": share_out,
            "social_fund_carried": None if carried is None else self.money.text(carried),
            "indicators": self._indicators_out,
        }

    def _meeting(self, k: int, mtg: dict[str, Any], day: date, kind: str) -> dict[str, Any]:
        base = f"meetings[{k}]"
        number = k + 1
        members = self.members
        n = len(members)
        settings = self.settings
        money = self.money

        # 1. Enrolment and roll call
        for m in members:
            if m.state == NOT_JOINED and m.joined == number:
                m.state = ACTIVE
        attendance: list[str | None] = [PRESENT if m.state == ACTIVE else None for m in members]
        for key, status in ((ABSENT, ABSENT), ("represented", REPRESENTED)):
            if key not in mtg:
                continue
            for i, value in enumerate(_list(mtg[key], f"{base}.{key}")):
                path = f"{base}.{key}[{i}]"
                j = self._member(value, path)
                if attendance[j] != PRESENT:
                    _fail(path, N_("%(member)s is named twice"), member=members[j].id)
                attendance[j] = status

        # 2. Installments falling due
        due = [0] * n
        interest_charged = 0
        declining = settings.interest_method == "declining"
        for loan in self.loans:
            if loan.state != ACTIVE:
                continue
            balance = loan.unpaid_principal()
            for inst in loan.installments:
                if inst.falls_due_meeting is None and inst.due_date <= day:
                    inst.falls_due_meeting = number
                    if declining:
                        interest = half_up_div(balance * settings.rate_bp, 10000)
                        inst.interest_due = (inst.interest_due or 0) + interest
                        loan.interest_charged += interest
                        self.income += interest
                        interest_charged += interest
                    due[loan.member] += inst.principal_due + (inst.interest_due or 0)

        # 3. Social contributions
        social = [0] * n
        raw_social = mtg.get("social", "attending")
        if raw_social == "attending":
            for j, status in enumerate(attendance):
                if status in (PRESENT, REPRESENTED):
                    social[j] = settings.social_contribution
        elif isinstance(raw_social, list):
            paid: set[int] = set()
            for i, value in enumerate(raw_social):
                path = f"{base}.social[{i}]"
                j = self._member(value, path)
                if attendance[j] == ABSENT:
                    _fail(path, N_("%(member)s is absent"), member=members[j].id)
                if j in paid:
                    _fail(path, N_("%(member)s is named twice"), member=members[j].id)
                paid.add(j)
                social[j] = settings.social_contribution
        elif raw_social != "none":
            _fail(f"{base}.social", N_('must be "attending", "none" or a list of members'))
        collected = sum(social)
        self.social_bag += collected
        self.social_fund += collected

        # 4. Share purchases
        bought = [0] * n
        if "shares" in mtg:
            raw_shares = mtg["shares"]
            if not isinstance(raw_shares, list) or len(raw_shares) != n:
                _fail(f"{base}.shares",
                      N_("must be a list of %(count)s share counts, one per member"), count=n)
            for j, value in enumerate(raw_shares):
                path = f"{base}.shares[{j}]"
                if type(value) is not int or value < 0:
                    _fail(path, N_("must be a whole number of shares, 0 or more"))
                if value == 0:
                    continue
                if attendance[j] is None:
                    _fail(path, N_("%(member)s is not enrolled at this meeting"),
                          member=members[j].id)
                if attendance[j] == ABSENT:
                    _fail(path, N_("%(member)s is absent and cannot buy shares"),
                          member=members[j].id)
                if not settings.min_shares <= value <= settings.max_shares:
                    _fail(path, N_("%(member)s: %(shares)s shares — 0 or %(min)s to %(max)s per "
                                   "meeting"), member=members[j].id, shares=value,
                          min=settings.min_shares, max=settings.max_shares)
                bought[j] = value
                members[j].shares += value
        self.loan_bag += settings.share_value * sum(bought)
        corrections = self.corrections.get(k)
        adjustments_out = self._adjust_shares(k, corrections) if corrections else []

        # 5. Repayments
        repayments_out = []
        for path, entry in self._entries(mtg, "repayments", base, ("member", "amount"),
                                         ("member", "amount")):
            j = self._member(entry["member"], f"{path}.member")
            member = members[j]
            if attendance[j] == ABSENT:
                _fail(f"{path}.member", N_("%(member)s is absent and cannot repay"),
                      member=member.id)
            loan = member.loan
            if loan is None:
                _fail(f"{path}.member", N_("%(member)s has no loan to repay"), member=member.id)
            amount = money.parse(entry["amount"], f"{path}.amount")
            owed = loan.outstanding()
            if amount <= 0:
                _fail(f"{path}.amount", N_("must be above 0"))
            if amount > owed:
                _fail(f"{path}.amount", N_("%(member)s owes %(owed)s; %(amount)s is more"),
                      member=member.id, owed=money.text(owed), amount=money.text(amount))
            interest, principal = _apply_repayment(loan, amount)
            if loan.outstanding() == 0:
                loan.state, loan.closed_meeting = "repaid", number
                member.loan = None
            self.loan_bag += amount
            repayments_out.append({"member": member.id, "loan": loan.number,
                                   "amount": money.text(amount), "interest": money.text(interest),
                                   "principal": money.text(principal)})

        # 6. Fines: imposed, paid, waived
        types = settings.fine_types
        for path, entry in self._entries(mtg, "fines", base, ("member", "type", "amount", "paid"),
                                         ("member", "type")):
            j = self._member(entry["member"], f"{path}.member")
            code = _id(entry["type"], f"{path}.type")
            if code not in types:
                _fail(f"{path}.type", N_('"%(id)s" is not a fine type of this cycle'), id=code)
            amount, fund = types[code]
            if "amount" in entry:
                amount = money.parse(entry["amount"], f"{path}.amount")
                if amount <= 0:
                    _fail(f"{path}.amount", N_("must be above 0"))
            paid_now = entry.get("paid", False)
            if not isinstance(paid_now, bool):
                _fail(f"{path}.paid", N_("must be true or false"))
            if paid_now and attendance[j] == ABSENT:
                _fail(f"{path}.paid", N_("%(member)s is absent and cannot pay now"),
                      member=members[j].id)
            fine = Fine(code, amount, fund)
            members[j].fines.append(fine)
            self._post_fine(fund, amount)
            if paid_now:
                self._pay_fine(fine)
        for path, entry in self._entries(mtg, "fine_payments", base, ("member", "type"),
                                         ("member", "type")):
            j = self._member(entry["member"], f"{path}.member")
            if attendance[j] == ABSENT:
                _fail(f"{path}.member", N_("%(member)s is absent and cannot pay now"),
                      member=members[j].id)
            self._pay_fine(self._due_fine(members[j], entry["type"], f"{path}.type"))
        for path, entry in self._entries(mtg, "fine_waivers", base, ("member", "type", "reason"),
                                         ("member", "type")):
            j = self._member(entry["member"], f"{path}.member")
            fine = self._due_fine(members[j], entry["type"], f"{path}.type")
            if "reason" in entry:
                _text(entry["reason"], f"{path}.reason", MAX_REASON)
            fine.state = "waived"
            self._post_fine(fine.fund, -fine.amount)

        waivers_out = self._waive_interest(k, corrections, number) if corrections else []

        # 7. Write-offs
        write_offs_out = []
        for path, entry in self._entries(mtg, "write_offs", base, ("member", "reason"),
                                         ("member",)):
            j = self._member(entry["member"], f"{path}.member")
            member = members[j]
            loan = member.loan
            if loan is None:
                _fail(f"{path}.member", N_("%(member)s has no loan to write off"),
                      member=member.id)
            if "reason" in entry:
                _text(entry["reason"], f"{path}.reason", MAX_REASON)
            principal, interest = loan.unpaid_principal(), loan.unpaid_interest()
            self.income -= principal + interest
            self.written_off += principal
            loan.state, loan.closed_meeting = "written_off", number
            member.loan = None
            write_offs_out.append({"member": member.id, "loan": loan.number,
                                   "principal": money.text(principal),
                                   "interest": money.text(interest)})

        # 8. Grants
        for path, entry in self._entries(mtg, "grants", base, ("member", "amount", "reason"),
                                         ("member", "amount")):
            self._member(entry["member"], f"{path}.member")
            amount = money.parse(entry["amount"], f"{path}.amount")
            if amount <= 0:
                _fail(f"{path}.amount", N_("must be above 0"))
            if amount > self.social_bag:
                _fail(f"{path}.amount",
                      N_("only %(cash)s is in the social fund now; %(amount)s is more"),
                      cash=money.text(self.social_bag), amount=money.text(amount))
            if "reason" in entry:
                _text(entry["reason"], f"{path}.reason", MAX_REASON)
            self.social_bag -= amount
            self.social_fund -= amount
            self.grants += amount
            self.grants_count += 1

        # 9. Loans
        if kind == "share_out" and mtg.get("loans"):
            _fail(f"{base}.loans", N_("no loans at the share-out meeting"))
        for path, entry in self._entries(mtg, "loans", base, ("member", "principal", "months",
                                                              "purpose"),
                                         ("member", "principal", "months")):
            interest_charged += self._disburse(path, entry, attendance, number, day)

        # 10. Withdrawals
        if kind == "share_out" and mtg.get("withdrawals"):
            _fail(f"{base}.withdrawals", N_("no withdrawals at the share-out meeting"))
        withdrawals_out = [self._withdraw(path, entry, attendance) for path, entry
                           in self._entries(mtg, "withdrawals", base, ("member",), ("member",))]

        # 11. Cash differences
        for path, entry in self._entries(mtg, "differences", base, ("bag", "amount", "reason"),
                                         ("bag", "amount")):
            bag = _choice(entry["bag"], f"{path}.bag", (LOAN_FUND, SOCIAL_FUND))
            amount = money.parse(entry["amount"], f"{path}.amount", signed=True)
            if amount == 0:
                _fail(f"{path}.amount", N_("a difference of 0 is no difference"))
            cash = self.loan_bag if bag == LOAN_FUND else self.social_bag
            if cash + amount < 0:
                _fail(f"{path}.amount", N_("only %(cash)s is in the bag"), cash=money.text(cash))
            if "reason" in entry:
                _text(entry["reason"], f"{path}.reason", MAX_REASON)
            if bag == LOAN_FUND:
                self.loan_bag += amount
                self.income += amount
            else:
                self.social_bag += amount
                self.social_fund += amount

        # 12. Close
        present = sum(1 for a in attendance if a == PRESENT)
        represented = sum(1 for a in attendance if a == REPRESENTED)
        enrolled = sum(1 for a in attendance if a is not None)
        self.attendance.append((present, represented, enrolled))
        out = self._close(number, day, kind, interest_charged)
        out["repayments"] = repayments_out
        out["write_offs"] = write_offs_out
        out["withdrawals"] = withdrawals_out
        if corrections:
            out["adjustments"] = adjustments_out
            out["interest_waivers"] = waivers_out
        out["members"] = self._members_out(day, attendance, social, bought, due)
        if number == len(self.raw_meetings):
            self._indicators_out = self._indicators(number, day)
        return out

    # -- steps ---------------------------------------------------------------

    def _corrected(self, k: int, i: int, kind: str, value: str) -> tuple[str, int]:
        path = f"meetings[{k}].{kind}[{i}]"
        return path, self._member(value, f"{path}.member")

    def _adjust_shares(self, k: int, corrections: Sequence[Correction]
                       ) -> list[dict[str, Any]]:
        value, money = self.settings.share_value, self.money
        out = []
        adjustments = [c for c in corrections if isinstance(c, ShareAdjustment)]
        for i, c in enumerate(adjustments):
            path, j = self._corrected(k, i, "adjustments", c.member)
            member = self.members[j]
            if type(c.shares) is not int or c.shares == 0:
                _fail(f"{path}.shares", N_("must be a whole number of shares other than 0"))
            if member.shares + c.shares < 0:
                _fail(f"{path}.shares", N_("%(member)s has %(shares)s shares; she cannot have "
                                           "fewer than none"), member=member.id,
                      shares=member.shares)
            if self.loan_bag + value * c.shares < 0:
                _fail(f"{path}.shares", N_("only %(cash)s is in the loan fund now"),
                      cash=money.text(self.loan_bag))
            _text(c.reason, f"{path}.reason", MAX_REASON)
            member.shares += c.shares
            self.loan_bag += value * c.shares
            out.append({"member": member.id, "shares": c.shares,
                        "amount": money.text(value * c.shares), "reason": c.reason})
        return out

    def _waive_interest(self, k: int, corrections: Sequence[Correction], number: int
                        ) -> list[dict[str, Any]]:
        money = self.money
        out = []
        waivers = [c for c in corrections if isinstance(c, InterestWaiver)]
        for i, c in enumerate(waivers):
            path, j = self._corrected(k, i, "interest_waivers", c.member)
            member = self.members[j]
            loan = member.loan
            if loan is None:
                _fail(f"{path}.member", N_("%(member)s has no loan"), member=member.id)
            unpaid = loan.unpaid_interest()
            if type(c.amount) is not int or c.amount <= 0:
                _fail(f"{path}.amount", N_("must be above 0"))
            if c.amount > unpaid:
                _fail(f"{path}.amount", N_("%(member)s owes %(owed)s in interest; %(amount)s "
                                           "is more"), member=member.id,
                      owed=money.text(unpaid), amount=money.text(c.amount))
            _text(c.reason, f"{path}.reason", MAX_REASON)
            left = c.amount
            for inst in reversed(loan.installments):
                part = min(left, (inst.interest_due or 0) - inst.interest_paid)
                if part > 0:
                    inst.interest_due = (inst.interest_due or 0) - part
                    inst.interest_waived += part
                    left -= part
            loan.interest_waived += c.amount
            self.income -= c.amount
            if loan.outstanding() == 0:
                loan.state, loan.closed_meeting = "repaid", number
                member.loan = None
            out.append({"member": member.id, "loan": loan.number,
                        "amount": money.text(c.amount), "reason": c.reason})
        return out

    def _post_fine(self, fund: str, amount: int) -> None:
        if fund == LOAN_FUND:
            self.income += amount
        else:
            self.social_fund += amount

    def _pay_fine(self, fine: Fine) -> None:
        fine.state = "paid"
        if fine.fund == LOAN_FUND:
            self.loan_bag += fine.amount
        else:
            self.social_bag += fine.amount

    def _due_fine(self, member: Member, value: Any, path: str) -> Fine:
        code = _id(value, path)
        if code not in self.settings.fine_types:
            _fail(path, N_('"%(id)s" is not a fine type of this cycle'), id=code)
        for fine in member.fines:
            if fine.code == code and fine.state == "due":
                return fine
        _fail(path, N_('%(member)s owes no "%(id)s" fine'), member=member.id, id=code)

    def _disburse(self, path: str, entry: dict[str, Any], attendance: list[str | None],
                  number: int, day: date) -> int:
        settings, money = self.settings, self.money
        j = self._member(entry["member"], f"{path}.member")
        member = self.members[j]
        if attendance[j] != PRESENT:
            _fail(f"{path}.member", N_("%(member)s must be present to borrow"), member=member.id)
        if member.loan is not None:
            _fail(f"{path}.member", N_("%(member)s already has loan %(number)s"),
                  member=member.id, number=member.loan.number)
        principal = money.parse(entry["principal"], f"{path}.principal")
        if principal <= 0:
            _fail(f"{path}.principal", N_("must be above 0"))
        if principal % settings.loan_unit:
            _fail(f"{path}.principal", N_("the loan must be a multiple of %(amount)s"),
                  amount=money.text(settings.loan_unit))
        savings = self._savings(member)
        if principal * 100 > settings.loan_multiple * savings:
            limit = settings.loan_multiple * savings // 100
            _fail(f"{path}.principal",
                  N_("%(member)s can borrow at most %(limit)s (%(multiple)s × her savings "
                     "%(savings)s)"), member=member.id, limit=money.text(limit),
                  multiple=f"{settings.loan_multiple // 100}.{settings.loan_multiple % 100:02d}",
                  savings=money.text(savings))
        if principal > self.loan_bag:
            _fail(f"{path}.principal", N_("only %(cash)s is in the loan fund now"),
                  cash=money.text(self.loan_bag))
        months = _int(entry["months"], f"{path}.months", 1, settings.max_term_months)
        if add_months(day, months) > settings.share_out_date:
            _fail(f"{path}.months", N_("the last installment would fall due after the "
                                       "share-out date %(date)s"),
                  date=settings.share_out_date.isoformat())
        if "purpose" in entry:
            _text(entry["purpose"], f"{path}.purpose", MAX_REASON)
        flat = settings.interest_method == "flat"
        per_month = half_up_div(principal * settings.rate_bp, 10000) if flat else None
        loan = Loan(len(self.loans) + 1, j, number, principal, months, [
            Installment(seq, due_date, part, per_month)
            for seq, (due_date, part) in enumerate(loan_schedule(principal, months, day), 1)])
        charged = months * per_month if per_month is not None else 0
        loan.interest_charged = charged
        self.income += charged
        self.loan_bag -= principal
        self.disbursed += principal
        self.loans.append(loan)
        member.loan = loan
        return charged

    def _withdraw(self, path: str, entry: dict[str, Any], attendance: list[str | None]
                  ) -> dict[str, Any]:
        settings, money = self.settings, self.money
        j = self._member(entry["member"], f"{path}.member")
        member = self.members[j]
        if attendance[j] == ABSENT:
            _fail(f"{path}.member", N_("%(member)s is absent and cannot leave now"),
                  member=member.id)
        social_due = member.fines_due(SOCIAL_FUND)
        if social_due:
            _fail(f"{path}.member", N_("%(member)s owes %(amount)s in fines to the social fund; "
                                       "pay or waive them first"),
                  member=member.id, amount=money.text(social_due))
        loan = member.loan
        debt = (loan.outstanding() if loan else 0) + member.fines_due(LOAN_FUND)
        savings = self._savings(member)
        profit = 0
        if settings.withdrawal_rule == "with_profit" and member.shares:
            active = [m for m in self.members if m.state == ACTIVE]
            parts = largest_remainder(self.income, [m.shares for m in active])
            profit = parts[active.index(member)]
        net = savings + profit - debt
        if net < 0:
            _fail(f"{path}.member", N_("%(member)s owes %(owed)s, more than her savings "
                                       "%(savings)s"), member=member.id, owed=money.text(debt),
                  savings=money.text(savings + profit))
        if net > self.loan_bag:
            _fail(f"{path}.member", N_("%(member)s is due %(amount)s; only %(cash)s is in the "
                                       "loan fund now"), member=member.id,
                  amount=money.text(net), cash=money.text(self.loan_bag))
        if loan is not None:
            loan.state, loan.closed_meeting = "set_off", len(self.meetings_out) + 1
            member.loan = None
        for fine in member.fines:
            if fine.state == "due":
                fine.state = "set_off"
        cash = net // settings.payout_unit * settings.payout_unit
        residual = net - cash
        self.income -= profit
        self.loan_bag -= net
        self.social_bag += residual
        self.social_fund += residual
        shares = member.shares
        member.shares = 0
        member.state = WITHDRAWN
        self.withdrawn += 1
        return {"member": member.id, "shares": shares, "savings": money.text(savings),
                "profit": money.text(profit), "set_off": money.text(debt),
                "net": money.text(net), "cash": money.text(cash),
                "residual": money.text(residual)}

    def _share_out(self, k: int, base: str) -> tuple[dict[str, Any], int]:
        settings, money = self.settings, self.money
        number = k + 1
        active = [m for m in self.members if m.state == ACTIVE]
        for m in active:
            social_due = m.fines_due(SOCIAL_FUND)
            if social_due:
                _fail(base, N_("%(member)s owes %(amount)s in fines to the social fund; pay or "
                               "waive them first"), member=m.id, amount=money.text(social_due))
        total_shares = sum(m.shares for m in active)
        if total_shares == 0:
            _fail(base, N_("nobody holds a share: there is nothing to share out"))
        savings = settings.share_value * total_shares
        equity = savings + self.income
        if equity < 0:
            _fail(base, N_("the group's equity is negative (%(amount)s)"),
                  amount=money.text(equity))
        entitlements = share_out_split(equity, [m.shares for m in active])
        debts = [(m.loan.outstanding() if m.loan else 0) + m.fines_due(LOAN_FUND)
                 for m in active]
        short = [f"{m.id} {money.text(d)} > {money.text(e)}"
                 for m, d, e in zip(active, debts, entitlements, strict=True) if d > e]
        if short:
            _fail(base, N_("some owe more than their share-out: %(members)s. "
                           "Record a repayment or a write-off first"), members="; ".join(short))
        lines: dict[str, dict[str, Any]] = {}
        payout = residuals = 0
        unit = settings.payout_unit
        for m, e, d in zip(active, entitlements, debts, strict=True):
            net = e - d
            cash = net // unit * unit
            payout += cash
            residuals += net - cash
            lines[m.id] = {"id": m.id, "shares": m.shares,
                           "savings": money.text(settings.share_value * m.shares),
                           "entitlement": money.text(e),
                           "profit": money.text(e - settings.share_value * m.shares),
                           "set_off": money.text(d), "net": money.text(net),
                           "cash": money.text(cash), "residual": money.text(net - cash)}
            if m.loan is not None:
                m.loan.state, m.loan.closed_meeting = "set_off", number
                m.loan = None
            for fine in m.fines:
                if fine.state == "due":
                    fine.state = "set_off"
        zero = money.text(0)
        members_out = [lines.get(m.id) or {
            "id": m.id, "shares": 0, "savings": zero, "entitlement": zero, "profit": zero,
            "set_off": zero, "net": zero, "cash": zero, "residual": zero} for m in self.members]
        loan_bag = self.loan_bag
        carried = self.social_fund + residuals
        result = {
            "meeting": number, "equity": money.text(equity), "total_shares": total_shares,
            "savings": money.text(savings), "income": money.text(self.income),
            "loan_bag": money.text(loan_bag),
            "value_per_share": money.text(half_up_div(equity, total_shares)),
            "profit_per_share": money.text(half_up_div(self.income, total_shares)),
            "return_on_savings": percentage(self.income, savings),
            "payout_total": money.text(payout), "residual_total": money.text(residuals),
            "members": members_out,
        }
        # After the share-out every savings, loan, fines and income balance and
        # the loan bag are 0; the residuals' coins join the social bag.
        for m in active:
            m.shares = 0
        self.income = 0
        self.loan_bag = 0
        self.social_bag += residuals
        self.social_fund += residuals
        return result, carried

    # -- the result ------------------------------------------------------------

    def _close(self, number: int, day: date, kind: str, interest_charged: int
               ) -> dict[str, Any]:
        money = self.money
        active_loans = [loan for loan in self.loans if loan.state == ACTIVE]
        fines_loan = sum(m.fines_due(LOAN_FUND) for m in self.members)
        fines_social = sum(m.fines_due(SOCIAL_FUND) for m in self.members)
        return {
            "number": number, "date": day.isoformat(), "kind": kind,
            "loan_bag": money.text(self.loan_bag), "social_bag": money.text(self.social_bag),
            "income": money.text(self.income), "social_fund": money.text(self.social_fund),
            "savings": money.text(self.settings.share_value * sum(
                m.shares for m in self.members if m.state == ACTIVE)),
            "loans_principal": money.text(sum(loan.unpaid_principal() for loan in active_loans)),
            "loans_interest": money.text(sum(loan.unpaid_interest() for loan in active_loans)),
            "fines_due_loan": money.text(fines_loan),
            "fines_due_social": money.text(fines_social),
            "interest_charged": money.text(interest_charged),
        }

    def _members_out(self, day: date, attendance: list[str | None], social: list[int],
                     bought: list[int], due: list[int]) -> list[dict[str, Any]]:
        money = self.money
        value = self.settings.share_value
        out = []
        for j, m in enumerate(self.members):
            loan = m.loan
            overdue = days = 0
            principal = interest = 0
            if loan is not None:
                principal, interest = loan.unpaid_principal(), loan.unpaid_interest()
                for inst in loan.installments:
                    if inst.falls_due_meeting is not None and inst.unpaid():
                        overdue += inst.unpaid()
                        days = max(days, (day - inst.due_date).days)
            out.append({
                "id": m.id, "state": m.state, "attendance": attendance[j],
                "social": money.text(social[j]), "shares_bought": bought[j],
                "shares": m.shares, "savings": money.text(value * m.shares),
                "loan_principal": money.text(principal), "loan_interest": money.text(interest),
                "fines_due": money.text(m.fines_due()), "due": money.text(due[j]),
                "overdue": money.text(overdue), "days_overdue": days,
            })
        return out

    def _loan_out(self, loan: Loan) -> dict[str, Any]:
        money = self.money
        return {
            "number": loan.number, "member": self.members[loan.member].id,
            "meeting": loan.meeting, "principal": money.text(loan.principal),
            "months": loan.months, "interest_charged": money.text(loan.interest_charged),
            "installments": [{
                "seq": inst.seq, "due_date": inst.due_date.isoformat(),
                "falls_due_meeting": inst.falls_due_meeting,
                "principal_due": money.text(inst.principal_due),
                "interest_due": None if inst.interest_due is None
                else money.text(inst.interest_due),
                "principal_paid": money.text(inst.principal_paid),
                "interest_paid": money.text(inst.interest_paid),
            } | ({"interest_waived": money.text(inst.interest_waived)}
                 if inst.interest_waived else {})
              | ({"interest_brought": money.text(inst.interest_brought)}
                 if inst.interest_brought else {}) for inst in loan.installments],
            "state": loan.state, "closed_meeting": loan.closed_meeting,
        } | ({"interest_waived": money.text(loan.interest_waived)}
             if loan.interest_waived else {})

    def _indicators(self, number: int, day: date) -> dict[str, Any]:
        money = self.money
        value = self.settings.share_value
        active = [m for m in self.members if m.state == ACTIVE]
        count = len(active)
        total_shares = sum(m.shares for m in active)
        savings = value * total_shares
        active_loans = [loan for loan in self.loans if loan.state == ACTIVE]
        outstanding = sum(loan.unpaid_principal() for loan in active_loans)
        receivable = sum(loan.unpaid_interest() for loan in active_loans)
        at_risk = at_risk_30 = 0
        for loan in active_loans:
            late = [inst for inst in loan.installments
                    if inst.falls_due_meeting is not None and inst.unpaid()]
            if late:
                at_risk += loan.unpaid_principal()
                if max((day - inst.due_date).days for inst in late) >= PAR_DAYS:
                    at_risk_30 += loan.unpaid_principal()
        window = self.attendance[-ATTENDANCE_WINDOW:]
        present = sum(w[0] for w in window)
        represented = sum(w[1] for w in window)
        enrolled = sum(w[2] for w in window)
        at_start = sum(1 for m in self.members if m.joined == 1)
        fines_due = sum(m.fines_due() for m in self.members)
        assert self.first_date is not None
        days = max(1, (day - self.first_date).days)
        income = self.income
        equity = savings + income
        projected = None
        if total_shares and equity >= 0:
            parts = dict(zip((m.id for m in active),
                             share_out_split(equity, [m.shares for m in active]), strict=True))
            projected = []
            for m in self.members:
                e = parts.get(m.id, 0)
                debt = (m.loan.outstanding() if m.loan else 0) + m.fines_due()
                net = e - debt if m.state == ACTIVE else 0
                projected.append({"id": m.id, "entitlement": money.text(e),
                                  "net": money.text(net)})
        loans_count = sum(1 for loan in self.loans if loan.meeting)  # not those brought in
        return {
            "as_of_meeting": number, "date": day.isoformat(),
            "members": count, "members_at_start": at_start, "withdrawn": self.withdrawn,
            "drop_out_rate": percentage(self.withdrawn, at_start),
            "attendance_in_person": percentage(present, enrolled),
            "attendance_with_representative": percentage(present + represented, enrolled),
            "savings": money.text(savings),
            "savings_per_member": money.text(half_up_div(savings, count)) if count else None,
            "loans_outstanding_count": len(active_loans),
            "loans_outstanding": money.text(outstanding),
            "interest_receivable": money.text(receivable),
            "members_with_loan": percentage(len(active_loans), count),
            "loans_disbursed_count": loans_count,
            "loans_disbursed": money.text(self.disbursed),
            "average_loan": money.text(half_up_div(self.disbursed, loans_count))
            if loans_count else None,
            "loan_fund_utilisation": percentage(outstanding, outstanding + self.loan_bag),
            "par0": percentage(at_risk, outstanding),
            "par30": percentage(at_risk_30, outstanding),
            "net_income": money.text(income),
            "return_on_savings": percentage(income, savings),
            "return_on_savings_annualised": percentage(income * 365, savings * days),
            "written_off": money.text(self.written_off),
            "write_off_ratio": percentage(self.written_off, self.disbursed),
            "social_fund": money.text(self.social_fund),
            "grants_count": self.grants_count, "grants": money.text(self.grants),
            "fines_due": money.text(fines_due),
            "total_assets": money.text(self.loan_bag + self.social_bag + outstanding
                                       + receivable + fines_due),
            "projected_share_out": projected,
        }


def _apply_repayment(loan: Loan, amount: int) -> tuple[int, int]:
    """Apply `amount` to the installments in order, interest first within each
    (declining interest not yet posted is not owed); (interest, principal) paid."""
    paid_interest = paid_principal = 0
    left = amount
    for inst in loan.installments:
        if not left:
            break
        if inst.interest_due is not None:
            part = min(left, inst.interest_due - inst.interest_paid)
            inst.interest_paid += part
            paid_interest += part
            left -= part
        part = min(left, inst.principal_due - inst.principal_paid)
        inst.principal_paid += part
        paid_principal += part
        left -= part
    return paid_interest, paid_principal
