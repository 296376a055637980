"""What every PDF of the app shares: the embedded DejaVu Sans (Cyrillic with
the Kyrgyz and Tajik letters; Helvetica would print them as black boxes), A4
pages with margins a cheap printer keeps, the group's name and the document's
number and date on every page, and "page 2 of 5".

Builders (coop.documents.builders) make a story of flowables and hand it to
`render`, which returns the PDF's bytes. Nothing here touches the database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, unescape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONTS = Path(__file__).resolve().parent / "fonts"

# Margins: 15 mm is what the cheapest printers still print; a little more at
# the top and bottom leaves room for the header and footer lines.
MARGIN = 16 * mm
TOP = 24 * mm
BOTTOM = 20 * mm

INK = colors.HexColor("#1d2327")
MUTED = colors.HexColor("#5a6470")
RULE = colors.HexColor("#9aa3ad")
SHADE = colors.HexColor("#ececec")  # light enough for a toner-saving printer
BOX = "\u2610"  # ☐, a tick box


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register DejaVu Sans (regular and bold) once per process."""
    # Compressed streams stay binary: ASCII85 on top would make every PDF a
    # quarter larger and take a third of the build time in pure Python.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                  boldItalic=FONT_BOLD)
    return FONT


# --------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------


class Styles:
    """Paragraph styles, all in DejaVu Sans."""

    def __init__(self) -> None:
        register_fonts()
        base = {"fontName": FONT, "textColor": INK}
        self.body = ParagraphStyle("body", fontSize=9.5, leading=12.5, **base)
        self.small = ParagraphStyle("small", fontSize=8, leading=10, **base)
        self.why = ParagraphStyle("why", fontSize=7.5, leading=9.5, fontName=FONT,
                                  textColor=MUTED)
        self.cell = ParagraphStyle("cell", fontSize=8.5, leading=10.5, **base)
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.cell, fontName=FONT_BOLD)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", fontSize=7.5, leading=9, fontName=FONT_BOLD,
                                   textColor=INK)
        self.head_right = ParagraphStyle("head_right", parent=self.head, alignment=TA_RIGHT)
        self.title = ParagraphStyle("title", fontSize=16, leading=20, fontName=FONT_BOLD,
                                    textColor=INK, spaceAfter=2 * mm)
        self.h2 = ParagraphStyle("h2", fontSize=11.5, leading=14, fontName=FONT_BOLD,
                                 textColor=INK, spaceBefore=4 * mm, spaceAfter=2 * mm)
        self.h3 = ParagraphStyle("h3", fontSize=10, leading=13, fontName=FONT_BOLD,
                                 textColor=INK, spaceBefore=2 * mm, spaceAfter=1 * mm)
        self.total = ParagraphStyle("total", fontSize=11, leading=14, fontName=FONT_BOLD,
                                    textColor=INK, alignment=TA_RIGHT)


@lru_cache(maxsize=1)
def styles() -> Styles:
    return Styles()


def para(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of plain text (escaped: names may hold < or &)."""
    return Paragraph(escape(text), style or styles().body)


def rich(markup: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph whose markup the caller built from escaped parts."""
    return Paragraph(markup, style or styles().body)


def bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------

BASE_TABLE_STYLE: list[tuple[Any, ...]] = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTSIZE", (0, 0), (-1, -1), 8.5),
    ("LEADING", (0, 0), (-1, -1), 10.5),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2.2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
]


def table(rows: Sequence[Sequence[Any]], widths: Sequence[float], *, header_rows: int = 1,
          numeric: Iterable[int] = (), extra: Iterable[tuple[Any, ...]] = (),
          grid: bool = False, font_size: float | None = None, rules: bool = True,
          lean: bool = False) -> Table:
    """A table whose header rows repeat on every page it runs over. Plain
    strings are drawn in DejaVu Sans; `numeric` columns are right-aligned;
    `rules`: a thin line under every row. `lean`: only the commands a big grid
    of numbers needs (each command is applied cell by cell: 50,000 cells of a
    distribution matrix feel every one)."""
    if lean:
        style = [command for command in BASE_TABLE_STYLE
                 if command[0] in ("FONTNAME", "FONTSIZE", "LEADING", "TOPPADDING",
                                   "BOTTOMPADDING")]
    else:
        style = list(BASE_TABLE_STYLE if rules else BASE_TABLE_STYLE[:-1])
    if font_size is not None:
        style = [command for command in style if command[0] not in ("FONTSIZE", "LEADING")]
        style += [("FONTSIZE", (0, 0), (-1, -1), font_size),
                  ("LEADING", (0, 0), (-1, -1), font_size + 2)]
    for column in numeric:
        style.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
    if header_rows:
        style += [("FONTNAME", (0, 0), (-1, header_rows - 1), FONT_BOLD),
                  ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
                  ("VALIGN", (0, 0), (-1, header_rows - 1), "BOTTOM"),
                  ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, INK)]
    if grid:
        style.append(("GRID", (0, 0), (-1, -1), 0.4, RULE))
    style += list(extra)
    rows = [list(row) for row in rows]
    style += fit_cells(rows, list(widths), style)
    result = Table(rows, colWidths=list(widths), repeatRows=header_rows,
                   style=TableStyle(style), hAlign="LEFT")
    return result


# --------------------------------------------------------------------------
# Cells that never run into their neighbours (issue 15)
# --------------------------------------------------------------------------

MIN_SIZE = 5.5
# A minus sign, not a hyphen: at the start of a word (or after a bracket) and
# before a digit. It stays with its number: "-" alone on a line above
# "1 000,00 сом" reads as a positive amount.
_SIGN = r"(?<![^\s(\[])-(?=\d)"
# A piece of a word up to and with its separators: - / _ | always (but a minus
# sign), and . , : ; when no digit follows (-123 456 789,00 is never broken: it
# shrinks).
_TOKEN = re.compile(rf"(?:{_SIGN}|[^-/_|.,:;]|[.,:;](?=\d))*(?:(?!{_SIGN})[-/_|]|[.,:;](?!\d))+"
                    rf"|(?:{_SIGN}|[^-/_|.,:;]|[.,:;](?=\d))+")


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _break_token(token: str, font: str, size: float, width: float) -> list[str]:
    """A word too wide for the column broken only after its separators
    (NS-KAP-03/ 2026), never inside a run of letters or digits."""
    lines, current = [], ""
    for piece in _TOKEN.findall(token):
        if current and _width(current + piece, font, size) > width:
            lines.append(current)
            current = piece
        else:
            current += piece
    return [*lines, current]


def fit_lines(text: str, font: str, size: float, width: float) -> tuple[list[str], float]:
    """The text in lines that fit `width`: broken between words, a long code
    after its separators, and the size made smaller (down to MIN_SIZE) while a
    word still does not fit. Numbers hold no ordinary space (Babel groups
    digits with a no-break space), so an amount is never broken: it shrinks."""
    while True:
        lines: list[str] = []
        for part in text.split("\n"):
            line = ""
            for word in part.split(" "):
                candidate = f"{line} {word}" if line else word
                if _width(candidate, font, size) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                pieces = _break_token(word, font, size, width)
                lines += pieces[:-1]
                line = pieces[-1]
            lines.append(line)
        if size <= MIN_SIZE or all(_width(line, font, size) <= width for line in lines):
            return lines, size
        size = max(size - 0.5, MIN_SIZE)


def _cell_value(commands: list[tuple[Any, ...]], name: str, column: int, row: int,
                columns: int, rows: int, default: Any) -> Any:
    """What the table style's last matching command sets for one cell."""
    value = default
    for command in commands:
        if command[0] != name:
            continue
        (c0, r0), (c1, r1) = command[1], command[2]
        c0, c1 = (c if c >= 0 else columns + c for c in (c0, c1))
        r0, r1 = (r if r >= 0 else rows + r for r in (r0, r1))
        if c0 <= column <= c1 and r0 <= row <= r1:
            value = command[3]
    return value


def _plain(markup: str) -> tuple[str, bool] | None:
    """The text of a paragraph made by para() or rich(bold(...)); None for other markup."""
    bold_text = markup.startswith("<b>") and markup.endswith("</b>")
    inner = markup[3:-4] if bold_text else markup
    if "<" in inner:
        return None
    return unescape(inner), bold_text


def _fit_paragraph(cell: Paragraph, width: float) -> Paragraph:
    style = cell.style
    if cell.minWidth() <= width:
        return cell
    plain = _plain(cell.text)
    font = FONT_BOLD if plain and plain[1] else style.fontName
    if plain is None:
        lines, size = [cell.text], style.fontSize
        while size > MIN_SIZE and Paragraph(cell.text, ParagraphStyle(
                "fit", parent=style, fontSize=size, leading=size * 1.2)).minWidth() > width:
            size -= 0.5
        markup = cell.text
    else:
        lines, size = fit_lines(plain[0], font, style.fontSize, width)
        markup = "<br/>".join(escape(line) for line in lines)
        if plain[1]:
            markup = f"<b>{markup}</b>"
    fitted = ParagraphStyle("fit", parent=style, fontSize=size,
                            leading=style.leading * size / style.fontSize)
    return Paragraph(markup, fitted)


def fit_cells(rows: list[list[Any]], widths: list[float],
              style: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Make every cell fit its column (or its span): plain strings broken into
    lines, paragraphs given their breaks; what still does not fit gets a
    smaller font. Returns the style commands for the cells made smaller."""
    count, columns = len(rows), len(widths)
    spans: dict[tuple[int, int], float] = {}
    hidden: set[tuple[int, int]] = set()
    for command in style:
        if command[0] == "SPAN":
            (c0, r0), (c1, r1) = command[1], command[2]
            c0, c1 = (c if c >= 0 else columns + c for c in (c0, c1))
            r0, r1 = (r if r >= 0 else count + r for r in (r0, r1))
            spans[(c0, r0)] = sum(widths[c0:c1 + 1])
            hidden |= {(c, r) for c in range(c0, c1 + 1) for r in range(r0, r1 + 1)} - {(c0, r0)}
    # a cell that fits at the largest size, in bold, with the widest padding
    # needs no closer look (most cells: one width computed per cell)
    largest = max([10.0, *(command[3] for command in style if command[0] == "FONTSIZE")])
    padding = max([6.0, *(command[3] for command in style if command[0] in (
        "LEFTPADDING", "RIGHTPADDING"))]) * 2
    extra: list[tuple[Any, ...]] = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if (c, r) in hidden or c >= columns:
                continue
            if isinstance(cell, str) and all(
                    _width(line, FONT_BOLD, largest) <= widths[c] - padding
                    for line in cell.split("\n")):
                continue
            room = spans.get((c, r), widths[c]) - (
                _cell_value(style, "LEFTPADDING", c, r, columns, count, 6)
                + _cell_value(style, "RIGHTPADDING", c, r, columns, count, 6))
            if isinstance(cell, str) and cell:
                font = _cell_value(style, "FONTNAME", c, r, columns, count, FONT)
                size = _cell_value(style, "FONTSIZE", c, r, columns, count, 10)
                if all(_width(line, font, size) <= room for line in cell.split("\n")):
                    continue
                lines, fitted = fit_lines(cell, font, size, room)
                row[c] = "\n".join(lines)
                if fitted != size:
                    extra += [("FONTSIZE", (c, r), (c, r), fitted),
                              ("LEADING", (c, r), (c, r), fitted + 2)]
            elif isinstance(cell, Paragraph):
                row[c] = _fit_paragraph(cell, room)
            elif isinstance(cell, list):
                row[c] = [_fit_paragraph(item, room) if isinstance(item, Paragraph) else item
                          for item in cell]
    return extra


# Where a line may break: ordinary white space, never a no-break space (Babel
# groups digits and joins the currency with them: ReportLab's simpleSplit would
# break "-1 000 000,00 сом" at every one).
_BREAK = re.compile(r"[^\S\u00a0\u2007\u202f]+")


def wrapped(text: str, font: str, size: float, width: float) -> str:
    """The text broken into lines that fit `width`, for a plain table cell:
    much faster than a Paragraph, which matters for 500 invoices at once."""
    space = _width(" ", font, size)
    lines: list[str] = []
    for part in text.split("\n"):
        words: list[str] = []
        used = -space
        for word in _BREAK.split(part.strip()):
            word_width = _width(word, font, size)
            if words and used + space + word_width > width:
                lines.append(" ".join(words))
                words, used = [], -space
            words.append(word)
            used += space + word_width
        lines.append(" ".join(words))
    return "\n".join(lines)


def column_blocks(count: int, available: float, first: float, each: float) -> list[range]:
    """Split `count` columns of width `each` into blocks that fit `available`
    beside a first column of width `first` (repeated in every block)."""
    per_block = max(int((available - first) // each), 1)
    return [range(start, min(start + per_block, count)) for start in range(0, count, per_block)]


def column_width(count: int, available: float, first: float, narrowest: float,
                 widest: float) -> float:
    """Columns as wide as the page allows when there are few of them."""
    if count <= 0:
        return narrowest
    return max(narrowest, min(widest, (available - first) / count))


def totals_table(rows: Sequence[tuple[str, str]], width: float, *, strong_last: bool = True
                 ) -> Table:
    """Label / amount pairs, right-aligned under a table of lines."""
    s = styles()
    data = [[para(label, s.cell_bold if strong_last and i == len(rows) - 1 else s.cell), value]
            for i, (label, value) in enumerate(rows)]
    extra: list[tuple[Any, ...]] = [("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE)]
    if strong_last and rows:
        extra += [("FONTNAME", (1, -1), (1, -1), FONT_BOLD),
                  ("LINEABOVE", (0, -1), (-1, -1), 0.9, INK)]
    return table(data, [width * 0.68, width * 0.32], header_rows=0, numeric=(1,), extra=extra)


class SignatureLine(Flowable):
    """A line to sign on, with what it is for written under it."""

    def __init__(self, label: str, width: float = 70 * mm) -> None:
        super().__init__()
        self.label = label
        self.width = width
        self.height = 14 * mm

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.6)
        canvas.line(0, 5 * mm, self.width, 5 * mm)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(0, 1.5 * mm, self.label)


class VerticalLabel(Flowable):
    """A column heading written upwards, for narrow columns of a matrix: the
    text in as many upward lines as the column has room for (shortened only
    past them), and the unit always on its own last line."""

    def __init__(self, text: str, height: float, size: float = 7, unit: str = "") -> None:
        super().__init__()
        self.size = size
        self.height = height
        self.text = text
        self.unit = unit
        self.lines: list[str] = [text]

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        leading = self.size * 1.2
        room = max(int((available_width - 4) // leading), 1)
        unit = [fit(f"({self.unit})", FONT, self.size, self.height)] if self.unit else []
        room = max(room - len(unit), 1)
        lines, _size = fit_lines(self.text, FONT_BOLD, self.size, self.height)
        if len(lines) > room:
            lines = [*lines[:room - 1], fit(" ".join(lines[room - 1:]), FONT_BOLD, self.size,
                                            self.height)]
        self.lines = [*lines, *unit]
        return available_width, self.height

    def draw(self) -> None:
        canvas = self.canv
        leading = self.size * 1.2
        canvas.saveState()
        canvas.translate((self.width - leading * len(self.lines)) / 2 + self.size, 0)
        canvas.rotate(90)
        canvas.setFillColor(INK)
        for number, line in enumerate(self.lines):
            unit_line = bool(self.unit) and number == len(self.lines) - 1
            canvas.setFont(FONT if unit_line else FONT_BOLD, self.size)
            canvas.drawString(0, -number * leading, line)
        canvas.restoreState()


def signatures(labels: Sequence[str], width: float) -> Table:
    """Signature lines side by side."""
    each = width / max(len(labels), 1)
    cells = [SignatureLine(label, each - 8 * mm) for label in labels]
    return Table([cells], colWidths=[each] * len(cells), hAlign="LEFT",
                 style=TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))


def gap(height_mm: float = 3) -> Spacer:
    return Spacer(1, height_mm * mm)


# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PageMeta:
    """What every page says besides its content (already in the document's language)."""

    group_name: str
    group_place: str  # village, region
    title: str  # "Invoice", "Distribution sheet"
    reference: str  # the number (INV-2026-0007), or a reference for unnumbered sheets
    date: str  # formatted in the document's language
    page_label: str  # "Page %(page)d of %(pages)d", translated
    watermark: str = ""  # across every page in big grey letters ("DRAFT — not confirmed")


def _page_text(meta: PageMeta, page: int, pages: int) -> str:
    return meta.page_label % {"page": page, "pages": pages}


class _NumberedCanvas(Canvas):
    """Keeps every page until the end, so that each can say how many there are."""

    meta: PageMeta

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture(number, total)
            super().showPage()
        super().save()

    def _furniture(self, page: int, pages: int) -> None:
        meta = self.meta
        width, height = self._pagesize
        line = width - 2 * MARGIN
        # the number whole: a long title (in Kyrgyz) is what is shortened
        title = _fit_before(meta.title, f" {meta.reference}" if meta.reference else "",
                            FONT_BOLD, 8.5, line / 2)
        room = line - pdfmetrics.stringWidth(title, FONT_BOLD, 8.5) - 8 * mm
        self.saveState()
        self.setFillColor(INK)
        self.setFont(FONT_BOLD, 8.5)
        self.drawString(MARGIN, height - 12 * mm, fit(meta.group_name, FONT_BOLD, 8.5, room))
        self.drawRightString(width - MARGIN, height - 12 * mm, title)
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, height - 15.5 * mm, fit(meta.group_place, FONT, 7.5, room))
        self.drawRightString(width - MARGIN, height - 15.5 * mm, meta.date)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, height - 17.5 * mm, width - MARGIN, height - 17.5 * mm)
        self.line(MARGIN, 14 * mm, width - MARGIN, 14 * mm)
        footer = _fit_before(meta.group_name, f" · {meta.reference}" if meta.reference else "",
                             FONT, 7.5, line - 40 * mm)
        self.drawString(MARGIN, 10 * mm, footer)
        self.drawRightString(width - MARGIN, 10 * mm, _page_text(meta, page, pages))
        if meta.watermark:
            self._watermark(meta.watermark, width, height)
        self.restoreState()

    def _watermark(self, text: str, width: float, height: float) -> None:
        size = 44.0
        while size > 14 and pdfmetrics.stringWidth(text, FONT_BOLD, size) > width * 0.95:
            size -= 2
        self.saveState()
        self.translate(width / 2, height / 2)
        self.rotate(30)
        self.setFillColor(RULE)
        self.setFillAlpha(0.3)
        self.setFont(FONT_BOLD, size)
        self.drawCentredString(0, 0, text)
        self.restoreState()


def _fit_before(text: str, kept: str, font: str, size: float, width: float) -> str:
    """`text` shortened as fit() does, then `kept` whole (a document's number)."""
    room = width - pdfmetrics.stringWidth(kept, font, size)
    return fit(text, font, size, max(room, 0)) + kept


def fit(text: str, font: str, size: float, width: float) -> str:
    """The text, shortened with an ellipsis if it would not fit `width`."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


PORTRAIT, LANDSCAPE = "portrait", "landscape"


def frame_width(orientation: str = PORTRAIT) -> float:
    size = A4 if orientation == PORTRAIT else landscape(A4)
    return size[0] - 2 * MARGIN


def to_landscape() -> NextPageTemplate:
    return NextPageTemplate(LANDSCAPE)


def to_portrait() -> NextPageTemplate:
    return NextPageTemplate(PORTRAIT)


def render(meta: PageMeta, story: list[Flowable], *, first: str = PORTRAIT,
           subject: str = "") -> bytes:
    """Lay out the story on A4 pages (portrait or landscape, switched with
    to_landscape() / to_portrait() in the story) and return the PDF."""
    register_fonts()
    out = BytesIO()
    templates = []
    for name, size in ((PORTRAIT, A4), (LANDSCAPE, landscape(A4))):
        frame = Frame(MARGIN, BOTTOM, size[0] - 2 * MARGIN, size[1] - TOP - BOTTOM,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id=name)
        templates.append(PageTemplate(id=name, frames=[frame], pagesize=size))
    if first == LANDSCAPE:
        templates.reverse()
    doc = BaseDocTemplate(out, pagesize=A4 if first == PORTRAIT else landscape(A4),
                          pageTemplates=templates, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=TOP, bottomMargin=BOTTOM, initialFontName=FONT,
                          title=f"{meta.title} {meta.reference}".strip(),
                          author=meta.group_name, subject=subject, creator="Coop",
                          pageCompression=1)

    class PageCanvas(_NumberedCanvas):
        pass

    PageCanvas.meta = meta
    doc.build(story, canvasmaker=PageCanvas)
    return out.getvalue()
