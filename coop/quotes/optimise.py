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
from itertools import combinations

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
    best = _local_search(table, useful, [lines, *(r[1] for r in singles)])
    return Award(table.plan(best, proven=False), best_single, cheapest_lines, infeasible)


def _exact(table: _Table, useful: list[int]) -> dict[int, int]:
    best = None
    for size in range(1, len(useful) + 1):
        for subset in combinations(useful, size):
            found = table.within(subset)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
    assert best is not None  # every item has an option, so the full set covers all
    return best[1]


def _local_search(table: _Table, useful: list[int], starts: list[dict[int, int]]
                  ) -> dict[int, int]:
    """From each start, move to the best neighbouring set (one supplier
    dropped, added or swapped) while that is cheaper."""
    best = None
    for start in starts:
        current = table.within(sorted(set(start.values())))
        while current is not None:
            in_set = set(current[0][2])
            neighbours = [in_set - {p} for p in in_set] + [in_set | {p} for p in useful
                                                           if p not in in_set]
            neighbours += [(in_set - {p}) | {q} for p in in_set for q in useful
                           if q not in in_set]
            found = [r for r in (table.within(sorted(n)) for n in neighbours if n)
                     if r is not None]
            step = min(found, key=lambda r: r[0], default=None)
            if step is None or step[0] >= current[0]:
                break
            current = step
        if current is not None and (best is None or current[0] < best[0]):
            best = current
    assert best is not None
    return best[1]
