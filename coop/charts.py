"""Server-side SVG charts: geometry only (the templates draw it). No
JavaScript, nothing from other hosts, and presentation attributes rather than
inline styles, which the Content-Security-Policy forbids."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 600, 220, 8, 40, 16


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value_text: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = HEIGHT - PAD_BOTTOM


def bar_chart(values: list[tuple[str, int, str]]) -> BarChart:
    """(label, value ≥ 0, value as text) -> bars scaled to the tallest."""
    if not values:
        return BarChart([])
    top = max(max(v for _l, v, _t in values), 1)
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = (WIDTH - PAD_LEFT) // len(values)
    width = max(min(slot * 2 // 3, 90), 4)
    bars = []
    for i, (label, value, text) in enumerate(values):
        height = max(value, 0) * plot // top
        x = PAD_LEFT + i * slot + (slot - width) // 2
        bars.append(Bar(x, HEIGHT - PAD_BOTTOM - height, width, height, label[:24], text))
    return BarChart(bars)


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
