"""Rows as the API's JSON. Money and quantities are decimal strings ("1234.50",
"2.5"), never floats; times are UTC ("2026-03-01T09:30:00Z"), days ISO dates.
The shapes are described, one for one, in coop.api.openapi."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from coop import money
from coop.documents.models import Document
from coop.groups.models import Group, Membership
from coop.ledger.models import Payment
from coop.ledger.services import Books, MemberBalance, StatementLine
from coop.orders.domain import PackFill
from coop.orders.models import Request, Round, RoundItem
from coop.orders.services import item_terms
from coop.payables.domain import Position, SupplierPosition
from coop.payables.models import SupplierPayment
from coop.quantities import price_str, qty_str, weight_str
from coop.quotes.models import CounterOffer, QuoteRevision
from coop.sales.domain import MemberPayout
from coop.sales.models import SaleLot
from coop.sales.services import ContributionEntry, GradeStock, SaleDebt, lot_title
from coop.savings.models import CycleMember, SavingsCycle, SavingsMeeting
from coop.suppliers.models import Product, Supplier

Json = dict[str, Any]


def amount(minor: int | None, currency: str) -> str | None:
    return None if minor is None else money.to_string(minor, currency)


def percent(basis_points: int) -> str:
    """200 basis points -> "2", 250 -> "2.5"."""
    return format(Decimal(basis_points).scaleb(-2).normalize(), "f")


def moment(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with its Z."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def tiers(pairs: list[tuple[int, int]]) -> list[Json]:
    return [{"min_qty": qty_str(q), "unit_price": price_str(p)} for q, p in pairs]


# --------------------------------------------------------------------------
# Groups and members
# --------------------------------------------------------------------------


def group(found: Group, membership: Membership | None) -> Json:
    cur = found.currency
    return {
        "id": found.id, "name": found.name, "village": found.village, "region": found.region,
        "country": found.country, "currency": cur, "language": found.language,
        "levy_percent": percent(found.levy_basis_points),
        "cash_rounding": amount(found.cash_rounding, cur),
        "loss_policy": found.loss_policy, "credit_limit": amount(found.credit_limit, cur),
        "membership": None if membership is None else {"id": membership.id,
                                                       "role": membership.role},
    }


def member(membership: Membership, *, with_email: bool, with_phone: bool = True) -> Json:
    user = membership.user
    return {"id": membership.id, "name": user.name, "phone": user.phone if with_phone else None,
            "email": user.email if with_email else None, "role": membership.role,
            "active": membership.active, "has_login": user.has_login}


# --------------------------------------------------------------------------
# Suppliers and products
# --------------------------------------------------------------------------


def supplier(found: Supplier, product_count: int) -> Json:
    return {"id": found.id, "name": found.name, "contact_person": found.contact_person,
            "phone": found.phone, "address": found.address, "language": found.language,
            "active": found.active, "product_count": product_count}


def product(found: Product) -> Json:
    return {
        "id": found.id, "supplier_id": found.supplier_id, "article_code": found.article_code,
        "name": found.name, "unit": found.unit, "pack_size": qty_str(found.pack_size),
        "pack_container": found.pack_container,
        "granularity": qty_str(found.granularity), "weight_kg": weight_str(found.weight_grams),
        "retail_price": None if found.retail_price is None else price_str(found.retail_price),
        "seed_rate": None if found.seed_rate is None else qty_str(found.seed_rate),
        "retired": found.retired,
        "tiers": tiers([(t.min_qty, t.unit_price) for t in found.price_tiers]),
    }


# --------------------------------------------------------------------------
# Rounds and orders
# --------------------------------------------------------------------------


def round_summary(rnd: Round) -> Json:
    return {"id": rnd.id, "title": rnd.title, "state": rnd.state,
            "deadline": moment(rnd.deadline), "delivery_place": rnd.delivery_place,
            "delivery_date": day(rnd.delivery_date)}


def round_detail(rnd: Round, fills: list[tuple[RoundItem, PackFill]],
                 delivered: dict[int, tuple[int, int]]) -> Json:
    items = []
    for item, fill in fills:
        supplier_id, pack_size, terms = item_terms(item)
        received, damaged = delivered.get(item.id, (0, 0))
        items.append({
            "id": item.id, "product_id": item.product_id, "name": item.product.name,
            "unit": item.product.unit, "granularity": qty_str(item.product.granularity),
            "supplier_id": supplier_id, "pack_size": qty_str(pack_size), "tiers": tiers(terms),
            "demand": {"firm": qty_str(fill.firm), "tolerance": qty_str(fill.tolerance)},
            "packs": {"full": fill.full_packs, "ordered": fill.packs,
                      "last_pack_filled": qty_str(fill.remainder),
                      "last_pack_missing": qty_str(fill.missing),
                      "last_pack_short": qty_str(fill.short),
                      "fill_percent": fill.fill_percent},
            "delivered": {"received": qty_str(received), "damaged": qty_str(damaged)},
        })
    return {**round_summary(rnd), "loss_policy": rnd.loss_policy,
            "levy_percent": percent(rnd.levy_basis_points),
            "cash_rounding": amount(rnd.cash_rounding, rnd.group.currency), "items": items}


def order(rnd: Round, membership: Membership, existing: dict[int, Request],
          can_order: bool) -> Json:
    lines = []
    for item in rnd.items:
        request = existing.get(item.id)
        lines.append({"item_id": item.id, "product_id": item.product_id,
                      "name": item.product.name, "unit": item.product.unit,
                      "granularity": qty_str(item.product.granularity),
                      "quantity": qty_str(request.quantity if request else 0),
                      "tolerance": qty_str(request.tolerance if request else 0)})
    return {"round_id": rnd.id, "membership_id": membership.id,
            "name": membership.user.name, "can_order": can_order, "lines": lines}


# --------------------------------------------------------------------------
# The books
# --------------------------------------------------------------------------


def balances_summary(books: Books, currency: str) -> Json:
    return {"currency": currency, "fund": amount(books.fund, currency),
            "cash_on_hand": amount(books.cash_on_hand, currency),
            "payables": amount(books.suppliers + books.payables, currency),
            "owed_to_suppliers": amount(books.payables, currency),
            "in_bank": amount(books.in_bank, currency),
            "in_mobile_wallet": amount(books.in_mobile, currency),
            "members_owe": amount(books.members_owe, currency),
            "members_credit": amount(books.members_credit, currency)}


def balance(row: MemberBalance, currency: str) -> Json:
    return {"membership_id": row.membership.id, "name": row.membership.user.name,
            "active": row.membership.active, "balance": amount(row.balance, currency)}


def statement_line(line: StatementLine, currency: str) -> Json:
    posting = line.posting
    return {"id": posting.id, "created_at": moment(posting.created_at), "kind": posting.kind,
            "memo": posting.memo, "amount": amount(line.amount, currency),
            "balance": amount(line.balance, currency), "round_id": posting.round_id,
            "reverses_id": posting.reverses_id, "reversed_by_id": line.reversed_by,
            "author": line.author}


def payment(found: Payment, currency: str, balance_after: int) -> Json:
    return {"id": found.id, "membership_id": found.membership_id,
            "amount": amount(found.amount, currency), "method": found.method,
            "reference": found.reference, "created_at": moment(found.created_at),
            "posting_id": found.posting_id, "balance": amount(balance_after, currency),
            "receipt_number": found.receipt_number}


def supplier_payment(found: SupplierPayment, currency: str, still_owed: int) -> Json:
    return {"id": found.id, "supplier_id": found.supplier_id, "round_id": found.round_id,
            "amount": amount(found.amount, currency), "method": found.method,
            "reference": found.reference, "created_at": moment(found.created_at),
            "posting_id": found.posting_id, "still_owed": amount(still_owed, currency)}


def _owed(position: Position, currency: str) -> Json:
    return {"goods": amount(position.goods, currency),
            "delivery_fee": amount(position.delivery, currency),
            "credit_notes": amount(position.credit, currency),
            "billed": amount(position.billed, currency), "paid": amount(position.paid, currency),
            "still_owed": amount(position.owed, currency)}


def payable(found: SupplierPosition, currency: str) -> Json:
    return {"supplier_id": found.supplier_id, "name": found.name,
            **_owed(found.total, currency),
            "books_balance": amount(found.books_balance, currency),
            "rounds": [{"round_id": row.round_id, "title": row.title, "state": row.state or None,
                        "in_books": row.in_books, **_owed(row, currency)}
                       for row in found.rounds]}


def document(found: Document, currency: str) -> Json:
    return {"id": found.id, "number": found.number, "doc_type": found.doc_type,
            "issued_on": day(found.issued_on), "amount": amount(found.amount, currency),
            "round_id": found.round_id, "size": found.size}


# --------------------------------------------------------------------------
# Quotes (the supplier's side)
# --------------------------------------------------------------------------


def revision(found: QuoteRevision, currency: str) -> Json:
    return {
        "number": found.number, "declined": found.declined,
        "delivery_fee": amount(found.delivery_fee, currency),
        "lead_time_days": found.lead_time_days, "valid_until": day(found.valid_until),
        "note": found.note, "created_at": moment(found.created_at),
        "lines": [{"item_id": line.round_item_id, "available": line.available,
                   "pack_size": None if line.pack_size is None else qty_str(line.pack_size),
                   "max_quantity": None if line.max_quantity is None
                   else qty_str(line.max_quantity),
                   "tiers": tiers([(t.min_qty, t.unit_price) for t in line.tiers])}
                  for line in found.lines],
    }


def counter_offer(found: CounterOffer | None) -> Json | None:
    if found is None:
        return None
    return {"message": found.message, "created_at": moment(found.created_at),
            "targets": [{"item_id": line.round_item_id,
                         "target_price": price_str(line.target_price)}
                        for line in found.lines]}


# --------------------------------------------------------------------------
# Joint sales
# --------------------------------------------------------------------------


def lot(found: SaleLot, *, contributed: bool, payout: int | None) -> Json:
    cur = found.group.currency
    return {"id": found.id, "title": lot_title(found), "product": found.product,
            "unit": found.unit, "step": qty_str(found.step), "state": found.state,
            "period_from": day(found.period_from), "period_to": day(found.period_to),
            "place": found.place, "levy_percent": percent(found.levy_basis_points),
            "grades": [{"id": g.id, "name": g.name, "factor": qty_str(g.factor)}
                       for g in found.grades],
            "contributed": contributed, "payout": amount(payout, cur)}


def stock(row: GradeStock) -> Json:
    return {"grade_id": row.grade.id, "pooled": qty_str(row.pooled), "sold": qty_str(row.sold),
            "available": qty_str(row.available)}


def contribution(entry: ContributionEntry) -> Json:
    original = entry.original
    return {"id": original.id, "membership_id": original.membership_id,
            "name": original.membership.user.name, "brought_on": day(original.brought_on),
            "kind": original.kind, "note": original.note, "recorded_by": entry.recorded_by,
            "recorded": {"grade_id": original.grade_id, "quantity": qty_str(original.quantity)},
            "corrections": len(entry.corrections),
            "current": [{"grade_id": g, "quantity": qty_str(q)}
                        for g, q in entry.current.items()],
            "seed_loan_id": original.seed_loan_id}


def sale(debt: SaleDebt, currency: str) -> Json:
    """A sale of a lot and where its payment stands (paid at once, or owed)."""
    found = debt.sale
    return {"id": found.id, "buyer": found.buyer.name, "sold_on": day(found.sold_on),
            "amount": amount(found.revenue, currency),
            "cancelled": found.cancelled_at is not None, "paid_later": found.paid_later,
            "due_on": day(found.due_on), "paid": amount(debt.paid, currency),
            "owed": amount(debt.owed, currency), "paid_on": day(debt.paid_on)}


def lot_payout(found: SaleLot, membership: Membership, row: MemberPayout,
               seed_loan_id: int | None = None) -> Json:
    cur = found.group.currency
    return {"membership_id": membership.id, "name": membership.user.name,
            "seed_loan_id": seed_loan_id,
            "grades": [{"grade_id": g.id, "contributed": qty_str(c), "sold": qty_str(s),
                        "unsold": qty_str(u)}
                       for g, c, s, u in zip(found.grades, row.contributed, row.sold,
                                             row.unsold, strict=True)],
            "revenue": amount(row.revenue, cur), "levy": amount(row.levy, cur),
            "costs": amount(row.cost_total, cur), "payout": amount(row.payout, cur)}


# --------------------------------------------------------------------------
# Savings groups: cycles, meetings, passbooks (coop/savings)
# --------------------------------------------------------------------------


def savings_cycle_summary(cycle: SavingsCycle, currency: str) -> Json:
    return {"id": cycle.id, "number": cycle.number, "state": cycle.state,
            "start_date": day(cycle.start_date), "share_out_date": day(cycle.share_out_date),
            "share_value": amount(cycle.share_value, currency)}


def savings_settings(cycle: SavingsCycle, currency: str) -> Json:
    return {
        "start_date": day(cycle.start_date), "share_out_date": day(cycle.share_out_date),
        **{name: amount(getattr(cycle, name), currency) for name in SAVINGS_MONEY_SETTINGS},
        **{name: getattr(cycle, name) for name in SAVINGS_OTHER_SETTINGS},
        "opening_social": amount(cycle.opening_social, currency),
    }


SAVINGS_MONEY_SETTINGS = ("share_value", "social_contribution", "loan_unit", "payout_unit",
                          "confirm_loans_above")
SAVINGS_OTHER_SETTINGS = ("min_shares", "max_shares", "interest_method", "rate_bp",
                          "loan_multiple", "max_term_months", "confirmations_required",
                          "withdrawal_rule", "members_see_all_lines")


def savings_member(member: CycleMember) -> Json:
    return {"id": member.id, "membership_id": member.membership_id,
            "passbook_no": member.passbook_no, "name": member.name, "state": member.state,
            "joined_meeting_no": member.joined_meeting_no}


def savings_meeting_summary(meeting: SavingsMeeting) -> Json:
    return {"id": meeting.id, "number": meeting.number, "date": day(meeting.date),
            "kind": meeting.kind, "state": meeting.state}
