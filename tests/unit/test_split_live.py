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


@settings(max_examples=200, deadline=None)
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
    previous = run(parsed)  # the full split before each change
    for _ in range(data.draw(st.integers(1, 8))):
        batch = data.draw(changes(parsed))
        earlier = live.outcome  # (its bills are worked out only after the change below)
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
            previous = live.outcome
            continue
        outcome = live.change(batch)
        # each member's bill, read before the rest is worked out (as a page
        # reads hers), is her bill in the whole split, with its costs' bases
        bills = [live.outcome.bill(m) for m in range(len(outcome.scenario.members))]
        assert bills == [expected.bill(m) for m in range(len(expected.scenario.members))]
        assert outcome == expected  # every field, every split's basis and shares
        assert to_result(outcome) == to_result(expected)
        assert live.scenario == expected.scenario
        # the earlier outcome is left as it was, even worked out after this change
        assert earlier == previous and to_result(earlier) == to_result(previous)
        previous = expected
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


def _as_the_app_makes_it(scenario: dict[str, Any], parsed: Scenario,
                         asks: dict[tuple[str, int], tuple[int, int]]) -> dict[str, Any]:
    """The scenario whose members are those who ask for something, in the
    order of `scenario`'s members (as the app lists members by membership)."""
    asking = {m for m, _ in asks}
    return {**scenario,
            "members": [m for m in scenario["members"] if m["id"] in asking],
            "requests": [{"member": m, "product": parsed.products[p].id,
                          "quantity": parsed.quantity_text(q),
                          "tolerance": parsed.quantity_text(t)}
                         for (m, p), (q, t) in sorted(asks.items())]}


@settings(max_examples=200, deadline=None)
@given(rounds(), st.data())
def test_members_join_and_leave_as_they_ask_for_something_or_nothing(
        scenario: dict[str, Any], data: st.DataObject) -> None:
    """`change_asks`: the member who orders her first line joins the split at
    her place in the members' order, the one whose last line is taken away
    leaves it; every split after it is the full split of that round."""
    everyone = _parsed(scenario)
    assume(everyone is not None)
    order = {m["id"]: i for i, m in enumerate(scenario["members"])}
    asks = {(everyone.members[m].id, p): qt for (m, p), qt in _asks(everyone).items()}
    parsed = _parsed(_as_the_app_makes_it(scenario, everyone, asks))
    assume(parsed is not None)
    try:
        live = LiveSplit(parsed)
    except ScenarioError:
        assume(False)
    names = {m.id: m.name for m in everyone.members}
    previous = run(parsed)
    for _ in range(data.draw(st.integers(1, 8))):
        batch = [(everyone.members[m].id, p, q, t) for m, p, q, t in data.draw(changes(everyone))]
        wanted = dict(asks)
        for m, p, q, t in batch:
            if q or t:
                wanted[(m, p)] = (q, t)
            else:
                wanted.pop((m, p), None)
        try:
            expected = run(parse_scenario(_as_the_app_makes_it(scenario, everyone, wanted),
                                          extensions=True))
        except ScenarioError as exc:
            with pytest.raises(ScenarioError, match=re.escape(str(exc))):
                live.change_asks(batch, names, order.__getitem__)
            live = LiveSplit(parse_scenario(_as_the_app_makes_it(scenario, everyone, asks),
                                            extensions=True))
            previous = live.outcome
            continue
        earlier = live.outcome  # (its bills are worked out only after the change below)
        outcome = live.change_asks(batch, names, order.__getitem__)
        bills = [outcome.bill(m) for m in range(len(outcome.scenario.members))]
        assert bills == [expected.bill(m) for m in range(len(expected.scenario.members))]
        assert outcome == expected
        assert to_result(outcome) == to_result(expected)
        # renumbering left the earlier outcome as it was, even worked out only now
        assert earlier == previous and to_result(earlier) == to_result(previous)
        previous = expected
        asks = wanted


def test_a_member_joins_at_her_place_and_leaves_again() -> None:
    scenario = {
        "currency": "KGS", "members": [{"id": "a"}, {"id": "c"}],
        "products": [{"id": "seed", "pack_size": "5",
                      "price_tiers": [{"min_qty": "0", "unit_price": "10"}]}],
        "requests": [{"member": "a", "product": "seed", "quantity": "3", "tolerance": "1"},
                     {"member": "c", "product": "seed", "quantity": "3", "tolerance": "1"}],
        "shared_costs": [{"name": "truck", "amount": "100", "rule": "equal"}],
    }
    live = LiveSplit(parse_scenario(scenario))
    order = {"a": 0, "b": 1, "c": 2}.__getitem__
    joined = live.change_asks([("b", 0, 1, 0)], {"b": "Бермет"}, order)
    assert [m.id for m in joined.scenario.members] == ["a", "b", "c"]
    # one pack of 5 for 7 firm: 2, 1, 2 by largest remainder (b's 5/7 is the largest
    # fraction); the truck 33.34, 33.33, 33.33
    assert [m.total for m in joined.members] == [5334, 4333, 5333]
    left = live.change_asks([("a", 0, 0, 0)], {}, order)
    assert [m.id for m in left.scenario.members] == ["b", "c"]
    assert left == run(left.scenario)


def test_an_outcome_worked_out_after_later_changes_has_its_own_figures() -> None:
    """The rules over the members are worked out when an outcome is read; the
    live split has changed its sums since. The last member leaves (nobody is
    in the split, and a product has a retail price) and joins again: the
    outcome of the empty round, read only then, is still the empty round's."""
    scenario = {
        "currency": "KGS", "members": [{"id": "a"}],
        "products": [{"id": "seed", "pack_size": "1", "retail_price": "12",
                      "price_tiers": [{"min_qty": "0", "unit_price": "10"}]}],
        "requests": [{"member": "a", "product": "seed", "quantity": "3", "tolerance": "0"}],
        "shared_costs": [{"name": "truck", "amount": "100", "rule": "weight"}],
    }
    live = LiveSplit(parse_scenario(scenario))
    order = {"a": 0}.__getitem__
    empty = live.change_asks([("a", 0, 0, 0)], {}, order)
    assert empty.scenario.members == ()
    back = live.change_asks([("a", 0, 2, 0)], {"a": "Айгүл"}, order)
    assert back.bill(0).member.total == 2000 + 10000  # 2 x 10.00, and the truck
    assert back.bill(0).member.retail_value == 2400
    assert empty == run(empty.scenario)  # worked out only now
    assert back == run(back.scenario)
