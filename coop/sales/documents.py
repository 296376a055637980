"""The documents of joint sales. The sales invoice is numbered and stored by
the documents service (SI-2026-0001, gapless per group and year, the same
bytes on every download). The payout statement is made on demand and not
numbered (a preview may be printed before the lot closes, and printing must
not use up a number); its reference names the lot and the member."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop import unit_text
from coop.auth.models import User
from coop.documents import services as documents
from coop.documents.domain import Stamp
from coop.documents.models import SALES_INVOICE, Document
from coop.errors import DomainError
from coop.groups.models import Group, Membership
from coop.i18n import fmt_basis_points, fmt_date, fmt_money, fmt_number
from coop.ledger import services as ledger
from coop.sales import explain, services
from coop.sales.models import Sale, SaleLot
from coop.sales.pdf import (
    InvoiceLine,
    PayoutSheetData,
    PayoutStatementData,
    ProduceLine,
    SalesInvoiceData,
    ShareLine,
    SheetLine,
    build_payout_sheet,
    build_payout_statement,
    build_sales_invoice,
)


def sales_invoice_subject(sale: Sale) -> str:
    return f"sales_invoice:s{sale.id}"


def issued_invoice(session: Session, group: Group, sale: Sale) -> Document | None:
    return session.scalar(select(Document).where(
        Document.group_id == group.id, Document.subject == sales_invoice_subject(sale)))


def invoice_subject(sale: Sale, debt: services.SaleDebt) -> str:
    """A sale paid at once, or paid later with nothing paid yet: its one
    invoice. Paid later, each payment (or its cancelling) makes the invoice
    say something new: a new invoice, naming the one it replaces."""
    if not sale.paid_later or not debt.payments:
        return sales_invoice_subject(sale)
    return f"{sales_invoice_subject(sale)}:p{debt.payments[-1].id}:{debt.paid}"


def sales_invoice_data(session: Session, lot: SaleLot, sale: Sale, stamp: Stamp,
                       replaces: Document | None = None) -> SalesInvoiceData:
    grades = {g.id: g.name for g in lot.grades}
    buyer = sale.buyer
    debt = services.sale_debt(session, sale)
    with force_locale(stamp.locale):
        kind = str(services.BUYER_KIND_NAMES.get(buyer.kind, buyer.kind))
        payments = tuple((p.paid_on, p.amount, str(ledger.METHOD_NAMES.get(p.method, p.method)))
                         for p in debt.payments)
    return SalesInvoiceData(
        paid_later=sale.paid_later, due_on=sale.due_on, payments=payments, owed=debt.owed,
        replaces=replaces.number if replaces else "",
        replaces_date=replaces.issued_on if replaces else None,
        group=documents.group_info(session, lot.group), stamp=stamp, buyer_name=buyer.name,
        buyer_contact=buyer.contact, buyer_kind=kind, lot=services.lot_title(lot),
        sold_on=sale.sold_on, place=lot.place,
        lines=[InvoiceLine(product=lot.product, grade=grades.get(line.grade_id, ""),
                           unit=lot.unit, quantity=line.quantity, unit_price=line.unit_price,
                           amount=line.amount) for line in sale.lines],
        total=sale.revenue, note=sale.note, **_brand(session, lot, sale, stamp.locale))


def _brand(session: Session, lot: SaleLot, sale: Sale, locale: str) -> dict[str, Any]:
    """The brand and certificate the invoice carries, when the lot may carry them."""
    from coop.certificates.services import sale_brand

    with force_locale(locale):
        found = sale_brand(session, lot, sale.sold_on)
    if found is None:
        return {}
    return {"brand": found.name, "brand_text": found.text, "logo": found.logo,
            "certificate": found.certificate}


def issue_sales_invoice(session: Session, lot: SaleLot, sale: Sale, actor: User | None
                        ) -> Document:
    """The buyer's invoice, numbered when first issued; afterwards the stored one.
    A cancelled sale gets no invoice (one issued before stays as it was)."""
    group = lot.group
    debt = services.sale_debt(session, sale)
    subject = invoice_subject(sale, debt)
    existing = session.scalar(select(Document).where(Document.group_id == group.id,
                                                     Document.subject == subject))
    if existing is not None:
        return existing
    if sale.cancelled_at is not None:
        latest = latest_invoice(session, group, sale)
        if latest is not None:
            return latest
        raise DomainError(_l("This sale is cancelled: it has no invoice."))
    previous = latest_invoice(session, group, sale)
    locale = documents.language(group.language)
    pending = documents.Pending(
        subject=subject, locale=locale, amount=sale.revenue,
        refers_to_id=previous.id if previous else None,
        build=lambda stamp: build_sales_invoice(sales_invoice_data(
            session, lot, sale, stamp, replaces=previous)))
    return documents.issue(session, group, SALES_INVOICE, [pending], actor)[pending.subject]


def latest_invoice(session: Session, group: Group, sale: Sale) -> Document | None:
    """The sale's invoice issued last (a sale paid later may have several)."""
    base = sales_invoice_subject(sale)
    return session.scalar(select(Document).where(
        Document.group_id == group.id, Document.doc_type == SALES_INVOICE,
        (Document.subject == base) | Document.subject.like(f"{base}:p%"))
        .order_by(Document.id.desc()).limit(1))


def stored_bytes(session: Session, group: Group, document_id: int) -> bytes:
    document = documents.get_document(session, group, document_id)
    assert document is not None
    return documents.document_bytes(document)


def payout_reference(lot: SaleLot, membership: Membership) -> str:
    return f"PS-L{lot.id}-M{membership.id}"


def payout_statement_data(session: Session, lot: SaleLot, membership: Membership
                          ) -> PayoutStatementData:
    view = services.compute_split(session, lot)
    statement = explain.member_statement(view, membership)
    if statement is None:
        raise DomainError(_l("She has nothing in this lot."))
    locale = documents.member_language(membership)
    stamp = Stamp(payout_reference(lot, membership), documents.local_today(), locale)
    balance = ledger.member_balance(session, membership)
    grades = {g.id: g.name for g in lot.grades}
    with force_locale(locale):
        payout = statement.payout
        produce = [ProduceLine(grade=line.grade.name, factor=line.grade.factor,
                               contributed=line.contributed, sold=line.sold,
                               unsold=line.unsold,
                               unsold_words=explain.unsold_words(statement, line),
                               value=fmt_number(explain.value_units(line.value)))
                   for line in statement.grades]
        sales = [ShareLine(label=f"{fmt_date(sale.sold_on)} — {sale.buyer.name}",
                           detail="; ".join(
                               f"{grades.get(line.grade_id, '')}: "
                               f"{unit_text.quantity(line.quantity, lot.unit)} × "
                               f"{unit_text.price(line.unit_price, lot.group.currency)}"
                               for line in sale.lines)
                           + (f" — {note}" if (note := explain.sale_words(statement, sale, True))
                              else ""),
                           total=sale.revenue, share=share) for sale, share in statement.sales]
        levy = ShareLine(
            label=str(_l("Solidarity fund levy")),
            detail=str(_l("%(percent)s %% of the revenue",
                          percent=fmt_basis_points(lot.levy_basis_points))),
            total=view.split.levy, share=payout.levy) if view.split.levy else None
        costs = [ShareLine(label=services.cost_label(cost),
                           detail=explain.rule_words(cost), total=cost.amount, share=share)
                 for cost, share in statement.costs]
        period = fmt_date(lot.period_from) + (f" – {fmt_date(lot.period_to)}"
                                              if lot.period_to else "")
        closed_on = (to_user_timezone(view.closing.closed_at).date() if view.closing
                     else None)
        # as her payout page says it: produce returned for a seed loan is the fund's
        working = tuple(explain.share_working(statement, lot.group.currency))
        for_fund = tuple(str(_l("Not in this payout: %(line)s, %(amount)s, paid to the "
                                "solidarity fund.", line=services.fund_label(loan),
                                amount=fmt_money(share.payout, lot.group.currency)))
                         for loan, share in view.fund_rows()
                         if loan.membership_id == membership.id)
    return PayoutStatementData(
        group=documents.group_info(session, lot.group), stamp=stamp,
        member_name=membership.user.name, member_phone=membership.user.phone or "",
        lot=services.lot_title(lot), unit=lot.unit, period=period, place=lot.place,
        closed_on=closed_on, produce=produce,
        value_share=explain.percent(statement.value_share), sales=sales, levy=levy,
        costs=costs, revenue=payout.revenue, payout=payout.payout, balance=balance,
        for_fund=for_fund, working=working, **_cash_figures(session, lot, view, membership))


def _cash_figures(session: Session, lot: SaleLot, view: services.LotView,
                  membership: Membership) -> dict[str, int]:
    line = services.payout_sheet(session, lot, view).line(membership.id)
    if line is None:
        return {}
    return {"set_off": line.set_off, "cash_due": line.cash_due, "handed": line.handed,
            "seed_loans": line.seed_loans}


def payout_statement_pdf(session: Session, lot: SaleLot, membership: Membership) -> bytes:
    return build_payout_statement(payout_statement_data(session, lot, membership))


def payout_sheet_pdf(session: Session, lot: SaleLot) -> bytes:
    """The lot's payout sheet: each member's payout, the debt set off against
    it, the cash to hand over and the cash handed over, with a line to sign."""
    view = services.compute_split(session, lot)
    sheet = services.payout_sheet(session, lot, view)
    locale = documents.language(lot.group.language)
    stamp = Stamp(f"PS-L{lot.id}", documents.local_today(), locale)
    closed_on = to_user_timezone(view.closing.closed_at).date() if view.closing else None
    return build_payout_sheet(PayoutSheetData(
        group=documents.group_info(session, lot.group), stamp=stamp,
        lot=services.lot_title(lot), closed_on=closed_on,
        lines=[SheetLine(name=_sheet_name(x, locale), entitled=x.entitled, set_off=x.set_off,
                         cash_due=x.cash_due, handed=x.handed, seed_loans=x.withheld)
               for x in sheet.lines]))


def _sheet_name(line: services.PayoutLine, locale: str) -> str:
    """Her name; for produce she returned for a seed loan, the fund's line."""
    if not line.for_fund:
        return line.membership.user.name
    with force_locale(locale):
        return f"{line.fund_label()} — {line.membership.user.name}"
