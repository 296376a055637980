"""The season's rules, pure: no Flask, no database. Quantities in thousandths
of the unit, areas in thousandths of a сотка, money in minor units, ratios in
basis points (10 000 = 1×)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from coop.money import half_up_div

# Surveys -------------------------------------------------------------------

DRAFT, OPEN, CLOSED, CONVERTED = "draft", "open", "closed", "converted"
SURVEY_MOVES: dict[str, frozenset[str]] = {
    DRAFT: frozenset({OPEN}),
    OPEN: frozenset({CLOSED}),
    CLOSED: frozenset({OPEN, CONVERTED}),
    CONVERTED: frozenset(),
}
SOTKA_PER_HECTARE = 100


def can_move_survey(current: str, target: str) -> bool:
    return target in SURVEY_MOVES.get(current, frozenset())


def ceil_to_step(quantity: int, step: int) -> int:
    """The smallest multiple of `step` not below `quantity` (quantity >= 0)."""
    return -(-quantity // step) * step


def quantity_for_area(area: int, seed_rate: int, step: int) -> int:
    """Seed for `area` thousandths of a сотка at `seed_rate` thousandths of the
    unit per сотка: half_up(area × rate), then rounded up to the step."""
    return ceil_to_step(half_up_div(area * seed_rate, 1000), step)


@dataclass(frozen=True)
class Answer:
    member: int
    product: int
    firm: int
    maybe: int


@dataclass
class Demand:
    """What the members asked for one product."""

    product: int
    firm: int = 0
    maybe: int = 0
    members: set[int] = field(default_factory=set)

    @property
    def member_count(self) -> int:
        return len(self.members)


def demand(products: Sequence[int], answers: Iterable[Answer]) -> list[Demand]:
    """Σ firm, Σ maybe and the members who asked, per product, in `products` order."""
    rows = {p: Demand(p) for p in products}
    for answer in answers:
        row = rows.get(answer.product)
        if row is None or not (answer.firm or answer.maybe):
            continue
        row.firm += answer.firm
        row.maybe += answer.maybe
        row.members.add(answer.member)
    return [rows[p] for p in products]


def order_line(firm: int, maybe: int) -> tuple[int, int]:
    """A survey answer as an order line (quantity, tolerance): a maybe alone
    becomes nothing, since a round's tolerance needs a firm quantity."""
    return (firm, maybe) if firm else (0, 0)


# Seed loans ----------------------------------------------------------------

PROPOSED, APPROVED, DELIVERED, REPAID, WRITTEN_OFF, CANCELLED = (
    "proposed", "approved", "delivered", "repaid", "written_off", "cancelled")
LOAN_MOVES: dict[str, frozenset[str]] = {
    PROPOSED: frozenset({APPROVED, CANCELLED}),
    APPROVED: frozenset({DELIVERED, CANCELLED}),
    DELIVERED: frozenset({REPAID, WRITTEN_OFF}),
    REPAID: frozenset(),
    WRITTEN_OFF: frozenset(),
    CANCELLED: frozenset(),
}
OUTSTANDING = (DELIVERED,)
BP = 10000
MIN_BP, MAX_BP = 10000, 30000


def can_move_loan(current: str, target: str) -> bool:
    return target in LOAN_MOVES.get(current, frozenset())


def due_money(value: int, repay_bp: int) -> int:
    """What she repays in money: value × ratio, half up to the minor unit."""
    return half_up_div(value * repay_bp, BP)


def due_kind(quantity: int, repay_bp: int, step: int) -> int:
    """What she returns in kind: quantity × ratio, rounded up to the step."""
    return ceil_to_step(-(-quantity * repay_bp // BP), step)


@dataclass(frozen=True)
class LoanPosition:
    """Where a delivered loan stands. `value` is the principal (her seed-loan
    account); `due` what the ratio makes of it; `paid` the principal and
    income repaid so far."""

    value: int
    due: int
    principal_paid: int = 0
    income_paid: int = 0
    written_off: int = 0
    closed: bool = False  # written off (what was unpaid is given up) or cancelled (never lent)

    @property
    def principal_left(self) -> int:
        """The value lent not yet returned: her seed-loan account in the books."""
        return self.value - self.principal_paid - self.written_off

    @property
    def income_due(self) -> int:
        return self.due - self.value

    @property
    def premium_left(self) -> int:
        """What the ratio adds above the value and is still to come: the fund's
        income when it comes in, not in the books before."""
        return self.left - self.principal_left if self.left else 0

    @property
    def unpaid(self) -> int:
        """The value and premium not repaid (given up once written off)."""
        return self.due - self.principal_paid - self.income_paid

    @property
    def left(self) -> int:
        """What she still owes in money (0 once written off)."""
        if self.written_off or self.closed:
            return 0
        return self.unpaid

    def split(self, amount: int) -> tuple[int, int]:
        """(principal, income) of a repayment of `amount`: principal first."""
        if amount <= 0 or amount > self.left:
            raise ValueError("amount out of range")
        principal = min(amount, self.principal_left)
        return principal, amount - principal


def kind_valuation(due: int, due_quantity: int, returned_before: int, returning: int) -> int:
    """What `returning` (thousandths) of seed, after `returned_before`, clears
    of a loan due `due` in money for `due_quantity` in kind: the cumulative
    share, so that returns in parts add up to exactly `due`."""
    if due_quantity <= 0:
        raise ValueError("no quantity due")
    after = min(returned_before + returning, due_quantity)
    before = min(returned_before, due_quantity)
    return half_up_div(due * after, due_quantity) - half_up_div(due * before, due_quantity)


def payout_deduction(payout: int, lefts: Sequence[int]) -> list[int]:
    """How much of a payout goes to each loan (oldest first): first claim, up
    to what each still owes, never more than the payout."""
    rest = max(payout, 0)
    taken = []
    for left in lefts:
        take = min(rest, max(left, 0))
        taken.append(take)
        rest -= take
    return taken


def stock_out_value(on_hand_quantity: int, on_hand_value: int, quantity: int) -> int:
    """The value of `quantity` taken out of a stock holding `on_hand_quantity`
    worth `on_hand_value`: its share, half up; all of it when all goes."""
    if quantity <= 0 or quantity > on_hand_quantity:
        raise ValueError("quantity out of range")
    if quantity == on_hand_quantity:
        return on_hand_value
    return half_up_div(on_hand_value * quantity, on_hand_quantity)


# Household profiles -----------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    household_size: int | None
    land: int | None
    livestock: int | None
    migrant_abroad: bool | None


@dataclass(frozen=True)
class Indicators:
    """Counts only: how many members answered, and how many of them are in
    each band. No individual answer can be read back from them."""

    members: int
    answered: int
    migrant_households: int
    no_migrant: int
    with_livestock: int
    household_bands: dict[str, int]
    land_bands: dict[str, int]


HOUSEHOLD_BANDS = (("1-3", 1, 3), ("4-6", 4, 6), ("7+", 7, 10**6))
LAND_BANDS = (("0", 0, 0), ("1-10", 1, 10_000), ("11-50", 10_001, 50_000),
              ("51+", 50_001, 10**15))  # thousandths of a сотка


def _band(value: int | None, bands: Sequence[tuple[str, int, int]]) -> str | None:
    if value is None:
        return None
    return next((name for name, low, high in bands if low <= value <= high), None)


def indicators(members: int, profiles: Iterable[Profile]) -> Indicators:
    answered = migrant = no_migrant = livestock = 0
    households = {name: 0 for name, _l, _h in HOUSEHOLD_BANDS}
    land = {name: 0 for name, _l, _h in LAND_BANDS}
    for profile in profiles:
        answered += 1
        migrant += profile.migrant_abroad is True
        no_migrant += profile.migrant_abroad is False
        livestock += bool(profile.livestock)
        band = _band(profile.household_size, HOUSEHOLD_BANDS)
        if band:
            households[band] += 1
        band = _band(profile.land, LAND_BANDS)
        if band:
            land[band] += 1
    return Indicators(members=members, answered=answered, migrant_households=migrant,
                      no_migrant=no_migrant, with_livestock=livestock,
                      household_bands=households, land_bands=land)
