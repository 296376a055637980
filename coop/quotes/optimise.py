"""The cheapest award of a round on its quotes: pure, integers only.

Each wanted product goes wholly to one offer (so its tiers apply to the
quantity that offer is actually awarded, and its maximum is respected); each
supplier used pays her delivery fee once. For a set of suppliers the best
award within the set is easy (each product to its cheapest line in the set),
so for up to `EXACT_LIMIT` suppliers every set is tried and the result is
proven; beyond that a local search (drop, add or swap one supplier) finds a
good award that is not proven to be the cheapest.

Ties go to fewer suppliers, then to the earlier quotes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coop.quotes.domain import OfferCost

EXACT_LIMIT = 12  # suppliers: 2**12 sets at most


@dataclass(frozen=True)
class Plan:
    """An award: {round item id: offer key}, what it costs, and whether it is
    proven to be the cheapest."""

    choice: dict[int, int]
    goods: int
    delivery_fees: int
    proven: bool = True

    @property
    def landed(self) -> int:
        return self.goods + self.delivery_fees

    @property
    def keys(self) -> tuple[int, ...]:
        """The offers used, in the order of the products."""
        return tuple(dict.fromkeys(self.choice.values()))


@dataclass(frozen=True)
class Award:
    cheapest: Plan | None  # None when some wanted product has no offer at all
    best_single: Plan | None  # the cheapest complete offer on its own
    cheapest_lines: Plan | None  # each product at its cheapest line, with the fees
    infeasible: tuple[int, ...]  # wanted items no valid offer can supply

    def saving_against(self, other: Plan | None) -> int | None:
        if self.cheapest is None or other is None:
            return None
        return other.landed - self.cheapest.landed


class _Table:
    """Line totals by (item, offer position) for the awardable offers."""

    def __init__(self, wanted: Sequence[int], costs: Sequence[OfferCost]) -> None:
        self.wanted = list(wanted)
        self.costs = list(costs)
        self.usable = [p for p, c in enumerate(costs) if c.awardable]
        self.total: dict[tuple[int, int], int] = {
            (item, p): costs[p].lines[item].total
            for p in self.usable for item in wanted
            if item in costs[p].lines and costs[p].lines[item].deliverable}

    def options(self, item: int) -> list[int]:
        return [p for p in self.usable if (item, p) in self.total]

    def within(self, positions: Sequence[int]) -> tuple[tuple[int, int, tuple[int, ...]],
                                                        dict[int, int]] | None:
        """The best award using only `positions`: its rank key and {item: position}."""
        chosen: dict[int, int] = {}
        goods = 0
        for item in self.wanted:
            best = None
            for p in positions:  # in quote order: the earlier wins a tie
                total = self.total.get((item, p))
                if total is not None and (best is None or total < best[0]):
                    best = (total, p)
            if best is None:
                return None
            goods += best[0]
            chosen[item] = best[1]
        used = sorted(set(chosen.values()))
        fees = sum(self.costs[p].delivery_fee for p in used)
        return (goods + fees, len(used), tuple(used)), chosen

    def plan(self, chosen: dict[int, int], proven: bool = True) -> Plan:
        goods = sum(self.total[(item, p)] for item, p in chosen.items())
        fees = sum(self.costs[p].delivery_fee for p in set(chosen.values()))
        return Plan({item: self.costs[p].key for item, p in chosen.items()}, goods, fees,
                    proven)


def cheapest_award(wanted: Sequence[int], costs: Sequence[OfferCost], *,
                   exact_limit: int = EXACT_LIMIT) -> Award:
    """The award with the lowest landed total for the `wanted` round items,
    over the offers' costs on the pooled demand (coop.quotes.domain.compare)."""
    table = _Table(wanted, costs)
    infeasible = tuple(item for item in table.wanted if not table.options(item))
    singles = [r for r in (table.within([p]) for p in table.usable) if r is not None]
    best_single = table.plan(min(singles, key=lambda r: r[0])[1]) if singles and wanted \
        else None
    if infeasible or not table.wanted:
        return Award(None, best_single, None, infeasible)
    lines = {item: min(table.options(item), key=lambda p, item=item: (table.total[(item, p)], p))
             for item in table.wanted}
    cheapest_lines = table.plan(lines)
    # only suppliers that are the cheapest for some product in some set matter:
    # any supplier offering a wanted product may be
    useful = sorted({p for item in table.wanted for p in table.options(item)})
    if len(useful) <= exact_limit:
        best = _exact(table, useful)
        return Award(table.plan(best), best_single, cheapest_lines, infeasible)
    cheapest_singles = [r[1] for r in sorted(singles, key=lambda r: r[0])[:3]]
    best = _local_search(table, useful, [lines, *cheapest_singles])
    return Award(table.plan(best, proven=False), best_single, cheapest_lines, infeasible)


INF = float("inf")


def _matrix(table: _Table, useful: list[int]) -> list[list[float]]:
    """Line totals by supplier (in `useful` order), then by wanted item; INF
    where she cannot supply it."""
    return [[table.total.get((item, p), INF) for item in table.wanted] for p in useful]


def _exact(table: _Table, useful: list[int]) -> dict[int, int]:
    """Every set of suppliers, depth first, each product's cheapest line kept
    as the set grows (O(products) a set). A set pays the fee of each of its
    suppliers: one that sells nothing only makes the set dearer than the same
    set without her, which is tried too. Rank: landed, then fewer suppliers,
    then the earlier quotes."""
    rows = _matrix(table, useful)
    fees = [table.costs[p].delivery_fee for p in useful]
    best: list[tuple[float, int, tuple[int, ...]]] = []

    def visit(start: int, mins: list[float], fee_total: int, chosen: tuple[int, ...]) -> None:
        for index in range(start, len(useful)):
            row = rows[index]
            grown = [m if m <= t else t for m, t in zip(mins, row, strict=True)]
            members = (*chosen, index)
            landed = sum(grown) + fee_total + fees[index]
            rank = (landed, len(members), tuple(useful[i] for i in members))
            if landed < INF and (not best or rank < best[0]):
                best[:] = [rank]
            visit(index + 1, grown, fee_total + fees[index], members)

    visit(0, [INF] * len(table.wanted), 0, ())
    assert best  # every item has an option, so the full set covers all
    found = table.within(best[0][2])
    assert found is not None
    return found[1]


def _local_search(table: _Table, useful: list[int], starts: list[dict[int, int]]
                  ) -> dict[int, int]:
    """From each start, move to the best neighbouring set (one supplier
    dropped, added or swapped for another) while that is cheaper. Each
    neighbour is priced in O(products) from each product's best and second
    best line in the set."""
    rows = _matrix(table, useful)
    fees = [table.costs[p].delivery_fee for p in useful]
    index_of = {p: i for i, p in enumerate(useful)}
    n_items = len(table.wanted)
    best_rank = None
    for start in starts:
        members = sorted({index_of[p] for p in start.values()})
        while True:
            b1, b2, arg = [INF] * n_items, [INF] * n_items, [-1] * n_items
            for m in members:
                for i, t in enumerate(rows[m]):
                    if t < b1[i]:
                        b1[i], b2[i], arg[i] = t, b1[i], m
                    elif t < b2[i]:
                        b2[i] = t
            fee_total = sum(fees[m] for m in members)
            current = sum(b1) + fee_total
            step = None
            outside = [q for q in range(len(useful)) if q not in members]
            for q in outside:  # add q
                cost = current + fees[q] + sum(min(0.0, t - b) for t, b in zip(rows[q], b1,
                                                                               strict=True))
                if cost < current and (step is None or cost < step[0]):
                    step = (cost, sorted([*members, q]))
            for p in members:  # drop p, or swap it for q
                dropped = [b2[i] if arg[i] == p else b1[i] for i in range(n_items)]
                base = sum(dropped) + fee_total - fees[p]
                rest = [m for m in members if m != p]
                if rest and base < current and (step is None or base < step[0]):
                    step = (base, rest)
                for q in outside:
                    cost = base + fees[q] + sum(min(0.0, t - d) for t, d in zip(
                        rows[q], dropped, strict=True))
                    if cost < current and (step is None or cost < step[0]):
                        step = (cost, sorted([*rest, q]))
            if step is None:
                break
            members = step[1]
        found = table.within([useful[m] for m in members])
        if found is not None and (best_rank is None or found[0] < best_rank[0]):
            best_rank = found
    assert best_rank is not None
    return best_rank[1]
