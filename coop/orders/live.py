"""A round's split kept up to date line by line. Pure: no Flask, no database.

`split.run` splits a whole round: the 50,000 lines of a round of 1,000 members
x 50 products take a good part of a second. When a member changes a line, only
that product's packs, price tier, allocation, goods and loss change; what
depends on the members' totals (rules 6-9 over the members: losses shared by
value, the shared costs, the levy, the cash rounding, the totals) is done
again over the members, not over every line. `LiveSplit` keeps per member the
sums those rules use (goods value, quantity, weight, retail value, how many
products she got, her share of each product's loss) and changes them by what
the changed product's lines add and take away. The rules over the members are
left to the outcome, with a copy of the sums: a page that reads one member's
bill after an order has it worked out for her alone (`SplitOutcome.bill`, a
pass over the members per shared cost), and one that reads the round's
totals or every bill has them all worked out, once.

Its `outcome` is always the one `split.run` gives for its `scenario`, field by
field (tests/unit/test_split_live.py checks it after random sequences of
changes). Each change makes a new outcome: the earlier one is left as it was
(the products that did not change are shared between them), so a reader
holding it never sees figures of a later change."""

from __future__ import annotations

import dataclasses
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from itertools import compress
from operator import ne, or_
from typing import Any

from coop.orders.split import (
    Demand,
    Member,
    OverMembers,
    ProductOutcome,
    Rules,
    Scenario,
    Split,
    SplitOutcome,
    Tally,
    check_damage,
    run,
)


class _Sums:
    """Per member, over a set of products: what a Tally holds, with a count
    of products received where the Tally has a flag."""

    __slots__ = ("got", "quantity", "value", "weight")

    def __init__(self, n: int) -> None:
        self.value = [0] * n
        self.quantity = [0] * n
        self.weight = [0] * n
        self.got = [0] * n

    def tally(self) -> Tally:
        """The sums as they are now (copies: they go on changing)."""
        tally = Tally(0)
        tally.value, tally.quantity, tally.weight = (
            self.value.copy(), self.quantity.copy(), self.weight.copy())
        tally.got = list(map(bool, self.got))
        return tally


class LiveSplit:
    """The split of `scenario`, changed line by line by `change()`."""

    def __init__(self, scenario: Scenario, outcome: SplitOutcome | None = None) -> None:
        self.scenario = scenario
        self.outcome = outcome if outcome is not None else run(scenario)
        n = len(scenario.members)
        self._everyone = _Sums(n)
        self._by_supplier = {c.supplier: _Sums(n) for c in scenario.shared_costs
                             if c.supplier is not None}
        self._retail = [0] * n if any(p.retail_price is not None for p in scenario.products) \
            else None
        # under policy "product", each member's shares of the losses split by
        # allocation (those split by value are done again at every change)
        self._allocated_losses = [0] * n
        self._lines = [0] * n  # how many products each member asked for
        self._indexed: tuple[tuple[Member, ...], dict[str, int]] | None = None
        for product in self.outcome.products:
            self._add(product, 1)
            for m in product.members:
                self._lines[m] += 1

    def has_member(self, member_id: str) -> bool:
        """Whether the member of this id is in the split (asks for something)."""
        return member_id in self._index()

    def lines_of(self, member: int) -> int:
        """How many products the member at this index asks for."""
        return self._lines[member]

    def change(self, lines: Iterable[tuple[int, int, int, int]]) -> SplitOutcome:
        """Set lines (member index, product index, quantity, tolerance, in
        quantity units: her whole ask of that product; 0, 0 takes the line
        away) and return the new outcome. ScenarioError as `run` would raise
        it; after an error this LiveSplit must not be used again."""
        products = list(self.outcome.products)
        changed = self._set(products, lines)
        return self._publish(products, changed)

    def change_asks(self, lines: Iterable[tuple[str, int, int, int]],
                    names: Mapping[str, str], order: Callable[[str], Any]) -> SplitOutcome:
        """`change()` as the app makes its scenarios: the members are those who
        ask for something, in the order of `order(member id)`. Lines are
        (member id, product index, quantity, tolerance); a member who had
        nothing joins (named by `names`), one whose last line is taken away
        leaves."""
        lines = list(lines)
        products = list(self.outcome.products)
        index = self._index()
        for member_id in dict.fromkeys(m for m, _, q, t in lines if (q or t) and m not in index):
            where = bisect_left([order(m.id) for m in self.scenario.members], order(member_id))
            self._join(products, where, Member(member_id, names[member_id]))
            index = self._index()
        changed = self._set(products, [(index[m], p, q, t) for m, p, q, t in lines
                                       if m in index])
        for member in sorted({index[m] for m, *_ in lines if m in index}, reverse=True):
            if not self._lines[member]:
                self._leave(products, member)
        return self._publish(products, changed)

    def _index(self) -> dict[str, int]:
        """Member id -> her index, made again only when one joins or leaves."""
        members = self.scenario.members
        if self._indexed is None or self._indexed[0] is not members:
            self._indexed = (members, {m.id: i for i, m in enumerate(members)})
        return self._indexed[1]

    def join(self, index: int, member: Member) -> SplitOutcome:
        """A member with nothing asked yet, at `index` of the members (their
        order is the tie-break order): those after her move up by one."""
        products = list(self.outcome.products)
        self._join(products, index, member)
        return self._publish(products, ())

    def leave(self, index: int) -> SplitOutcome:
        """The member at `index`, who asks for nothing any more, taken off the
        members: those after her move down by one."""
        products = list(self.outcome.products)
        self._leave(products, index)
        return self._publish(products, ())

    # The steps below change the sums, the scenario and `products` (the next
    # outcome's, a copy: the published outcome is never changed); `_publish`
    # then applies the rules over the members and publishes the new outcome.

    def _set(self, products: list[ProductOutcome],
             lines: Iterable[tuple[int, int, int, int]]) -> list[int]:
        """Set the lines, settle the products they are of again; those products."""
        by_product: dict[int, dict[int, tuple[int, int]]] = {}
        for member, product, quantity, tolerance in lines:
            by_product.setdefault(product, {})[member] = (quantity, tolerance)
        demand = list(self.scenario.demand)
        for index, asks in by_product.items():
            demand[index] = self._asked(demand[index], asks)
            check_damage(index, self.scenario.products[index], demand[index])
        self.scenario = dataclasses.replace(self.scenario, demand=tuple(demand))
        rules = Rules(self.scenario)
        for index in by_product:
            before, after = products[index], rules.settle_product(index)
            self._replace(before, after)
            products[index] = after
        return list(by_product)

    def _join(self, products: list[ProductOutcome], index: int, member: Member) -> None:
        for column in self._columns():
            column.insert(index, 0)
        members = self.scenario.members
        self._renumber(products, index, 1, (*members[:index], member, *members[index:]))

    def _leave(self, products: list[ProductOutcome], index: int) -> None:
        if self._lines[index]:
            raise ValueError("a member who asks for something cannot leave the split")
        for column in self._columns():
            del column[index]
        members = self.scenario.members
        self._renumber(products, index + 1, -1, (*members[:index], *members[index + 1:]))

    def _columns(self) -> list[list[int]]:
        columns = [self._allocated_losses, self._lines]
        for sums in (self._everyone, *self._by_supplier.values()):
            columns += [sums.value, sums.quantity, sums.weight, sums.got]
        if self._retail is not None:
            columns.append(self._retail)
        return columns

    def _renumber(self, products: list[ProductOutcome], first_moved: int, by: int,
                  members: tuple[Member, ...]) -> None:
        """The members from index `first_moved` on move by `by` (when there
        are none, nothing is renumbered)."""
        demand = self.scenario.demand
        if first_moved < len(self.scenario.members):
            moved = [_moved(asked.members, first_moved, by) for asked in demand]
            demand = tuple(asked._replace(members=new)
                           for asked, new in zip(demand, moved, strict=True))
            products[:] = [_renumbered(product, first_moved, by, new if
                                       product.members is old.members else None)
                           for product, old, new in zip(products, self.scenario.demand, moved,
                                                        strict=True)]
        self.scenario = dataclasses.replace(self.scenario, members=members, demand=demand)

    def _publish(self, products: list[ProductOutcome], changed: Iterable[int]) -> SplitOutcome:
        self.outcome = self._conclude(Rules(self.scenario), products, changed)
        return self.outcome

    def _asked(self, asked: Demand, asks: dict[int, tuple[int, int]]) -> Demand:
        members, quantities = list(asked.members), list(asked.quantities)
        tolerances = list(asked.tolerances)
        for member, (quantity, tolerance) in sorted(asks.items()):
            position = bisect_left(members, member)
            present = position < len(members) and members[position] == member
            if not quantity and not tolerance:
                if present:
                    del members[position], quantities[position], tolerances[position]
                    self._lines[member] -= 1
            elif present:
                quantities[position], tolerances[position] = quantity, tolerance
            else:
                members.insert(position, member)
                quantities.insert(position, quantity)
                tolerances.insert(position, tolerance)
                self._lines[member] += 1
        return Demand(tuple(members), tuple(quantities), tuple(tolerances))

    def _add(self, product: ProductOutcome, sign: int) -> None:
        """Add (sign 1) or take away (-1) what the product's lines count in the sums."""
        info = self.scenario.products[product.index]
        weight = info.weight
        sums = [self._everyone]
        if info.supplier in self._by_supplier:
            sums.append(self._by_supplier[info.supplier])
        lines = [(m, a, v) for m, a, v in zip(product.members, product.allocations,
                                              product.amounts, strict=True) if a]
        for s in sums:
            value, quantity, kg, got = s.value, s.quantity, s.weight, s.got
            for m, allocated, amount in lines:
                value[m] += sign * amount
                quantity[m] += sign * allocated
                kg[m] += sign * allocated * weight
                got[m] += sign
        price = info.retail_price
        if self._retail is not None and price:
            retail = self._retail
            for m, allocated, _ in lines:
                retail[m] += sign * allocated * price
        split = product.loss_split
        if split is not None and split.basis == "allocated":
            losses = self._allocated_losses
            for m, share in split.shares.items():
                losses[m] += sign * share

    def _replace(self, before: ProductOutcome, after: ProductOutcome) -> None:
        """The sums moved from the product's lines `before` to its lines
        `after`: what `_add(before, -1)` then `_add(after, 1)` do, for the
        members whose allocation or amount changed only (one member's order
        changes one or a few of a product's lines, rarely all)."""
        if before.members == after.members:  # the same members, in the same order
            a0s, v0s, a1s, v1s = (before.allocations, before.amounts, after.allocations,
                                  after.amounts)
            # the places whose line changed, found without bytecode per line
            places = compress(range(len(a0s)), map(or_, map(ne, a0s, a1s), map(ne, v0s, v1s)))
            moved = [(after.members[i], a0s[i], v0s[i], a1s[i], v1s[i]) for i in places]
        else:  # a line came or went: by member
            old = {m: (a, v) for m, a, v in zip(before.members, before.allocations,
                                                before.amounts, strict=True)}
            new = {m: (a, v) for m, a, v in zip(after.members, after.allocations,
                                                after.amounts, strict=True)}
            moved = []
            for m in sorted(old.keys() | new.keys()):
                (a0, v0), (a1, v1) = old.get(m, (0, 0)), new.get(m, (0, 0))
                if a0 != a1 or v0 != v1:
                    moved.append((m, a0, v0, a1, v1))
        info = self.scenario.products[after.index]
        weight = info.weight
        sums = [self._everyone]
        if info.supplier in self._by_supplier:
            sums.append(self._by_supplier[info.supplier])
        for s in sums:
            value, quantity, kg, got = s.value, s.quantity, s.weight, s.got
            for m, a0, v0, a1, v1 in moved:  # a line not allocated counts for nothing
                value[m] += (v1 if a1 else 0) - (v0 if a0 else 0)
                quantity[m] += a1 - a0
                kg[m] += (a1 - a0) * weight
                got[m] += (a1 != 0) - (a0 != 0)
        price = info.retail_price
        if self._retail is not None and price:
            retail = self._retail
            for m, a0, _, a1, _ in moved:
                retail[m] += (a1 - a0) * price
        losses = self._allocated_losses
        for product, sign in ((before, -1), (after, 1)):
            split = product.loss_split
            if split is not None and split.basis == "allocated":
                for m, share in split.shares.items():
                    losses[m] += sign * share

    def _conclude(self, rules: Rules, products: list[ProductOutcome],
                  changed: Iterable[int]) -> SplitOutcome:
        """Rule 6 for the changed products; the rules over the members are
        left to the outcome, to work out when read (one member's bill, or
        all), from a copy of the sums as they are now."""
        everyone = self._everyone.tally()
        by_supplier = {supplier: sums.tally() for supplier, sums in self._by_supplier.items()}
        policy = self.scenario.loss_policy
        if policy == "fund":
            losses, fund_losses = [0] * len(everyone.got), sum(p.loss for p in products)
        elif policy == "round":
            losses, fund_losses = None, 0  # over the members: the outcome's
        else:
            losses, fund_losses = self._product_losses(rules, products, changed, everyone)
        return SplitOutcome.pending(self.scenario, products, OverMembers(
            rules, products, everyone, by_supplier,
            None if self._retail is None else self._retail.copy(), losses, fund_losses))

    def _product_losses(self, rules: Rules, products: list[ProductOutcome],
                        changed: Iterable[int], everyone: Tally) -> tuple[list[int], int]:
        """Policy "product": each loss by allocation over those who got the
        product (kept in the sums), or by value when nobody got it (done again:
        the values change with every line)."""
        for index in changed:
            product = products[index]
            if product.loss and product.allocated:
                # (split over those who got it: the round's participants are not asked for)
                product.loss_split = rules.product_loss_split(product, everyone, [])
                split = product.loss_split
                for m, share in split.shares.items():
                    self._allocated_losses[m] += share
        losses = list(self._allocated_losses)
        fund = 0
        participants: list[int] | None = None  # made when a loss is split by value
        for index, product in enumerate(products):
            if product.loss and not product.allocated:
                if participants is None:
                    participants = [m for m, got in enumerate(everyone.got) if got]
                split = rules.product_loss_split(product, everyone, participants)
                if split != product.loss_split:
                    product = products[index] = dataclasses.replace(product, loss_split=split)
                _add_shares(losses, split)
                fund += split.fund_paid
        return losses, fund


def _moved(members: tuple[int, ...], first_moved: int, by: int) -> tuple[int, ...]:
    """Member indexes (ascending) from `first_moved` on moved by `by`."""
    position = bisect_left(members, first_moved)
    if position == len(members):
        return members
    return members[:position] + tuple(map(by.__add__, members[position:]))


def _renumbered(product: ProductOutcome, first_moved: int, by: int,
                members: tuple[int, ...] | None) -> ProductOutcome:
    """The product with its members moved (`members`: already worked out)."""
    split = product.loss_split
    if split is not None:
        split = dataclasses.replace(
            split, bases={m + by * (m >= first_moved): b for m, b in split.bases.items()},
            shares={m + by * (m >= first_moved): v for m, v in split.shares.items()})
    if members is None:
        members = _moved(product.members, first_moved, by)
    return dataclasses.replace(product, members=members, loss_split=split)


def _add_shares(into: list[int], split: Split) -> None:
    for m, share in split.shares.items():
        into[m] += share
