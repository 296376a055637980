"""The documents' plain data, and their numbers. No Flask app, no database.

Services build these dataclasses from the database; builders turn them into
PDF bytes. Money in minor units, quantities in thousandths of the unit, unit
prices in millionths (coop.quantities), as everywhere in the app; the only
strings are names and the texts the split explains itself with."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coop.orders.explain import MemberShare

# Number prefixes of the numbered (issued) documents, and the references of
# the sheets made on demand (not numbered: they change until the round is done).
PREFIXES = {"purchase_order": "PO", "invoice": "INV", "credit_note": "CN",
            "sales_invoice": "SI", "savings_meeting": "SGM", "savings_share_out": "SGS",
            "discrepancy_report": "DR"}
SHEET_PREFIXES = {"distribution": "DS", "quote_comparison": "QC", "order_form": "OF",
                  "statement": "ST"}


def document_number(doc_type: str, year: int, seq: int) -> str:
    """INV-2026-0007: prefix, year, the number within the group, type and year."""
    return f"{PREFIXES[doc_type]}-{year}-{seq:04d}"


def sheet_reference(kind: str, key: int) -> str:
    """DS-R12: what an unnumbered sheet is of (round 12), to tell papers apart."""
    return f"{SHEET_PREFIXES[kind]}-{'M' if kind == 'statement' else 'R'}{key}"


def round_subject(doc_type: str, round_id: int, **parts: int) -> str:
    """What a document is the document of: one per subject (see Document.subject)."""
    tail = "".join(f":{key[0]}{value}" for key, value in sorted(parts.items()))
    return f"{doc_type}:r{round_id}{tail}"


def credit_note_subject(posting_id: int) -> str:
    return f"credit_note:p{posting_id}"


def figures_digest(figures: object) -> str:
    """A short fingerprint of a document's figures (JSON-able ints and
    strings): the same figures, the same digest; any change, another."""
    text = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def amount_due(invoice_total: int, balance_at_issue: int) -> tuple[int, int]:
    """(paid, due) of an invoice from her account balance when it is issued
    (the balance counts the invoice's own charges; negative = she owes).

    Her payments and credit go first to this invoice: she owes on it what her
    account owes, at most its total; older debts stay in the account."""
    owed = max(-balance_at_issue, 0)
    due = min(owed, max(invoice_total, 0))
    return invoice_total - due, due


def earlier_debt(balance: int, due: int) -> int:
    """What her account owes beyond `due` (amount_due's): older debts, not
    of this invoice or round."""
    return max(max(-balance, 0) - due, 0)


# --------------------------------------------------------------------------
# What each document prints
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupInfo:
    name: str
    place: str  # village, region
    currency: str
    treasurer: str = ""
    treasurer_phone: str = ""


@dataclass(frozen=True)
class Stamp:
    """The number (or reference) and the date a document carries, and its language."""

    reference: str
    issued_on: date
    locale: str


@dataclass(frozen=True)
class OrderLine:
    product: str
    article_code: str
    unit: str
    pack_size: int  # thousandths
    packs: int
    quantity: int  # thousandths
    unit_price: int  # millionths
    amount: int  # minor units
    pack_container: str | None = None  # units.CONTAINERS: "мешок 50 кг"


@dataclass(frozen=True)
class Charge:
    name: str
    amount: int


@dataclass(frozen=True)
class PurchaseOrderData:
    group: GroupInfo
    stamp: Stamp
    round_title: str
    supplier_name: str
    supplier_contact: str
    supplier_phone: str
    supplier_address: str
    delivery_place: str
    delivery_date: date | None
    lines: list[OrderLine]
    fees: list[Charge]  # the delivery fee(s)
    goods: int
    total: int
    from_quote: bool  # the fee is the one of her awarded quote


@dataclass(frozen=True)
class InvoiceData:
    group: GroupInfo
    stamp: Stamp
    round_title: str
    settled_on: date | None
    member_name: str
    member_phone: str
    share: MemberShare  # every figure and its "why", as on her share page
    balance: int  # her account when issued (negative = she owes)
    paid: int  # payments and credit applied to this invoice
    due: int


@dataclass(frozen=True)
class CreditNoteData:
    group: GroupInfo
    stamp: Stamp
    invoice_number: str
    invoice_date: date
    invoice_total: int
    round_title: str
    member_name: str
    reason: str
    amount: int  # positive: credited to her; negative: charged to her
    recorded_at: datetime
    balance: int  # her account when issued


@dataclass(frozen=True)
class SheetProduct:
    name: str
    unit: str
    article_code: str = ""
    pack_size: int = 0  # thousandths
    granularity: int = 0  # thousandths
    total: int = 0  # thousandths: all handed out
    prices: tuple[tuple[int, int], ...] = ()  # (from quantity, unit price)
    pack_container: str | None = None  # units.CONTAINERS: "мешок 50 кг"


@dataclass(frozen=True)
class SheetMember:
    name: str
    phone: str = ""
    quantities: dict[int, int] = field(default_factory=dict)  # product index -> thousandths
    # Her share of the round and what of it she has paid and still owes, as her
    # invoice has them (amount_due of her share and her account, the account
    # counting the round's charges): minor units, as on the day it is printed.
    total: int = 0
    paid: int = 0
    due: int = 0
    balance: int = 0  # her account, the round's charges counted (negative = she owes)

    @property
    def earlier(self) -> int:
        return earlier_debt(self.balance, self.due)


@dataclass(frozen=True)
class DistributionData:
    group: GroupInfo
    stamp: Stamp
    round_title: str
    state: str  # the round's state, worded
    delivery_place: str
    delivery_date: date | None
    provisional: bool  # nothing delivered yet: quantities as ordered
    products: list[SheetProduct]
    members: list[SheetMember]
    money: bool = False  # her share, paid and due are printed
    settled: bool = False  # the shares are charged: else as they will be at settlement
    members_total: int = 0  # the round's total charged (or to charge) to members

    @property
    def shares_total(self) -> int:
        return sum(m.total for m in self.members)


@dataclass(frozen=True)
class OrderFormData:
    group: GroupInfo
    stamp: Stamp
    round_title: str
    deadline: datetime | None
    delivery_place: str
    delivery_date: date | None
    products: list[SheetProduct]
    members: list[str]


@dataclass(frozen=True)
class OfferHead:
    supplier: str
    version: int
    declined: bool
    expired: bool
    complete: bool
    best_single: bool
    goods: int
    delivery_fee: int
    landed: int
    lead_time_days: int | None
    valid_until: date | None


@dataclass(frozen=True)
class OfferCell:
    status: str  # ok, unavailable, not_offered, too_little, declined
    packs: int = 0
    pack_size: int = 0
    ordered: int = 0
    unit_price: int = 0
    total: int = 0
    best: bool = False
    max_quantity: int | None = None
    below_firm: int = 0


@dataclass(frozen=True)
class ComparedProduct:
    name: str
    unit: str
    firm: int
    tolerance: int
    cells: list[OfferCell]  # one per offer, in `offers` order


@dataclass(frozen=True)
class ComparisonData:
    group: GroupInfo
    stamp: Stamp
    round_title: str
    offers: list[OfferHead]
    products: list[ComparedProduct]
    best_single: tuple[str, int] | None  # supplier, landed total
    mix: tuple[int, int, int] | None  # goods, delivery fees, landed
    member_columns: list[str]  # suppliers whose member totals are known
    members: list[tuple[str, int, list[int | None]]]  # name, now, per column
    members_now: int = 0
    members_totals: list[int] = field(default_factory=list)
    # the cheapest award: who gets what, goods, delivery fees, landed, proven
    award: tuple[str, int, int, int, bool] | None = None
    saving_single: int | None = None  # against the best single supplier
    cheapest_lines: tuple[int, int] | None = None  # landed, of it delivery fees
    saving_lines: int | None = None  # against each product at its cheapest line
    infeasible: str = ""  # products no valid offer can supply
    # after the supplier columns: "cheapest", "lines" (each product at its
    # cheapest line), "awarded" (their totals follow the suppliers' in `members`)
    plan_columns: list[str] = field(default_factory=list)
    single_is_cheapest: bool = False  # the best single supplier is the cheapest award
    lines_are_cheapest: bool = False  # so is each product at its cheapest line
    # per supplier column: why its figures are no real choice (coop.quotes.domain
    # INCOMPLETE, EXPIRED), empty when they are one
    member_caveats: list[tuple[str, ...]] = field(default_factory=list)
    # per member: the columns (indexes into her totals) with her lowest total
    # among the real choices, as the quotes feature decided (the ★)
    members_cheapest: list[frozenset[int]] = field(default_factory=list)
    after_delivery: bool = False  # "as awarded" is no longer what members pay


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    kind: str  # worded
    memo: str
    author: str
    amount: int  # + credit, - debit
    balance: int
    note: str = ""  # its reversal mark: "reversed on …", "reverses the entry of …"
    receipt: str = ""  # a payment's receipt number


@dataclass(frozen=True)
class ReceiptData:
    """A member's payment as its receipt prints it: every figure from the
    payment and the postings, which are never changed; `balance_after` is her
    account right after it (the entries before it, in the books' order)."""

    group: GroupInfo
    stamp: Stamp  # the receipt number, the day it was paid, her language
    member_name: str
    member_phone: str
    paid_at: datetime
    amount: int
    method: str  # worded
    reference: str
    recorded_by: str
    balance_after: int
    reversed_on: datetime | None  # reversed since (its reversal entry's time)


@dataclass(frozen=True)
class StatementData:
    group: GroupInfo
    stamp: Stamp
    member_name: str
    start: date | None
    end: date | None
    opening: int
    lines: list[StatementLine]
    closing: int  # at the end of the period
    current: int  # today


@dataclass(frozen=True)
class DiscrepancyLine:
    """One product of the supplier's delivery against her purchase order.

    `ordered`, `unit_price` and `ordered_value` are the purchase order's line;
    `received_value` is what her bill counts for the product (received × the
    awarded price, before credit notes), `damaged_value` the damaged quantity
    at the same price. The shortfall's value is the difference of the two
    amounts the group already prints (order and bill), so that on paper
    ordered − short (+ beyond the order) = delivered, to the tyiyn."""

    product: str
    article_code: str
    unit: str
    ordered: int  # thousandths
    received: int  # thousandths
    damaged: int  # thousandths
    unit_price: int  # millionths
    ordered_value: int  # minor units
    received_value: int  # minor units
    damaged_value: int  # minor units
    pack_size: int = 0  # thousandths
    packs: int = 0
    pack_container: str | None = None
    key: int = 0  # the round item: not printed, tells the lines apart

    @property
    def short(self) -> int:
        return max(self.ordered - self.received, 0)

    @property
    def short_value(self) -> int:
        return max(self.ordered_value - self.received_value, 0) if self.short else 0

    @property
    def beyond_value(self) -> int:
        """Delivered beyond the order (and billed): its value."""
        return max(self.received_value - self.ordered_value, 0) \
            if self.received > self.ordered else 0


@dataclass(frozen=True)
class DiscrepancyCredit:
    product: str
    amount: int  # minor units
    note: str
    key: int = 0  # the credit note: not printed


@dataclass(frozen=True)
class DiscrepancyData:
    group: GroupInfo
    stamp: Stamp
    round_title: str
    supplier_name: str
    supplier_contact: str
    supplier_phone: str
    supplier_address: str
    delivery_place: str
    delivered_on: date | None  # the last day a delivery was recorded for
    purchase_order: str  # its number
    purchase_order_date: date
    replaces: str  # the number of the report this one replaces, or ""
    lines: list[DiscrepancyLine]
    credits: list[DiscrepancyCredit]
    # her bill, as coop.payables has it: goods received, delivery fee, credits
    goods: int
    delivery_fee: int
    credit: int
    billed: int
    replaces_date: date | None = None

    @property
    def ordered_value(self) -> int:
        return sum(line.ordered_value for line in self.lines)

    @property
    def short_value(self) -> int:
        return sum(line.short_value for line in self.lines)

    @property
    def beyond_value(self) -> int:
        return sum(line.beyond_value for line in self.lines)

    @property
    def damaged_value(self) -> int:
        return sum(line.damaged_value for line in self.lines)

    @property
    def credit_total(self) -> int:
        """The credit notes listed (the same as `credit`, her bill's)."""
        return sum(c.amount for c in self.credits)

    @property
    def received_value(self) -> int:
        """Delivered, as billed (the same as `goods`, her bill's)."""
        return sum(line.received_value for line in self.lines)

    @property
    def good_value(self) -> int:
        """Received in good condition: delivered less damaged."""
        return self.received_value - self.damaged_value
