"""Server-side SVG charts: geometry only (the templates draw it). No
JavaScript, nothing from other hosts, and presentation attributes rather than
inline styles, which the Content-Security-Policy forbids."""

from __future__ import annotations

from dataclasses import dataclass

# Drawn at about its own size on a 390 px phone, so that 13-unit text reads as
# 13 px there (issue 15: a 600-wide chart shrank its text to 7 px).
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 340, 200, 8, 40, 16
ROW, LABEL_SIZE, BAR_HEIGHT, VALUE_ROOM = 46, 13, 16, 112
LABEL_CHARS = 40


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value_text: str
    label_y: int
    value_y: int
    negative: bool


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one row each: the label on its own line (so a long round
    title has the whole width), the bar under it from the zero line, and the
    value at the right edge; a negative value is a bar to the left of zero."""
    bars: list[Bar]
    width: int = WIDTH
    height: int = 0
    zero_x: int = PAD_LEFT
    font_size: int = LABEL_SIZE
    value_x: int = WIDTH - PAD_LEFT


def bar_chart(values: list[tuple[str, int, str]]) -> BarChart:
    """(label, value, value as text) -> bars scaled to the largest magnitude."""
    if not values:
        return BarChart([])
    low = min(0, *(v for _l, v, _t in values))
    high = max(0, *(v for _l, v, _t in values))
    span = max(high - low, 1)
    plot = WIDTH - 2 * PAD_LEFT - VALUE_ROOM
    zero_x = PAD_LEFT + (-low) * plot // span
    bars = []
    for i, (label, value, text) in enumerate(values):
        top = PAD_TOP // 2 + i * ROW
        length = abs(value) * plot // span
        x = zero_x if value >= 0 else zero_x - length
        short = label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"
        bars.append(Bar(x, top + LABEL_SIZE + 6, max(length, 1), BAR_HEIGHT, short, text,
                        top + LABEL_SIZE, top + LABEL_SIZE + 6 + BAR_HEIGHT - 3, value < 0))
    return BarChart(bars, height=PAD_TOP // 2 + len(values) * ROW + 4, zero_x=zero_x)


@dataclass(frozen=True)
class LineChart:
    points: str  # "x,y x,y …" for <polyline>
    width: int
    height: int
    first: str
    last: str
    low_text: str
    high_text: str
    zero_y: int | None


def step_chart(series: list[tuple[str, int]], low_text: str, high_text: str) -> LineChart | None:
    """A balance over time as a step line: (label, balance) in time order."""
    if not series:
        return None
    values = [v for _l, v in series]
    low, high = min(min(values), 0), max(max(values), 1)
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = (WIDTH - 2 * PAD_LEFT) // max(len(series), 1)

    def y(value: int) -> int:
        return PAD_TOP + (high - value) * plot // (high - low)

    points: list[str] = []
    for i, (_label, value) in enumerate(series):
        x0, x1 = PAD_LEFT + i * step, PAD_LEFT + (i + 1) * step
        points += [f"{x0},{y(value)}", f"{x1},{y(value)}"]
    return LineChart(" ".join(points), WIDTH, HEIGHT, series[0][0], series[-1][0], low_text,
                     high_text, y(0) if low < 0 else None)
