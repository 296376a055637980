"""The split changed line by line (coop/orders/live.py) is always the split of
the whole round: after any sequence of orders added, changed and taken away,
on any round, field by field and to the minor unit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coop.orders.live import LiveSplit
from coop.orders.split import Scenario, ScenarioError, parse_scenario, run, to_result
from tests.unit.test_split_properties import CURRENCIES, _money, scenarios

Asks = dict[tuple[int, int], tuple[int, int]]


def _asks(parsed: Scenario) -> Asks:
    return {(m, p): (q, t) for p, asked in enumerate(parsed.demand)
            for m, q, t in zip(asked.members, asked.quantities, asked.tolerances, strict=True)}


def _with_asks(scenario: dict[str, Any], parsed: Scenario, asks: Asks) -> dict[str, Any]:
    """The scenario with these requests, one line per member and product, as JSON."""
    return {**scenario, "requests": [
        {"member": parsed.members[m].id, "product": parsed.products[p].id,
         "quantity": parsed.quantity_text(q), "tolerance": parsed.quantity_text(t)}
        for (m, p), (q, t) in sorted(asks.items())]}


@st.composite
def rounds(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario with at least one member and one product; some products
    with a supplier's credit note (the app's extension)."""
    scenario = draw(scenarios())
    assume(scenario["members"] and scenario["products"])
    digits = CURRENCIES[scenario["currency"]]
    for product in scenario["products"]:
        if "received" in product and draw(st.booleans()):
            product["credit"] = _money(draw(st.integers(0, 2000)), digits)
    return scenario


@st.composite
def changes(draw: st.DrawFn, parsed: Scenario) -> list[tuple[int, int, int, int]]:
    """One to three lines set at once: added, changed or taken away (0, 0)."""
    batch = []
    for _ in range(draw(st.integers(1, 3))):
        p = draw(st.integers(0, len(parsed.products) - 1))
        step = parsed.products[p].granularity
        quantity = step * draw(st.integers(0, 12))
        tolerance = step * draw(st.integers(0, 6)) if quantity else 0
        if draw(st.integers(0, 3)) == 0:
            quantity = tolerance = 0
        batch.append((draw(st.integers(0, len(parsed.members) - 1)), p, quantity, tolerance))
    return batch


def _parsed(scenario: dict[str, Any]) -> Scenario | None:
    try:
        return parse_scenario(scenario, extensions=True)
    except ScenarioError:
        return None


@settings(max_examples=300, deadline=None)
@given(rounds(), st.data())
def test_line_by_line_the_split_is_always_the_full_split(scenario: dict[str, Any],
                                                         data: st.DataObject) -> None:
    parsed = _parsed(scenario)
    assume(parsed is not None)
    try:
        live = LiveSplit(parsed)
    except ScenarioError:
        assume(False)
    asks = _asks(parsed)
    for _ in range(data.draw(st.integers(1, 8))):
        batch = data.draw(changes(parsed))
        earlier = live.outcome
        earlier_result = to_result(earlier)
        wanted = dict(asks)
        for m, p, q, t in batch:
            if q or t:
                wanted[(m, p)] = (q, t)
            else:
                wanted.pop((m, p), None)
        expected_scenario = _with_asks(scenario, parsed, wanted)
        try:
            expected = run(parse_scenario(expected_scenario, extensions=True))
        except ScenarioError as exc:
            with pytest.raises(ScenarioError, match=re.escape(str(exc))):
                live.change(batch)
            live = LiveSplit(parse_scenario(_with_asks(scenario, parsed, asks),
                                            extensions=True))
            continue
        outcome = live.change(batch)
        assert outcome == expected  # every field, every split's basis and shares
        assert to_result(outcome) == to_result(expected)
        assert live.scenario == expected.scenario
        assert to_result(earlier) == earlier_result  # the earlier outcome is left as it was
        asks = wanted


def test_a_change_that_changes_nothing_gives_the_same_split() -> None:
    scenario = {
        "currency": "KGS", "members": [{"id": "a"}, {"id": "b"}],
        "products": [{"id": "seed", "pack_size": "5",
                      "price_tiers": [{"min_qty": "0", "unit_price": "10"}]}],
        "requests": [{"member": "a", "product": "seed", "quantity": "3", "tolerance": "2"},
                     {"member": "b", "product": "seed", "quantity": "4", "tolerance": "0"}],
        "shared_costs": [{"name": "truck", "amount": "100", "rule": "value"}],
        "cash_rounding": "1",
    }
    live = LiveSplit(parse_scenario(scenario))
    before = to_result(live.outcome)
    assert to_result(live.change([(0, 0, 3, 2)])) == before
    assert live.lines_of(0) == 1
    live.change([(0, 0, 0, 0)])
    assert live.lines_of(0) == 0
    # b alone: 4 firm fill no pack of 5, and nobody gets anything
    assert to_result(live.outcome)["products"][0]["packs"] == 0
