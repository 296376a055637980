"""Pieces every document is made of: the page header's facts, the title, the
two address blocks, label–value lines, a right-aligned table. Shared by the
builders of every feature, so that every document looks the same and names its
fonts (a table that names none falls back to Helvetica, which has no Cyrillic)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.platypus import Flowable, Table

from coop.documents import pdf
from coop.documents.domain import GroupInfo, Stamp
from coop.documents.pdf import bold, para, rich, styles
from coop.i18n import fmt_date


def meta(group: GroupInfo, stamp: Stamp, title: str) -> pdf.PageMeta:
    return pdf.PageMeta(group_name=group.name, group_place=group.place, title=title,
                        reference=stamp.reference, date=fmt_date(stamp.issued_on),
                        page_label=_("Page %(page)d of %(pages)d"))


def title(title: str, reference: str) -> Flowable:
    return rich(f"{escape(title)} <font color='#5a6470'>{escape(reference)}</font>",
                styles().title)


def facts(rows: Sequence[tuple[str, str]], width: float) -> Table:
    """Label: value lines, the labels in grey."""
    s = styles()
    data = [[label, para(value, s.cell)] for label, value in rows if value]
    return pdf.table(data, [width * 0.3, width * 0.7], header_rows=0,
                     extra=[("LINEBELOW", (0, 0), (-1, -1), 0, pdf.SHADE),
                            ("TEXTCOLOR", (0, 0), (0, -1), pdf.MUTED),
                            ("FONTSIZE", (0, 0), (0, -1), 7.5),
                            ("TOPPADDING", (0, 0), (-1, -1), 0.8),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.8)])


def parties(left_title: str, left: Sequence[str], right_title: str, right: Sequence[str],
             width: float) -> Table:
    """Two address blocks side by side."""
    s = styles()

    def block(title: str, lines: Sequence[str]) -> list[Flowable]:
        body = [para(title, s.why)]
        body += [rich(bold(lines[0]), s.cell)] if lines else []
        body += [para(line, s.cell) for line in lines[1:] if line]
        return body

    return Table([[block(left_title, left), block(right_title, right)]],
                 colWidths=[width / 2, width / 2], hAlign="LEFT",
                 style=[("FONTNAME", (0, 0), (-1, -1), pdf.FONT),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BOX", (0, 0), (0, 0), 0.4, pdf.RULE),
                        ("BOX", (1, 0), (1, 0), 0.4, pdf.RULE),
                        ("LEFTPADDING", (0, 0), (-1, -1), 5),
                        ("TOPPADDING", (0, 0), (-1, -1), 4),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 5)])


def group_lines(group: GroupInfo) -> list[str]:
    lines = [group.name, group.place]
    if group.treasurer:
        lines.append(_("Treasurer: %(name)s", name=group.treasurer)
                     + (f", {group.treasurer_phone}" if group.treasurer_phone else ""))
    return lines


def align_right(flowable: Flowable, width: float) -> Table:
    """Push a narrower table to the right edge of the frame."""
    inner = flowable.wrap(width, 1000)[0]
    return Table([["", flowable]], colWidths=[width - inner, inner], hAlign="LEFT",
                 style=[("FONTNAME", (0, 0), (-1, -1), pdf.FONT),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
