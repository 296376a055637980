"""ReportLab builders: plain data in (coop.documents.domain), PDF bytes out.

Each builder words and formats everything in the document's language
(`force_locale(stamp.locale)`), with the app's own formatting of money,
quantities and dates, so that a figure reads exactly as on the pages. None of
them touches the database."""

from __future__ import annotations

from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Table

from coop import unit_text
from coop.documents import pdf
from coop.documents.domain import (
    ComparisonData,
    CreditNoteData,
    DiscrepancyData,
    DistributionData,
    InvoiceData,
    OrderFormData,
    PurchaseOrderData,
    ReceiptData,
    SheetMember,
    SheetProduct,
    StatementData,
    earlier_debt,
)
from coop.documents.parts import align_right as _right
from coop.documents.parts import facts as _facts
from coop.documents.parts import group_lines as _group_lines
from coop.documents.parts import meta as _meta
from coop.documents.parts import parties as _parties
from coop.documents.parts import title as _title
from coop.documents.pdf import BOX, bold, para, rich, styles
from coop.i18n import fmt_date, fmt_money, fmt_qty
from coop.quotes import domain as quote_rules


def _explained_rows(row: int, bold: bool = True) -> list[tuple[Any, ...]]:
    """Styles of a line (row) and its explanation (the row under it, small and
    grey); plain text cells, already wrapped: no Paragraphs, 500 invoices stay fast."""
    return [*([("FONTNAME", (0, row), (0, row), pdf.FONT_BOLD)] if bold else []),
            ("BOTTOMPADDING", (0, row), (-1, row), 0.5),
            ("SPAN", (0, row + 1), (-1, row + 1)),
            ("TOPPADDING", (0, row + 1), (-1, row + 1), 0),
            ("FONTSIZE", (0, row + 1), (-1, row + 1), 7.5),
            ("LEADING", (0, row + 1), (-1, row + 1), 9.2),
            ("TEXTCOLOR", (0, row + 1), (-1, row + 1), pdf.MUTED),
            ("LINEBELOW", (0, row + 1), (-1, row + 1), 0.3, pdf.RULE)]


def _account(balance: int, currency: str) -> str:
    """Her account in words, as on her share page."""
    if balance < 0:
        return _("Account: owes %(amount)s", amount=fmt_money(-balance, currency))
    if balance > 0:
        return _("Account: %(amount)s in credit", amount=fmt_money(balance, currency))
    return _("Account: nothing owed")


def _qty_unit(quantity: int, unit: str) -> str:
    return unit_text.quantity(quantity, unit)


def _pack(pack_size: int, unit: str, container: str | None, s: Any) -> Any:
    """A pack size: 'мешок 50 кг' wrapping between words in its cell, else '50 кг'."""
    if container:
        return para(unit_text.pack(pack_size, unit, container), s.cell_right)
    return _qty_unit(pack_size, unit)


# --------------------------------------------------------------------------
# Purchase order
# --------------------------------------------------------------------------


def build_purchase_order(data: PurchaseOrderData) -> bytes:
    with force_locale(data.stamp.locale):
        return _purchase_order(data)


def _purchase_order(data: PurchaseOrderData) -> bytes:
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    title = _("Purchase order")
    story: list[Flowable] = [
        _title(title, data.stamp.reference),
        _parties(_("Buyer"), _group_lines(data.group), _("Supplier"),
                 [data.supplier_name, data.supplier_contact, data.supplier_phone,
                  data.supplier_address], width),
        pdf.gap(3),
        _facts([(_("Purchase round"), data.round_title),
                (_("Date"), fmt_date(data.stamp.issued_on)),
                (_("Deliver to"), data.delivery_place or _("to be agreed")),
                (_("Delivery date"), fmt_date(data.delivery_date) if data.delivery_date
                 else _("to be agreed"))], width),
        pdf.gap(4),
    ]
    head = [_("No."), _("Product"), _("Article code"), _("Pack size"), _("Packs"),
            _("Quantity"), _("Unit price"), _("Amount")]
    rows: list[list[Any]] = [[para(h, s.head_right if i >= 3 else s.head)
                              for i, h in enumerate(head)]]
    for number, line in enumerate(data.lines, start=1):
        rows.append([str(number), para(line.product, s.cell), para(line.article_code, s.cell),
                     _pack(line.pack_size, line.unit, line.pack_container, s),
                     str(line.packs),
                     _qty_unit(line.quantity, line.unit), unit_text.price(line.unit_price, cur),
                     fmt_money(line.amount, cur)])
    # the amount gets room for 123 456 789,00 at full size; a long name wraps instead.
    # The supplier finds her goods by the article code: on one line, its column as
    # wide as the longest code (up to 30 mm), the room taken from the product's name.
    code_width = min(max([18 * mm, *(stringWidth(line.article_code, s.cell.fontName,
                                                 s.cell.fontSize) + 7 for line in data.lines)]),
                     30 * mm)
    # "Packs" fits its column in bold in every language ("Таңгактар" is the widest)
    widths = [8 * mm, 46 * mm - code_width, code_width, 20 * mm, 20 * mm, 22 * mm, 29 * mm]
    widths.append(width - sum(widths))
    story.append(pdf.table(rows, widths, numeric=range(3, 8)))
    totals = [(_("Goods"), fmt_money(data.goods, cur))]
    fee_label = _("Delivery fee")
    if data.from_quote or (len(data.fees) == 1 and not data.fees[0].name):
        totals += [(fee_label, fmt_money(fee.amount, cur)) for fee in data.fees]
    else:
        totals += [(f"{fee_label}: {fee.name}", fmt_money(fee.amount, cur))
                   for fee in data.fees]
    totals.append((_("Total"), fmt_money(data.total, cur)))
    story += [pdf.gap(2), _right(pdf.totals_table(totals, 95 * mm), width), pdf.gap(5)]
    story.append(para(_("Quantities are in whole packs; unit prices are per unit of the "
                        "product."), s.small))
    story.append(para(_("Please bring this order with the goods. Damaged or missing goods "
                        "are noted on delivery."), s.small))
    story += [pdf.gap(12), KeepTogether([pdf.signatures(
        [_("For the group (treasurer)"), _("For the supplier")], width)])]
    return pdf.render(_meta(data.group, data.stamp, title), story,
                      subject=f"{data.supplier_name}: {data.round_title}")


# --------------------------------------------------------------------------
# Delivery discrepancy report
# --------------------------------------------------------------------------


def build_discrepancy_report(data: DiscrepancyData) -> bytes:
    with force_locale(data.stamp.locale):
        return _discrepancy_report(data)


def _less(amount: int, currency: str) -> str:
    """An amount taken off: −350,00 (nothing: 0,00)."""
    return fmt_money(-amount, currency) if amount else fmt_money(0, currency)


def _discrepancy_report(data: DiscrepancyData) -> bytes:
    """Landscape, as the paper acts of acceptance are: one line per product
    with nine figures needs the width."""
    s, width, cur = styles(), pdf.frame_width(pdf.LANDSCAPE), data.group.currency
    title = _("Delivery discrepancy report")
    delivery = data.delivery_place or ""
    if data.delivered_on:
        delivery = ", ".join(p for p in (delivery, fmt_date(data.delivered_on)) if p)
    facts = [(_("Purchase round"), data.round_title),
             (_("Purchase order"), _("%(number)s of %(date)s", number=data.purchase_order,
                                     date=fmt_date(data.purchase_order_date))),
             (_("Delivery"), delivery), (_("Date"), fmt_date(data.stamp.issued_on))]
    if data.replaces:
        facts.append((_("Replaces the report"), _(
            "%(number)s of %(date)s", number=data.replaces,
            date=fmt_date(data.replaces_date)) if data.replaces_date else data.replaces))
    story: list[Flowable] = [
        _title(title, data.stamp.reference),
        _parties(_("Buyer"), _group_lines(data.group), _("Supplier"),
                 [data.supplier_name, data.supplier_contact, data.supplier_phone,
                  data.supplier_address], width),
        pdf.gap(3), _facts(facts, width * 0.7), pdf.gap(4)]
    head = [_("No."), _("Product"), _("Ordered"), _("Received"), _("Short"), _("Damaged"),
            _("Unit price"), _("Value short"), _("Value damaged")]
    rows: list[list[Any]] = [[para(h, s.head_right if i >= 2 else s.head)
                              for i, h in enumerate(head)]]
    for number, line in enumerate(data.lines, start=1):
        # the article code under the name, as on her purchase order's line
        product = [para(line.product, s.cell)] + (
            [para(f"{_('Article code')}: {line.article_code}", s.why)] if line.article_code
            else [])
        rows.append([str(number), product,
                     _qty_unit(line.ordered, line.unit), _qty_unit(line.received, line.unit),
                     _qty_unit(line.short, line.unit) if line.short else "—",
                     _qty_unit(line.damaged, line.unit) if line.damaged else "—",
                     unit_text.price(line.unit_price, cur),
                     fmt_money(line.short_value, cur) if line.short else "—",
                     fmt_money(line.damaged_value, cur) if line.damaged else "—"])
    rows.append(["", _("Total"), "", "", "", "", "", fmt_money(data.short_value, cur),
                 fmt_money(data.damaged_value, cur)])
    # "100 килограммов" on one line; 123 456 789,00 сом at full size
    widths = [8 * mm, 0, 30 * mm, 30 * mm, 28 * mm, 28 * mm, 28 * mm, 29 * mm, 29 * mm]
    widths[1] = width - sum(widths)
    story.append(pdf.table(rows, widths, numeric=range(2, 9), extra=[
        ("SPAN", (1, -1), (6, -1)), ("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
        ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)]))
    story += [rich(bold(_("Credit notes")), s.h3)]
    if data.credits:
        credit_rows: list[list[Any]] = [[para(h, s.head_right if i == 3 else s.head) for i, h in
                                         enumerate((_("No."), _("Product"), _("Note"),
                                                    _("Amount")))]]
        for number, credit in enumerate(data.credits, start=1):
            credit_rows.append([str(number), para(credit.product, s.cell),
                                para(credit.note or "—", s.cell), fmt_money(credit.amount, cur)])
        total: list[tuple[Any, ...]] = []
        if len(data.credits) > 1:
            credit_rows.append(["", _("Total"), "", fmt_money(data.credit_total, cur)])
            total = [("SPAN", (1, -1), (2, -1)), ("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                     ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)]
        story.append(pdf.table(credit_rows, [8 * mm, 90 * mm, width - 137 * mm, 39 * mm],
                               numeric=(3,), extra=total))
    else:
        story.append(para(_("No credit notes are recorded."), s.small))
    found = [(_("Goods as ordered"), fmt_money(data.ordered_value, cur)),
             (_("Short"), _less(data.short_value, cur))]
    if data.beyond_value:
        found.append((_("Delivered beyond the order"), fmt_money(data.beyond_value, cur)))
    found += [(_("Damaged"), _less(data.damaged_value, cur)),
              (_("Received in good condition"), fmt_money(data.good_value, cur)),
              (_("Credit notes agreed"), fmt_money(data.credit, cur))]
    bill = [(_("Goods delivered"), fmt_money(data.goods, cur)),
            (_("Delivery fee"), fmt_money(data.delivery_fee, cur)),
            (_("Credit notes"), _less(data.credit, cur)),
            (_("The supplier's bill"), fmt_money(data.billed, cur))]
    half = (width - 10 * mm) / 2
    # the totals, what they mean and the signatures: on one page, never apart
    story += [pdf.gap(3), KeepTogether([
        Table([[pdf.totals_table(found, half, strong_last=False),
                pdf.totals_table(bill, half)]],
              colWidths=[half + 10 * mm, half], hAlign="LEFT",
              style=[("FONTNAME", (0, 0), (-1, -1), pdf.FONT),
                     ("VALIGN", (0, 0), (-1, -1), "TOP"),
                     ("LEFTPADDING", (0, 0), (-1, -1), 0),
                     ("RIGHTPADDING", (0, 0), (0, 0), 10 * mm),
                     ("RIGHTPADDING", (1, 0), (1, 0), 0)]),
        pdf.gap(2),
        para(_("Short and damaged goods are valued at the prices of the purchase order; the "
               "supplier bills what was delivered, less the credit notes."), s.small),
        pdf.gap(7),
        pdf.signatures([_("For the group (treasurer)"), _("For the supplier")], width * 0.7)])]
    return pdf.render(_meta(data.group, data.stamp, title), story, first=pdf.LANDSCAPE,
                      subject=f"{data.supplier_name}: {data.round_title}")


# --------------------------------------------------------------------------
# Member invoice and credit note
# --------------------------------------------------------------------------


def build_invoice(data: InvoiceData) -> bytes:
    with force_locale(data.stamp.locale):
        return _invoice(data)


def _invoice(data: InvoiceData) -> bytes:
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    share = data.share
    title = _("Invoice")
    story: list[Flowable] = [
        _title(title, data.stamp.reference),
        _parties(_("Issued by"), _group_lines(data.group), _("Billed to"),
                 [data.member_name, data.member_phone], width),
        pdf.gap(2),
        _facts([(_("Purchase round"), data.round_title),
                (_("Settled on"), fmt_date(data.settled_on) if data.settled_on else ""),
                (_("Date"), fmt_date(data.stamp.issued_on))], width),
        pdf.gap(3),
    ]
    first = width - 60 * mm
    rows: list[list[Any]] = [[_("Product"), _("You get"), _("Amount")]]
    style: list[tuple[Any, ...]] = []
    for line in share.lines:
        style += _explained_rows(len(rows))
        rows.append([pdf.wrapped(line.product, pdf.FONT_BOLD, 8.5, first - 6),
                     line.allocated_text, line.amount_text])
        rows.append([pdf.wrapped(f"{line.asked}\n{line.why}", pdf.FONT, 7.5, width - 40 * mm),
                     "", ""])
    rows.append([_("Goods"), "", fmt_money(share.goods, cur)])
    story.append(pdf.table(rows, [first, 28 * mm, 32 * mm], numeric=(1, 2), rules=False,
                           extra=[*style, ("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, pdf.INK)]))
    first = width - 32 * mm
    charges: list[list[Any]] = []
    style = []
    explained = [(c.name, c) for c in share.shared]
    explained += [(c.name, c) for c in share.losses]
    explained += [(c.name, c) for c in (share.levy, share.rounding) if c is not None]
    for name, charge in explained:
        style += _explained_rows(len(charges), bold=False)
        charges.append([pdf.wrapped(name, pdf.FONT, 8.5, first - 6),
                        fmt_money(charge.amount, cur)])
        charges.append([pdf.wrapped(charge.why, pdf.FONT, 7.5, width - 40 * mm), ""])
    # "Invoice total", not "Total to pay": the box below says what is still to pay,
    # and two "to pay" figures that differ once she has paid read as a contradiction
    charges.append([_("Invoice total"), fmt_money(share.total, cur)])
    story += [pdf.gap(2), pdf.table(
        charges, [first, 32 * mm], header_rows=0, numeric=(1,), rules=False,
        extra=[*style, ("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
               ("FONTSIZE", (1, -1), (1, -1), 10), ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)])]
    settle = [(_("Invoice total"), fmt_money(share.total, cur)),
              (_("Already paid (payments and credit in your account)"),
               fmt_money(data.paid, cur)),
              (_("Balance due"), fmt_money(data.due, cur))]
    earlier = earlier_debt(data.balance, data.due)  # her payments went to this invoice first
    if earlier > 0:  # found on the walk: "Balance due" alone hid an older debt
        settle += [(_("Earlier debt, not on this invoice"), fmt_money(earlier, cur)),
                   (_("In all to pay, with the earlier debt"), fmt_money(-data.balance, cur))]
    # Her account and the bazaar beside the settlement box, not under it, and
    # the signatures kept with them: a typical invoice fits one sheet, and a
    # long one never leaves the signatures alone on its last page.
    notes: list[Flowable] = [para(f"{_account(data.balance, cur)} "
                                  f"({fmt_date(data.stamp.issued_on)})", s.small)]
    if share.bazaar:
        notes += [pdf.gap(2), rich(bold(share.bazaar), s.cell)]
    box = 105 * mm
    beside = Table([[notes, pdf.totals_table(settle, box)]], colWidths=[width - box, box],
                   hAlign="LEFT", style=[("FONTNAME", (0, 0), (-1, -1), pdf.FONT),
                                         ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                         ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                         ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                         ("RIGHTPADDING", (0, 0), (0, 0), 6 * mm),
                                         ("TOPPADDING", (0, 0), (-1, -1), 0),
                                         ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
    story += [pdf.gap(3), KeepTogether([beside, pdf.gap(5), pdf.signatures(
        [_("Treasurer"), _("Received by the member")], width)])]
    return pdf.render(_meta(data.group, data.stamp, title), story,
                      subject=f"{data.member_name}: {data.round_title}")


def build_credit_note(data: CreditNoteData) -> bytes:
    with force_locale(data.stamp.locale):
        return _credit_note(data)


def _credit_note(data: CreditNoteData) -> bytes:
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    refund = data.amount > 0
    title = _("Credit note") if refund else _("Correction note")
    story: list[Flowable] = [
        _title(title, data.stamp.reference),
        _parties(_("Issued by"), _group_lines(data.group), _("Billed to"), [data.member_name],
                 width),
        pdf.gap(3),
        _facts([(_("Corrects invoice"), _("%(number)s of %(date)s",
                                          number=data.invoice_number,
                                          date=fmt_date(data.invoice_date))),
                (_("Purchase round"), data.round_title),
                (_("Date"), fmt_date(data.stamp.issued_on)),
                (_("Why"), data.reason)], width),
        pdf.gap(5),
    ]
    correction = (_("Credited to your account") if refund
                  else _("Charged to your account in addition"))
    rows = [(_("Invoice %(number)s", number=data.invoice_number),
             fmt_money(data.invoice_total, cur)),
            (correction, fmt_money(abs(data.amount), cur)),
            (_("Invoice after this correction"),
             fmt_money(data.invoice_total - data.amount, cur))]
    story.append(_right(pdf.totals_table(rows, 110 * mm), width))
    account = _account(data.balance, cur)
    story += [pdf.gap(3), para(f"{account} ({fmt_date(data.stamp.issued_on)})", s.small),
              pdf.gap(2),
              para(_("The invoice itself is not changed: this note is the correction."),
                   s.small),
              pdf.gap(12), KeepTogether([pdf.signatures([_("Treasurer")], width / 2)])]
    return pdf.render(_meta(data.group, data.stamp, title), story,
                      subject=f"{data.member_name}: {data.invoice_number}")


# --------------------------------------------------------------------------
# Distribution sheet
# --------------------------------------------------------------------------


def build_distribution_sheet(data: DistributionData) -> bytes:
    with force_locale(data.stamp.locale):
        return _distribution_sheet(data)


def _round_facts(data: Any, width: float) -> Table:
    delivery = data.delivery_place or ""
    if data.delivery_date:
        delivery = f"{delivery}, {fmt_date(data.delivery_date)}" if delivery else fmt_date(
            data.delivery_date)
    return _facts([(_("Purchase round"), data.round_title), (_("Delivery"), delivery),
                   (_("Printed on"), fmt_date(data.stamp.issued_on))], width)


def _distribution_sheet(data: DistributionData) -> bytes:
    s, width = styles(), pdf.frame_width()
    title = _("Distribution sheet")
    story: list[Flowable] = [_title(title, data.round_title), _round_facts(data, width)]
    if data.provisional:
        story += [pdf.gap(2), para(_("Nothing is recorded as delivered yet: the quantities are "
                                     "those expected from the order."), s.small)]
    products = data.products
    story += [pdf.gap(2), rich(bold(_("By member")), s.h2), para(_(
        "Hand each member her goods, tick each line, and let her sign."), s.small)]
    if data.money:
        # made anew on each print: its money is as of that day, and says so
        story.append(para(_("Money as of %(date)s, the day this sheet is printed: payments "
                            "recorded later are not on it. When she pays, tick her “To pay” "
                            "line and record the payment.",
                            date=fmt_date(data.stamp.issued_on)), s.small))
        if not data.settled:
            story.append(para(_("The round is not settled yet: her share is as the split "
                                "stands now, and “To pay” counts it as the settlement will "
                                "charge it."), s.small))
    story.append(pdf.gap(2))
    for member in data.members:
        story += _member_block(member.name, member.phone, [
            (products[index], quantity) for index, quantity in sorted(member.quantities.items())
            if quantity], width, _member_money(data, member) if data.money else [])
    if data.money:
        story += _money_by_member(data, width)
    story += [PageBreak(), rich(bold(_("By product")), s.h2)]
    for index, product in enumerate(products):
        story += _product_block(index, product, [
            (member.name, member.quantities.get(index, 0)) for member in data.members
            if member.quantities.get(index)], width)
    story += [pdf.to_landscape(), PageBreak()]
    story += _matrix(data)
    return pdf.render(_meta(data.group, data.stamp, title), story, subject=data.round_title)


def _to_pay(data: DistributionData) -> str:
    return _("To pay on %(date)s", date=fmt_date(data.stamp.issued_on))


def _member_money(data: DistributionData, member: SheetMember) -> list[tuple[str, str]]:
    """What she is to pay (a box to tick when she pays), with her share and
    what she paid, as on her invoice, on one line; an older debt and the whole
    sum below it, as her invoice prints them."""
    cur = data.group.currency
    on, share = fmt_date(data.stamp.issued_on), fmt_money(member.total, cur)
    if member.due > 0:
        line = f"{BOX}  " + _("To pay on %(date)s (her share %(share)s, paid %(paid)s)",
                               date=on, share=share, paid=fmt_money(member.paid, cur))
    else:
        line = _("Nothing to pay on %(date)s (her share %(share)s, paid)", date=on,
                 share=share)
    rows = [(line, fmt_money(member.due, cur))]
    if member.earlier > 0:
        rows += [(_("Earlier debt, not of this round"), fmt_money(member.earlier, cur)),
                 (_("In all to pay, with the earlier debt"), fmt_money(-member.balance, cur))]
    return rows


def _money_by_member(data: DistributionData, width: float) -> list[Flowable]:
    """Every member's share, paid and to pay on one table, with their totals:
    the shares add up to what the round charges its members."""
    s, cur = styles(), data.group.currency
    rows: list[list[Any]] = [[_("Member"), _("Share"), _("Paid"), _to_pay(data)]]
    for member in data.members:
        rows.append([member.name, fmt_money(member.total, cur), fmt_money(member.paid, cur),
                     fmt_money(member.due, cur)])
    rows.append([_("Total"), fmt_money(data.shares_total, cur),
                 fmt_money(sum(m.paid for m in data.members), cur),
                 fmt_money(sum(m.due for m in data.members), cur)])
    charged = (_("Charged to members for this round: %(amount)s",
                 amount=fmt_money(data.members_total, cur)) if data.settled
               else _("To be charged to members for this round: %(amount)s",
                      amount=fmt_money(data.members_total, cur)))
    money = 32 * mm  # a bold total in somoni, and the date under «to pay»
    return [CondPageBreak(40 * mm), rich(bold(_("Money by member")), s.h3),
            pdf.table(rows, [width - 3 * money, money, money, money], numeric=(1, 2, 3),
                      extra=[("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                             ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)]),
            pdf.gap(1.5), para(charged, s.small)]


def _member_block(name: str, phone: str, lines: list[tuple[SheetProduct, int]],
                  width: float, money: list[tuple[str, str]] | None = None) -> list[Flowable]:
    first = width - 55 * mm
    # her whole name, wrapped if long; a product line runs under the phone column
    rows: list[list[Any]] = [[name, phone, ""]]
    for product, quantity in lines:
        rows.append([f"{BOX}  {product.name}", "", _qty_unit(quantity, product.unit)])
    if not lines:
        rows.append([_("Nothing to collect."), "", ""])
    goods_end = len(rows)
    money = money or []
    rows += [[label, "", amount] for label, amount in money]
    rows.append([_("Received (signature)") + ": " + "_" * 34, "", ""])
    spans = [("SPAN", (0, row), (1, row)) for row in range(1, len(rows) - 1)]
    money_style: list[tuple[Any, ...]] = []
    if money:  # below the goods, what she is to pay in bold (an earlier debt muted)
        money_style = [("LINEABOVE", (0, goods_end), (-1, goods_end), 0.6, pdf.RULE),
                       ("TOPPADDING", (0, goods_end), (-1, len(rows) - 2), 1.4),
                       ("BOTTOMPADDING", (0, goods_end), (-1, len(rows) - 2), 1.6),
                       ("FONTNAME", (0, goods_end), (-1, goods_end), pdf.FONT_BOLD)]
        if len(money) > 1:  # the earlier debt muted, the whole sum with it in bold
            money_style += [("TEXTCOLOR", (0, goods_end + 1), (-1, goods_end + 1), pdf.MUTED),
                            ("FONTNAME", (0, -2), (-1, -2), pdf.FONT_BOLD)]
    block = pdf.table(rows, [first, 25 * mm, 30 * mm], header_rows=0, numeric=(2,),
                      extra=[*spans, *money_style, ("SPAN", (0, -1), (-1, -1)),
                             ("TOPPADDING", (0, -1), (-1, -1), 7),
                             ("FONTNAME", (0, 0), (0, 0), pdf.FONT_BOLD),
                             ("TEXTCOLOR", (1, 0), (1, 0), pdf.MUTED),
                             ("TEXTCOLOR", (0, -1), (-1, -1), pdf.MUTED),
                             ("BACKGROUND", (0, 0), (-1, 0), pdf.SHADE),
                             ("LINEBELOW", (0, -1), (-1, -1), 0.9, pdf.INK),
                             ("LINEBELOW", (0, -2), (-1, -2), 0, pdf.SHADE)])
    # Kept on one page when it fits one (rows are one line each: no need to measure)
    return [CondPageBreak(min(len(rows) * 5.6 * mm + 4 * mm, 120 * mm)), block, pdf.gap(2.5)]


def _product_block(index: int, product: SheetProduct, lines: list[tuple[str, int]],
                   width: float) -> list[Flowable]:
    s = styles()
    head = [[rich(bold(f"{index + 1}. {product.name}"), s.cell),
             rich(bold(_qty_unit(product.total, product.unit)), s.cell_right), ""]]
    rows = head + [[name, _qty_unit(quantity, product.unit), BOX] for name, quantity in lines]
    if not lines:
        rows.append([para(_("Nobody gets this product."), s.why), "", ""])
    block = pdf.table(rows, [width - 48 * mm, 36 * mm, 12 * mm], header_rows=1, numeric=(1,),
                      extra=[("ALIGN", (2, 1), (2, -1), "CENTER"),
                             ("FONTSIZE", (2, 1), (2, -1), 11)])
    return [CondPageBreak(30 * mm), block, pdf.gap(3)]


def _matrix(data: DistributionData) -> list[Flowable]:
    """Products across, members down, in blocks of products that fit the width;
    member names on every block, headers on every page."""
    s = styles()
    width = pdf.frame_width(pdf.LANDSCAPE)
    products = data.products
    name_width = 50 * mm
    cell_width = pdf.column_width(len(products), width, name_width, 12 * mm, 22 * mm)
    story: list[Flowable] = [rich(bold(_("All members and products")), s.h2)]
    blocks = pdf.column_blocks(len(products), width, name_width, cell_width)
    for number, block in enumerate(blocks):
        if number:
            story.append(PageBreak())
        story.append(para(_("Products %(first)d–%(last)d of %(count)d",
                            first=block.start + 1, last=block.stop, count=len(products)),
                          s.small))
        story.append(pdf.gap(1))
        head: list[Any] = [para(_("Member"), s.head)]
        head += [pdf.VerticalLabel(f"{i + 1}. {products[i].name}", 38 * mm,
                                   unit=unit_text.label(products[i].unit)) for i in block]
        rows: list[list[Any]] = [head]
        for member in data.members:
            quantities = member.quantities
            rows.append([member.name] + [fmt_qty(quantities[i]) if quantities.get(i) else ""
                                         for i in block])
        rows.append([_("Total")] + [fmt_qty(products[i].total) for i in block])
        story.append(pdf.table(
            rows, [name_width] + [cell_width] * len(block), numeric=range(1, len(block) + 1),
            grid=True, font_size=7.5, lean=True,
            extra=[("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                   ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)]))
    return story


# --------------------------------------------------------------------------
# Paper order form
# --------------------------------------------------------------------------


def build_order_form(data: OrderFormData) -> bytes:
    with force_locale(data.stamp.locale):
        return _order_form(data)


def _prices(product: SheetProduct, currency: str) -> str:
    return "; ".join(_("from %(qty)s: %(price)s", qty=_qty_unit(q, product.unit),
                       price=unit_text.price(p, currency))
                     if q else unit_text.price(p, currency) for q, p in product.prices)


EXTRA_ROWS = 4  # empty rows for members the list does not have yet


def _order_form(data: OrderFormData) -> bytes:
    s = styles()
    width = pdf.frame_width(pdf.LANDSCAPE)
    title = _("Order form")
    facts = [(_("Purchase round"), data.round_title),
             (_("Orders until"), fmt_date(data.deadline) if data.deadline else ""),
             (_("Delivery"), data.delivery_place), (_("Printed on"),
                                                    fmt_date(data.stamp.issued_on))]
    story: list[Flowable] = [_title(title, data.round_title), _facts(facts, width / 1.6),
                             pdf.gap(2),
                             para(_("For each product write the firm quantity you want "
                                    "(“qty”) and, if you like, how much more you would take "
                                    "to fill the group's packs (“tol.”, the tolerance). "
                                    "Leave empty what you do not order."), s.small),
                             pdf.gap(3)]
    products = data.products
    head = [para(h, s.head) for h in (_("No."), _("Product"), _("Article code"), _("Unit"),
                                        _("Pack size"), _("Step"), _("Unit price"))]
    legend: list[list[Any]] = [head]
    for index, product in enumerate(products, start=1):
        legend.append([str(index), para(product.name, s.cell), product.article_code,
                       unit_text.label(product.unit),
                       para(unit_text.pack(product.pack_size, product.unit,
                                           product.pack_container), s.cell_right)
                       if product.pack_container else fmt_qty(product.pack_size),
                       fmt_qty(product.granularity),
                       para(_prices(product, data.group.currency), s.cell)])
    widths = [10 * mm, 90 * mm, 25 * mm, 18 * mm, 20 * mm, 16 * mm]
    widths.append(width - sum(widths))
    story.append(pdf.table(legend, widths, numeric=(4, 5)))
    name_width = 48 * mm
    pair = pdf.column_width(len(products), width, name_width, 26 * mm, 60 * mm)
    for block in pdf.column_blocks(len(products), width, name_width, pair):
        story.append(PageBreak())
        story.append(para(_("Products %(first)d–%(last)d of %(count)d",
                            first=block.start + 1, last=block.stop, count=len(products)),
                          s.small))
        story.append(pdf.gap(1))
        top: list[Any] = [para(_("Member"), s.head)]
        sub: list[Any] = [""]
        spans = []
        for column, i in enumerate(block):
            product = products[i]
            top += [para(f"{i + 1}. {product.name} ({unit_text.label(product.unit)})", s.head), ""]
            sub += [_("qty"), _("tol.")]
            spans.append(("SPAN", (1 + 2 * column, 0), (2 + 2 * column, 0)))
        rows: list[list[Any]] = [top, sub]
        blank = [""] * (2 * len(block))
        rows += [[name, *blank] for name in data.members]
        rows += [["", *blank] for _row in range(EXTRA_ROWS)]
        # room to write by hand, and to a long name wrapped on several lines
        heights = [None, None] + [
            max(9 * mm, len(pdf.fit_lines(row[0], pdf.FONT, 8.5, name_width - 6)[0]) * 10.5 + 6)
            for row in rows[2:]]
        result = pdf.table(rows, [name_width] + [pair / 2] * (2 * len(block)), header_rows=2,
                           grid=True, extra=[*spans, ("ALIGN", (1, 1), (-1, 1), "CENTER"),
                                             ("VALIGN", (0, 2), (0, -1), "MIDDLE"),
                                             ("LINEAFTER", (2, 0), (-1, -1), 0.9, pdf.INK)])
        result._argH = heights  # fixed row heights
        story.append(result)
    return pdf.render(_meta(data.group, data.stamp, title), story, first=pdf.LANDSCAPE,
                      subject=data.round_title)


# --------------------------------------------------------------------------
# Quote comparison
# --------------------------------------------------------------------------


def build_quote_comparison(data: ComparisonData) -> bytes:
    with force_locale(data.stamp.locale):
        return _quote_comparison(data)


def _offer_cell(cell: Any, unit: str, cur: str) -> list[Flowable] | str:
    s = styles()
    if cell.status == "declined":
        return "—"
    if cell.status in ("unavailable", "not_offered"):
        return [para(_("cannot deliver"), s.why)]
    parts = [para(ngettext("%(num)d pack of %(size)s", "%(num)d packs of %(size)s", cell.packs,
                           size=_qty_unit(cell.pack_size, unit)), s.cell_right),
             para(f"= {_qty_unit(cell.ordered, unit)} × {unit_text.price(cell.unit_price, cur)}",
                  s.why),
             rich(bold(fmt_money(cell.total, cur)), s.cell_right)]
    if cell.best:
        parts.append(rich(f"<b>★ {escape(_('best price'))}</b>", s.cell_right))
    if cell.status == "too_little" and cell.max_quantity is not None:
        parts.append(para(_("delivers at most %(qty)s",
                            qty=_qty_unit(cell.max_quantity, unit)), s.why))
    if cell.below_firm:
        parts.append(para(_("%(qty)s of firm orders not bought (pack size)",
                            qty=_qty_unit(cell.below_firm, unit)), s.why))
    return parts


def _award_lines(data: ComparisonData, s: Any, cur: str) -> list[Flowable]:
    """The cheapest award and what it saves, as on the comparison page."""
    story: list[Flowable] = []
    if data.infeasible:
        story.append(para(_("No valid offer can supply: %(products)s. Award it at the "
                            "catalog’s list price, or ask more suppliers.",
                            products=data.infeasible), s.body))
    if data.award is not None:
        plan, goods, fees, landed, _proven = data.award
        story.append(rich(bold(escape(_("Cheapest award"))), s.body))
        story.append(para(f"{plan}. " + _(
            "Landed total %(total)s (goods %(goods)s + delivery fees %(fees)s).",
            total=fmt_money(landed, cur), goods=fmt_money(goods, cur),
            fees=fmt_money(fees, cur)), s.body))
    if data.single_is_cheapest:
        story.append(para(_("The best single supplier is the cheapest award here: a split "
                            "would cost more."), s.body))
    elif data.best_single is not None and data.saving_single is not None:
        story.append(para(_("It saves %(amount)s against the best single supplier "
                            "(%(name)s, %(total)s).", amount=fmt_money(data.saving_single, cur),
                            name=data.best_single[0],
                            total=fmt_money(data.best_single[1], cur)), s.body))
    elif data.best_single is None:
        story.append(para(_("No single valid offer covers every product that was ordered."),
                          s.body))
    if data.lines_are_cheapest:
        story.append(para(_("Each product at its cheapest line is the cheapest award here: "
                            "the delivery fees do not change the choice."), s.body))
    elif data.cheapest_lines is not None and data.saving_lines is not None:
        story.append(para(_("It saves %(amount)s against each product at its cheapest line "
                            "(%(total)s, of it %(fees)s delivery fees).",
                            amount=fmt_money(data.saving_lines, cur),
                            total=fmt_money(data.cheapest_lines[0], cur),
                            fees=fmt_money(data.cheapest_lines[1], cur)), s.body))
    if data.award is not None:
        story.append(para(_("Proven the cheapest: every combination of suppliers was tried, "
                            "each supplier’s delivery fee counted once.") if data.award[4]
                          else _("The best award found, not proven to be the cheapest: there "
                                 "are too many suppliers to try every combination."), s.small))
    return story


def _quote_comparison(data: ComparisonData) -> bytes:
    s, cur = styles(), data.group.currency
    width = pdf.frame_width(pdf.LANDSCAPE)
    title = _("Quote comparison")
    story: list[Flowable] = [_title(title, data.round_title),
                             _facts([(_("Purchase round"), data.round_title),
                                     (_("Printed on"), fmt_date(data.stamp.issued_on))],
                                    width / 1.6), pdf.gap(2)]
    if not data.offers:
        story.append(para(_("No supplier has answered yet."), s.body))
        return pdf.render(_meta(data.group, data.stamp, title), story, first=pdf.LANDSCAPE)
    story += [para(_("Each offer on the round’s actual demand: packs by the supplier’s pack "
                     "size (a pack is ordered when firm orders plus tolerance fill it), the "
                     "price of the tier reached, the bill, the delivery fee and the landed "
                     "total. The best offer per product is marked."), s.small), pdf.gap(3)]
    product_width = 62 * mm
    offer_width = pdf.column_width(len(data.offers), width, product_width, 42 * mm, 62 * mm)
    for block in pdf.column_blocks(len(data.offers), width, product_width, offer_width):
        offers = [data.offers[i] for i in block]
        head: list[Any] = [para(_("Product"), s.head)]
        for offer in offers:
            marks = [bold(offer.supplier), escape(_("version %(n)d", n=offer.version))]
            if offer.declined:
                marks.append(escape(_("declined")))
            if offer.expired:
                marks.append(escape(_("expired")))
            if offer.best_single:
                marks.append(f"<b>★ {escape(_('best single offer'))}</b>")
            if not offer.declined and not offer.complete:
                marks.append(escape(_("does not cover everything")))
            head.append(rich("<br/>".join(marks), s.head_right))
        rows: list[list[Any]] = [head]
        for product in data.products:
            rows.append([[rich(bold(product.name), s.cell), para(_(
                "needed: %(firm)s + %(tol)s tolerance", firm=_qty_unit(product.firm, product.unit),
                tol=_qty_unit(product.tolerance, product.unit)), s.why)]]
                + [_offer_cell(product.cells[i], product.unit, cur) for i in block])
        foot = [
            (_("Goods"), [fmt_money(o.goods, cur) if not o.declined else "" for o in offers]),
            (_("Delivery fee"), [fmt_money(o.delivery_fee, cur) if not o.declined else ""
                                 for o in offers]),
            (_("Landed total"), [fmt_money(o.landed, cur) if not o.declined else ""
                                 for o in offers]),
            (_("Delivery time"), [ngettext("%(num)d day", "%(num)d days", o.lead_time_days)
                                  if o.lead_time_days is not None else "" for o in offers]),
            (_("Valid until"), [fmt_date(o.valid_until) if o.valid_until else ""
                                for o in offers]),
        ]
        first_foot = len(rows)
        rows += [[label, *values] for label, values in foot]
        story.append(pdf.table(
            rows, [product_width] + [offer_width] * len(offers), numeric=range(1, len(offers) + 1),
            grid=True, extra=[("FONTNAME", (0, first_foot), (0, -1), pdf.FONT_BOLD),
                              ("FONTNAME", (1, first_foot + 2), (-1, first_foot + 2),
                               pdf.FONT_BOLD),
                              ("LINEABOVE", (0, first_foot), (-1, first_foot), 0.9, pdf.INK)]))
        story.append(pdf.gap(3))
    award = _award_lines(data, s, cur)
    if award:  # its heading with its lines, never alone at the foot of a page
        story.append(KeepTogether(award))
    if data.members:
        story += [CondPageBreak(40 * mm), rich(bold(_("What each member would pay")), s.h2),
                  para(_("★ marks each member’s lowest total among what can really be "
                         "awarded: an offer that covers everything and is still valid, or one of "
                         "the awards; never the catalog list prices, nor an incomplete or "
                         "expired offer."), s.small), pdf.gap(2)]
        story += _members_by_quote(data, s, cur, width)
        if data.after_delivery:
            story.append(para(_("“As awarded” is what members would pay on the terms fixed by "
                                "the award for what they ordered, with the shared costs as "
                                "they are now. Goods have arrived since: what they pay for "
                                "what arrived is on the round page."), s.small))
    return pdf.render(_meta(data.group, data.stamp, title), story, first=pdf.LANDSCAPE,
                      subject=data.round_title)


def _caveat_cell(text: str, caveats: tuple[str, ...], s: Any, *, strong: bool = False
                 ) -> list[Flowable] | str:
    """A figure of an offer whose member totals are no real choice, with why
    right under it, so that it is never read as a cheaper option."""
    if not caveats:
        return text
    notes = "<br/>".join(escape(str(quote_rules.CAVEAT_NOTES[c])) for c in caveats)
    return [rich(bold(text) if strong else escape(text), s.cell_right),
            rich(f'<font name="{pdf.FONT}" size="7">{notes}</font>', s.cell_right)]


def _members_by_quote(data: ComparisonData, s: Any, cur: str, width: float
                      ) -> list[Flowable]:
    """What each member would pay under each offer and plan; the ★ where the
    quotes feature put it (coop.quotes.services._mark_cheapest)."""
    story: list[Flowable] = []
    plan_names = {"cheapest": _("Cheapest award"),
                  "lines": _("Each product at its cheapest line"),
                  "awarded": _("As awarded")}
    columns = data.member_columns + [plan_names[k] for k in data.plan_columns]
    caveats = data.member_caveats + [()] * len(data.plan_columns)
    name_width = 60 * mm
    money_width = pdf.column_width(len(columns) + 1, width, name_width, 32 * mm, 48 * mm)
    for block in pdf.column_blocks(len(columns) + 1, width, name_width, money_width):
        head: list[Any] = [para(_("Member"), s.head)]
        for i in block:
            if i == 0:
                head.append(para(_("Catalog list prices"), s.head_right))
                continue
            why = [escape(str(quote_rules.CAVEAT_EXPLAINED[c])) for c in caveats[i - 1]]
            head.append(rich("<br/>".join([escape(columns[i - 1]), *(
                f'<font name="{pdf.FONT}">{text}</font>' for text in why)]), s.head_right))
        rows: list[list[Any]] = [head]
        for (name, now, totals), cheapest in zip(data.members, data.members_cheapest,
                                                 strict=True):
            values = [now, *totals]
            cells: list[Any] = [name]
            for i in block:
                text = ("★ " if i and i - 1 in cheapest else "") + (
                    fmt_money(values[i], cur) if values[i] is not None else "")
                cells.append(_caveat_cell(text, caveats[i - 1], s)
                             if i and values[i] is not None else text)
            rows.append(cells)
        all_totals = [data.members_now, *data.members_totals]
        rows.append([_("Members pay")] + [
            _caveat_cell(fmt_money(all_totals[i], cur), caveats[i - 1], s, strong=True) if i
            else fmt_money(all_totals[i], cur) for i in block])
        story.append(pdf.table(rows, [name_width] + [money_width] * len(block),
                               numeric=range(1, len(block) + 1),
                               extra=[("FONTNAME", (0, -1), (-1, -1), pdf.FONT_BOLD),
                                      ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)]))
        story.append(pdf.gap(3))
    return story


# --------------------------------------------------------------------------
# Member statement
# --------------------------------------------------------------------------


def build_statement(data: StatementData) -> bytes:
    with force_locale(data.stamp.locale):
        return _statement(data)


def _period(start: date | None, end: date | None) -> str:
    if start and end:
        return _("%(start)s – %(end)s", start=fmt_date(start), end=fmt_date(end))
    if start:
        return _("from %(start)s", start=fmt_date(start))
    if end:
        return _("until %(end)s", end=fmt_date(end))
    return _("all entries")


def _statement(data: StatementData) -> bytes:
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    title = _("Account statement")
    story: list[Flowable] = [
        _title(title, data.member_name),
        _facts([(_("Member"), data.member_name), (_("Period"), _period(data.start, data.end)),
                (_("Printed on"), fmt_date(data.stamp.issued_on))], width),
        pdf.gap(4)]
    rows: list[list[Any]] = [[para(_("Date"), s.head), para(_("What"), s.head),
                              para(_("Amount"), s.head_right), para(_("Balance"), s.head_right)]]
    rows.append(["", para(_("Opening balance"), s.cell), "", fmt_money(data.opening, cur)])
    for line in data.lines:
        what = [para(line.kind, s.cell)]
        if line.memo:
            what.append(para(line.memo, s.why))
        if line.author:
            what.append(para(_("by %(name)s", name=line.author), s.why))
        if line.receipt:
            what.append(para(_("receipt №%(number)s", number=line.receipt), s.why))
        if line.note:
            what.append(para(line.note, s.why))
        rows.append([fmt_date(line.at), what, fmt_money(line.amount, cur),
                     fmt_money(line.balance, cur)])
    if not data.lines:
        rows.append(["", para(_("No entries yet."), s.why), "", ""])
    rows.append(["", para(_("Closing balance"), s.cell_bold), "", fmt_money(data.closing, cur)])
    story.append(pdf.table(rows, [32 * mm, width - 92 * mm, 30 * mm, 30 * mm], numeric=(2, 3),
                           extra=[("FONTNAME", (3, -1), (3, -1), pdf.FONT_BOLD),
                                  ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)]))
    if data.current < 0:
        today = _("Owes %(amount)s", amount=fmt_money(-data.current, cur))
    elif data.current > 0:
        today = _("In credit: %(amount)s", amount=fmt_money(data.current, cur))
    else:
        today = _("Nothing owed")
    story += [pdf.gap(4), rich(bold(f"{today} ({fmt_date(data.stamp.issued_on)})"), s.body),
              pdf.gap(2), para(_("Positive amounts are payments and credit to your account; "
                                 "negative amounts are charges."), s.small)]
    return pdf.render(_meta(data.group, data.stamp, title), story, subject=data.member_name)


# --------------------------------------------------------------------------
# A member's payment receipt
# --------------------------------------------------------------------------


def build_receipt(data: ReceiptData) -> bytes:
    with force_locale(data.stamp.locale):
        return _receipt(data)


def _receipt(data: ReceiptData) -> bytes:
    """What she paid, when and how, who took it, and her account right after:
    the paper she keeps (the treasurer's copy is the statement)."""
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    title = _("Receipt")
    member = [data.member_name, data.member_phone]
    story: list[Flowable] = [
        _title(title, f"№{data.stamp.reference}"),
        _parties(_("Received by"), _group_lines(data.group), _("Received from"), member,
                 width),
        pdf.gap(3),
        _facts([(_("Date"), fmt_date(data.paid_at)), (_("Paid by"), data.method)]
               + ([(_("Reference (receipt or transfer number)"), data.reference)]
                  if data.reference else [])
               + ([(_("Recorded by"), data.recorded_by)] if data.recorded_by else []), width),
        pdf.gap(5),
        _right(pdf.totals_table([(_("Amount received"), fmt_money(data.amount, cur))],
                                110 * mm), width),
        pdf.gap(3),
        para(_after_payment(data.balance_after, cur), s.body),
    ]
    if data.reversed_on is not None:
        story += [pdf.gap(3), rich(bold(_("This payment was reversed on %(date)s: it is no "
                                          "longer in her account.",
                                          date=fmt_date(data.reversed_on))), s.body)]
    story += [pdf.gap(12),
              KeepTogether([pdf.signatures([_("Treasurer"), _("Paid (member)")], width)])]
    return pdf.render(_meta(data.group, data.stamp, title), story,
                      subject=f"{data.member_name}: {fmt_money(data.amount, cur)}")


def _after_payment(balance: int, currency: str) -> str:
    if balance < 0:
        return _("After this payment you owe %(amount)s.", amount=fmt_money(-balance, currency))
    if balance > 0:
        return _("After this payment you have %(amount)s in credit.",
                 amount=fmt_money(balance, currency))
    return _("After this payment you owe nothing.")
