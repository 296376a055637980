"""The dashboard's charts: a negative value is a bar left of zero, and text is
drawn at phone size (the chart is about as wide as a 390 px screen)."""

from __future__ import annotations

from coop import charts


def test_a_negative_value_is_drawn_left_of_zero() -> None:
    chart = charts.bar_chart([("Весна", 50_000, "500,00"), ("Осень", -20_000, "-200,00")])
    up, down = chart.bars
    assert not up.negative and down.negative
    assert up.x == chart.zero_x and up.width > 0
    assert down.x + down.width == chart.zero_x and down.width == up.width * 2 // 5
    assert down.x >= charts.PAD_LEFT


def test_all_positive_starts_at_the_left_and_labels_are_whole_or_marked() -> None:
    long = "Осенний заказ: семена, инструменты и плёнка для теплиц"
    chart = charts.bar_chart([(long, 10, "0,10"), ("Весна", 0, "0,00")])
    assert chart.zero_x == charts.PAD_LEFT
    assert chart.bars[0].label.endswith("…") and len(chart.bars[0].label) == charts.LABEL_CHARS
    assert chart.bars[1].label == "Весна"
    assert chart.height >= 2 * charts.ROW
    # drawn at most a little wider than a phone: 13-unit text stays 12 px or more
    assert charts.WIDTH <= 374 * 13 / 12
