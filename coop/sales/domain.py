"""Pure rules of a joint sale: what a lot holds, and how its revenue is split
over the women who contributed. Integers only (quantities in thousandths of
the unit, price factors in thousandths, money in minor units); no Flask, no
database.

The split of a closed lot, exactly (`split_lot`):

1. **Members** are the contributors, in a fixed order (the services use the
   membership id): that order is the tie-break everywhere, as in the purchase
   split (spec/split.md): in a largest-remainder split, equal fractions go to
   the member listed first.
2. **What was sold of each woman's produce.** Per grade, the quantity sold to
   buyers, S, counted in the lot's steps (whole jars, or 0.1 kg), is shared
   over the contributors of that grade by largest remainder with their net
   contributions (after corrections) as weights. Nobody is counted for more
   than she brought. What is left of her contribution, contributed − sold, is
   her *unsold* quantity: given back to her, or carried to a new lot, as the
   treasurer decides per grade at closing. Unsold produce earns nothing and
   pays no cost.
3. **Her value** = Σ over the grades of (her sold quantity × the grade's price
   factor): first grade at 1.0 and second at 0.8 means a kilo of second grade
   earns four fifths of a kilo of first grade, whatever each sale fetched.
4. **Levy** (to the solidarity fund) = half-up(revenue × levy basis points /
   10000), on the lot's gross revenue (the sum of its sales).
5. **Revenue minus levy minus the costs shared by value** is split over the
   members by largest remainder with their values as weights: one split of the
   net, so that it is exactly proportional to value up to the last minor unit.
   To show each woman her share of every sale, of the levy and of each such
   cost, the items are split cumulatively: her share of item k is her share
   of (item 1 + … + item k) minus her share of (item 1 + … + item k−1). The
   items (sales in date order, then the levy, then the costs) therefore add
   up, for each item over the members and for each member to her share of the
   net.
6. **Costs by quantity** are split by largest remainder over the sold
   quantities (in thousandths of the unit, all grades together); **equal
   costs** in equal shares over the members of whom something was sold. Where
   nothing at all was sold, every cost is shared equally by all contributors.
7. **Payout** = her share of the net (5) − her shares of the costs by quantity
   and equal costs (6). It is negative when the costs are more than the
   revenue: then she owes it.

The books balance, to the minor unit:

    Σ payouts + Σ costs + levy = Σ sales revenue
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from coop.money import half_up_div, largest_remainder

FACTOR_SCALE = 1000  # price factors in thousandths: 1000 = 1.0, 800 = 0.8
MAX_FACTOR = 100 * FACTOR_SCALE
BASIS = 10_000  # levy in basis points: 200 = 2 %

VALUE, QUANTITY, EQUAL = "value", "quantity", "equal"
COST_RULES = (VALUE, QUANTITY, EQUAL)
RETURN, CARRY = "return", "carry"
UNSOLD_ACTIONS = (RETURN, CARRY)


class LotError(ValueError):
    """The lot's figures are inconsistent (the services check first, with
    messages for people; this is the last guard)."""


@dataclass(frozen=True)
class Grade:
    id: int
    factor: int  # thousandths


@dataclass(frozen=True)
class SaleLine:
    grade: int
    quantity: int  # thousandths of the unit
    amount: int  # minor units (half-up of quantity × unit price)


@dataclass(frozen=True)
class Sale:
    id: int
    lines: tuple[SaleLine, ...]

    @property
    def revenue(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class Cost:
    id: int
    amount: int  # minor units
    rule: str = VALUE


@dataclass(frozen=True)
class Lot:
    """Everything the split of a lot depends on."""

    members: tuple[int, ...]  # in tie-break order
    grades: tuple[Grade, ...]
    contributed: Mapping[tuple[int, int], int]  # (member, grade) -> net quantity
    sales: tuple[Sale, ...] = ()
    costs: tuple[Cost, ...] = ()
    levy_basis_points: int = 0
    step: int = 1  # the smallest quantity handed back, thousandths


@dataclass(frozen=True)
class MemberPayout:
    member: int
    contributed: tuple[int, ...]  # per grade, in the lot's grade order
    sold: tuple[int, ...]
    unsold: tuple[int, ...]
    value: int  # Σ sold × factor (thousandths × thousandths)
    sales: tuple[int, ...]  # her share of each sale, in the lot's sale order
    levy: int  # her share of the levy (she pays it)
    costs: tuple[int, ...]  # her share of each cost, in the lot's cost order (she pays it)
    payout: int
    by_value: int = 0  # her largest-remainder share of the lot's `by_value` (step 5)

    @property
    def revenue(self) -> int:
        return sum(self.sales)

    @property
    def cost_total(self) -> int:
        return sum(self.costs)

    @property
    def quantity_sold(self) -> int:
        return sum(self.sold)


@dataclass(frozen=True)
class LotSplit:
    members: tuple[MemberPayout, ...]
    pooled: tuple[int, ...]  # per grade
    sold: tuple[int, ...]
    revenue: int
    levy: int
    costs: int
    payouts: int
    total_value: int
    by_value: int = 0  # revenue − levy − the costs shared by value: what is split by value
    _index: dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def unsold(self) -> tuple[int, ...]:
        return tuple(p - s for p, s in zip(self.pooled, self.sold, strict=True))

    def member(self, member_id: int) -> MemberPayout | None:
        index = self._index.get(member_id)
        return None if index is None else self.members[index]


# --------------------------------------------------------------------------
# Stock
# --------------------------------------------------------------------------


def pooled_by_grade(grades: Sequence[int], contributed: Mapping[tuple[int, int], int]
                    ) -> dict[int, int]:
    totals = dict.fromkeys(grades, 0)
    for (_member, grade), quantity in contributed.items():
        if grade in totals:
            totals[grade] += quantity
    return totals


def sold_by_grade(grades: Sequence[int], sales: Sequence[Sale]) -> dict[int, int]:
    totals = dict.fromkeys(grades, 0)
    for sale in sales:
        for line in sale.lines:
            if line.grade in totals:
                totals[line.grade] += line.quantity
    return totals


def available(pooled: int, sold: int) -> int:
    """What of a grade can still be sold."""
    return max(pooled - sold, 0)


def oversold(lines: Mapping[int, int], pooled: Mapping[int, int], sold: Mapping[int, int]
             ) -> list[tuple[int, int, int]]:
    """(grade, wanted, available) for each line selling more than the lot holds."""
    return [(grade, quantity, available(pooled.get(grade, 0), sold.get(grade, 0)))
            for grade, quantity in lines.items()
            if quantity > available(pooled.get(grade, 0), sold.get(grade, 0))]


def correction_deltas(current: Mapping[int, int], grade: int, quantity: int
                      ) -> list[tuple[int, int]]:
    """The rows that turn a contribution whose net quantities are `current`
    ({grade: quantity}) into `quantity` of `grade`: (grade, signed change) for
    each grade that changes. Nothing is overwritten; these rows are added."""
    if quantity < 0:
        raise LotError("a corrected quantity cannot be negative")
    target = {grade: quantity}
    deltas = []
    for g in sorted(set(current) | {grade}):
        change = target.get(g, 0) - current.get(g, 0)
        if change:
            deltas.append((g, change))
    return deltas


def is_multiple(value: int, step: int) -> bool:
    return step > 0 and value % step == 0


# --------------------------------------------------------------------------
# The split
# --------------------------------------------------------------------------


def _check(lot: Lot) -> None:
    if len(set(lot.members)) != len(lot.members):
        raise LotError("a member is listed twice")
    grade_ids = [g.id for g in lot.grades]
    if len(set(grade_ids)) != len(grade_ids):
        raise LotError("a grade is listed twice")
    if lot.step <= 0:
        raise LotError("the step must be positive")
    if not 0 <= lot.levy_basis_points <= BASIS:
        raise LotError("the levy is 0 to 10000 basis points")
    for grade in lot.grades:
        if not 0 < grade.factor <= MAX_FACTOR:
            raise LotError(f"grade {grade.id}: the factor must be positive")
    members, grades = set(lot.members), set(grade_ids)
    for (member, grade), quantity in lot.contributed.items():
        if member not in members:
            raise LotError(f"member {member} is not listed")
        if grade not in grades:
            raise LotError(f"grade {grade} does not exist")
        if quantity < 0:
            raise LotError(f"member {member}, grade {grade}: negative contribution")
        if not is_multiple(quantity, lot.step):
            raise LotError(f"member {member}, grade {grade}: not a multiple of the step")
    for sale in lot.sales:
        for line in sale.lines:
            if line.grade not in grades:
                raise LotError(f"sale {sale.id}: grade {line.grade} does not exist")
            if line.quantity <= 0 or line.amount < 0:
                raise LotError(f"sale {sale.id}: quantities and amounts must be positive")
            if not is_multiple(line.quantity, lot.step):
                raise LotError(f"sale {sale.id}: not a multiple of the step")
    for cost in lot.costs:
        if cost.rule not in COST_RULES:
            raise LotError(f"cost {cost.id}: unknown rule {cost.rule!r}")
        if cost.amount < 0:
            raise LotError(f"cost {cost.id}: negative amount")
    if not lot.members and (lot.sales or any(c.amount for c in lot.costs)):
        raise LotError("nobody contributed: there is nobody to split over")
    pooled = pooled_by_grade(grade_ids, lot.contributed)
    sold = sold_by_grade(grade_ids, lot.sales)
    for grade_id in grade_ids:
        if sold[grade_id] > pooled[grade_id]:
            raise LotError(f"grade {grade_id}: more sold than the lot holds")


def _cumulative_shares(items: Sequence[int], weights: Sequence[int]) -> list[list[int]]:
    """Each item's split over the weights, such that one member's shares of
    items 1..k add up to her largest-remainder share of their sum."""
    before = [0] * len(weights)
    running = 0
    shares = []
    for item in items:
        running += item
        now = largest_remainder(running, weights)
        shares.append([n - b for n, b in zip(now, before, strict=True)])
        before = now
    return shares


def split_lot(lot: Lot) -> LotSplit:
    """Each member's payout of a closed lot (see the module's docstring)."""
    _check(lot)
    members = lot.members
    n = len(members)
    grade_ids = [g.id for g in lot.grades]
    pooled = pooled_by_grade(grade_ids, lot.contributed)
    sold_totals = sold_by_grade(grade_ids, lot.sales)

    contributed = [[lot.contributed.get((m, g), 0) for g in grade_ids] for m in members]
    sold = [[0] * len(grade_ids) for _ in members]
    for j, grade_id in enumerate(grade_ids):
        weights = [row[j] // lot.step for row in contributed]
        if not any(weights):
            continue
        steps = largest_remainder(sold_totals[grade_id] // lot.step, weights)
        for i, part in enumerate(steps):
            sold[i][j] = part * lot.step
    factors = [g.factor for g in lot.grades]
    values = [sum(q * f for q, f in zip(row, factors, strict=True)) for row in sold]
    quantities = [sum(row) for row in sold]

    revenue = sum(sale.revenue for sale in lot.sales)
    levy = half_up_div(revenue * lot.levy_basis_points, BASIS)
    items = ([sale.revenue for sale in lot.sales] + [-levy]
             + [-c.amount for c in lot.costs if c.rule == VALUE])
    chain = _cumulative_shares(items, values) if n else []

    participants = [1 if q > 0 else 0 for q in quantities]
    cost_shares: list[list[int]] = []
    value_index = len(lot.sales) + 1
    for cost in lot.costs:
        if not n:
            cost_shares.append([])
        elif cost.rule == VALUE:
            cost_shares.append([-part for part in chain[value_index]])
            value_index += 1
        elif cost.rule == QUANTITY:
            cost_shares.append(largest_remainder(cost.amount, quantities))
        else:
            cost_shares.append(largest_remainder(cost.amount, participants))

    results = []
    for i, member in enumerate(members):
        sales = tuple(chain[k][i] for k in range(len(lot.sales)))
        member_levy = -chain[len(lot.sales)][i]
        costs = tuple(shares[i] for shares in cost_shares)
        payout = sum(sales) - member_levy - sum(costs)
        by_value = sum(chain[k][i] for k in range(len(items)))
        results.append(MemberPayout(
            member=member, contributed=tuple(contributed[i]), sold=tuple(sold[i]),
            unsold=tuple(c - s for c, s in zip(contributed[i], sold[i], strict=True)),
            value=values[i], sales=sales, levy=member_levy, costs=costs, payout=payout,
            by_value=by_value))
    costs_total = sum(c.amount for c in lot.costs)
    payouts = sum(r.payout for r in results)
    if n and payouts + costs_total + levy != revenue:  # pragma: no cover - by construction
        raise LotError("the split does not add up")
    return LotSplit(members=tuple(results), pooled=tuple(pooled[g] for g in grade_ids),
                    sold=tuple(sold_totals[g] for g in grade_ids), revenue=revenue, levy=levy,
                    costs=costs_total, payouts=payouts, total_value=sum(values),
                    by_value=sum(items), _index={m: i for i, m in enumerate(members)})


@dataclass(frozen=True)
class ValueShare:
    """How one member's share of what is split by value comes about, so that
    she can check it: `by_value` × her value ÷ the lot's value is her exact
    share; the parts are rounded to the minor unit by largest remainder (each
    down first, the units left over one each to the largest remainders), so
    that they add up to `by_value` exactly."""

    by_value: int  # minor units
    value: int  # hers, thousandths × thousandths
    total_value: int
    share: int  # minor units, as split

    @property
    def exact(self) -> Fraction:
        return Fraction(self.by_value * self.value, self.total_value)

    @property
    def rounding(self) -> int:
        """+1: rounded up (she got one of the units left over); −1: rounded
        down; 0: her exact share is a whole number of minor units."""
        return (self.share > self.exact) - (self.share < self.exact)


def value_share(split: LotSplit, member: MemberPayout) -> ValueShare | None:
    """Her share of what is split by value, with its exact figure; None when
    nothing of the lot was sold (no value to split by)."""
    if not split.total_value:
        return None
    return ValueShare(by_value=split.by_value, value=member.value,
                      total_value=split.total_value, share=member.by_value)


# --------------------------------------------------------------------------
# Kept as it was: a closed lot's split as plain JSON data
# --------------------------------------------------------------------------


def lot_to_dict(lot: Lot) -> dict[str, Any]:
    return {
        "members": list(lot.members),
        "grades": [[g.id, g.factor] for g in lot.grades],
        "contributed": [[m, g, q] for (m, g), q in sorted(lot.contributed.items())],
        "sales": [[s.id, [[line.grade, line.quantity, line.amount] for line in s.lines]]
                  for s in lot.sales],
        "costs": [[c.id, c.amount, c.rule] for c in lot.costs],
        "levy_basis_points": lot.levy_basis_points,
        "step": lot.step,
    }


def lot_from_dict(data: Mapping[str, Any]) -> Lot:
    return Lot(
        members=tuple(int(m) for m in data["members"]),
        grades=tuple(Grade(int(g), int(f)) for g, f in data["grades"]),
        contributed={(int(m), int(g)): int(q) for m, g, q in data["contributed"]},
        sales=tuple(Sale(int(sid), tuple(SaleLine(int(g), int(q), int(a)) for g, q, a in lines))
                    for sid, lines in data["sales"]),
        costs=tuple(Cost(int(cid), int(amount), str(rule)) for cid, amount, rule in data["costs"]),
        levy_basis_points=int(data["levy_basis_points"]),
        step=int(data.get("step", 1)))


def split_to_dict(result: LotSplit) -> dict[str, Any]:
    return {
        "pooled": list(result.pooled), "sold": list(result.sold), "revenue": result.revenue,
        "levy": result.levy, "costs": result.costs, "payouts": result.payouts,
        "total_value": result.total_value,
        "members": [{"member": m.member, "contributed": list(m.contributed),
                     "sold": list(m.sold), "unsold": list(m.unsold), "value": m.value,
                     "sales": list(m.sales), "levy": m.levy, "costs": list(m.costs),
                     "payout": m.payout} for m in result.members],
    }
