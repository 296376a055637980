"""Documents: numbering, issuing (numbered and stored, never changed) and the
data each document prints, read from the database in a fixed number of
queries whatever the number of members. Functions take the session first,
flush, never commit, and raise DomainError with a message for people.

Numbered and stored: purchase orders, member invoices, credit notes (and
sales invoices later). Made on demand, not numbered (they change until the
round is done, and printing one must not use up a number): the distribution
sheet, the paper order form, the quote comparison and the statement."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from io import BytesIO

from flask_babel import force_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, undefer

from coop import unit_text
from coop.auth.models import User
from coop.config import SUPPORTED_LOCALES
from coop.db import utcnow
from coop.documents import builders
from coop.documents.domain import (
    PREFIXES,
    Charge,
    ComparedProduct,
    ComparisonData,
    CreditNoteData,
    DiscrepancyCredit,
    DiscrepancyData,
    DiscrepancyLine,
    DistributionData,
    GroupInfo,
    InvoiceData,
    OfferCell,
    OfferHead,
    OrderFormData,
    OrderLine,
    PurchaseOrderData,
    ReceiptData,
    SheetMember,
    SheetProduct,
    Stamp,
    StatementData,
    StatementLine,
    amount_due,
    credit_note_subject,
    document_number,
    figures_digest,
    round_subject,
    sheet_reference,
)
from coop.documents.models import (
    CREDIT_NOTE,
    DISCREPANCY_REPORT,
    INVOICE,
    PURCHASE_ORDER,
    Document,
    DocumentCounter,
)
from coop.errors import DomainError
from coop.groups.models import ROLE_TREASURER, Group, Membership
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.models import Account, Payment, Posting
from coop.orders import domain as rounds
from coop.orders import explain, facts, split
from coop.orders import services as orders
from coop.orders.models import CreditNote, Delivery, Round, RoundItem, Settlement
from coop.quantities import line_amount
from coop.suppliers.models import Supplier

ORDERED_STATES = (rounds.AWARDED, rounds.RECEIVED, rounds.SETTLED)
FORM_STATES = (rounds.DRAFT, rounds.OPEN)


def group_info(session: Session, group: Group) -> GroupInfo:
    treasurer = session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id, Membership.role == ROLE_TREASURER,
               Membership.active.is_(True)).order_by(Membership.id).limit(1))
    place = ", ".join(part for part in (group.village, group.region) if part)
    return GroupInfo(name=group.name, place=place, currency=group.currency,
                     treasurer=treasurer.name if treasurer else "",
                     treasurer_phone=(treasurer.phone or "") if treasurer else "")


def language(*choices: str | None) -> str:
    """The first of the choices the app speaks (English when none)."""
    return next((c for c in choices if c in SUPPORTED_LOCALES), "en")


def member_language(membership: Membership) -> str:
    return language(membership.user.locale, membership.group.language)


# --------------------------------------------------------------------------
# Numbers and issuing
# --------------------------------------------------------------------------


def _ensure_counter(session: Session, group_id: int, doc_type: str, year: int) -> None:
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    session.execute(insert(DocumentCounter).values(group_id=group_id, doc_type=doc_type,
                                                   year=year, last=0)
                    .on_conflict_do_nothing(index_elements=["group_id", "doc_type", "year"]))


def _counter(group_id: int, doc_type: str, year: int):  # type: ignore[no-untyped-def]
    return update(DocumentCounter).where(
        DocumentCounter.group_id == group_id, DocumentCounter.doc_type == doc_type,
        DocumentCounter.year == year).returning(DocumentCounter.last)


def lock_counter(session: Session, group_id: int, doc_type: str, year: int) -> int:
    """Lock the counter until the transaction ends and read it. The lock is an
    UPDATE (a row lock on PostgreSQL, the write lock on SQLite), so a second
    transaction that wants a number waits here for the first to commit."""
    _ensure_counter(session, group_id, doc_type, year)
    return session.execute(_counter(group_id, doc_type, year)
                           .values(last=DocumentCounter.last)).scalar_one()


def take_numbers(session: Session, group_id: int, doc_type: str, year: int,
                 count: int = 1) -> range:
    """The next `count` numbers of the counter (lock_counter first). Committed
    with the documents that carry them, or rolled back with them: no gaps."""
    last = session.execute(_counter(group_id, doc_type, year)
                           .values(last=DocumentCounter.last + count)).scalar_one()
    return range(last - count + 1, last + 1)


@dataclass
class Pending:
    """A document to issue: what it belongs to, and how to print it once it
    has a number (`build(stamp)` returns the PDF)."""

    subject: str
    locale: str
    build: Callable[[Stamp], bytes]
    amount: int | None = None
    round_id: int | None = None
    membership_id: int | None = None
    supplier_id: int | None = None
    refers_to_id: int | None = None
    posting_id: int | None = None


def _issued(session: Session, group_id: int, subjects: Sequence[str]) -> dict[str, Document]:
    if not subjects:
        return {}
    return {d.subject: d for d in session.scalars(select(Document).where(
        Document.group_id == group_id, Document.subject.in_(subjects)))}


def issue(session: Session, group: Group, doc_type: str, pending: Sequence[Pending],
          actor: User | None, *, on_build: Callable[[], None] | None = None
          ) -> dict[str, Document]:
    """Issue the documents not issued yet; {subject: document} for all of them.

    A document already issued is returned as it is (same number, same bytes).
    Numbers are taken under the counter's lock, after looking again for
    documents issued while we waited, so two requests never number the same
    document twice and never leave a gap."""
    if doc_type not in PREFIXES:
        raise ValueError(doc_type)
    found = _issued(session, group.id, [p.subject for p in pending])
    missing = [p for p in pending if p.subject not in found]
    if not missing:
        return found
    today = local_today()
    lock_counter(session, group.id, doc_type, today.year)
    found |= _issued(session, group.id, [p.subject for p in missing])
    missing = [p for p in missing if p.subject not in found]
    if not missing:
        return found
    numbers = take_numbers(session, group.id, doc_type, today.year, len(missing))
    now = utcnow()
    rows = []
    for seq, item in zip(numbers, missing, strict=True):
        number = document_number(doc_type, today.year, seq)
        content = item.build(Stamp(number, today, item.locale))
        rows.append(dict(
            group_id=group.id, doc_type=doc_type, year=today.year, seq=seq, number=number,
            subject=item.subject, round_id=item.round_id, membership_id=item.membership_id,
            supplier_id=item.supplier_id, refers_to_id=item.refers_to_id,
            posting_id=item.posting_id, amount=item.amount, locale=item.locale,
            issued_on=today, issued_by_id=actor.id if actor else None, issued_at=now,
            size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content))
        if on_build is not None:
            on_build()
    # One INSERT for them all (not one per document): the queries do not grow
    # with the number of members.
    for document in session.scalars(insert(Document).returning(Document), rows):
        found[document.subject] = document
    return found


def get_document(session: Session, group: Group, document_id: int) -> Document | None:
    document = session.get(Document, document_id, options=[undefer(Document.content)])
    return document if document is not None and document.group_id == group.id else None


def document_bytes(document: Document) -> bytes:
    """The stored PDF, checked against its SHA-256: what was issued, or an error."""
    content = document.content
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise DomainError(_l("This document is damaged in storage. Ask the platform admin."))
    return content


def round_documents(session: Session, rnd: Round) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.round_id == rnd.id)
                                .order_by(Document.doc_type, Document.seq)))


def member_documents(session: Session, membership: Membership) -> list[Document]:
    return list(session.scalars(select(Document).where(
        Document.membership_id == membership.id).order_by(Document.issued_at, Document.id)))


def concatenate(contents: Iterable[bytes]) -> bytes:
    """Several PDFs as one (pages in order)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for content in contents:
        writer.append(BytesIO(content))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------
# Purchase orders
# --------------------------------------------------------------------------


def _check_ordered(rnd: Round) -> None:
    if rnd.state not in ORDERED_STATES:
        raise DomainError(_l("This is printed once the round is awarded."))


def awarded_suppliers(session: Session, rnd: Round) -> list[Supplier]:
    """The suppliers the round buys from, in the order of the round's products."""
    ids = list(dict.fromkeys(orders.item_terms(item)[0] for item in rnd.items))
    by_id = {s.id: s for s in session.scalars(select(Supplier).where(Supplier.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def _quote_fee(session: Session, rnd: Round, supplier_id: int) -> int | None:
    """The delivery fee of the supplier's awarded quote, if the round was
    awarded on her quote (coop.quotes records it with the award)."""
    from coop.quotes.models import Quote, QuoteAward, QuoteRevision

    return session.scalar(
        select(QuoteRevision.delivery_fee).join(QuoteAward, QuoteAward.revision_id ==
                                                QuoteRevision.id)
        .join(Quote, Quote.id == QuoteAward.quote_id)
        .where(QuoteAward.round_id == rnd.id, Quote.supplier_id == supplier_id).limit(1))


def order_lines(rnd: Round, supplier: Supplier, demand: dict[int, tuple[int, int]]
                ) -> dict[int, OrderLine]:
    """{round item id: purchase order line} of the supplier's products, in
    the round's order: whole packs (spec rule 1) at the tier the group's
    quantity reaches (rule 2), on the terms frozen at the award."""
    currency = rnd.group.currency
    lines = {}
    for item in rnd.items:
        supplier_id, pack_size, tiers = orders.item_terms(item)
        if supplier_id != supplier.id or not tiers:
            continue
        firm, tolerance = demand.get(item.id, (0, 0))
        packs = split.pack_count(firm, tolerance, pack_size)
        if not packs:
            continue
        ordered = packs * pack_size
        price = split.price_tier(tuple(split.PriceTier(str(q), q, p) for q, p in tiers),
                                 ordered).unit_price
        lines[item.id] = OrderLine(
            product=item.product.name, article_code=orders.item_article_code(item),
            unit=item.product.unit, pack_size=pack_size, packs=packs, quantity=ordered,
            unit_price=price, amount=line_amount(ordered, price, currency),
            pack_container=unit_text.container_of(item.product, pack_size))
    return lines


def purchase_order_data(session: Session, rnd: Round, supplier: Supplier,
                        info: GroupInfo, demand: dict[int, tuple[int, int]], stamp: Stamp
                        ) -> PurchaseOrderData:
    """What the supplier is to deliver, on the terms frozen at the award:
    whole packs (spec rule 1) at the tier the group's quantity reaches (rule 2)."""
    lines = list(order_lines(rnd, supplier, demand).values())
    quote_fee = _quote_fee(session, rnd, supplier.id)
    if quote_fee is not None:
        fees = [Charge("", quote_fee)] if quote_fee else []
    else:
        fees = [Charge(c.name, c.amount) for c in rnd.shared_costs
                if c.supplier_id == supplier.id and c.amount]
    goods = sum(line.amount for line in lines)
    return PurchaseOrderData(
        group=info, stamp=stamp, round_title=rnd.title, supplier_name=supplier.name,
        supplier_contact=supplier.contact_person, supplier_phone=supplier.phone,
        supplier_address=supplier.address, delivery_place=rnd.delivery_place,
        delivery_date=rnd.delivery_date, lines=lines, fees=fees, goods=goods,
        total=goods + sum(f.amount for f in fees), from_quote=quote_fee is not None)


def issue_purchase_orders(session: Session, rnd: Round, actor: User | None,
                          suppliers: Sequence[Supplier] | None = None
                          ) -> dict[int, Document]:
    """{supplier id: purchase order}, issuing those not issued yet."""
    _check_ordered(rnd)
    suppliers = awarded_suppliers(session, rnd) if suppliers is None else suppliers
    info = group_info(session, rnd.group)
    demand = orders.round_demand(session, rnd)
    pending = []
    for supplier in suppliers:
        locale = language(supplier.language, rnd.group.language)
        data = purchase_order_data(session, rnd, supplier, info, demand,
                                   Stamp("", local_today(), locale))
        pending.append(Pending(
            subject=round_subject(PURCHASE_ORDER, rnd.id, supplier=supplier.id), locale=locale,
            build=lambda stamp, data=data: builders.build_purchase_order(
                replace(data, stamp=stamp)),
            amount=data.total, round_id=rnd.id, supplier_id=supplier.id))
    issued = issue(session, rnd.group, PURCHASE_ORDER, pending, actor)
    return {p.supplier_id: issued[p.subject] for p in pending}  # type: ignore[misc]


def issue_purchase_order(session: Session, rnd: Round, supplier: Supplier,
                         actor: User | None) -> Document:
    if supplier.id not in {s.id for s in awarded_suppliers(session, rnd)}:
        raise DomainError(_l("This supplier delivers nothing in this round."))
    return issue_purchase_orders(session, rnd, actor, [supplier])[supplier.id]


# --------------------------------------------------------------------------
# Delivery discrepancy reports
# --------------------------------------------------------------------------

DELIVERED_STATES = (rounds.RECEIVED, rounds.SETTLED)


def _supplier_items(rnd: Round, supplier: Supplier) -> list[RoundItem]:
    """The round's products bought from her (the award's supplier, as the
    purchase order and her bill have it)."""
    return [item for item in rnd.items if orders.item_terms(item)[0] == supplier.id]


def _delivered(rnd: Round, supplier: Supplier, recorded: Iterable[int]) -> bool:
    """Whether her delivery is on record: some of it recorded, or the
    delivery confirmed (what is not recorded then did not come)."""
    items = {item.id for item in _supplier_items(rnd, supplier)}
    if not items:  # (the round's state: its callers' to check, before their query)
        return False
    return rnd.state in DELIVERED_STATES or not items.isdisjoint(recorded)


def discrepancy_report_ready(session: Session, rnd: Round, supplier: Supplier) -> bool:
    """Whether the supplier's discrepancy report can be printed."""
    if rnd.state not in ORDERED_STATES:
        return False
    return _delivered(rnd, supplier, orders.delivery_totals(session, rnd))


def reportable_suppliers(session: Session, rnd: Round) -> list[Supplier]:
    """The round's suppliers whose discrepancy report can be printed."""
    if rnd.state not in ORDERED_STATES:
        return []
    recorded = orders.delivery_totals(session, rnd)
    return [s for s in awarded_suppliers(session, rnd) if _delivered(rnd, s, recorded)]


def discrepancy_data(session: Session, rnd: Round, supplier: Supplier,
                     purchase_order: Document, stamp: Stamp) -> DiscrepancyData:
    """What arrived from the supplier against her purchase order, every
    figure as the app has it: ordered, unit price and the order's amount from
    the purchase order's lines; received, damaged and what she bills for each
    product from the round's split (coop.orders.split), as the delivery will
    be confirmed (what is not recorded did not come; once confirmed or
    settled, the split itself); her bill as coop.payables has it; the credit
    notes recorded on her products."""
    from coop.payables import domain as payable
    from coop.payables import services as payables

    currency = rnd.group.currency
    round_split = orders.compute_split(session, rnd, as_confirmed=True)
    outcome = round_split.outcome
    to_thousandths = 10 ** (3 - outcome.scenario.qty_decimals)
    ordered = order_lines(rnd, supplier, orders.round_demand(session, rnd))
    lines = []
    for result, product in zip(outcome.products, outcome.scenario.products, strict=True):
        item = round_split.items.get(result.id)
        if item is None or result.supplier != str(supplier.id):
            continue
        line = ordered.get(item.id)
        received, damaged = result.received * to_thousandths, result.damaged * to_thousandths
        if line is None and not received and not damaged:
            continue
        price = result.unit_price
        pack_size = line.pack_size if line else orders.item_terms(item)[1]
        lines.append(DiscrepancyLine(
            product=item.product.name, article_code=orders.item_article_code(item),
            unit=item.product.unit, ordered=line.quantity if line else 0, received=received,
            damaged=damaged, unit_price=price, ordered_value=line.amount if line else 0,
            received_value=result.bill + product.credit,  # her bill before credit notes
            damaged_value=line_amount(damaged, price, currency), pack_size=pack_size,
            packs=line.packs if line else 0,
            pack_container=unit_text.container_of(item.product, pack_size), key=item.id))
    items = {item.id: item for item in _supplier_items(rnd, supplier)}
    notes = session.scalars(select(CreditNote).where(
        CreditNote.round_id == rnd.id, CreditNote.round_item_id.in_(list(items)))
        .order_by(CreditNote.recorded_at, CreditNote.id)) if items else []
    credits = [DiscrepancyCredit(items[n.round_item_id].product.name, n.amount, n.note, n.id)
               for n in notes]
    bills = (payables.round_bills(session, rnd) if rnd.state in DELIVERED_STATES
             else payable.bills_of_split(outcome))  # as the confirmation will book it
    bill = next((b for b in bills if b.supplier_id == supplier.id),
                payable.SupplierBill(supplier.id, 0, 0, 0))
    # the day her goods came: as typed with the delivery, else the day it was recorded
    delivered_on, recorded_at = session.execute(
        select(func.max(Delivery.delivered_on), func.max(Delivery.recorded_at)).where(
            Delivery.round_id == rnd.id, Delivery.round_item_id.in_(list(items)))).one() \
        if items else (None, None)
    if delivered_on is None and recorded_at is not None:
        delivered_on = to_user_timezone(recorded_at).date()
    return DiscrepancyData(
        group=group_info(session, rnd.group), stamp=stamp, round_title=rnd.title,
        supplier_name=supplier.name, supplier_contact=supplier.contact_person,
        supplier_phone=supplier.phone, supplier_address=supplier.address,
        delivery_place=rnd.delivery_place, delivered_on=delivered_on,
        purchase_order=purchase_order.number, purchase_order_date=purchase_order.issued_on,
        replaces="", lines=lines, credits=credits, goods=bill.goods,
        delivery_fee=bill.delivery, credit=bill.credit, billed=bill.billed)


def discrepancy_figures(data: DiscrepancyData) -> list[object]:
    """What makes one report differ from another: every figure it prints
    (not the names, the date or the language)."""
    return [data.purchase_order,
            [[line.key, line.ordered, line.received, line.damaged, line.unit_price,
              line.ordered_value, line.received_value, line.damaged_value]
             for line in data.lines],
            [[c.key, c.amount, c.note] for c in data.credits],
            [data.goods, data.delivery_fee, data.credit, data.billed]]


def discrepancy_subject(rnd: Round, supplier: Supplier, data: DiscrepancyData) -> str:
    """One report per round, supplier and set of figures."""
    return (round_subject(DISCREPANCY_REPORT, rnd.id, supplier=supplier.id)
            + f":d{figures_digest(discrepancy_figures(data))}")


def issue_discrepancy_report(session: Session, rnd: Round, supplier: Supplier,
                             actor: User | None) -> Document:
    """The supplier's delivery discrepancy report, in her language: issued
    on the first print; the same report (number and bytes) while what is
    recorded of her delivery stays the same. When it changes (more arrived,
    a credit note), a new report, which names the one it replaces."""
    if not discrepancy_report_ready(session, rnd, supplier):
        raise DomainError(_l("The discrepancy report is printed once a delivery from this "
                             "supplier is recorded."))
    purchase_order = issue_purchase_order(session, rnd, supplier, actor)
    locale = language(supplier.language, rnd.group.language)
    data = discrepancy_data(session, rnd, supplier, purchase_order,
                            Stamp("", local_today(), locale))
    subject = discrepancy_subject(rnd, supplier, data)
    found = _issued(session, rnd.group_id, [subject])
    if subject in found:
        return found[subject]
    previous = session.scalar(select(Document).where(
        Document.group_id == rnd.group_id, Document.doc_type == DISCREPANCY_REPORT,
        Document.round_id == rnd.id, Document.supplier_id == supplier.id)
        .order_by(Document.id.desc()).limit(1))
    if previous is not None:
        data = replace(data, replaces=previous.number, replaces_date=previous.issued_on)
    return issue(session, rnd.group, DISCREPANCY_REPORT, [Pending(
        subject=subject, locale=locale,
        build=lambda stamp: builders.build_discrepancy_report(replace(data, stamp=stamp)),
        amount=data.billed, round_id=rnd.id, supplier_id=supplier.id,
        refers_to_id=previous.id if previous else None)], actor)[subject]


# --------------------------------------------------------------------------
# Member invoices and credit notes
# --------------------------------------------------------------------------


def _check_settled(rnd: Round) -> None:
    if rnd.state != rounds.SETTLED:
        raise DomainError(_l("Invoices are issued once the round is settled."))


def member_balances(session: Session, group: Group) -> dict[int, int]:
    """{membership id: balance} for every member account of the group."""
    by_account = ledger.balances(session, group)
    accounts = session.execute(select(Account.membership_id, Account.id).where(
        Account.group_id == group.id, Account.kind == "member"))
    return {membership_id: by_account.get(account_id, 0) for membership_id, account_id in accounts}


def balances_for_round(session: Session, rnd: Round) -> dict[int, int]:
    """{membership id: her balance as the round's papers count it}. Her
    payments go to her oldest debts first, so of a debt the newest charges
    (a later round, a fine, cash handed to her) are what is still unpaid:
    what she owes on a later round is that round's, not this one's, on an
    invoice issued or a sheet printed after it. So a debt counts without what
    was charged to her after the round's own charges, down to none (not to a
    credit she does not have); a credit counts as it stands (every charge is
    paid). A round not settled yet has no charges of its own: its share is the
    newest, and her account as it stands is counted. A reversal is no charge,
    nor is a charge it reversed."""
    balances = member_balances(session, rnd.group)
    # a reversal is no charge of its own, and a charge reversed is none: a
    # payment reversed (a debit) leaves her debt as it was, and a reversal
    # carries its original's round
    reversal = aliased(Posting)
    reversed_ = exists().where(reversal.reverses_id == Posting.id)
    charge = and_(Posting.reverses_id.is_(None), ~reversed_)
    own = (select(Posting.debit_account_id.label("account_id"),
                  func.max(Posting.id).label("last"))
           .where(Posting.round_id == rnd.id, Posting.membership_id.is_not(None), charge)
           .group_by(Posting.debit_account_id).subquery())
    later = session.execute(
        select(Account.membership_id, func.sum(Posting.amount))
        .join(own, own.c.account_id == Account.id)
        .join(Posting, (Posting.debit_account_id == Account.id) & (Posting.id > own.c.last))
        .where(Account.group_id == rnd.group_id, Account.kind == "member", charge)
        .group_by(Account.membership_id))
    for membership_id, amount in later:
        balance = balances.get(membership_id, 0)
        if balance < 0:
            balances[membership_id] = min(balance + int(amount or 0), 0)
    return balances


def issue_invoices(session: Session, rnd: Round, actor: User | None,
                   membership_ids: Sequence[int] | None = None,
                   on_build: Callable[[], None] | None = None) -> dict[int, Document]:
    """{membership id: invoice} for the members of a settled round (all, or
    those named), issuing those not issued yet. Every figure is the settled
    split's, worded as on her share page (coop.orders.explain)."""
    _check_settled(rnd)
    group = rnd.group
    round_split = orders.compute_split(session, rnd)  # the settled snapshot
    # numbered in the order of members' names, as the combined PDF and the
    # distribution sheet list them
    wanted = sorted((int(m.id) for m in round_split.outcome.members
                     if membership_ids is None or int(m.id) in membership_ids),
                    key=lambda mid: (round_split.members[str(mid)].user.name.casefold(), mid))
    info = group_info(session, group)
    settled_at = session.scalar(select(Settlement.settled_at).where(
        Settlement.round_id == rnd.id))
    settled_on = to_user_timezone(settled_at).date() if settled_at else None
    balances = balances_for_round(session, rnd)
    pending = []
    for membership_id in wanted:
        membership = round_split.members[str(membership_id)]
        locale = member_language(membership)
        total = round_split.outcome.members[round_split.member_index[membership_id]].total

        def build(stamp: Stamp, membership: Membership = membership, locale: str = locale
                  ) -> bytes:
            with force_locale(locale):
                share = explain.member_share(facts.member_facts(
                    round_split.outcome, round_split.member_index[membership.id]),
                    group.currency)
            balance = balances.get(membership.id, 0)
            paid, due = amount_due(share.total, balance)
            return builders.build_invoice(InvoiceData(
                group=info, stamp=stamp, round_title=rnd.title, settled_on=settled_on,
                member_name=membership.user.name, member_phone=membership.user.phone or "",
                share=share, balance=balance, paid=paid, due=due))

        pending.append(Pending(subject=round_subject(INVOICE, rnd.id, member=membership_id),
                               locale=locale, build=build, amount=total, round_id=rnd.id,
                               membership_id=membership_id))
    issued = issue(session, group, INVOICE, pending, actor, on_build=on_build)
    return {p.membership_id: issued[p.subject] for p in pending}  # type: ignore[misc]


def issue_invoice(session: Session, rnd: Round, membership: Membership,
                  actor: User | None) -> Document | None:
    """Her invoice for the round (issued on first ask); None if she had no share."""
    return issue_invoices(session, rnd, actor, [membership.id]).get(membership.id)


def invoices_pdf(session: Session, rnd: Round, actor: User | None) -> bytes:
    """Every member's invoice of the round in one PDF, in number order
    (issuing those not issued yet, by member name): the stored invoices
    themselves, page after page."""
    issued = issue_invoices(session, rnd, actor)
    if not issued:
        raise DomainError(_l("Nobody has a share in this round."))
    ids = [d.id for d in issued.values()]
    rows = session.execute(select(Document.content, Document.sha256)
                           .where(Document.id.in_(ids)).order_by(Document.year, Document.seq))
    contents = []
    for content, sha in rows:
        if hashlib.sha256(content).hexdigest() != sha:
            raise DomainError(_l("This document is damaged in storage. Ask the platform admin."))
        contents.append(content)
    return concatenate(contents)


def creditable_adjustments(session: Session, membership: Membership) -> list[Posting]:
    """Her adjustments that no credit note documents yet, newest first."""
    documented = select(Document.posting_id).where(Document.posting_id.is_not(None))
    return list(session.scalars(select(Posting).where(
        Posting.membership_id == membership.id, Posting.kind == "adjustment",
        Posting.id.not_in(documented)).order_by(Posting.created_at.desc(), Posting.id.desc())))


def issue_credit_note(session: Session, membership: Membership, *, posting_id: int,
                      invoice_id: int, actor: User | None) -> Document:
    """A credit note for an adjustment of her account, referring to the invoice
    it corrects (the invoice itself is never changed). Once per adjustment."""
    group = membership.group
    posting = session.get(Posting, posting_id)
    if posting is None or posting.group_id != group.id or posting.membership_id != membership.id:
        raise DomainError(_l("There is no such entry."))
    if posting.kind != "adjustment":
        raise DomainError(_l("Only an adjustment of a member's account gets a credit note."))
    invoice = session.get(Document, invoice_id)
    if (invoice is None or invoice.group_id != group.id or invoice.doc_type != INVOICE
            or invoice.membership_id != membership.id):
        raise DomainError(_l("Choose one of her invoices."), field="invoice")
    if posting.round_id is not None and posting.round_id != invoice.round_id:
        raise DomainError(_l("This adjustment belongs to another round."), field="invoice")
    account = ledger.member_account(session, membership)
    amount = posting.amount if posting.credit_account_id == account else -posting.amount
    rnd = session.get(Round, invoice.round_id)
    assert rnd is not None
    info = group_info(session, group)
    balance = ledger.member_balance(session, membership)

    def build(stamp: Stamp) -> bytes:
        return builders.build_credit_note(CreditNoteData(
            group=info, stamp=stamp, invoice_number=invoice.number,
            invoice_date=invoice.issued_on, invoice_total=invoice.amount or 0,
            round_title=rnd.title, member_name=membership.user.name, reason=posting.memo,
            amount=amount, recorded_at=posting.created_at, balance=balance))

    subject = credit_note_subject(posting.id)
    return issue(session, group, CREDIT_NOTE, [Pending(
        subject=subject, locale=invoice.locale, build=build, amount=amount,
        round_id=rnd.id, membership_id=membership.id, refers_to_id=invoice.id,
        posting_id=posting.id)], actor)[subject]


# --------------------------------------------------------------------------
# Sheets made on demand
# --------------------------------------------------------------------------


def _stamp(kind: str, key: int, locale: str) -> Stamp:
    return Stamp(sheet_reference(kind, key), local_today(), locale)


def distribution_data(session: Session, rnd: Round) -> DistributionData:
    """Who gets what on collection day: the allocations of the round's split
    (as settled; else with what was delivered; else as expected)."""
    _check_ordered(rnd)
    round_split = orders.compute_split(session, rnd)
    outcome = round_split.outcome
    to_thousandths = 10 ** (3 - outcome.scenario.qty_decimals)
    quantities: dict[int, dict[int, int]] = {}
    products = []
    for index, (result, product) in enumerate(zip(outcome.products, outcome.scenario.products,
                                                  strict=True)):
        for member, allocated in zip(result.members, result.allocations, strict=True):
            if allocated:
                quantities.setdefault(member, {})[index] = allocated * to_thousandths
        item = round_split.items.get(product.id)
        products.append(SheetProduct(
            name=product.name, unit=product.unit,
            article_code=orders.item_article_code(item) if item else "",
            total=result.allocated * to_thousandths))
    # Her share, paid and due as her invoice has them: amount_due of her share
    # and her account as the round counts it (balances_for_round). Until the
    # round is settled her account does not count the share yet: it is counted
    # here as settling will charge it.
    settled = rnd.state == rounds.SETTLED
    balances = balances_for_round(session, rnd)
    members = []
    for index, member in enumerate(outcome.scenario.members):
        membership = round_split.members.get(member.id)
        phone = (membership.user.phone or "") if membership else ""
        total = outcome.members[index].total
        balance = balances.get(int(member.id), 0) - (0 if settled else total)
        paid, due = amount_due(total, balance)
        members.append(SheetMember(member.name, phone, quantities.get(index, {}),
                                   total=total, paid=paid, due=due, balance=balance))
    members.sort(key=lambda m: m.name.casefold())
    provisional = rnd.state == rounds.AWARDED and not orders.goods_arrived(session, rnd)
    return DistributionData(
        group=group_info(session, rnd.group),
        stamp=_stamp("distribution", rnd.id, rnd.group.language), round_title=rnd.title,
        state=str(orders.STATE_NAMES[rnd.state]), delivery_place=rnd.delivery_place,
        delivery_date=rnd.delivery_date, provisional=provisional, products=products,
        members=members, money=True, settled=settled,
        members_total=outcome.totals.members_total)


def order_form_data(session: Session, rnd: Round) -> OrderFormData:
    """A round's products, and the active members, for orders taken on paper."""
    from coop.groups.services import list_members

    if rnd.state not in FORM_STATES:
        raise DomainError(_l("The order form is for a round that is not closed yet."))
    products = []
    for item in rnd.items:
        _supplier, pack_size, tiers = orders.item_terms(item)
        products.append(SheetProduct(
            name=item.product.name, unit=item.product.unit,
            article_code=item.product.article_code or "", pack_size=pack_size,
            granularity=item.product.granularity, prices=tuple(tiers),
            pack_container=unit_text.container_of(item.product, pack_size)))
    members = sorted((m.user.name for m in list_members(session, rnd.group,
                                                        include_inactive=False)),
                     key=str.casefold)
    return OrderFormData(
        group=group_info(session, rnd.group),
        stamp=_stamp("order_form", rnd.id, rnd.group.language), round_title=rnd.title,
        deadline=rnd.deadline, delivery_place=rnd.delivery_place,
        delivery_date=rnd.delivery_date, products=products, members=members)


def has_quotes(session: Session, rnd: Round) -> bool:
    from coop.quotes.models import Quote

    return session.scalar(select(Quote.id).where(Quote.round_id == rnd.id).limit(1)) is not None


def comparison_data(session: Session, rnd: Round, *, fee_rule: str = "weight"
                    ) -> ComparisonData:
    """The quotes feature's comparison (coop.quotes.services.compare_quotes),
    for printing at the group's meeting."""
    from coop.quotes import services as quotes

    result = quotes.compare_quotes(session, rnd, today=local_today(), fee_rule=fee_rule)
    comparison = result.comparison
    heads = []
    for offer in comparison.offers:
        latest = result.quote(offer.key).latest
        heads.append(OfferHead(
            supplier=result.quote(offer.key).supplier.name,
            version=latest.number if latest else 0, declined=offer.declined,
            expired=offer.expired, complete=offer.complete,
            best_single=offer.key == comparison.best_single, goods=offer.goods,
            delivery_fee=offer.delivery_fee, landed=offer.landed,
            lead_time_days=latest.lead_time_days if latest else None,
            valid_until=latest.valid_until if latest else None))
    products = []
    for item in rnd.items:
        need = result.needs[item.id]
        cells = []
        for offer in comparison.offers:
            line = offer.lines[item.id]
            if offer.declined:
                cells.append(OfferCell("declined"))
                continue
            cells.append(OfferCell(
                status=line.status, packs=line.packs, pack_size=line.pack_size or 0,
                ordered=line.ordered, unit_price=line.unit_price or 0, total=line.total,
                best=comparison.best_per_item.get(item.id) == offer.key,
                max_quantity=line.max_quantity, below_firm=line.below_firm))
        products.append(ComparedProduct(item.product.name, item.product.unit, need.firm,
                                        need.tolerance, cells))
    best = comparison.offer(comparison.best_single) if comparison.best_single is not None \
        else None
    columns = result.member_columns
    award = comparison.award
    cheapest = award.cheapest if award else None
    lines = award.cheapest_lines if award else None
    plans = result.plan_columns
    keys: list[int | str] = [o.key for o in columns] + list(plans)
    return ComparisonData(
        group=group_info(session, rnd.group),
        stamp=_stamp("quote_comparison", rnd.id, rnd.group.language), round_title=rnd.title,
        offers=heads, products=products,
        best_single=(result.quote(best.key).supplier.name, best.landed) if best else None,
        mix=(comparison.mix.goods, comparison.mix.delivery_fees, comparison.mix.landed)
        if comparison.mix else None,
        member_columns=[result.quote(o.key).supplier.name for o in columns],
        plan_columns=plans,
        members=[(row.name, row.current, [row.totals.get(o.key) for o in columns]
                  + [row.plans.get(name) for name in plans])
                 for row in result.members],
        members_now=result.current_total,
        members_totals=[result.members_total[o.key] for o in columns]
        + [result.plans_total[name] for name in plans],
        award=(result.describe(cheapest.choice), cheapest.goods, cheapest.delivery_fees,
               cheapest.landed, cheapest.proven) if cheapest else None,
        saving_single=award.saving_against(award.best_single) if award else None,
        cheapest_lines=(lines.landed, lines.delivery_fees) if lines else None,
        saving_lines=award.saving_against(lines) if award else None,
        infeasible=result.infeasible_names(),
        single_is_cheapest=result.same_plan(cheapest, award.best_single if award else None),
        lines_are_cheapest=result.same_plan(cheapest, lines),
        member_caveats=[result.caveats(o.key) for o in columns],
        members_cheapest=[frozenset(i for i, key in enumerate(keys) if key in row.cheapest)
                          for row in result.members],
        after_delivery=result.after_delivery and "awarded" in plans)


def receipt_data(session: Session, membership: Membership, payment_id: int
                 ) -> ReceiptData | None:
    """The receipt of one of her payments (None: no such payment of hers), in
    her language, dated the day it was paid."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.membership_id != membership.id:
        return None
    _opening, lines = ledger.statement(session, ledger.member_account(session, membership))
    line = next(x for x in lines if x.posting.id == payment.posting_id)
    recorded_by = session.get(User, payment.created_by_id) if payment.created_by_id else None
    locale = member_language(membership)
    with force_locale(locale):
        method = str(ledger.METHOD_NAMES.get(payment.method, payment.method))
    return ReceiptData(
        group=group_info(session, membership.group),
        stamp=Stamp(payment.receipt_number, to_user_timezone(payment.created_at).date(),
                    locale),
        member_name=membership.user.name, member_phone=membership.user.phone or "",
        paid_at=payment.created_at, amount=payment.amount, method=method,
        reference=payment.reference, recorded_by=recorded_by.name if recorded_by else "",
        balance_after=line.balance, reversed_on=line.reversed_at)


def receipt_pdf(session: Session, membership: Membership, payment_id: int
                ) -> tuple[bytes, str] | None:
    """(the PDF, its file name) of the receipt of one of her payments; None:
    no such payment of hers. The page and the API give the same."""
    data = receipt_data(session, membership, payment_id)
    if data is None:
        return None
    return builders.build_receipt(data), f"receipt-{data.stamp.reference}.pdf"


def statement_data(session: Session, membership: Membership, *, start: date | None,
                   end: date | None, start_at: datetime | None, end_at: datetime | None
                   ) -> StatementData:
    """Her account over a period: `start_at`/`end_at` are the UTC bounds of the
    group's days `start` and `end` (inclusive), as on the statement page."""
    account_id = ledger.member_account(session, membership)
    opening, lines = ledger.statement(session, account_id, start=start_at, end=end_at)
    locale = member_language(membership)
    receipts = ledger.receipt_numbers(session, membership)
    with force_locale(locale):
        kinds = {kind: str(name) for kind, name in ledger.KIND_NAMES.items()}
        printed = [StatementLine(line.posting.created_at, kinds.get(line.posting.kind,
                                                                    line.posting.kind),
                                 line.posting.memo, line.author, line.amount, line.balance,
                                 line.reversal_note, receipts[line.posting.id])
                   for line in lines]
    return StatementData(
        group=group_info(session, membership.group),
        stamp=_stamp("statement", membership.id, locale), member_name=membership.user.name,
        start=start, end=end, opening=opening, lines=printed,
        closing=lines[-1].balance if lines else opening,
        current=ledger.member_balance(session, membership))

