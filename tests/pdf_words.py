"""Where each piece of text of a PDF lies, for tests that check that table
columns never collide: every text run (one cell's line, one paragraph line)
with its box, from pypdf's text visitor and DejaVu Sans' metrics."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from coop.documents import pdf

GAP = 2.0  # points between two runs on one line: less reads as one number ("1 38" -> 138)


@dataclass(frozen=True)
class Run:
    page: int
    text: str
    x0: float
    x1: float
    y: float  # baseline
    size: float

    def overlaps_line(self, other: Run) -> bool:
        return self.page == other.page and abs(self.y - other.y) < min(self.size, other.size) * 0.8


def runs(content: bytes) -> list[Run]:
    """Upright text runs (headings written upwards are checked by their own test)."""
    pdf.register_fonts()
    found: list[Run] = []
    for number, page in enumerate(PdfReader(io.BytesIO(content)).pages):
        def visit(text, cm, tm, font, size, number=number) -> None:  # type: ignore[no-untyped-def]
            text = text.rstrip("\n")
            if not text.strip() or font is None:
                return
            a, b, _c, _d, e, f = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                                  0, 0, tm[4] * cm[0] + tm[5] * cm[2] + cm[4],
                                  tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            if abs(b) > 1e-6 or a <= 0:
                return  # rotated
            name = pdf.FONT_BOLD if "Bold" in str(font.get("/BaseFont", "")) else pdf.FONT
            real = size * a
            for line in text.split("\n"):
                if line.strip():
                    width = pdfmetrics.stringWidth(line.rstrip(), name, real)
                    found.append(Run(number, line.rstrip(), e, e + width, f, real))
        page.extract_text(visitor_text=visit)
    return found


def collisions(content: bytes) -> list[str]:
    """Pairs of runs on one line that overlap or come closer than GAP."""
    found = runs(content)
    problems = []
    by_page: dict[int, list[Run]] = {}
    for run in found:
        by_page.setdefault(run.page, []).append(run)
    for page_runs in by_page.values():
        page_runs.sort(key=lambda r: (round(r.y), r.x0))
        for i, one in enumerate(page_runs):
            for other in page_runs[i + 1:]:
                if other.y > one.y + 20:
                    break
                if not one.overlaps_line(other) or one == other:
                    continue
                left, right = (one, other) if one.x0 <= other.x0 else (other, one)
                if right.x0 - left.x1 < GAP:
                    problems.append(f"page {one.page + 1}: “{left.text}” and “{right.text}” "
                                    f"({right.x0 - left.x1:.1f} pt apart)")
    return problems
