"""The cost-and-risk split: how a pooled round becomes each member's bill.

The contract is `tests/data/split/split.md`; this module follows it rule by rule.
Three steps, each usable on its own:

- `parse_scenario(dict) -> Scenario`: checks the scenario JSON and turns every
  figure into an integer (`ScenarioError` names the first bad field);
- `run(Scenario) -> SplitOutcome`: applies the rules and keeps, besides the
  figures of the result, the basis of every split so that a page can say why;
- `to_result(SplitOutcome) -> dict`: the result JSON of the contract.

`preview(dict) -> dict` does all three.

Integer scales used throughout (no floats anywhere, `Decimal` never):
- money: minor units of the currency (`Scenario.minor_digits` decimals);
- quantities: units of 10**-`Scenario.qty_decimals` of the product's unit, the
  same scale for every product so that quantities of different products add up;
- weight per unit: 10**-`Scenario.weight_decimals` kg;
- prices per unit: 10**-6 of the major currency unit (`PRICE_DECIMALS`).
Every split is done by `coop.money.largest_remainder` on exact integer weights,
so ties and remainders are exactly those of rational arithmetic.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from itertools import compress, pairwise, repeat
from operator import add, floordiv, mul
from typing import Any, NamedTuple, NoReturn, overload

from babel.numbers import is_currency

from coop.money import (
    RemainderParts,
    half_up_div,
    half_up_divs,
    largest_remainder,
    minor_digits,
)

PRICE_DECIMALS = 6
RULES = ("value", "weight", "quantity", "equal", "per_member")
LOSS_POLICIES = ("product", "round", "fund")
DEFAULT_SUPPLIER = "default"
MAX_ID_LENGTH = 64
# Longer decimal strings are refused: no real figure needs them, and huge ones
# would make the integer arithmetic slow.
MAX_DECIMAL_CHARS = 40

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_MISSING: Any = object()

_TOP_KEYS = frozenset({
    "currency", "members", "products", "requests", "shared_costs", "loss_policy",
    "fund_levy_percent", "cash_rounding",
})
_MEMBER_KEYS = frozenset({"id", "name"})
_PRODUCT_KEYS = frozenset({
    "id", "name", "unit", "supplier", "pack_size", "granularity", "weight_kg",
    "retail_price", "received", "damaged", "price_tiers",
})
_TIER_KEYS = frozenset({"min_qty", "unit_price"})
_REQUEST_KEYS = frozenset({"member", "product", "quantity", "tolerance"})
_COST_KEYS = frozenset({"name", "amount", "rule", "supplier"})


class ScenarioError(ValueError):
    """Bad input: `field` is the JSON path at fault, `message` says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --------------------------------------------------------------------------
# The parsed scenario
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """A member; her position in `Scenario.members` is the tie-break order."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class PriceTier:
    """`unit_price` (10**-6 major units) applies from `threshold` (quantity units) on."""

    min_qty: str  # as typed, for display
    threshold: int  # the smallest ordered quantity (in quantity units) it applies to
    unit_price: int


@dataclass(frozen=True, slots=True)
class Product:
    """A product; quantities in quantity units, prices in 10**-6 major units."""

    id: str
    name: str
    unit: str
    supplier: str
    granularity: int
    pack_size: int
    weight: int  # kg per unit, in 10**-weight_decimals kg
    retail_price: int | None
    tiers: tuple[PriceTier, ...]  # by min_qty, ascending
    received: int | None  # None: what was ordered arrived
    damaged: int
    # Not in the contract: the app's supplier credit note for this product
    # (minor units), which lowers the bill and so the loss (parse_scenario
    # takes it only with extensions=True).
    credit: int = 0


class Demand(NamedTuple):
    """What the members asked of one product, as columns (one position per member
    who asked, in members order): all her requests for it added up.

    Columns rather than an object per line: a round has 100k lines, and fewer
    objects keep the engine fast.
    """

    members: tuple[int, ...]  # indexes into Scenario.members, ascending
    quantities: tuple[int, ...]
    tolerances: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SharedCost:
    name: str
    amount: int  # minor units
    rule: str  # one of RULES
    supplier: str | None  # only this supplier's goods and buyers, when given


@dataclass(frozen=True, slots=True)
class Scenario:
    """A checked scenario with every figure as an integer (see the module doc)."""

    currency: str
    minor_digits: int
    qty_decimals: int
    weight_decimals: int
    members: tuple[Member, ...]
    products: tuple[Product, ...]
    # Per product (in `products` order); members in `members` order, so the
    # tie-break order is built in.
    demand: tuple[Demand, ...]
    shared_costs: tuple[SharedCost, ...]
    loss_policy: str
    levy_percent: Fraction
    cash_rounding: int  # minor units; 0 = no cash rounding

    def quantity_text(self, quantity: int) -> str:
        """'22.5': a quantity in quantity units as the result JSON writes it."""
        return _decimal_text(quantity, self.qty_decimals)

    def money_text(self, minor: int) -> str:
        """'1234.50': an amount in minor units as the result JSON writes it."""
        return _money_text(minor, self.minor_digits)

    def price_text(self, price: int) -> str:
        """'27.4': a unit price in 10**-6 major units as the result JSON writes it."""
        return _decimal_text(price, PRICE_DECIMALS)


# --------------------------------------------------------------------------
# The outcome
# --------------------------------------------------------------------------


class Line(NamedTuple):
    """One member's line for one product (made on demand, see `SplitOutcome.lines_of`)."""

    product: int  # index into Scenario.products
    member: int  # index into Scenario.members
    quantity: int
    tolerance: int
    allocated: int
    amount: int  # her share of the product's goods value, minor units


@dataclass(slots=True)
class Split:
    """How an amount was shared over members, and on what basis.

    `basis` is "allocated" (her allocated quantity of the product), "value"
    (her goods value), "weight", "quantity", "equal" or "per_member";
    "fund" when nobody carries it. `bases` holds each carrier's basis as an
    integer with `basis_decimals` decimals (quantity units, minor units, or
    10**-(qty_decimals + weight_decimals) kg; 1 each for "equal" and
    "per_member"), `total_basis` their sum. `shares` is what each carrier pays.
    """

    amount: int
    basis: str
    basis_decimals: int = 0
    bases: dict[int, int] = field(default_factory=dict)
    total_basis: int = 0
    shares: dict[int, int] = field(default_factory=dict)
    fund_paid: int = 0


@dataclass(slots=True)
class ProductOutcome:
    """Rules 1-6 for one product (quantities in quantity units, money in minor)."""

    index: int
    id: str
    supplier: str
    firm: int  # F: all firm quantities
    tolerance: int  # T: all tolerances
    packs: int
    ordered: int
    tier: PriceTier
    received: int
    damaged: int
    usable: int
    allocated: int
    bill: int
    goods: int
    loss: int
    # Columns of this product's lines: one position per member who asked, in
    # members order (see `lines()`).
    members: tuple[int, ...]
    quantities: tuple[int, ...]
    tolerances: tuple[int, ...]
    allocations: list[int]
    amounts: list[int]  # her share of `goods`
    # Under policy "product": how this product's loss was shared. None when
    # there is no loss, and under policies "round" (see SplitOutcome.round_loss)
    # and "fund" (the fund pays every loss).
    loss_split: Split | None = None

    @property
    def unit_price(self) -> int:
        return self.tier.unit_price

    def lines(self) -> list[Line]:
        return [
            Line(self.index, *columns)
            for columns in zip(self.members, self.quantities, self.tolerances,
                               self.allocations, self.amounts, strict=True)
        ]

    def line_of(self, member: int) -> Line | None:
        position = bisect_left(self.members, member)
        if position == len(self.members) or self.members[position] != member:
            return None
        return Line(self.index, member, self.quantities[position], self.tolerances[position],
                    self.allocations[position], self.amounts[position])


@dataclass(slots=True)
class SharedCostOutcome:
    cost: SharedCost
    charged: int  # what counts in totals.shared_costs (amount × carriers for per_member)
    carriers: list[int]  # the members who share it, in members order
    split: Split


@dataclass(slots=True)
class MemberOutcome:
    """One member's bill (money in minor units)."""

    index: int
    id: str
    goods: int  # V, also the basis of her levy
    losses: int
    shared: list[int]  # one per shared cost, in shared_costs order
    levy: int
    subtotal: int
    rounding: int
    total: int
    retail_value: int | None
    savings: int | None

    @property
    def levy_basis(self) -> int:
        return self.goods


@dataclass(slots=True)
class Totals:
    supplier_bill: int
    shared_costs: int
    levy: int
    rounding: int
    fund_covered: int
    members_total: int
    fund_losses: int  # the part of fund_covered that is losses
    fund_shared: int  # the part of fund_covered that is shared costs
    loss: int  # all products' losses


@dataclass(frozen=True, slots=True)
class ShareOf:
    """One member's part of a Split, and what the Split says of its basis."""

    amount: int  # the whole amount shared
    basis: str
    basis_decimals: int
    mine: int | None  # her basis; None: she is not among those who share it
    total_basis: int
    count: int  # how many share it
    share: int  # what she pays of it

    @classmethod
    def of(cls, split: Split, member: int) -> ShareOf:
        return cls(split.amount, split.basis, split.basis_decimals, split.bases.get(member),
                   split.total_basis, len(split.bases), split.shares.get(member, 0))


@dataclass(frozen=True, slots=True)
class MemberBill:
    """One member's bill, and her part of each shared cost and of the round's
    pooled losses (policy "round"), as `SplitOutcome.bill()` gives it."""

    member: MemberOutcome
    costs: tuple[ShareOf, ...]  # one per shared cost, in shared_costs order
    round_loss: ShareOf | None


class SplitOutcome:
    """The split of a scenario: the products (rules 1-6) and what is worked
    out over the members (the shared costs, each member's bill, the totals).

    The part over the members may be left to be worked out when first read
    (`pending`): the live split (coop.orders.live) makes an outcome after each
    order, and a page then reads one member's bill of it (`bill()`), which is
    worked out for her alone, not for the thousand. Reading `members`,
    `shared_costs`, `participants`, `round_loss` or `totals` works out the
    whole, once; the figures are the same either way."""

    __slots__ = ("_members", "_participants", "_pending", "_round_loss", "_shared_costs",
                 "_totals", "products", "scenario")

    def __init__(self, scenario: Scenario, products: list[ProductOutcome],
                 members: MemberBills, shared_costs: list[SharedCostOutcome],
                 participants: list[int], round_loss: Split | None, totals: Totals) -> None:
        self.scenario, self.products = scenario, products
        self._members, self._shared_costs = members, shared_costs
        self._participants = participants  # members with any allocation above 0
        self._round_loss = round_loss  # policy "round": the pooled losses
        self._totals = totals
        self._pending: OverMembers | None = None

    @classmethod
    def pending(cls, scenario: Scenario, products: list[ProductOutcome],
                over_members: OverMembers) -> SplitOutcome:
        """The outcome whose part over the members `over_members` works out
        when it is read."""
        outcome = cls.__new__(cls)
        outcome.scenario, outcome.products, outcome._pending = scenario, products, over_members
        return outcome

    def _settle(self) -> None:
        pending = self._pending
        if pending is not None:
            whole = pending.conclude()
            self._members, self._shared_costs = whole._members, whole._shared_costs
            self._participants, self._round_loss = whole._participants, whole._round_loss
            self._totals = whole._totals
            self._pending = None  # last: another thread reads the fields once it is None

    def whole(self) -> SplitOutcome:
        """This outcome, with every member's bill worked out (if it was not)."""
        self._settle()
        return self

    @property
    def members(self) -> MemberBills:  # a Sequence of MemberOutcome
        self._settle()
        return self._members

    @property
    def shared_costs(self) -> list[SharedCostOutcome]:
        self._settle()
        return self._shared_costs

    @property
    def participants(self) -> list[int]:
        self._settle()
        return self._participants

    @property
    def round_loss(self) -> Split | None:
        self._settle()
        return self._round_loss

    @property
    def totals(self) -> Totals:
        self._settle()
        return self._totals

    def bill(self, member: int) -> MemberBill:
        """The bill of the member at this index, with her parts of the shared
        costs: for her alone while the rest is not worked out."""
        member = range(len(self.scenario.members))[member]  # IndexError as a list's
        pending = self._pending
        if pending is not None:
            return pending.bill(member)
        round_loss = self._round_loss
        return MemberBill(self._members[member],
                          tuple(ShareOf.of(cost.split, member) for cost in self._shared_costs),
                          None if round_loss is None else ShareOf.of(round_loss, member))

    def lines_of(self, member: int) -> list[Line]:
        """A member's lines, one per product she asked for, in products order."""
        found = (product.line_of(member) for product in self.products)
        return [line for line in found if line is not None]

    def _fields(self) -> tuple[Any, ...]:
        return (self.scenario, self.products, self.members, self.shared_costs,
                self.participants, self.round_loss, self.totals)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SplitOutcome):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # (mutable, as the dataclass it was)

    def __reduce__(self) -> tuple[Any, ...]:
        return SplitOutcome, self._fields()  # worked out whole: it is kept, or shared

    def __repr__(self) -> str:
        return (f"SplitOutcome({len(self.products)} products, "
                f"{len(self.scenario.members)} members"
                f"{', pending' if self._pending is not None else ''})")


# --------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------


def preview(scenario: Any) -> dict[str, Any]:
    """The contract's result JSON for a scenario JSON (both as Python objects)."""
    with collector_paused():
        return to_result(run(parse_scenario(scenario)))


def parse_scenario(data: Any, *, extensions: bool = False) -> Scenario:
    """Check a scenario JSON and turn it into integers; ScenarioError if bad.

    With `extensions`, a product may also carry `credit`: a supplier's credit
    note (money) that lowers its bill and therefore its loss. The contract's
    preview never takes it."""
    with collector_paused():
        return _ScenarioParser(data, extensions=extensions).parse()


def run(scenario: Scenario) -> SplitOutcome:
    """Apply the rules of the contract to a parsed scenario."""
    with collector_paused():
        return Rules(scenario).run()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the engine works.

    A large round makes several objects per request line, and none of them in
    reference cycles, so the collector has nothing to find; left on, it walks
    every live object again and again, and the time grows faster than the
    round. Reference counting still frees memory as usual; the collector is
    switched back on only if it was on (nested or concurrent calls are safe).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------
# Decimal strings <-> integers
# --------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _decimal_parts(text: str) -> tuple[int, int] | None:
    """'12.50' -> (1250, 2): digits and decimals as typed; None if malformed."""
    if len(text) > MAX_DECIMAL_CHARS or not _DECIMAL.fullmatch(text):
        return None
    whole, _, fraction = text.partition(".")
    return int(whole + fraction), len(fraction)


@lru_cache(maxsize=8192)
def _exact_parts(text: str) -> tuple[int, int] | None:
    """'12.50' -> (125, 1): like _decimal_parts without trailing zeros."""
    parts = _decimal_parts(text)
    if parts is None:
        return None
    digits, decimals = parts
    while decimals and digits % 10 == 0:
        digits //= 10
        decimals -= 1
    return digits, decimals


def _decimal_text(value: int, decimals: int) -> str:
    """value × 10**-decimals as a plain decimal without trailing zeros."""
    if decimals == 0:
        return str(value)
    whole, fraction = divmod(abs(value), 10**decimals)
    sign = "-" if value < 0 else ""
    if fraction == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(fraction).rjust(decimals, '0').rstrip('0')}"


def _money_text(minor: int, digits: int) -> str:
    if digits == 0:
        return str(minor)
    whole, fraction = divmod(abs(minor), 10**digits)
    sign = "-" if minor < 0 else ""
    return f"{sign}{whole}.{str(fraction).rjust(digits, '0')}"


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


# --------------------------------------------------------------------------
# Parsing and checking
# --------------------------------------------------------------------------


class _RawProduct(NamedTuple):
    """A product's fields as exact (digits, decimals) pairs, before common scaling."""

    id: str
    name: str
    unit: str
    supplier: str
    granularity: tuple[int, int]
    pack_size: tuple[int, int]
    weight: tuple[int, int]
    retail_price: int | None
    tiers: list[tuple[str, tuple[int, int], int]]
    received: tuple[int, int] | None
    damaged: tuple[int, int]
    credit: int = 0


def _path(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _is_multiple(value: tuple[int, int], step: tuple[int, int]) -> bool:
    (v, vd), (s, sd) = value, step
    return (v * 10**sd) % (s * 10**vd) == 0


def _scaled(parts: tuple[int, int], decimals: int) -> int:
    """(digits, d) at a scale of `decimals` >= d."""
    return parts[0] * 10 ** (decimals - parts[1])


class _ScenarioParser:
    """Checks fields in a fixed order: the first fault found is the one reported.

    Order: top-level unknown fields, currency, members, products, requests,
    each product's `damaged` against its default `received`, shared_costs,
    loss_policy, fund_levy_percent, cash_rounding. Within an object, unknown
    fields first, then the fields in the order the contract lists them.
    """

    def __init__(self, data: Any, *, extensions: bool = False) -> None:
        self.data = data
        self.extensions = extensions
        self.currency = ""
        self.digits = 2

    def parse(self) -> Scenario:
        top = self._object(self.data, "scenario")
        self._no_unknown_fields(top, _TOP_KEYS, "")
        self.currency, self.digits = self._currency(top)
        members = self._members(self._list(top, "members", ""))
        raw_products = self._raw_products(self._list(top, "products", ""))
        qty_decimals = max((p.granularity[1] for p in raw_products), default=0)
        weight_decimals = max((p.weight[1] for p in raw_products), default=0)
        products = [_scale_product(p, qty_decimals, weight_decimals) for p in raw_products]
        demand = self._requests(self._list(top, "requests", ""), members, products, qty_decimals)
        self._check_damage_against_orders(products, demand)
        costs = self._shared_costs(top.get("shared_costs", []))
        return Scenario(
            currency=self.currency,
            minor_digits=self.digits,
            qty_decimals=qty_decimals,
            weight_decimals=weight_decimals,
            members=tuple(members),
            products=tuple(products),
            demand=demand,
            shared_costs=costs,
            loss_policy=self._loss_policy(top),
            levy_percent=self._levy_percent(top),
            cash_rounding=self._cash_rounding(top),
        )

    # -- generic checks ---------------------------------------------------

    @staticmethod
    def _object(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ScenarioError(path, "must be an object")
        return value

    def _list(self, obj: dict[str, Any], key: str, base: str) -> list[Any]:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            raise ScenarioError(_path(base, key), "is required")
        if not isinstance(value, list):
            raise ScenarioError(_path(base, key), "must be a list")
        return value

    @staticmethod
    def _no_unknown_fields(obj: dict[str, Any], allowed: frozenset[str], base: str) -> None:
        if obj.keys() <= allowed:
            return
        unknown = next(key for key in obj if key not in allowed)
        raise ScenarioError(_path(base, str(unknown)), "unknown field")

    @staticmethod
    def _text(obj: dict[str, Any], key: str, base: str, default: str | None = None) -> str:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            if default is None:
                raise ScenarioError(_path(base, key), "is required")
            return default
        if not isinstance(value, str):
            raise ScenarioError(_path(base, key), "must be a string")
        return value

    def _id(self, obj: dict[str, Any], key: str, base: str, default: str | None = None) -> str:
        value = self._text(obj, key, base, default)
        if not 1 <= len(value) <= MAX_ID_LENGTH:
            raise ScenarioError(_path(base, key), f"must be 1 to {MAX_ID_LENGTH} characters")
        return value

    @staticmethod
    def _decimal(
        obj: dict[str, Any], key: str, base: str, default: str | None = None, *, exact: bool
    ) -> tuple[int, int] | None:
        """(digits, decimals), trailing zeros dropped when `exact`; None if absent
        without default. Negative values are refused: no field may be negative."""
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            if default is None:
                return None
            value = default
        path = _path(base, key)
        if not isinstance(value, str):
            raise ScenarioError(path, 'must be a decimal number in a string, like "12" or "0.5"')
        parts = _exact_parts(value) if exact else _decimal_parts(value)
        if parts is None:
            raise ScenarioError(path, f'"{value[:MAX_DECIMAL_CHARS]}" is not a decimal number '
                                      'like "12" or "0.5"')
        if parts[0] < 0:
            raise ScenarioError(path, "must not be negative")
        return parts

    def _required_decimal(
        self, obj: dict[str, Any], key: str, base: str, *, exact: bool
    ) -> tuple[int, int]:
        parts = self._decimal(obj, key, base, exact=exact)
        if parts is None:
            raise ScenarioError(_path(base, key), "is required")
        return parts

    def _money(self, obj: dict[str, Any], key: str, base: str, default: str | None = None) -> int:
        parts = self._decimal(obj, key, base, default, exact=False)
        if parts is None:
            raise ScenarioError(_path(base, key), "is required")
        if parts[1] > self.digits:
            raise ScenarioError(_path(base, key), f"an amount in {self.currency} has at most "
                                                  f"{self.digits} decimals")
        return _scaled(parts, self.digits)

    def _price(self, obj: dict[str, Any], key: str, base: str, *, required: bool) -> int | None:
        parts = self._decimal(obj, key, base, exact=False)
        if parts is None:
            if required:
                raise ScenarioError(_path(base, key), "is required")
            return None
        if parts[1] > PRICE_DECIMALS:
            raise ScenarioError(_path(base, key), f"a price has at most {PRICE_DECIMALS} decimals")
        return _scaled(parts, PRICE_DECIMALS)

    # -- sections -----------------------------------------------------------

    def _currency(self, top: dict[str, Any]) -> tuple[str, int]:
        code = self._text(top, "currency", "")
        if not _CURRENCY.fullmatch(code) or not is_currency(code):
            raise ScenarioError("currency", f"unknown currency code '{code[:10]}'")
        return code, minor_digits(code)

    def _members(self, items: list[Any]) -> list[Member]:
        members: list[Member] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            base = f"members[{i}]"
            obj = self._object(item, base)
            self._no_unknown_fields(obj, _MEMBER_KEYS, base)
            member_id = self._id(obj, "id", base)
            if member_id in seen:
                raise ScenarioError(f"{base}.id", f"duplicate id '{member_id}'")
            seen.add(member_id)
            members.append(Member(member_id, self._text(obj, "name", base, member_id)))
        return members

    def _raw_products(self, items: list[Any]) -> list[_RawProduct]:
        products: list[_RawProduct] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            product = self._raw_product(item, f"products[{i}]")
            if product.id in seen:
                raise ScenarioError(f"products[{i}].id", f"duplicate id '{product.id}'")
            seen.add(product.id)
            products.append(product)
        return products

    def _raw_product(self, item: Any, base: str) -> _RawProduct:
        obj = self._object(item, base)
        self._no_unknown_fields(
            obj, _PRODUCT_KEYS | {"credit"} if self.extensions else _PRODUCT_KEYS, base)
        product_id = self._id(obj, "id", base)
        name = self._text(obj, "name", base, product_id)
        unit = self._text(obj, "unit", base, "")
        supplier = self._id(obj, "supplier", base, DEFAULT_SUPPLIER)
        granularity = self._decimal(obj, "granularity", base, "1", exact=True) or (1, 0)
        if granularity[0] == 0:
            raise ScenarioError(f"{base}.granularity", "must be above 0")
        pack_size = self._step_multiple(obj, "pack_size", base, granularity) or granularity
        if pack_size[0] == 0:
            raise ScenarioError(f"{base}.pack_size", "must be above 0")
        weight = self._decimal(obj, "weight_kg", base, "0", exact=True)
        retail_price = self._price(obj, "retail_price", base, required=False)
        tiers = self._tiers(self._list(obj, "price_tiers", base), f"{base}.price_tiers")
        received = self._step_multiple(obj, "received", base, granularity)
        damaged = self._step_multiple(obj, "damaged", base, granularity) or (0, 0)
        if received is not None and damaged[0] * 10 ** received[1] > received[0] * 10 ** damaged[1]:
            raise ScenarioError(f"{base}.damaged", "cannot be more than received")
        assert weight is not None  # it has a default
        credit = self._money(obj, "credit", base, "0") if self.extensions else 0
        return _RawProduct(product_id, name, unit, supplier, granularity, pack_size, weight,
                           retail_price, tiers, received, damaged, credit)

    def _step_multiple(
        self, obj: dict[str, Any], key: str, base: str, granularity: tuple[int, int]
    ) -> tuple[int, int] | None:
        parts = self._decimal(obj, key, base, exact=True)
        if parts is not None and not _is_multiple(parts, granularity):
            raise ScenarioError(_path(base, key), "must be a multiple of the granularity "
                                                  f"{_decimal_text(*granularity)}")
        return parts

    def _tiers(self, items: list[Any], base: str) -> list[tuple[str, tuple[int, int], int]]:
        tiers: list[tuple[str, tuple[int, int], int]] = []
        seen: set[Fraction] = set()
        for i, item in enumerate(items):
            tier_base = f"{base}[{i}]"
            obj = self._object(item, tier_base)
            self._no_unknown_fields(obj, _TIER_KEYS, tier_base)
            min_qty = self._required_decimal(obj, "min_qty", tier_base, exact=True)
            price = self._price(obj, "unit_price", tier_base, required=True)
            assert price is not None
            value = Fraction(min_qty[0], 10 ** min_qty[1])
            if value in seen:
                raise ScenarioError(f"{tier_base}.min_qty", "another tier has the same min_qty")
            seen.add(value)
            tiers.append((obj["min_qty"], min_qty, price))
        if 0 not in seen:
            raise ScenarioError(base, "needs a tier with min_qty 0")
        return tiers

    def _requests(
        self, items: list[Any], members: list[Member], products: list[Product], qty_decimals: int
    ) -> tuple[Demand, ...]:
        # The hot loop of parsing (one pass per request line): cheap checks
        # inline, and the careful ones (_bad_request) only for a line that fails.
        member_index = {m.id: i for i, m in enumerate(members)}
        product_index = {p.id: i for i, p in enumerate(products)}
        granularity = [p.granularity for p in products]
        scaled = _ScaledQuantities(qty_decimals)
        # Per product: the columns, and where each member's position is in them.
        columns: list[tuple[list[int], list[int], list[int]]] = [([], [], []) for _ in products]
        positions: list[dict[int, int]] = [{} for _ in products]
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not _REQUEST_KEYS.issuperset(item):
                self._bad_request(item, i, member_index, product_index, granularity, scaled)
            member, product = item.get("member"), item.get("product")
            quantity_text, tolerance_text = item.get("quantity"), item.get("tolerance", "0")
            m = member_index.get(member) if type(member) is str else None
            p = product_index.get(product) if type(product) is str else None
            quantity = scaled[quantity_text] if type(quantity_text) is str else None
            tolerance = scaled[tolerance_text] if type(tolerance_text) is str else None
            if (m is None or p is None or quantity is None or tolerance is None
                    or quantity % granularity[p] or tolerance % granularity[p]):
                self._bad_request(item, i, member_index, product_index, granularity, scaled)
            who, quantities, tolerances = columns[p]
            where = positions[p]
            if m in where:  # requests of one member for one product add up
                quantities[where[m]] += quantity
                tolerances[where[m]] += tolerance
            else:
                where[m] = len(who)
                who.append(m)
                quantities.append(quantity)
                tolerances.append(tolerance)
        return tuple(_in_member_order(*product_columns) for product_columns in columns)

    def _bad_request(
        self,
        item: Any,
        i: int,
        member_index: dict[str, int],
        product_index: dict[str, int],
        granularity: list[int],
        scaled: _ScaledQuantities,
    ) -> NoReturn:
        """Raise the ScenarioError for the first fault of a request line."""
        base = f"requests[{i}]"
        obj = self._object(item, base)
        self._no_unknown_fields(obj, _REQUEST_KEYS, base)
        m = member_index.get(self._id(obj, "member", base))
        if m is None:
            raise ScenarioError(f"{base}.member", f"unknown member '{obj['member']}'")
        p = product_index.get(self._id(obj, "product", base))
        if p is None:
            raise ScenarioError(f"{base}.product", f"unknown product '{obj['product']}'")
        for key in ("quantity", "tolerance"):
            self._required_decimal({"tolerance": "0", **obj}, key, base, exact=True)
            quantity = scaled[obj.get(key, "0")]
            if quantity is None or quantity % granularity[p]:
                raise ScenarioError(f"{base}.{key}", "must be a multiple of the product's "
                                    f"granularity {_decimal_text(granularity[p], scaled.decimals)}")
        raise AssertionError(f"{base} has no fault")  # pragma: no cover

    @staticmethod
    def _check_damage_against_orders(
        products: list[Product], demand: tuple[Demand, ...]
    ) -> None:
        for i, (product, asked) in enumerate(zip(products, demand, strict=True)):
            check_damage(i, product, asked)

    def _shared_costs(self, items: Any) -> tuple[SharedCost, ...]:
        if not isinstance(items, list):
            raise ScenarioError("shared_costs", "must be a list")
        costs = []
        for i, item in enumerate(items):
            base = f"shared_costs[{i}]"
            obj = self._object(item, base)
            self._no_unknown_fields(obj, _COST_KEYS, base)
            name = self._text(obj, "name", base)
            amount = self._money(obj, "amount", base)
            rule = self._text(obj, "rule", base)
            if rule not in RULES:
                raise ScenarioError(f"{base}.rule", f"unknown rule '{rule[:40]}'; use value, "
                                                    "weight, quantity, equal or per_member")
            supplier = self._id(obj, "supplier", base) if "supplier" in obj else None
            costs.append(SharedCost(name, amount, rule, supplier))
        return tuple(costs)

    def _loss_policy(self, top: dict[str, Any]) -> str:
        policy = self._text(top, "loss_policy", "", "product")
        if policy not in LOSS_POLICIES:
            raise ScenarioError("loss_policy", f"unknown policy '{policy[:40]}'; use product, "
                                               "round or fund")
        return policy

    def _levy_percent(self, top: dict[str, Any]) -> Fraction:
        digits, decimals = self._decimal(top, "fund_levy_percent", "", "0", exact=True) or (0, 0)
        return Fraction(digits, 10**decimals)

    def _cash_rounding(self, top: dict[str, Any]) -> int:
        return self._money(top, "cash_rounding", "", "0")


def check_damage(index: int, product: Product, asked: Demand) -> None:
    """`damaged` at most what was received, which is by default what was ordered."""
    if product.received is not None or not product.damaged:
        return
    firm, tolerance = sum(asked.quantities), sum(asked.tolerances)
    if product.damaged > pack_count(firm, tolerance, product.pack_size) * product.pack_size:
        raise ScenarioError(f"products[{index}].damaged",
                            "cannot be more than received (by default, what was ordered)")


class _ScaledQuantities(dict[str, int | None]):
    """Quantity text -> quantity units; None for text that is malformed, negative
    or finer than any granularity (so not a multiple of its product's)."""

    def __init__(self, decimals: int) -> None:
        super().__init__()
        self.decimals = decimals

    def __missing__(self, text: str) -> int | None:
        parts = _exact_parts(text)
        value = None
        if parts is not None and parts[0] >= 0 and parts[1] <= self.decimals:
            value = parts[0] * 10 ** (self.decimals - parts[1])
        self[text] = value
        return value


def _in_member_order(members: list[int], quantities: list[int], tolerances: list[int]) -> Demand:
    if all(a < b for a, b in pairwise(members)):
        return Demand(tuple(members), tuple(quantities), tuple(tolerances))
    order = sorted(range(len(members)), key=members.__getitem__)
    return Demand(
        tuple(members[i] for i in order),
        tuple(quantities[i] for i in order),
        tuple(tolerances[i] for i in order),
    )


def _scale_product(raw: _RawProduct, qty_decimals: int, weight_decimals: int) -> Product:
    def qty(parts: tuple[int, int]) -> int:
        return _scaled(parts, qty_decimals)

    # Sorted by the exact min_qty: two tiers finer than any quantity can share
    # a threshold, and then the larger min_qty is the one that applies.
    by_min_qty = sorted(raw.tiers, key=lambda tier: Fraction(tier[1][0], 10 ** tier[1][1]))
    tiers = tuple(
        PriceTier(text, _ceil_div(digits * 10**qty_decimals, 10**decimals), price)
        for text, (digits, decimals), price in by_min_qty
    )
    return Product(
        id=raw.id,
        name=raw.name,
        unit=raw.unit,
        supplier=raw.supplier,
        granularity=qty(raw.granularity),
        pack_size=qty(raw.pack_size),
        weight=_scaled(raw.weight, weight_decimals),
        retail_price=raw.retail_price,
        tiers=tiers,
        received=None if raw.received is None else qty(raw.received),
        damaged=qty(raw.damaged),
        credit=raw.credit,
    )


# --------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------


def pack_count(firm: int, tolerance: int, pack_size: int) -> int:
    """Rule 1: whole packs of the firm quantity, plus one the tolerance can fill.

    A pack is never filled by tolerance alone: with no remainder, no extra pack.
    """
    packs, remainder = divmod(firm, pack_size)
    if remainder and remainder + tolerance >= pack_size:
        packs += 1
    return packs


def price_tier(tiers: tuple[PriceTier, ...], ordered: int) -> PriceTier:
    """Rule 2: the tier with the largest min_qty not above the ordered quantity."""
    chosen = tiers[0]
    for tier in tiers:
        if tier.threshold <= ordered:
            chosen = tier
    return chosen


def allocate(usable: int, firm: list[int], tolerance: list[int]) -> list[int]:
    """Rule 4, in granules: firm quantities first, then tolerances; never above the ask."""
    firm_total = sum(firm)
    if usable < firm_total:
        return _split(usable, firm)
    extra = _split(min(usable - firm_total, sum(tolerance)), tolerance)
    return list(map(add, firm, extra))


def _split(total: int, weights: list[int]) -> list[int]:
    """`largest_remainder`, skipping its sort where the answer is plain: nothing
    to split, or exactly the weights (a full delivery, every tolerance used)."""
    if total == 0:
        return [0] * len(weights)
    if total == sum(weights):
        return list(weights)
    return largest_remainder(total, weights)


class Tally:
    """Per-member sums over a set of products: what shared costs are split by."""

    __slots__ = ("got", "quantity", "value", "weight")

    def __init__(self, n: int) -> None:
        self.value = [0] * n
        self.quantity = [0] * n
        self.weight = [0] * n
        self.got = [False] * n

    def basis(self, rule: str) -> list[int]:
        return {"value": self.value, "quantity": self.quantity, "weight": self.weight}[rule]


class Rules:
    """One run of the rules over a scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.n = len(scenario.members)
        # money = half-up(quantity × price): quantity and price carry these decimals
        self.money_numerator = 10**scenario.minor_digits
        self.money_denominator = 10 ** (scenario.qty_decimals + PRICE_DECIMALS)

    def run(self) -> SplitOutcome:
        products = [self.settle_product(i) for i in range(len(self.s.products))]
        everyone, by_supplier, retail = self._tally(products)
        participants = [m for m in range(self.n) if everyone.got[m]]
        losses = [0] * self.n
        fund_losses, round_loss = self._share_losses(products, everyone, participants, losses)
        return self.conclude(products, everyone, by_supplier, retail, participants, losses,
                             fund_losses, round_loss)

    def conclude(
        self,
        products: list[ProductOutcome],
        everyone: Tally,
        by_supplier: dict[str, Tally],
        retail: list[int] | None,
        participants: list[int],
        losses: list[int],
        fund_losses: int,
        round_loss: Split | None,
    ) -> SplitOutcome:
        """Rules 7-9 and the totals, from the products and the members' sums:
        the part of a run that is over members, not over lines (coop.orders.live
        runs it again after a line changes)."""
        s = self.s
        costs = [self._share_cost(c, everyone, by_supplier) for c in s.shared_costs]
        members = self._bills(everyone, losses, costs, retail)
        fund_shared = sum(c.split.fund_paid for c in costs)
        totals = Totals(
            supplier_bill=sum(p.bill for p in products),
            shared_costs=sum(c.charged for c in costs),
            levy=members.levy,
            rounding=members.rounding,
            fund_covered=fund_losses + fund_shared,
            members_total=members.total,
            fund_losses=fund_losses,
            fund_shared=fund_shared,
            loss=sum(p.loss for p in products),
        )
        return SplitOutcome(s, products, members, costs, participants, round_loss, totals)

    def _money(self, quantity: int, price: int) -> int:
        return half_up_div(quantity * price * self.money_numerator, self.money_denominator)

    def settle_product(self, index: int) -> ProductOutcome:
        product = self.s.products[index]
        asked = self.s.demand[index]
        step = product.granularity
        firm = list(map(floordiv, asked.quantities, repeat(step)))
        tolerance = list(map(floordiv, asked.tolerances, repeat(step)))
        firm_total, tolerance_total = sum(firm) * step, sum(tolerance) * step
        packs = pack_count(firm_total, tolerance_total, product.pack_size)
        ordered = packs * product.pack_size
        tier = price_tier(product.tiers, ordered)
        received = ordered if product.received is None else product.received
        usable = received - product.damaged
        granules = allocate(usable // step, firm, tolerance)
        allocated = sum(granules) * step
        goods = self._money(allocated, tier.unit_price)
        bill = self._money(received, tier.unit_price) - product.credit
        if bill < goods:
            raise ScenarioError(f"products[{index}].credit",
                                "cannot be more than the product's loss")
        return ProductOutcome(
            index=index, id=product.id, supplier=product.supplier, firm=firm_total,
            tolerance=tolerance_total, packs=packs, ordered=ordered, tier=tier,
            received=received, damaged=product.damaged, usable=usable, allocated=allocated,
            bill=bill, goods=goods, loss=bill - goods, members=asked.members,
            quantities=asked.quantities, tolerances=asked.tolerances,
            allocations=list(map(mul, granules, repeat(step))), amounts=_split(goods, granules),
        )

    def _tally(
        self, products: list[ProductOutcome]
    ) -> tuple[Tally, dict[str, Tally], list[int] | None]:
        """Sums per member over all products and over each supplier's products
        (only suppliers a shared cost names); retail value numerators when any
        product has a retail price."""
        s = self.s
        everyone = Tally(self.n)
        scoped = {c.supplier for c in s.shared_costs if c.supplier is not None}
        by_supplier = {supplier: Tally(self.n) for supplier in scoped}
        has_retail = any(p.retail_price is not None for p in s.products)
        retail = [0] * self.n if has_retail else None
        for outcome, product in zip(products, s.products, strict=True):
            tallies = [everyone]
            if product.supplier in by_supplier:
                tallies.append(by_supplier[product.supplier])
            weight = product.weight
            lines = list(zip(outcome.members, outcome.allocations, outcome.amounts, strict=True))
            for tally in tallies:
                value, quantity, kg, got = tally.value, tally.quantity, tally.weight, tally.got
                for m, allocated, amount in lines:
                    if allocated:
                        value[m] += amount
                        quantity[m] += allocated
                        kg[m] += allocated * weight
                        got[m] = True
            price = product.retail_price
            if retail is not None and price:
                for m, allocated, _ in lines:
                    retail[m] += allocated * price
        return everyone, by_supplier, retail

    def _share_losses(
        self,
        products: list[ProductOutcome],
        everyone: Tally,
        participants: list[int],
        losses: list[int],
    ) -> tuple[int, Split | None]:
        """Rule 6: adds each member's share to `losses`; returns what the fund
        pays and, under policy "round", the pooled split."""
        policy = self.s.loss_policy
        total = sum(p.loss for p in products)
        if policy == "fund":
            return total, None
        if policy == "round":
            split = self.split_by(total, "value", participants, everyone.value,
                                   self.s.minor_digits)
            _add_shares(losses, split)
            return split.fund_paid, split
        fund = 0
        for product in products:
            if product.loss:
                product.loss_split = self.product_loss_split(product, everyone, participants)
                _add_shares(losses, product.loss_split)
                fund += product.loss_split.fund_paid
        return fund, None

    def product_loss_split(
        self, product: ProductOutcome, everyone: Tally, participants: list[int]
    ) -> Split:
        bases = {m: a for m, a in zip(product.members, product.allocations, strict=True) if a}
        if not bases:
            return self.split_by(product.loss, "value", participants, everyone.value,
                                  self.s.minor_digits)
        shares = _split(product.loss, list(bases.values()))
        return Split(product.loss, "allocated", self.s.qty_decimals, bases,
                     product.allocated, dict(zip(bases, shares, strict=True)))

    @staticmethod
    def split_by(
        amount: int, basis: str, carriers: list[int], weights: list[int], decimals: int
    ) -> Split:
        """largest remainder over `carriers`, weighted by weights[member]; the
        fund pays when there is nobody."""
        if not carriers:
            return Split(amount, "fund", fund_paid=amount)
        values = list(map(weights.__getitem__, carriers))
        shares = _split(amount, values)
        return Split(amount, basis, decimals, dict(zip(carriers, values, strict=True)), sum(values),
                     dict(zip(carriers, shares, strict=True)))

    def _share_cost(
        self, cost: SharedCost, everyone: Tally, by_supplier: dict[str, Tally]
    ) -> SharedCostOutcome:
        """Rule 7."""
        tally = everyone if cost.supplier is None else by_supplier[cost.supplier]
        carriers = list(compress(range(self.n), tally.got))
        if cost.rule == "per_member":
            count = len(carriers)
            split = Split(cost.amount * count, "per_member", 0, dict.fromkeys(carriers, 1), count,
                          dict.fromkeys(carriers, cost.amount))
            return SharedCostOutcome(cost, cost.amount * count, carriers, split)
        if cost.rule == "equal":
            split = self.split_by(cost.amount, "equal", carriers, [1] * self.n, 0)
        else:
            decimals = {
                "value": self.s.minor_digits,
                "quantity": self.s.qty_decimals,
                "weight": self.s.qty_decimals + self.s.weight_decimals,
            }[cost.rule]
            split = self.split_by(cost.amount, cost.rule, carriers, tally.basis(cost.rule),
                                   decimals)
        return SharedCostOutcome(cost, cost.amount, carriers, split)

    def _bills(
        self,
        everyone: Tally,
        losses: list[int],
        costs: list[SharedCostOutcome],
        retail: list[int] | None,
    ) -> MemberBills:
        """Rules 8 and 9, column by column: the live split runs this over every
        member after each order, and a page then reads one member's bill."""
        s = self.s
        n = len(s.members)
        levy_num, levy_den = s.levy_percent.numerator, s.levy_percent.denominator * 100
        step = s.cash_rounding
        columns = []  # each cost's share of every member, 0 where she has none
        for cost in costs:
            shares = cost.split.shares
            columns.append(list(shares.values()) if len(shares) == n  # (in members' order)
                           else list(map(shares.get, range(n), repeat(0))))
        goods = everyone.value
        levies = half_up_divs([g * levy_num for g in goods], levy_den) if levy_num \
            else [0] * n
        subtotals = list(map(add, goods, losses))
        for column in (*columns, levies):
            subtotals = list(map(add, subtotals, column))
        totals = [t * step for t in half_up_divs(subtotals, step)] if step else subtotals
        retail_values = None if retail is None else half_up_divs(
            [r * self.money_numerator for r in retail], self.money_denominator)
        return MemberBills(s.members, list(goods), list(losses), columns, levies, subtotals,
                           totals, retail_values)


class OverMembers:
    """Rules 6 (policy "round") to 9 over the members, to be worked out from
    the products and the members' sums: all of it (`conclude()`, what a run
    does), or one member's bill (`bill()`), which costs one pass over the
    members for each shared cost instead of a largest-remainder split (a sort)
    and a bill for each member. The sums are this object's own: the live
    split that made it goes on changing its own."""

    __slots__ = ("_counts", "_parts", "by_supplier", "everyone", "fund_losses", "losses",
                 "products", "retail", "rules")

    def __init__(self, rules: Rules, products: list[ProductOutcome], everyone: Tally,
                 by_supplier: dict[str, Tally], retail: list[int] | None,
                 losses: list[int] | None, fund_losses: int) -> None:
        """`losses`, `fund_losses`: rule 6's, under policies "product" and
        "fund" (under "round", worked out here: None, 0)."""
        self.rules, self.products = rules, products
        self.everyone, self.by_supplier, self.retail = everyone, by_supplier, retail
        self.losses, self.fund_losses = losses, fund_losses
        self._counts: dict[int, int] = {}  # id(tally) -> how many got something
        # (id(tally), rule, amount) -> the parts of the amount, the weights' sum
        self._parts: dict[tuple[int, str, int], tuple[RemainderParts, int]] = {}

    def conclude(self) -> SplitOutcome:
        rules, everyone = self.rules, self.everyone
        participants = [m for m, got in enumerate(everyone.got) if got]
        losses, fund_losses, round_loss = self.losses, self.fund_losses, None
        if losses is None:  # policy "round": rule 6 as a run does it
            losses = [0] * rules.n
            fund_losses, round_loss = rules._share_losses(self.products, everyone, participants,
                                                          losses)
        return rules.conclude(self.products, everyone, self.by_supplier, self.retail,
                              participants, losses, fund_losses, round_loss)

    def bill(self, member: int) -> MemberBill:
        rules = self.rules
        s = rules.s
        goods = self.everyone.value[member]
        costs = tuple(self._cost_share(cost, member) for cost in s.shared_costs)
        round_loss = None
        if self.losses is not None:
            losses = self.losses[member]
        else:
            round_loss = self._share(sum(p.loss for p in self.products), "value",
                                     s.minor_digits, self.everyone, "value", member)
            losses = round_loss.share
        levy_num, levy_den = s.levy_percent.numerator, s.levy_percent.denominator * 100
        levy = half_up_div(goods * levy_num, levy_den) if levy_num else 0
        shared = [cost.share for cost in costs]
        subtotal = goods + losses + sum(shared) + levy
        step = s.cash_rounding
        total = half_up_div(subtotal, step) * step if step else subtotal
        retail_value = None if self.retail is None else half_up_div(
            self.retail[member] * rules.money_numerator, rules.money_denominator)
        return MemberBill(
            MemberOutcome(member, s.members[member].id, goods, losses, shared, levy, subtotal,
                          total - subtotal, total, retail_value,
                          None if retail_value is None else retail_value - total),
            costs, round_loss)

    def _cost_share(self, cost: SharedCost, member: int) -> ShareOf:
        """Rule 7 for one member: what `Rules._share_cost` gives her."""
        tally = self.everyone if cost.supplier is None else self.by_supplier[cost.supplier]
        if cost.rule == "per_member":
            count, carrier = self._count(tally), tally.got[member]
            return ShareOf(cost.amount * count, "per_member", 0, 1 if carrier else None, count,
                           count, cost.amount if carrier else 0)
        if cost.rule == "equal":
            return self._share(cost.amount, "equal", 0, tally, "equal", member)
        decimals = {
            "value": self.rules.s.minor_digits,
            "quantity": self.rules.s.qty_decimals,
            "weight": self.rules.s.qty_decimals + self.rules.s.weight_decimals,
        }[cost.rule]
        return self._share(cost.amount, cost.rule, decimals, tally, cost.rule, member)

    def _share(self, amount: int, basis: str, decimals: int, tally: Tally, rule: str,
               member: int) -> ShareOf:
        """`Rules.split_by(amount, basis, carriers, weights)` for one member:
        the carriers are those who got something of the tally's products,
        weighted by `rule` (1 each for "equal")."""
        got = tally.got
        count = self._count(tally)
        if not count:
            return ShareOf(amount, "fund", 0, None, 0, 0, 0)
        equal = rule == "equal"
        key = (id(tally), rule, amount)
        found = self._parts.get(key)
        if found is None:
            weights = [1] * count if equal else list(compress(tally.basis(rule), got))
            found = self._parts[key] = (RemainderParts(amount, weights), sum(weights))
        parts, total_basis = found
        if not got[member]:
            return ShareOf(amount, basis, decimals, None, total_basis, count, 0)
        mine = 1 if equal else tally.basis(rule)[member]
        return ShareOf(amount, basis, decimals, mine, total_basis, count,
                       parts[sum(got[:member])])

    def _count(self, tally: Tally) -> int:
        found = self._counts.get(id(tally))
        if found is None:
            found = self._counts[id(tally)] = sum(tally.got)
        return found


@dataclass(frozen=True, slots=True, eq=False)  # (its own __eq__; unhashable: lists)
class MemberBills(Sequence[MemberOutcome]):
    """Every member's bill (rules 8 and 9), kept as columns: a member's
    MemberOutcome is made when asked for. After each order the live split
    makes these anew for a thousand members and a page reads one of them;
    making a thousand objects each time was a third of an order's cost."""

    members: tuple[Member, ...]
    goods: list[int]
    losses: list[int]
    shared: list[list[int]]  # one column per shared cost
    levies: list[int]
    subtotals: list[int]
    totals: list[int]
    retail_values: list[int] | None

    def __len__(self) -> int:
        return len(self.members)

    @overload
    def __getitem__(self, index: int) -> MemberOutcome: ...
    @overload
    def __getitem__(self, index: slice) -> list[MemberOutcome]: ...

    def __getitem__(self, index: int | slice) -> MemberOutcome | list[MemberOutcome]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.members)))]
        m = range(len(self.members))[index]  # IndexError as a list's; negative from the end
        subtotal, total = self.subtotals[m], self.totals[m]
        retail_value = None if self.retail_values is None else self.retail_values[m]
        return MemberOutcome(m, self.members[m].id, self.goods[m], self.losses[m],
                             [column[m] for column in self.shared], self.levies[m], subtotal,
                             total - subtotal, total, retail_value,
                             None if retail_value is None else retail_value - total)

    def __iter__(self) -> Iterator[MemberOutcome]:
        return (self[m] for m in range(len(self.members)))

    @property
    def levy(self) -> int:
        return sum(self.levies)

    @property
    def rounding(self) -> int:
        return sum(self.totals) - sum(self.subtotals)

    @property
    def total(self) -> int:
        return sum(self.totals)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):  # (as the list it replaces compared)
            return list(self) == other
        if not isinstance(other, MemberBills):
            return NotImplemented
        return (self.members, self.goods, self.losses, self.shared, self.levies,
                self.subtotals, self.totals, self.retail_values) == (
            other.members, other.goods, other.losses, other.shared, other.levies,
            other.subtotals, other.totals, other.retail_values)


def _add_shares(into: list[int], split: Split) -> None:
    for m, share in split.shares.items():
        into[m] += share


# --------------------------------------------------------------------------
# The result JSON
# --------------------------------------------------------------------------


def to_result(outcome: SplitOutcome) -> dict[str, Any]:
    """The contract's result JSON (money and quantities as strings)."""
    with collector_paused():
        return _result(outcome)


def _result(outcome: SplitOutcome) -> dict[str, Any]:
    texts = _Texts(outcome.scenario)
    money, qty = texts.money, texts.quantity
    line_dicts = _line_dicts(outcome, texts)
    cost_names = [c.name for c in outcome.scenario.shared_costs]
    members = [
        {
            "id": member.id,
            "lines": line_dicts[member.index],
            "goods": money(member.goods),
            "losses": money(member.losses),
            "shared": [
                {"name": name, "amount": money(amount)}
                for name, amount in zip(cost_names, member.shared, strict=True)
            ],
            "levy": money(member.levy),
            "rounding": money(member.rounding),
            "total": money(member.total),
            "retail_value": None if member.retail_value is None else money(member.retail_value),
            "savings": None if member.savings is None else money(member.savings),
        }
        for member in outcome.members
    ]
    products = [
        {
            "id": p.id,
            "packs": p.packs,
            "ordered": qty(p.ordered),
            "unit_price": texts.price(p.unit_price),
            "received": qty(p.received),
            "damaged": qty(p.damaged),
            "allocated": qty(p.allocated),
            "bill": money(p.bill),
            "goods": money(p.goods),
            "loss": money(p.loss),
        }
        for p in outcome.products
    ]
    t = outcome.totals
    totals = {
        "supplier_bill": money(t.supplier_bill),
        "shared_costs": money(t.shared_costs),
        "levy": money(t.levy),
        "rounding": money(t.rounding),
        "fund_covered": money(t.fund_covered),
        "members_total": money(t.members_total),
    }
    return {"members": members, "products": products, "totals": totals}


def _line_dicts(outcome: SplitOutcome, texts: _Texts) -> list[list[dict[str, str]]]:
    """Each member's line dicts, in products order (products are walked in order)."""
    by_member: list[list[dict[str, str]]] = [[] for _ in outcome.members]
    money, qty = texts.amounts, texts.quantities
    for p in outcome.products:
        price = texts.price(p.unit_price)
        for m, quantity, tolerance, allocated, amount in zip(
            p.members, p.quantities, p.tolerances, p.allocations, p.amounts, strict=True
        ):
            by_member[m].append({
                "product": p.id,
                "quantity": qty[quantity],
                "tolerance": qty[tolerance],
                "allocated": qty[allocated],
                "unit_price": price,
                "amount": money[amount],
            })
    return by_member


class _TextMemo(dict[int, str]):
    """int -> its text, each made once: most figures of a round repeat."""

    def __init__(self, decimals: int, fixed: bool) -> None:
        super().__init__()
        self.decimals = decimals
        self.fixed = fixed

    def __missing__(self, value: int) -> str:
        text = self[value] = (_money_text if self.fixed else _decimal_text)(value, self.decimals)
        return text


class _Texts:
    """Integer figures as result strings."""

    def __init__(self, scenario: Scenario) -> None:
        self.quantities = _TextMemo(scenario.qty_decimals, fixed=False)
        self.amounts = _TextMemo(scenario.minor_digits, fixed=True)

    def quantity(self, value: int) -> str:
        return self.quantities[value]

    def money(self, minor: int) -> str:
        return self.amounts[minor]

    @staticmethod
    def price(price: int) -> str:
        return _decimal_text(price, PRICE_DECIMALS)
