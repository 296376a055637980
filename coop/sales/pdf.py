"""The PDFs of joint sales, built with the documents' helpers (DejaVu Sans,
A4, the group and the number on every page, "page X of Y"): the sales invoice
for the buyer and the payout statement for a member. Plain data in, bytes
out; each is worded in the document's language (`force_locale`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, Table

from coop import unit_text
from coop.documents import pdf
from coop.documents.domain import GroupInfo, Stamp
from coop.documents.parts import align_right as _right
from coop.documents.parts import facts as _facts
from coop.documents.parts import group_lines as _group_lines
from coop.documents.parts import meta as _meta
from coop.documents.parts import parties as _parties
from coop.documents.parts import title as _title
from coop.documents.pdf import bold, para, rich, styles
from coop.i18n import fmt_date, fmt_money, fmt_number
from coop.sales import explain


@dataclass(frozen=True)
class InvoiceLine:
    product: str
    grade: str
    unit: str
    quantity: int  # thousandths
    unit_price: int  # millionths
    amount: int  # minor units


@dataclass(frozen=True)
class SalesInvoiceData:
    group: GroupInfo
    stamp: Stamp
    buyer_name: str
    buyer_contact: str
    buyer_kind: str  # worded
    lot: str
    sold_on: date
    place: str
    lines: list[InvoiceLine]
    total: int
    note: str = ""
    # the group's brand, when the lot may carry it (coop.certificates.sale_brand)
    brand: str = ""
    brand_text: str = ""
    logo: Path | None = None
    certificate: str = ""
    # paid later: the day agreed to pay by, what was paid (day, amount, method worded)
    # and what is still owed; `replaces`: the invoice of the same sale issued before
    # the latest payment (its number and date)
    paid_later: bool = False
    due_on: date | None = None
    payments: tuple[tuple[date, int, str], ...] = ()
    owed: int = 0
    replaces: str = ""
    replaces_date: date | None = None


@dataclass(frozen=True)
class ProduceLine:
    grade: str
    factor: int  # thousandths
    contributed: int
    sold: int
    unsold: int
    unsold_words: str
    value: str  # in units of full price, formatted


@dataclass(frozen=True)
class ShareLine:
    label: str
    detail: str
    total: int
    share: int


@dataclass(frozen=True)
class PayoutStatementData:
    group: GroupInfo
    stamp: Stamp
    member_name: str
    member_phone: str
    lot: str
    unit: str
    period: str
    place: str
    closed_on: date | None  # None: a preview
    produce: list[ProduceLine]
    value_share: str  # "12,5 %"
    sales: list[ShareLine]
    levy: ShareLine | None
    costs: list[ShareLine]
    revenue: int
    payout: int
    balance: int
    set_off: int = 0  # what she owed, set off against the payout
    cash_due: int = 0  # the rest, handed to her in cash
    handed: int = 0  # cash recorded as handed to her for this lot
    seed_loans: int = 0  # taken first for her seed loans
    # her produce returned for a seed loan: the fund's payout, not hers (the sentence)
    for_fund: tuple[str, ...] = ()
    # how her share comes about, as her page says it (explain.share_working)
    working: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetLine:
    name: str
    entitled: int
    set_off: int
    cash_due: int
    handed: int
    seed_loans: int = 0  # withheld for seed loans, or the fund's whole payout


@dataclass(frozen=True)
class PayoutSheetData:
    group: GroupInfo
    stamp: Stamp
    lot: str
    closed_on: date | None  # None: a preview
    lines: list[SheetLine]


# --------------------------------------------------------------------------
# Sales invoice
# --------------------------------------------------------------------------


def build_sales_invoice(data: SalesInvoiceData) -> bytes:
    with force_locale(data.stamp.locale):
        return _sales_invoice(data)


def _sales_invoice(data: SalesInvoiceData) -> bytes:
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    title = _("Sales invoice")
    story: list[Flowable] = [
        *_brand_head(data, width),
        _title(title, data.stamp.reference),
        _parties(_("Seller"), _group_lines(data.group), _("Buyer"),
                 [data.buyer_name, data.buyer_kind, data.buyer_contact], width),
        pdf.gap(3),
        _facts([(_("Date of sale"), fmt_date(data.sold_on)),
                (_("Invoice date"), fmt_date(data.stamp.issued_on)),
                (_("Goods from"), data.place), (_("Certified"), data.certificate),
                (_("Note"), data.note)], width),
        pdf.gap(4),
    ]
    head = [_("No."), _("Product"), _("Grade"), _("Quantity"), _("Unit price"), _("Amount")]
    rows: list[list[Any]] = [[para(h, s.head_right if i >= 3 else s.head)
                              for i, h in enumerate(head)]]
    for number, line in enumerate(data.lines, start=1):
        rows.append([str(number), para(line.product, s.cell), para(line.grade, s.cell),
                     unit_text.quantity(line.quantity, line.unit),
                     unit_text.price(line.unit_price, cur),
                     fmt_money(line.amount, cur)])
    widths = [9 * mm, 58 * mm, 32 * mm, 25 * mm, 22 * mm]
    widths.append(width - sum(widths))
    story.append(pdf.table(rows, widths, numeric=range(3, 6)))
    story += [pdf.gap(2), _right(pdf.totals_table([(_("Total"), fmt_money(data.total, cur))],
                                                  80 * mm), width), pdf.gap(4),
              *_payment_words(data),
              para(_("Unit prices are %(per)s.", per=unit_text.per(data.lines[0].unit)
                     if data.lines else ""), s.small),
              pdf.gap(10),
              pdf.signatures([_("Seller (treasurer)"), _("Buyer")], width)]
    return pdf.render(_meta(data.group, data.stamp, title), story, subject=data.lot)


def _payment_words(data: SalesInvoiceData) -> list[Flowable]:
    """How the invoice is paid: at once into the cash, or (paid later) what is
    to be paid and by when, and what was paid so far, with the days."""
    s, cur = styles(), data.group.currency
    if not data.total:
        return [para(_("A gift or a sample: nothing to pay."), s.small)]
    if not data.paid_later:
        return [para(_("Paid in full to the group's cash on %(date)s.",
                       date=fmt_date(data.sold_on)), s.small)]
    words: list[Flowable] = []
    if data.replaces:
        words.append(para(_("This invoice replaces invoice %(number)s of %(date)s: a payment "
                            "was recorded since.", number=data.replaces,
                            date=fmt_date(data.replaces_date) if data.replaces_date else ""),
                          s.small))
    if data.owed == 0:
        last = max((day for day, _amount, _method in data.payments), default=data.sold_on)
        words.append(rich(bold(_("Paid in full on %(date)s.", date=fmt_date(last))), s.body))
    elif data.due_on is not None:
        words.append(rich(bold(_("To be paid: %(amount)s, by %(date)s.",
                                 amount=fmt_money(data.owed, cur),
                                 date=fmt_date(data.due_on))), s.body))
    else:
        words.append(rich(bold(_("To be paid: %(amount)s.", amount=fmt_money(data.owed, cur))),
                          s.body))
    if data.payments:
        words.append(para(_("Paid so far: %(amount)s.",
                            amount=fmt_money(sum(a for _d, a, _m in data.payments), cur)),
                          s.small))
        for day, amount, method in data.payments:
            words.append(para(_("%(date)s: %(amount)s, %(method)s", date=fmt_date(day),
                                amount=fmt_money(amount, cur), method=method), s.small))
    return words


LOGO_HEIGHT = 14 * mm


def _brand_head(data: SalesInvoiceData, width: float) -> list[Flowable]:
    """The brand above the title: its logo (when it reads as an image), its
    name in bold and its short text; nothing without a brand."""
    if not data.brand:
        return []
    s = styles()
    words: list[Flowable] = [para(data.brand, s.h2)]
    if data.brand_text:
        words.append(para(data.brand_text, s.small))
    logo: Flowable | None = None
    if data.logo is not None:
        try:
            w, h = ImageReader(str(data.logo)).getSize()
            logo = Image(str(data.logo), width=LOGO_HEIGHT * w / max(h, 1),
                         height=LOGO_HEIGHT)
            logo.drawWidth = min(logo.drawWidth, 40 * mm)
        except Exception:  # an unreadable logo: the invoice prints without it
            logo = None
    if logo is None:
        return [*words, pdf.gap(2)]
    table = Table([[logo, words]], colWidths=[logo.drawWidth + 3 * mm,
                                              width - logo.drawWidth - 3 * mm])
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    return [table, pdf.gap(2)]


# --------------------------------------------------------------------------
# Payout statement
# --------------------------------------------------------------------------


def build_payout_statement(data: PayoutStatementData) -> bytes:
    with force_locale(data.stamp.locale):
        return _payout_statement(data)


def _payout_statement(data: PayoutStatementData) -> bytes:
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    title = _("Payout statement")
    state = (_("closed on %(date)s", date=fmt_date(data.closed_on)) if data.closed_on
             else _("Preview: the lot is not closed yet, the figures may change."))
    story: list[Flowable] = [
        _title(title, data.stamp.reference),
        _parties(_("Group"), _group_lines(data.group), _("Member"),
                 [data.member_name, data.member_phone], width),
        pdf.gap(3),
        _facts([(_("Lot"), data.lot), (_("Collection"), data.period),
                (_("Collection place"), data.place), (_("State"), state)], width),
        rich(bold(_("Your produce")), s.h2),
    ]
    head = [_("Grade"), _("Price factor"), _("Brought"), _("Sold"), _("Not sold"),
            _("Value units")]
    rows: list[list[Any]] = [[para(h, s.head_right if i >= 1 else s.head)
                              for i, h in enumerate(head)]]
    for line in data.produce:
        rows.append([para(line.grade, s.cell), fmt_number(Decimal(line.factor) / 1000),
                     unit_text.quantity(line.contributed, data.unit),
                     unit_text.quantity(line.sold, data.unit), para(line.unsold_words, s.cell_right)
                     if line.unsold else "—", line.value])
    widths = [38 * mm, 26 * mm, 25 * mm, 25 * mm, 38 * mm]
    widths.append(width - sum(widths))
    story.append(pdf.table(rows, widths, numeric=range(1, 6)))
    story.append(rich(bold(_("Sales, levy and costs")), s.h2))
    story.append(para(explain.split_words(True), s.small))
    head = [_("What"), _("Lot total"), explain.part_label(True)]
    rows = [[para(h, s.head_right if i >= 1 else s.head) for i, h in enumerate(head)]]
    for line in data.sales:
        rows.append([[para(line.label, s.cell), para(line.detail, s.why)],
                     fmt_money(line.total, cur), fmt_money(line.share, cur)])
    for line in ([data.levy] if data.levy else []) + data.costs:
        rows.append([[para(line.label, s.cell), para(line.detail, s.why)],
                     fmt_money(-line.total, cur), fmt_money(-line.share, cur)])
    widths = [width - 70 * mm, 35 * mm, 35 * mm]
    story.append(pdf.table(rows, widths, numeric=(1, 2)))
    totals = [(_("Your part of the lot's sales, by value"), fmt_money(data.revenue, cur))]
    if data.levy:
        totals.append((_("Solidarity fund levy"), fmt_money(-data.levy.share, cur)))
    if data.costs:
        totals.append((_("Costs"), fmt_money(-sum(c.share for c in data.costs), cur)))
    totals.append((_("Your payout"), fmt_money(data.payout, cur)))
    story += [pdf.gap(2), _right(pdf.totals_table(totals, 95 * mm), width), pdf.gap(3)]
    if data.working:
        story.append(rich(bold(_("How the share is counted")), s.h2))
        story += [para(f"{number}. {line}", s.body)
                  for number, line in enumerate(data.working, start=1)]
        story.append(pdf.gap(3))
    story += [para(line, s.why) for line in data.for_fund]
    if data.payout > 0:
        cash = [(_("Payout"), fmt_money(data.payout, cur))]
        if data.seed_loans:
            cash.append((_("Seed loans repaid first"), fmt_money(-data.seed_loans, cur)))
        cash += [(_("Debts set off (what you owed the group)"), fmt_money(-data.set_off, cur)),
                (_("Cash to hand over"), fmt_money(data.cash_due, cur))]
        if data.closed_on:
            cash.append((_("Cash handed over"), fmt_money(data.handed, cur)))
        story += [KeepTogether([rich(bold(_("Paid out")), s.h2),  # the heading with its table
                                _right(pdf.totals_table(cash, 95 * mm, strong_last=False),
                                       width)]),
                  pdf.gap(3)]
    if data.balance < 0:
        balance = _("Your account today: you owe %(amount)s.",
                    amount=fmt_money(-data.balance, cur))
    elif data.balance == 0:
        balance = _("Your account today: nothing owed.")
    else:
        balance = _("Your account today: %(amount)s in credit.",
                    amount=fmt_money(data.balance, cur))
    story += [para(balance, s.body),
              para(_("The payout is credited to your account in the group: what you owe the "
                     "group, whatever it is for, is set off, the rest is paid to you in cash."),
                   s.small),
              pdf.gap(10),
              KeepTogether([pdf.signatures([_("Received (member)"), _("Treasurer")], width)])]
    return pdf.render(_meta(data.group, data.stamp, title), story, subject=data.lot)


# --------------------------------------------------------------------------
# Payout sheet (the lot's, for handing out the cash)
# --------------------------------------------------------------------------


def build_payout_sheet(data: PayoutSheetData) -> bytes:
    with force_locale(data.stamp.locale):
        return _payout_sheet(data)


def _payout_sheet(data: PayoutSheetData) -> bytes:
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    title = _("Payout sheet")
    state = (_("closed on %(date)s", date=fmt_date(data.closed_on)) if data.closed_on
             else _("Preview: the lot is not closed yet, the figures may change."))
    story: list[Flowable] = [
        _title(title, data.stamp.reference),
        _facts([(_("Group"), data.group.name), (_("Lot"), data.lot), (_("State"), state)],
               width),
        pdf.gap(3),
        para(_("Each payout is credited to the member's account: what she owed the group is "
               "set off against it, the rest is handed to her in cash."), s.small),
        pdf.gap(2),
    ]
    # seed loans withheld (or the fund's produce) get a column of their own, so
    # that payout = seed loans + debts set off + cash, across and down
    seed = any(x.seed_loans for x in data.lines)
    head = [_("No."), _("Member"), _("Payout"), *([_("Seed loans (to the fund)")] if seed else []),
            _("Debts set off"), _("Cash to hand over"), _("Handed over"), _("Signature")]
    last = len(head) - 2  # the last column of figures
    rows: list[list[Any]] = [[para(h, s.head_right if 2 <= i <= last else s.head)
                              for i, h in enumerate(head)]]

    def figures(entitled: int, seed_loans: int, set_off: int, cash_due: int, handed: int
                ) -> list[str]:
        return [fmt_money(entitled, cur), *([fmt_money(seed_loans, cur)] if seed else []),
                fmt_money(set_off, cur), fmt_money(cash_due, cur),
                fmt_money(handed, cur) if data.closed_on else "—"]

    for number, line in enumerate(data.lines, start=1):
        rows.append([str(number), para(line.name, s.cell),
                     *figures(line.entitled, line.seed_loans, line.set_off, line.cash_due,
                              line.handed), ""])
    rows.append(["", rich(bold(_("Total")), s.cell),
                 *figures(*(sum(getattr(x, name) for x in data.lines) for name in (
                     "entitled", "seed_loans", "set_off", "cash_due", "handed"))), ""])
    money = 21 * mm if seed else 24 * mm
    widths = [9 * mm, 38 * mm if seed else 44 * mm] + [money] * (last - 1)
    widths.append(width - sum(widths))
    story += [pdf.table(rows, widths, numeric=range(2, last + 1)), pdf.gap(10),
              KeepTogether([pdf.signatures([_("Treasurer")], width)])]
    return pdf.render(_meta(data.group, data.stamp, title), story, subject=data.lot)
