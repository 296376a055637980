"""The season's printed sheets, built on demand with the documents' helpers
(DejaVu Sans, A4, the group and a reference on every page): the survey form
filled at a meeting, and the seed-loan slip with the terms in the member's
language. Plain data in, bytes out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from coop import unit_text
from coop.documents import pdf
from coop.documents.domain import GroupInfo, Stamp
from coop.documents.parts import facts as _facts
from coop.documents.parts import meta as _meta
from coop.documents.parts import title as _title
from coop.documents.pdf import bold, para, rich, styles
from coop.i18n import fmt_date, fmt_money, fmt_qty


@dataclass(frozen=True)
class FormProduct:
    name: str
    unit: str
    granularity: int
    seed_rate: int | None  # thousandths per сотка


@dataclass(frozen=True)
class SurveyFormData:
    group: GroupInfo
    stamp: Stamp
    title: str
    note: str
    closes_on: date | None
    products: list[FormProduct]
    members: list[str]


EXTRA_ROWS = 3


def build_survey_form(data: SurveyFormData) -> bytes:
    with force_locale(data.stamp.locale):
        return _survey_form(data)


def _survey_form(data: SurveyFormData) -> bytes:
    s = styles()
    width = pdf.frame_width(pdf.LANDSCAPE)
    title = _("Needs survey")
    facts = [(_("Survey"), data.title),
             (_("Answers until"), fmt_date(data.closes_on) if data.closes_on else ""),
             (_("Printed on"), fmt_date(data.stamp.issued_on))]
    story: list[Flowable] = [
        _title(title, data.title), _facts(facts, width / 1.6), pdf.gap(2),
        para(_("For each product write what you will surely buy (“sure”) and what you "
               "might buy (“maybe”). For seed you may write instead the land you will sow, "
               "in sotkas: the seed is worked out from it."), s.small)]
    if data.note:
        story.append(para(data.note, s.small))
    story.append(pdf.gap(3))
    legend: list[list[Any]] = [[para(h, s.head) for h in (
        _("No."), _("Product"), _("Unit"), _("Step"), _("Seed per sotka"))]]
    for index, product in enumerate(data.products, start=1):
        legend.append([str(index), para(product.name, s.cell), unit_text.label(product.unit),
                       fmt_qty(product.granularity),
                       fmt_qty(product.seed_rate) if product.seed_rate else "—"])
    widths = [10 * mm, 120 * mm, 30 * mm, 20 * mm]
    widths.append(width - sum(widths))
    story.append(pdf.table(legend, widths, numeric=(3, 4)))
    name_width = 48 * mm
    products = data.products
    triple = pdf.column_width(len(products), width, name_width, 36 * mm, 75 * mm)
    for block in pdf.column_blocks(len(products), width, name_width, triple):
        story.append(pdf.gap(4))
        top: list[Any] = [para(_("Member"), s.head)]
        sub: list[Any] = [""]
        spans = []
        for column, i in enumerate(block):
            product = products[i]
            top += [para(f"{i + 1}. {product.name}", s.head), "", ""]
            sub += [_("sure"), _("maybe"), _("sotkas") if product.seed_rate else ""]
            spans.append(("SPAN", (1 + 3 * column, 0), (3 + 3 * column, 0)))
        rows: list[list[Any]] = [top, sub]
        blank = [""] * (3 * len(block))
        rows += [[name, *blank] for name in data.members]
        rows += [["", *blank] for _row in range(EXTRA_ROWS)]
        heights = [None, None] + [
            max(9 * mm, len(pdf.fit_lines(row[0], pdf.FONT, 8.5, name_width - 6)[0]) * 10.5 + 6)
            for row in rows[2:]]
        table = pdf.table(rows, [name_width] + [triple / 3] * (3 * len(block)), header_rows=2,
                          grid=True, extra=[*spans, ("ALIGN", (1, 1), (-1, 1), "CENTER"),
                                            ("VALIGN", (0, 2), (0, -1), "MIDDLE")])
        table._argH = heights
        story.append(table)
    story += [pdf.gap(4), para(_("Something not in the list? Write it here:"), s.small),
              pdf.gap(14)]
    return pdf.render(_meta(data.group, data.stamp, title), story, first=pdf.LANDSCAPE,
                      subject=data.title)


@dataclass(frozen=True)
class SlipRepayment:
    on: date
    what: str
    amount: int
    quantity: int
    write_off: bool = False  # the fund's write-off: listed apart, not as repaid


@dataclass(frozen=True)
class SlipWriteOff:
    """What a write-off gave up, as the loan's page says it."""

    on: date | None
    amount: int  # no longer to be repaid: `lost` + `premium`
    lost: int  # of the value lent: the fund's loss
    premium: int  # what the ratio added above the value, given up


@dataclass(frozen=True)
class LoanSlipData:
    group: GroupInfo
    stamp: Stamp
    member_name: str
    member_phone: str
    round_title: str
    product: str
    unit: str
    quantity: int  # thousandths
    value: int
    repay_mode: str
    repay_bp: int
    due_money: int
    due_quantity: int
    due_on: date
    state: str  # worded
    left: int
    repayments: list[SlipRepayment]
    cancelled: bool = False  # then no terms: a big mark and one sentence instead
    written_off: SlipWriteOff | None = None  # likewise, saying what was written off and when


def build_loan_slip(data: LoanSlipData) -> bytes:
    with force_locale(data.stamp.locale):
        return _loan_slip(data)


def _ratio(bp: int) -> str:
    from decimal import Decimal

    from coop.i18n import fmt_number

    return fmt_number(Decimal(bp) / 10000)


def _slip_facts(data: LoanSlipData) -> list[tuple[str, str]]:
    facts = [(_("Member"), data.member_name + (f", {data.member_phone}"
                                                 if data.member_phone else "")),
             (_("Purchase round"), data.round_title),
             (_("Seed"), data.product),
             (_("Quantity"), unit_text.quantity(data.quantity, data.unit)),
             (_("Value"), fmt_money(data.value, data.group.currency))]
    # a due date is a term, and a cancelled or written-off loan has none any more
    if not data.cancelled and data.written_off is None:
        facts.append((_("Due on"), fmt_date(data.due_on)))
    return [*facts, (_("State"), data.state)]


def written_off_text(written_off: SlipWriteOff, currency: str) -> str:
    """When, and what is given up: the loan's page says it in the same words
    (season/loan.html, #loan-given-up, from this function), with the same
    figures. A part that is nothing is not said (the fund lost nothing when
    the value lent had been repaid)."""
    on = fmt_date(written_off.on) if written_off.on else "—"
    amount = fmt_money(written_off.amount, currency)
    if not written_off.lost:
        return _("Written off on %(date)s: %(amount)s above the value is no longer to be "
                 "repaid. The value lent had been repaid: the fund lost nothing.",
                 date=on, amount=amount)
    if not written_off.premium:
        return _("Written off on %(date)s: %(amount)s of the value lent is no longer to be "
                 "repaid, the fund's loss.", date=on, amount=amount)
    return _("Written off on %(date)s: %(amount)s is no longer to be repaid (%(lost)s of "
             "the value lent, the fund's loss, and %(premium)s above the value).",
             date=on, amount=amount, lost=fmt_money(written_off.lost, currency),
             premium=fmt_money(written_off.premium, currency))


def _closed_slip(data: LoanSlipData) -> bytes:
    """Made anew at each print (not a numbered, stored document): a cancelled
    or written-off loan's slip says so across the page and carries no
    repayment terms, so that a copy found later cannot be read as a debt. A
    written-off loan's slip says when and what was written off, and keeps
    what she had repaid before."""
    s, width = styles(), pdf.frame_width()
    title = _("Seed loan slip")
    if data.written_off is not None:
        mark = pgettext("seed loan slip", "WRITTEN OFF")
        said = [para(written_off_text(data.written_off, data.group.currency), s.body),
                para(_("Nothing more is to be repaid on this loan."), s.body)]
    else:
        mark = pgettext("seed loan slip", "CANCELLED")
        said = [para(_("This loan is cancelled: nothing is to be repaid on it."), s.body)]
    big = ParagraphStyle("closed", parent=s.title, fontSize=28, leading=34,
                         textColor=pdf.INK)
    story: list[Flowable] = [
        _title(title, data.stamp.reference), rich(bold(mark), big), pdf.gap(2), *said,
        pdf.gap(3), _facts(_slip_facts(data), width), pdf.gap(3)]
    if data.written_off is not None:
        story += _repayments(data, width)
    story += [pdf.gap(10),
              KeepTogether([pdf.signatures([_("Borrower (member)"), _("Treasurer")], width)])]
    meta = replace(_meta(data.group, data.stamp, title), watermark=mark)
    return pdf.render(meta, story, subject=data.product)


def _repayments(data: LoanSlipData, width: float) -> list[Flowable]:
    """What she repaid, under its heading; the fund's write-off apart, under
    its own (it is not a repayment)."""
    h2 = styles().h2
    story: list[Flowable] = []
    for heading, lines in (
            (_("Repaid"), [line for line in data.repayments if not line.write_off]),
            (_("Written off"), [line for line in data.repayments if line.write_off])):
        if lines:
            story += [rich(bold(heading), h2), _repayment_table(data, lines, width)]
    return story


def _repayment_table(data: LoanSlipData, lines: list[SlipRepayment], width: float
                     ) -> Flowable:
    s, cur = styles(), data.group.currency
    rows: list[list[Any]] = [[para(h, s.head_right if i >= 2 else s.head) for i, h in
                              enumerate((_("Date"), _("What"), _("Amount"), _("Quantity")))]]
    for line in lines:
        rows.append([fmt_date(line.on), para(line.what, s.cell), fmt_money(line.amount, cur),
                     unit_text.quantity(line.quantity, data.unit) if line.quantity else "—"])
    widths = [28 * mm, width - 98 * mm, 35 * mm, 35 * mm]
    return pdf.table(rows, widths, numeric=(2, 3))


def _loan_slip(data: LoanSlipData) -> bytes:
    if data.cancelled or data.written_off is not None:
        return _closed_slip(data)
    s, width, cur = styles(), pdf.frame_width(), data.group.currency
    title = _("Seed loan slip")
    facts = _slip_facts(data)
    if data.repay_mode == "kind":
        terms = _("You return %(due)s of seed (%(ratio)s times what you borrowed, rounded "
                  "up to the step) to the group's seed stock by %(date)s. It clears the loan "
                  "worth %(money)s.", due=unit_text.quantity(data.due_quantity, data.unit),
                  ratio=_ratio(data.repay_bp), date=fmt_date(data.due_on),
                  money=fmt_money(data.due_money, cur))
    elif data.repay_mode == "payout":
        terms = _("You repay %(money)s (%(ratio)s times the value) from your next sales "
                  "payouts: the group takes it first, before anything else, until it is "
                  "paid. What is left by %(date)s you pay in cash.",
                  money=fmt_money(data.due_money, cur), ratio=_ratio(data.repay_bp),
                  date=fmt_date(data.due_on))
    else:
        terms = _("You repay %(money)s (%(ratio)s times the value) in cash by %(date)s.",
                  money=fmt_money(data.due_money, cur), ratio=_ratio(data.repay_bp),
                  date=fmt_date(data.due_on))
    story: list[Flowable] = [
        _title(title, data.stamp.reference), _facts(facts, width), pdf.gap(3),
        rich(bold(_("Terms")), s.h2), para(terms, s.body),
        para(_("The seed is lent by the group's solidarity fund. What you repay above the "
               "value goes back into the fund, for the next members."), s.small),
        pdf.gap(3), *_repayments(data, width)]
    story += [pdf.gap(2), para(_("Still to repay: %(amount)s",
                                 amount=fmt_money(data.left, cur)), s.body),
              pdf.gap(10),
              KeepTogether([pdf.signatures([_("Borrower (member)"), _("Treasurer")], width)])]
    return pdf.render(_meta(data.group, data.stamp, title), story, subject=data.product)
