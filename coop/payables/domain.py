"""What the group owes each supplier: pure arithmetic over ints (minor units).

A supplier's bill for a round is the goods she delivered at the awarded
prices, plus her delivery fee (a shared cost of her goods), less her credit
notes. Payments lower what is still owed; a payment beyond it is an advance,
which the treasurer must confirm."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from coop.orders import split


@dataclass(frozen=True, slots=True)
class SupplierBill:
    supplier_id: int
    goods: int  # received × awarded price, before credit notes
    delivery: int  # her delivery fee (shared costs of her goods)
    credit: int  # her credit notes

    @property
    def billed(self) -> int:
        return self.goods + self.delivery - self.credit

    def to_row(self) -> list[int]:
        return [self.supplier_id, self.goods, self.delivery, self.credit]


def supplier_bills(products: Iterable[tuple[int, int, int]],
                   costs: Iterable[tuple[int | None, int]]) -> list[SupplierBill]:
    """Bills per supplier from the round's products (supplier id, bill after
    credit notes, credit notes) and shared costs (supplier id or None, amount
    charged); costs of no supplier are nobody's bill. In the order the
    suppliers first appear among the products."""
    goods: dict[int, int] = {}
    credit: dict[int, int] = {}
    delivery: dict[int, int] = {}
    for supplier_id, bill, credited in products:
        goods[supplier_id] = goods.get(supplier_id, 0) + bill + credited
        credit[supplier_id] = credit.get(supplier_id, 0) + credited
    for supplier_id, charged in costs:
        if supplier_id is not None:
            delivery[supplier_id] = delivery.get(supplier_id, 0) + charged
    order = list(goods) + [s for s in delivery if s not in goods]
    return [SupplierBill(s, goods.get(s, 0), delivery.get(s, 0), credit.get(s, 0))
            for s in order]


def bills_of_split(outcome: split.SplitOutcome) -> list[SupplierBill]:
    """The suppliers' bills of a round's split (the products' suppliers are
    supplier ids as text, as coop.orders.services.build_scenario writes them)."""
    products = [(int(result.supplier), result.bill, product.credit)
                for result, product in zip(outcome.products, outcome.scenario.products,
                                           strict=True)]
    costs = [(None if c.cost.supplier is None else int(c.cost.supplier), c.charged)
             for c in outcome.shared_costs]
    return supplier_bills(products, costs)


@dataclass
class Position:
    """What the group owes one supplier, for one round or in all."""

    goods: int = 0
    delivery: int = 0
    credit: int = 0
    paid: int = 0

    @property
    def billed(self) -> int:
        return self.goods + self.delivery - self.credit

    @property
    def owed(self) -> int:
        """Still to pay (negative: paid in advance)."""
        return self.billed - self.paid

    def add_bill(self, bill: SupplierBill) -> None:
        self.goods += bill.goods
        self.delivery += bill.delivery
        self.credit += bill.credit


@dataclass
class RoundPosition(Position):
    round_id: int | None = None
    title: str = ""
    state: str = ""
    in_books: bool = False  # settled with supplier accounts: the bill is posted


@dataclass
class SupplierPosition:
    supplier_id: int
    name: str
    rounds: list[RoundPosition] = field(default_factory=list)
    books_balance: int = 0  # the supplier account: what the books say is owed

    @property
    def total(self) -> Position:
        whole = Position()
        for row in self.rounds:
            whole.goods += row.goods
            whole.delivery += row.delivery
            whole.credit += row.credit
            whole.paid += row.paid
        return whole


def beyond_owed(amount: int, owed: int) -> int:
    """How much of a payment of `amount` goes beyond what is owed (0 if none)."""
    return max(amount - max(owed, 0), 0)
