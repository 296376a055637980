"""The figures of a round's split that the pages show, without words.

A split outcome (coop.orders.split) holds every member's every line; a page
needs one member's bill, or the round's totals and one row per member. These
plain records carry just that, so that coop/orders/cache.py can keep them (in
Redis as JSON) and a member's page can read her own bill without the rest of
the round. coop/orders/explain.py words them. Pure: no Flask, no database."""

from __future__ import annotations

import json
from dataclasses import asdict, astuple, dataclass, fields

from coop.orders import split


@dataclass(frozen=True, slots=True)
class Sharing:
    """How one amount was shared, as one member sees it."""

    basis: str  # value, weight, quantity, allocated, equal, per_member, fund
    basis_decimals: int
    mine: int | None  # her basis; None: she is not among those who share it
    total: int
    count: int  # how many members share it


@dataclass(frozen=True, slots=True)
class LineFacts:
    product: str
    unit: str
    pack_size: int
    packs: int
    ordered: int
    firm: int
    usable: int
    unit_price: int  # millionths
    quantity: int
    tolerance: int
    allocated: int
    amount: int


@dataclass(frozen=True, slots=True)
class LossFacts:
    product: str | None  # None: the round's pooled losses
    loss: int
    share: int
    sharing: Sharing


@dataclass(frozen=True, slots=True)
class CostFacts:
    name: str
    amount: int
    supplier: str | None
    share: int
    sharing: Sharing


@dataclass(frozen=True, slots=True)
class MemberFacts:
    membership_id: int
    name: str
    qty_decimals: int
    levy_percent: tuple[int, int]  # numerator, denominator
    cash_rounding: int
    goods: int
    losses: int
    levy: int
    rounding: int
    total: int
    retail_value: int | None
    savings: int | None
    lines: tuple[LineFacts, ...]
    loss_items: tuple[LossFacts, ...]
    costs: tuple[CostFacts, ...]

    def to_json(self) -> str:
        """The JSON of `asdict(self)`, made without asdict's deep copies (a
        round of a thousand members is stored after every full split)."""
        data = _fields_of(self)
        data["lines"] = [_fields_of(line) for line in self.lines]
        data["loss_items"] = [_fields_of(item) for item in self.loss_items]
        data["costs"] = [_fields_of(cost) for cost in self.costs]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> MemberFacts:
        data = json.loads(text)
        return cls(**{
            **data,
            "levy_percent": tuple(data["levy_percent"]),
            "lines": tuple(LineFacts(**line) for line in data["lines"]),
            "loss_items": tuple(LossFacts(**{**item, "sharing": Sharing(**item["sharing"])})
                                for item in data["loss_items"]),
            "costs": tuple(CostFacts(**{**cost, "sharing": Sharing(**cost["sharing"])})
                           for cost in data["costs"]),
        })


@dataclass(frozen=True, slots=True)
class ProductRow:
    name: str
    unit: str
    firm: int
    tolerance: int
    pack_size: int
    ordered: int
    packs: int
    unit_price: int
    bill: int
    allocated: int
    loss: int


@dataclass(frozen=True, slots=True)
class MemberRow:
    membership_id: int
    name: str
    goods: int
    losses: int
    shared: int
    levy: int
    rounding: int
    total: int


@dataclass(frozen=True, slots=True)
class RoundFacts:
    """The treasurer's view of the round: products, one row per member, totals."""

    qty_decimals: int
    products: tuple[ProductRow, ...]
    members: tuple[MemberRow, ...]
    totals: dict[str, int]

    def to_json(self) -> str:
        # one row per member, as a list: a thousand members' keys add up
        return json.dumps({"qty_decimals": self.qty_decimals,
                           "products": [asdict(row) for row in self.products],
                           "members": [astuple(row) for row in self.members],
                           "totals": self.totals}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> RoundFacts:
        data = json.loads(text)
        return cls(qty_decimals=data["qty_decimals"],
                   products=tuple(ProductRow(**row) for row in data["products"]),
                   members=tuple(MemberRow(*row) for row in data["members"]),
                   totals=data["totals"])


def _fields_of(record: object) -> dict[str, object]:
    """A record's fields by name, its Sharing as a dict too: `asdict` one level
    down (the other fields are numbers, text, None or tuples of numbers)."""
    found = {name: getattr(record, name) for name in _FIELD_NAMES[type(record)]}
    sharing = found.get("sharing")
    if isinstance(sharing, Sharing):
        found["sharing"] = _fields_of(sharing)
    return found


_FIELD_NAMES = {kind: tuple(f.name for f in fields(kind))
                for kind in (Sharing, LineFacts, LossFacts, CostFacts, MemberFacts)}


def _shared(part: split.ShareOf) -> Sharing:
    return Sharing(basis=part.basis, basis_decimals=part.basis_decimals, mine=part.mine,
                   total=part.total_basis, count=part.count)


def _sharing(s: split.Split, member: int) -> Sharing:
    return Sharing(basis=s.basis, basis_decimals=s.basis_decimals, mine=s.bases.get(member),
                   total=s.total_basis, count=len(s.bases))


def member_facts(outcome: split.SplitOutcome, index: int) -> MemberFacts:
    """The bill of the member at `index` of the scenario, with what explains it."""
    scenario = outcome.scenario
    bill = outcome.bill(index)  # (hers alone, while the split's other bills are not made)
    member = bill.member
    lines = []
    for line in outcome.lines_of(index):
        product, result = scenario.products[line.product], outcome.products[line.product]
        lines.append(LineFacts(
            product=product.name, unit=product.unit, pack_size=product.pack_size,
            packs=result.packs, ordered=result.ordered, firm=result.firm, usable=result.usable,
            unit_price=result.unit_price, quantity=line.quantity, tolerance=line.tolerance,
            allocated=line.allocated, amount=line.amount))
    losses = []
    for result, product in zip(outcome.products, scenario.products, strict=True):
        s = result.loss_split
        if s is not None and s.shares.get(index):
            losses.append(LossFacts(product.name, result.loss, s.shares[index],
                                    _sharing(s, index)))
    pooled = bill.round_loss
    if pooled is not None and pooled.share:
        losses.append(LossFacts(None, pooled.amount, pooled.share, _shared(pooled)))
    costs = tuple(
        CostFacts(cost.name, cost.amount, cost.supplier, part.share, _shared(part))
        for cost, part in zip(scenario.shared_costs, bill.costs, strict=True))
    levy = scenario.levy_percent
    return MemberFacts(
        membership_id=int(member.id), name=scenario.members[index].name,
        qty_decimals=scenario.qty_decimals, levy_percent=(levy.numerator, levy.denominator),
        cash_rounding=scenario.cash_rounding, goods=member.goods, losses=member.losses,
        levy=member.levy, rounding=member.rounding, total=member.total,
        retail_value=member.retail_value, savings=member.savings, lines=tuple(lines),
        loss_items=tuple(losses), costs=costs)


def round_facts(outcome: split.SplitOutcome) -> RoundFacts:
    scenario = outcome.scenario
    products = tuple(
        ProductRow(name=product.name, unit=product.unit, firm=result.firm,
                   tolerance=result.tolerance, pack_size=product.pack_size,
                   ordered=result.ordered,
                   packs=result.packs, unit_price=result.unit_price, bill=result.bill,
                   allocated=result.allocated, loss=result.loss)
        for result, product in zip(outcome.products, scenario.products, strict=True))
    members = tuple(
        MemberRow(membership_id=int(m.id), name=scenario.members[m.index].name, goods=m.goods,
                  losses=m.losses, shared=sum(m.shared), levy=m.levy, rounding=m.rounding,
                  total=m.total)
        for m in outcome.members)
    return RoundFacts(qty_decimals=scenario.qty_decimals, products=products, members=members,
                      totals=asdict(outcome.totals))
