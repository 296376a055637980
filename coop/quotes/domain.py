"""Pure rules of supplier quotes: what a valid offer is, and what each offer
costs on the round's pooled demand. Integers only (coop.quantities scales),
no Flask app, no database.

The cost of an offer follows the split contract (spec/split.md) with the
supplier's pack sizes and tiers: rule 1 for the packs (`split.pack_count`),
rule 2 for the price, rule 3 for the bill of each product."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from coop.orders import split
from coop.quantities import line_amount, local_qty
from coop.suppliers.domain import tier_sequence_errors

if TYPE_CHECKING:
    from coop.quotes.optimise import Award

MAX_TIERS = 4
MAX_NOTE = 1000
MAX_MESSAGE = 1000
MAX_LEAD_DAYS = 365
MAX_ARTICLE_CODE = 64
MIN_LINK_DAYS, MAX_LINK_DAYS, DEFAULT_LINK_DAYS = 1, 90, 14

# Line status on the pooled demand
OK, UNAVAILABLE, TOO_LITTLE, NOT_OFFERED = "ok", "unavailable", "too_little", "not_offered"


@dataclass(frozen=True)
class Tier:
    """From `min_qty` (pooled, thousandths) on, `unit_price` (millionths)."""

    min_qty: int
    unit_price: int


@dataclass(frozen=True)
class LineInput:
    """A product in an offer, as the supplier gave it."""

    available: bool
    pack_size: int | None = None
    tiers: tuple[Tier, ...] = ()
    max_quantity: int | None = None
    article_code: str = ""  # the supplier's own code for the product


@dataclass(frozen=True)
class OfferInput:
    lines: Mapping[int, LineInput]  # round item id -> line
    delivery_fee: int = 0  # minor units
    lead_time_days: int | None = None
    valid_until: date | None = None
    note: str = ""


FieldErrors = list[tuple[str, Any]]


# --------------------------------------------------------------------------
# What a valid offer is
# --------------------------------------------------------------------------


def check_tiers(tiers: Sequence[Tier], granularity: int) -> list[Any]:
    """A first price for any quantity (from 0), then strictly growing quantities."""
    if not tiers:
        return [_l("Give a price for any quantity (from 0).")]
    errors: list[Any] = []
    if tiers[0].min_qty != 0:
        errors.append(_l("The first price must be for any quantity (from 0)."))
    if len(tiers) > MAX_TIERS:
        errors.append(_l("At most %(n)d prices per product.", n=MAX_TIERS))
    return errors + tier_sequence_errors(tiers, granularity)


def check_pack_size(pack_size: int | None, granularity: int) -> list[Any]:
    if pack_size is None:
        return [_l("Give your pack size.")]
    if pack_size <= 0:
        return [_l("The pack size must be more than 0.")]
    if granularity > 0 and pack_size % granularity:
        return [_l("The pack size %(pack)s is not a whole number of steps of %(step)s.",
                   pack=local_qty(pack_size), step=local_qty(granularity))]
    return []


def check_offer(offer: OfferInput, granularities: Mapping[int, int], today: date
                ) -> FieldErrors:
    """Every broken rule as (field, message); fields are `pack_<item>`,
    `tiers_<item>`, `max_<item>` or an offer field. Empty when the offer is fine."""
    errors: FieldErrors = []
    for item_id in offer.lines:
        if item_id not in granularities:
            errors.append(("lines", _l("This product is not asked for in this round.")))
    if errors:
        return errors
    for item_id, line in offer.lines.items():
        if not line.available:
            continue
        step = granularities[item_id]
        errors += [(f"pack_{item_id}", m) for m in check_pack_size(line.pack_size, step)]
        errors += [(f"tiers_{item_id}", m) for m in check_tiers(line.tiers, step)]
        if line.max_quantity is not None and line.max_quantity < 0:
            errors.append((f"max_{item_id}", _l("A quantity cannot be negative.")))
        if len(line.article_code) > MAX_ARTICLE_CODE:
            errors.append((f"code_{item_id}", _l("This is too long (at most %(n)d characters).",
                                                 n=MAX_ARTICLE_CODE)))
    if not any(line.available for line in offer.lines.values()):
        errors.append(("lines", _l("Your offer has no product. If you cannot deliver any, "
                                   "use “Decline” below.")))
    if offer.delivery_fee < 0:
        errors.append(("delivery_fee", _l("The amount cannot be negative.")))
    if offer.lead_time_days is not None and not 0 <= offer.lead_time_days <= MAX_LEAD_DAYS:
        errors.append(("lead_time_days", _l("The delivery time is from 0 to %(n)d days.",
                                            n=MAX_LEAD_DAYS)))
    if offer.valid_until is not None and offer.valid_until < today:
        errors.append(("valid_until", _l("This date has passed.")))
    if len(offer.note) > MAX_NOTE:
        errors.append(("note", _l("This is too long (at most %(n)d characters).", n=MAX_NOTE)))
    return errors


def check_link_days(days: int) -> list[Any]:
    if not MIN_LINK_DAYS <= days <= MAX_LINK_DAYS:
        return [_l("A link works from %(lo)d to %(hi)d days.", lo=MIN_LINK_DAYS,
                   hi=MAX_LINK_DAYS)]
    return []


# --------------------------------------------------------------------------
# What an offer costs on the pooled demand
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """The pooled demand for one round item (thousandths)."""

    item_id: int
    firm: int
    tolerance: int

    @property
    def wanted(self) -> bool:
        return self.firm > 0


@dataclass(frozen=True)
class Offer:
    """The latest revision of one quote, as the comparison needs it."""

    key: int  # the quote id
    lines: Mapping[int, LineInput]
    delivery_fee: int = 0
    valid_until: date | None = None
    declined: bool = False


@dataclass(frozen=True)
class LineCost:
    item_id: int
    status: str  # OK, UNAVAILABLE, TOO_LITTLE, NOT_OFFERED
    pack_size: int | None = None
    packs: int = 0
    ordered: int = 0
    tier: Tier | None = None
    total: int = 0  # minor units
    below_firm: int = 0  # firm demand the packs leave unbought
    max_quantity: int | None = None  # the most she can deliver

    @property
    def unit_price(self) -> int | None:
        return self.tier.unit_price if self.tier else None

    @property
    def deliverable(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class OfferCost:
    key: int
    lines: dict[int, LineCost]
    goods: int  # the supplier bill for the products she can deliver (minor units)
    delivery_fee: int
    missing: tuple[int, ...]  # wanted items she cannot deliver (or not enough of)
    expired: bool
    declined: bool

    @property
    def landed(self) -> int:
        return self.goods + self.delivery_fee

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def awardable(self) -> bool:
        return not (self.expired or self.declined)


@dataclass(frozen=True)
class Mix:
    """Each wanted product from its best offer: who, and what it all costs."""

    choice: dict[int, int]  # item id -> offer key
    goods: int
    delivery_fees: int

    @property
    def landed(self) -> int:
        return self.goods + self.delivery_fees


@dataclass(frozen=True)
class Comparison:
    offers: list[OfferCost]
    best_per_item: dict[int, int | None] = field(default_factory=dict)
    best_single: int | None = None
    mix: Mix | None = None  # each product at its cheapest line, with the fees
    award: Award | None = None  # the cheapest award (coop.quotes.optimise)

    def offer(self, key: int) -> OfferCost | None:
        return next((o for o in self.offers if o.key == key), None)


def tier_for(tiers: Sequence[Tier], ordered: int) -> Tier:
    """Spec rule 2, by the engine's own function: the tier with the largest
    min_qty not above the ordered quantity."""
    engine_tiers = tuple(split.PriceTier(str(t.min_qty), t.min_qty, t.unit_price)
                         for t in sorted(tiers, key=lambda t: t.min_qty))
    chosen = split.price_tier(engine_tiers, ordered)
    return Tier(chosen.threshold, chosen.unit_price)


def is_expired(valid_until: date | None, today: date) -> bool:
    return valid_until is not None and valid_until < today


def line_cost(need: Need, line: LineInput | None, currency: str) -> LineCost:
    """Packs (spec rule 1), tier and price (rule 2) and the bill (rule 3) of one
    product under one supplier's terms."""
    if line is None:
        return LineCost(need.item_id, NOT_OFFERED)
    if not line.available or not line.tiers or not line.pack_size:
        return LineCost(need.item_id, UNAVAILABLE)
    packs = split.pack_count(need.firm, need.tolerance, line.pack_size)
    ordered = packs * line.pack_size
    tier = tier_for(line.tiers, ordered)
    status = OK
    if line.max_quantity is not None and line.max_quantity < ordered:
        status = TOO_LITTLE
    return LineCost(need.item_id, status, pack_size=line.pack_size, packs=packs,
                    ordered=ordered, tier=tier,
                    total=line_amount(ordered, tier.unit_price, currency),
                    below_firm=max(need.firm - ordered, 0), max_quantity=line.max_quantity)


def offer_cost(needs: Sequence[Need], offer: Offer, currency: str, today: date) -> OfferCost:
    lines = {need.item_id: line_cost(need, offer.lines.get(need.item_id), currency)
             for need in needs}
    missing = tuple(need.item_id for need in needs
                    if need.wanted and not lines[need.item_id].deliverable)
    goods = sum(c.total for c in lines.values() if c.deliverable)
    return OfferCost(offer.key, lines, goods, offer.delivery_fee if not offer.declined else 0,
                     missing, is_expired(offer.valid_until, today), offer.declined)


def _best_for_item(item_id: int, costs: Sequence[OfferCost]) -> int | None:
    """The lowest unit price reached; on a tie the offer that buys more of the
    demand (smaller packs), then the earlier quote."""
    ranked = [(c.lines[item_id].unit_price or 0, -c.lines[item_id].ordered, position, c.key)
              for position, c in enumerate(costs)
              if c.awardable and c.lines[item_id].deliverable]
    return min(ranked)[3] if ranked else None


def compare(needs: Sequence[Need], offers: Sequence[Offer], currency: str,
            today: date) -> Comparison:
    """Every offer on the round's demand; the best offer per product, the best
    complete single-supplier offer (lowest landed total) and the cost of
    taking each product from its best offer."""
    costs = [offer_cost(needs, offer, currency, today) for offer in offers]
    best = {need.item_id: _best_for_item(need.item_id, costs) for need in needs}
    singles = [(c.landed, position, c.key) for position, c in enumerate(costs)
               if c.awardable and c.complete]
    best_single = min(singles)[2] if singles and any(n.wanted for n in needs) else None
    from coop.quotes.optimise import cheapest_award

    award = cheapest_award([need.item_id for need in needs if need.wanted], costs)
    lines = award.cheapest_lines
    mix = Mix(dict(lines.choice), lines.goods, lines.delivery_fees) if lines else None
    return Comparison(costs, best, best_single, mix, award)


# Why an offer's column of member totals is no choice the group really has,
# worded next to its figures (short) and above them (explained), on the
# comparison page and in its PDF alike.
INCOMPLETE, EXPIRED = "incomplete", "expired"
CAVEAT_NOTES = {INCOMPLETE: _l("incomplete: the rest at catalog prices"),
                EXPIRED: _l("expired")}
CAVEAT_EXPLAINED = {
    INCOMPLETE: _l("Incomplete offer: the products it lacks are counted at catalog prices, "
                   "without delivery. Members would not pay this."),
    EXPIRED: _l("expired: cannot be awarded")}


def member_caveats(cost: OfferCost) -> tuple[str, ...]:
    """An incomplete offer's member totals take what it lacks at the catalog's
    list prices, with no delivery for it: not what anyone would pay. An
    expired offer cannot be awarded."""
    return tuple(caveat for caveat, applies in ((INCOMPLETE, not cost.complete),
                                                (EXPIRED, cost.expired)) if applies)


def is_member_choice(cost: OfferCost) -> bool:
    """Are the offer's member totals a choice the group has: what members
    would pay were it awarded everything, and can it be?"""
    return cost.complete and cost.awardable


def lowest_choices(totals: Mapping[Any, int | None], choices: Sequence[Any]) -> frozenset[Any]:
    """The keys among `choices` whose total is the lowest of theirs (all of
    them on a tie); the other keys of `totals` never count."""
    known: dict[Any, int] = {key: value for key in choices
                             if (value := totals.get(key)) is not None}
    low = min(known.values(), default=None)
    return frozenset(key for key, value in known.items() if value == low)


def bar_lengths(values: Sequence[int], full: int) -> list[int]:
    """Bar lengths for a chart, proportional to `values`, the largest `full` long;
    a value above 0 gets at least 1."""
    top = max(values, default=0)
    if top <= 0:
        return [0 for _ in values]
    return [max(value * full // top, 1) if value > 0 else 0 for value in values]
