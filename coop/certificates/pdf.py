"""Label sheets: A4 sheets of self-adhesive labels, each with the brand (and
its logo), product, grade, net quantity, lot number, group and village,
packing and best-before dates, the certificate's number when the lot may carry
it, and a QR code with a short code that open the lot's public traceability
page. Drawn straight on the canvas (labels have fixed places); DejaVu Sans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import pgettext
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from coop.certificates.domain import LABEL_SIZES
from coop.documents import pdf
from coop.documents.pdf import FONT, FONT_BOLD, INK, MUTED, RULE, fit, fit_lines
from coop.i18n import fmt_date


@dataclass(frozen=True)
class LabelData:
    brand: str
    brand_text: str
    logo: Path | None
    product: str
    grade: str
    net: str  # "5 кг", formatted
    lot: str  # "№ 12"
    group: str
    village: str
    packed_on: date
    best_before: date
    certificate: str  # "kind\nnumber" (Declaration of conformity / ЕАЭС N RU Д-KG…), or ""
    url: str  # the public traceability page
    code: str  # its short code


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0,
                                             size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _shrunk(text: str, size: float, width: float, floor: float = 4.0) -> float:
    """A size at which `text` fits `width` (a number is never cut while it can shrink)."""
    wide = pdf._width(text, FONT, size)
    return size if wide <= width else max(floor, size * width / wide)


def _label(canvas: Canvas, data: LabelData, x: float, y: float, w: float, h: float) -> None:
    pad = 3 * mm if h > 50 * mm else 2 * mm
    scale = max(0.62, min(1.4, h / (74 * mm)))
    big, normal, small = 11 * scale, 7.6 * scale, 6.2 * scale
    full_w = w - 2 * pad
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.3)
    canvas.setDash(1, 2)
    canvas.rect(x, y, w, h)  # the cut line, dotted
    canvas.setDash()
    top = y + h - pad
    left = x + pad
    canvas.setFillColor(INK)
    if data.brand:
        brand_left = left
        side = big * 1.6
        if data.logo is not None:
            try:
                logo = ImageReader(str(data.logo))
                lw, lh = logo.getSize()
                logo_w = side * lw / max(lh, 1)
                canvas.drawImage(logo, left, top - side + big * 0.35, width=logo_w,
                                 height=side, mask="auto")
                brand_left = left + logo_w + 1.5 * mm
            except Exception:  # an unreadable logo: the label prints without it
                brand_left = left
        canvas.setFont(FONT_BOLD, big)
        canvas.drawString(brand_left, top - big, fit(data.brand, FONT_BOLD, big,
                                                     left + full_w - brand_left))
        top -= max(big * 1.45, side if data.logo is not None else 0)
        if data.brand_text and h > 40 * mm:
            canvas.setFont(FONT, small)
            canvas.setFillColor(MUTED)
            canvas.drawString(left, top - small, fit(data.brand_text, FONT, small, full_w))
            canvas.setFillColor(INK)
            top -= small * 1.5
    lines, size = fit_lines(data.product, FONT_BOLD, big, full_w)
    canvas.setFont(FONT_BOLD, size)
    for line in lines[:2]:
        canvas.drawString(left, top - size, fit(line, FONT_BOLD, size, full_w))
        top -= size * 1.25
    # The lower block: the facts on the left, the QR code and its short code on the right.
    lower = top - (y + pad)
    qr = max(10 * mm, min(lower - small - 1 * mm, w * 0.32))
    text_w = full_w - qr - 2 * mm
    rows = [(_("Grade"), data.grade), (pgettext("label", "Net"), data.net), (_("Lot"), data.lot),
            (_("Packed"), fmt_date(data.packed_on)),
            (_("Best before"), fmt_date(data.best_before))]
    place = f"{data.group}, {data.village}" if data.village else data.group
    count = len(rows) + (2 if data.certificate else 0) + 2
    line_size = max(4.2, min(normal, lower / (count * 1.2)))
    step = line_size * 1.2
    label_w = max(pdf._width(f"{name}:", FONT_BOLD, line_size) for name, _v in rows)
    for name, value in rows:
        top -= step
        canvas.setFont(FONT_BOLD, line_size)
        canvas.drawString(left, top, f"{name}:")
        room_w = text_w - label_w - 1 * mm
        value_size = _shrunk(value, line_size, room_w)
        canvas.setFont(FONT, value_size)
        canvas.drawString(left + label_w + 1 * mm, top, fit(value, FONT, value_size, room_w))
    if data.certificate:
        kind, _sep, number = data.certificate.partition("\n")
        top -= step
        canvas.setFont(FONT_BOLD, line_size)
        canvas.drawString(left, top, fit(kind, FONT_BOLD, line_size, text_w))
        top -= step
        number_size = _shrunk(number, line_size, text_w)
        canvas.setFont(FONT, number_size)
        canvas.drawString(left, top, fit(number, FONT, number_size, text_w))
    place_lines, place_size = fit_lines(place, FONT, line_size, text_w)
    canvas.setFont(FONT, place_size)
    canvas.setFillColor(MUTED)
    for line in place_lines[:2]:
        top -= place_size * 1.2
        canvas.drawString(left, top, fit(line, FONT, place_size, text_w))
    canvas.setFillColor(INK)
    qx, qy = x + w - pad - qr, y + pad + small + 1 * mm
    _qr(canvas, data.url, qx, qy, qr)
    canvas.setFont(FONT, small)
    canvas.drawCentredString(qx + qr / 2, y + pad, fit(data.code, FONT, small, qr + 2 * mm))


def label_sheet_pdf(data: LabelData, size_key: str, count: int) -> bytes:
    """`count` labels of `size_key` (coop.certificates.domain.LABEL_SIZES)."""
    pdf.register_fonts()
    size = LABEL_SIZES[size_key]
    out = BytesIO()
    page_w, page_h = A4
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{_('Labels')} {data.product} {data.lot}")
    canvas.setAuthor(data.group)
    canvas.setCreator("Coop")
    w, h = size.width_mm * mm, size.height_mm * mm
    margin_x = (page_w - size.columns * w) / 2
    margin_y = (page_h - size.rows * h) / 2
    per_page = size.columns * size.rows
    for index in range(count):
        if index and index % per_page == 0:
            canvas.showPage()
        place = index % per_page
        column, row = place % size.columns, place // size.columns
        _label(canvas, data, margin_x + column * w, page_h - margin_y - (row + 1) * h, w, h)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
