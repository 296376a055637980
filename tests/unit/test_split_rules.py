"""Each rule of the split contract (tests/data/split/split.md), on small
scenarios whose figures are worked out by hand in the comments."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from coop.orders.split import (
    ScenarioError,
    pack_count,
    parse_scenario,
    preview,
    run,
)

Scenario = dict[str, Any]
Result = dict[str, Any]


# -- building scenarios -------------------------------------------------------


def product(id: str = "p", price: str = "10", **fields: Any) -> dict[str, Any]:
    return {"id": id, "price_tiers": [{"min_qty": "0", "unit_price": price}], **fields}


def ask(member: str, quantity: str, tolerance: str | None = None, product: str = "p") -> dict:
    request = {"member": member, "product": product, "quantity": quantity}
    if tolerance is not None:
        request["tolerance"] = tolerance
    return request


def scenario(
    products: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    members: tuple[str, ...] = ("a", "b", "c"),
    **extra: Any,
) -> Scenario:
    return {
        "currency": "KGS",
        "members": [{"id": m, "name": m.upper()} for m in members],
        "products": products,
        "requests": requests,
        **extra,
    }


def member(result: Result, member_id: str) -> dict[str, Any]:
    return next(m for m in result["members"] if m["id"] == member_id)


def line(result: Result, member_id: str, product_id: str = "p") -> dict[str, Any]:
    return next(x for x in member(result, member_id)["lines"] if x["product"] == product_id)


def allocated(result: Result, product_id: str = "p") -> dict[str, str]:
    return {
        m["id"]: x["allocated"]
        for m in result["members"]
        for x in m["lines"]
        if x["product"] == product_id
    }


def prod(result: Result, product_id: str = "p") -> dict[str, Any]:
    return next(p for p in result["products"] if p["id"] == product_id)


def shares(result: Result, field: str) -> dict[str, str]:
    return {m["id"]: m[field] for m in result["members"]}


def cost_shares(result: Result, index: int = 0) -> dict[str, str]:
    return {m["id"]: m["shared"][index]["amount"] for m in result["members"]}


def assert_books_balance(result: Result) -> None:
    t = {key: Decimal(value) for key, value in result["totals"].items()}
    assert t["members_total"] + t["fund_covered"] == (
        t["supplier_bill"] + t["shared_costs"] + t["levy"] + t["rounding"]
    )


# -- 1. packs ---------------------------------------------------------------------


def test_tolerance_fills_the_last_pack() -> None:
    # F = 7, T = 3, pack 10: remainder 7 + 3 >= 10, so one pack.
    result = preview(scenario([product(pack_size="10")], [ask("a", "4", "1"), ask("b", "3", "2")]))

    assert prod(result)["packs"] == 1
    assert prod(result)["ordered"] == "10"
    assert allocated(result) == {"a": "5", "b": "5"}
    assert_books_balance(result)


def test_remainder_the_tolerance_cannot_fill_is_not_ordered() -> None:
    # F = 17, T = 2, pack 10: one pack; remainder 7 + 2 < 10 is dropped.
    # 10 over firm 12 and 5: 7.06 and 2.94 -> 7 and 2, the unit left to b (.94).
    result = preview(scenario([product(pack_size="10")], [ask("a", "12"), ask("b", "5", "2")]))

    assert prod(result)["packs"] == 1
    assert prod(result)["ordered"] == "10"
    assert allocated(result) == {"a": "7", "b": "3"}


def test_no_pack_is_filled_by_tolerance_alone() -> None:
    # A full pack of firm quantity and 10 of tolerance: still one pack, not two.
    result = preview(scenario([product(pack_size="10")], [ask("a", "10", "10")]))

    assert prod(result)["packs"] == 1
    assert allocated(result) == {"a": "10"}


def test_tolerance_without_firm_quantity_orders_nothing() -> None:
    result = preview(scenario([product(pack_size="10")], [ask("a", "0", "9")]))

    assert prod(result)["packs"] == 0
    assert prod(result)["ordered"] == "0"
    assert line(result, "a")["allocated"] == "0"
    assert member(result, "a")["total"] == "0.00"


@pytest.mark.parametrize(
    ("firm", "tolerance", "pack", "packs"),
    [(0, 0, 5, 0), (0, 5, 5, 0), (5, 0, 5, 1), (5, 5, 5, 1), (6, 3, 5, 1), (6, 4, 5, 2),
     (9, 0, 5, 1), (9, 1, 5, 2)],
)
def test_pack_count(firm: int, tolerance: int, pack: int, packs: int) -> None:
    assert pack_count(firm, tolerance, pack) == packs


# -- 2. price tiers --------------------------------------------------------------


TIERS = [
    {"min_qty": "100", "unit_price": "8"},
    {"min_qty": "0", "unit_price": "10"},
    {"min_qty": "50", "unit_price": "9.5"},
]


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount"),
    [("49", "10", "490.00"), ("50", "9.5", "475.00"), ("99", "9.5", "940.50"),
     ("100", "8", "800.00"), ("250", "8", "2000.00")],
)
def test_tier_with_the_largest_min_qty_not_above_the_order(
    quantity: str, unit_price: str, amount: str
) -> None:
    result = preview(scenario([{"id": "p", "price_tiers": TIERS}], [ask("a", quantity)]))

    assert prod(result)["unit_price"] == unit_price
    assert line(result, "a")["unit_price"] == unit_price
    assert line(result, "a")["amount"] == amount


def test_tier_is_chosen_by_what_is_ordered_not_by_what_is_firm() -> None:
    # F = 45, T = 5, pack 25: two packs, 50 ordered, so the 50 tier applies.
    p = {"id": "p", "pack_size": "25", "price_tiers": TIERS}
    result = preview(scenario([p], [ask("a", "45", "5")]))

    assert prod(result)["ordered"] == "50"
    assert prod(result)["unit_price"] == "9.5"
    assert line(result, "a")["allocated"] == "50"


# -- 3 and 4. arrival and allocation ---------------------------------------------


def test_more_arrived_than_firm_is_shared_over_tolerances() -> None:
    # F = 10, T = 6, U = 12: extra 2 over tolerances 4 and 2: 1.33 and 0.67
    # -> 1 and 0, the unit left to b (.67).
    result = preview(scenario(
        [product(received="12")], [ask("a", "5", "4"), ask("b", "5", "2")]
    ))

    assert allocated(result) == {"a": "6", "b": "6"}
    assert prod(result)["bill"] == "120.00"
    assert prod(result)["loss"] == "0.00"


def test_nobody_gets_more_than_she_asked_for() -> None:
    # U = 20 > F + T = 16: everyone gets quantity + tolerance, 4 are left over.
    # Loss 200 - 160 = 40.00, by allocated 9 : 7 -> 22.50 and 17.50.
    result = preview(scenario(
        [product(received="20")], [ask("a", "5", "4"), ask("b", "5", "2")]
    ))

    assert allocated(result) == {"a": "9", "b": "7"}
    assert prod(result)["allocated"] == "16"
    assert prod(result)["loss"] == "40.00"
    assert shares(result, "losses") == {"a": "22.50", "b": "17.50", "c": "0.00"}
    assert_books_balance(result)


def test_short_delivery_is_shared_over_firm_quantities_without_tolerance() -> None:
    # U = 8 < F = 10: 8 over firm 6 and 4 -> 4.8 and 3.2 -> 4 and 3, the unit
    # left to a (.8); no tolerance for anyone.
    result = preview(scenario(
        [product(received="8")], [ask("a", "6", "3"), ask("b", "4", "5")]
    ))

    assert allocated(result) == {"a": "5", "b": "3"}


@pytest.mark.parametrize(
    ("members", "winner"), [(("a", "b"), "a"), (("b", "a"), "b")]
)
def test_ties_go_to_the_member_listed_first(members: tuple[str, ...], winner: str) -> None:
    # U = 7 over 5 and 5: 3.5 each. The requests list b first either way.
    result = preview(scenario(
        [product(received="7")], [ask("b", "5"), ask("a", "5")], members=members
    ))

    assert allocated(result)[winner] == "4"
    assert sorted(allocated(result).values()) == ["3", "4"]


def test_requests_of_one_member_for_one_product_add_up() -> None:
    result = preview(scenario([product()], [ask("a", "2", "1"), ask("a", "3"), ask("b", "1")]))

    assert member(result, "a")["lines"] == [{
        "product": "p", "quantity": "5", "tolerance": "1", "allocated": "5",
        "unit_price": "10", "amount": "50.00",
    }]


def test_granules_of_half_a_unit() -> None:
    # granularity 0.5: U = 5.5 = 11 granules over firm 6 and 6 granules.
    p = product(granularity="0.5", received="5.5")
    result = preview(scenario([p], [ask("a", "3"), ask("b", "3.0")]))

    assert allocated(result) == {"a": "3", "b": "2.5"}
    assert line(result, "b")["quantity"] == "3"


# -- 5. goods ------------------------------------------------------------------


def test_goods_value_is_split_by_allocated_quantity_to_the_last_tyiyn() -> None:
    # 3 × 0.10 = 0.30 over 1 each: 0.10 each; 1 × 0.333333 = 0.33 (half up) over one.
    p = product(price="0.10")
    q = product("q", price="0.333333")
    result = preview(scenario([p, q], [ask("a", "1"), ask("b", "1"), ask("c", "1"),
                                       ask("a", "1", product="q")]))

    assert prod(result, "q")["goods"] == "0.33"
    assert shares(result, "goods") == {"a": "0.43", "b": "0.10", "c": "0.10"}


def test_member_without_requests_is_listed_with_nothing() -> None:
    result = preview(scenario([product()], [ask("a", "1")]))

    assert [m["id"] for m in result["members"]] == ["a", "b", "c"]
    assert member(result, "c") == {
        "id": "c", "lines": [], "goods": "0.00", "losses": "0.00", "shared": [],
        "levy": "0.00", "rounding": "0.00", "total": "0.00",
        "retail_value": None, "savings": None,
    }


def test_retail_value_and_savings_only_when_a_product_has_a_retail_price() -> None:
    # Retail 13 × 2 = 26.00 against a total of 20.00: 6.00 saved. b's product
    # has no retail price: her retail value is 0.00, her savings -10.00.
    products = [product(retail_price="13"), product("q")]
    with_retail = preview(scenario(products, [ask("a", "2"), ask("b", "1", product="q")]))
    without = preview(scenario([product()], [ask("a", "2")]))

    assert member(with_retail, "a")["retail_value"] == "26.00"
    assert member(with_retail, "a")["savings"] == "6.00"
    assert member(with_retail, "b")["retail_value"] == "0.00"
    assert member(with_retail, "b")["savings"] == "-10.00"
    assert member(without, "a")["retail_value"] is None
    assert member(without, "a")["savings"] is None


# -- 6. losses ------------------------------------------------------------------


def _damaged() -> list[dict[str, Any]]:
    return [product(damaged="3")]


def test_policy_product_shares_a_loss_over_those_who_got_it() -> None:
    # F = 9, U = 6: 6 over 6 and 3 -> 4 and 2. Bill 90, goods 60, loss 30 by 4 : 2.
    result = preview(scenario(_damaged(), [ask("a", "6"), ask("b", "3")], loss_policy="product"))

    assert allocated(result) == {"a": "4", "b": "2"}
    assert prod(result)["loss"] == "30.00"
    assert shares(result, "losses") == {"a": "20.00", "b": "10.00", "c": "0.00"}
    assert shares(result, "total") == {"a": "60.00", "b": "30.00", "c": "0.00"}
    assert_books_balance(result)


def test_policy_product_is_the_default() -> None:
    requests = [ask("a", "6"), ask("b", "3")]
    assert preview(scenario(_damaged(), requests)) == preview(
        scenario(_damaged(), requests, loss_policy="product")
    )


def test_loss_of_a_product_nobody_got_goes_to_all_participants_by_value() -> None:
    # q arrived unasked: loss 2 × 5 = 10.00 over a (V 30) and b (V 10): 7.50, 2.50.
    products = [product(), product("q", price="5", received="2")]
    result = preview(scenario(products, [ask("a", "3"), ask("b", "1")]))

    assert prod(result, "q")["loss"] == "10.00"
    assert shares(result, "losses") == {"a": "7.50", "b": "2.50", "c": "0.00"}
    assert result["totals"]["fund_covered"] == "0.00"


def test_loss_with_no_participants_at_all_is_paid_by_the_fund() -> None:
    # Everything arrived damaged: nobody got anything, so nobody to carry 20.00.
    result = preview(scenario([product(damaged="2")], [ask("a", "2")]))

    assert prod(result)["loss"] == "20.00"
    assert shares(result, "losses") == {"a": "0.00", "b": "0.00", "c": "0.00"}
    assert result["totals"]["fund_covered"] == "20.00"
    assert result["totals"]["members_total"] == "0.00"
    assert_books_balance(result)


def _two_products_with_a_loss(policy: str) -> Result:
    # p: F = 8, U = 6 -> 3 and 3, loss 20.00. q: b gets 1 at 30.
    # V: a 30, b 60.
    products = [product(damaged="2"), product("q", price="30")]
    requests = [ask("a", "4"), ask("b", "4"), ask("b", "1", product="q")]
    return preview(scenario(products, requests, loss_policy=policy))


def test_policy_product_and_policy_round_differ() -> None:
    # product: 20.00 by allocated 3 : 3. round: 20.00 by V 30 : 60 -> 6.666 and
    # 13.333 -> 6.66 and 13.33, the tyiyn left to a (.67).
    by_product = _two_products_with_a_loss("product")
    by_round = _two_products_with_a_loss("round")

    assert shares(by_product, "losses") == {"a": "10.00", "b": "10.00", "c": "0.00"}
    assert shares(by_round, "losses") == {"a": "6.67", "b": "13.33", "c": "0.00"}
    assert_books_balance(by_round)


def test_policy_fund_pays_every_loss() -> None:
    result = _two_products_with_a_loss("fund")

    assert shares(result, "losses") == {"a": "0.00", "b": "0.00", "c": "0.00"}
    assert result["totals"]["fund_covered"] == "20.00"
    assert result["totals"]["members_total"] == "90.00"
    assert_books_balance(result)


def test_policy_round_with_nobody_to_carry_it() -> None:
    result = preview(scenario([product(damaged="2")], [ask("a", "2")], loss_policy="round"))

    assert result["totals"]["fund_covered"] == "20.00"


# -- 7. shared costs ---------------------------------------------------------------

# p (s1, 10 each, 2 kg), q (s2, 5 each, 0.5 kg), r (s3, nobody asks for it).
# a: 1 p + 2 q -> V 20, 3 kg, quantity 3
# b: 2 p       -> V 20, 4 kg, quantity 2
# c: 6 q       -> V 30, 3 kg, quantity 6
def _with_cost(**cost: str) -> Result:
    products = [
        product("p", supplier="s1", weight_kg="2"),
        product("q", price="5", supplier="s2", weight_kg="0.5"),
        product("r", supplier="s3"),
    ]
    requests = [ask("a", "1", product="p"), ask("a", "2", product="q"),
                ask("b", "2", product="p"), ask("c", "6", product="q")]
    return preview(scenario(products, requests,
                            shared_costs=[{"name": "cost", "amount": "100.00", **cost}]))


def test_cost_by_value() -> None:
    # 100 by 20 : 20 : 30 -> 28.571, 28.571, 42.857; the tyiyn left to c.
    result = _with_cost(rule="value")

    assert cost_shares(result) == {"a": "28.57", "b": "28.57", "c": "42.86"}
    assert result["totals"]["shared_costs"] == "100.00"
    assert_books_balance(result)


def test_cost_by_weight() -> None:
    result = _with_cost(rule="weight")

    assert cost_shares(result) == {"a": "30.00", "b": "40.00", "c": "30.00"}


def test_cost_by_quantity() -> None:
    # 10.00 by 3 : 2 : 6 -> 2.727, 1.818, 5.454: floors 2.72, 1.81, 5.45 and
    # the two tyiyn left to b (.8) and a (.7).
    result = _with_cost(rule="quantity", amount="10.00")

    assert cost_shares(result) == {"a": "2.73", "b": "1.82", "c": "5.45"}


def test_cost_in_equal_shares() -> None:
    result = _with_cost(rule="equal", amount="10.00")

    assert cost_shares(result) == {"a": "3.34", "b": "3.33", "c": "3.33"}


def test_cost_per_member_charges_each_participant_the_full_amount() -> None:
    result = _with_cost(rule="per_member", amount="5.00")

    assert cost_shares(result) == {"a": "5.00", "b": "5.00", "c": "5.00"}
    assert result["totals"]["shared_costs"] == "15.00"
    assert_books_balance(result)


def test_supplier_cost_by_value_counts_only_that_suppliers_goods_and_buyers() -> None:
    # s1: a has 10 of it, b 20, c none -> 33.33 and 66.67.
    result = _with_cost(rule="value", supplier="s1")

    assert cost_shares(result) == {"a": "33.33", "b": "66.67", "c": "0.00"}


def test_supplier_cost_by_weight() -> None:
    # s2: a 2 × 0.5 = 1 kg, c 6 × 0.5 = 3 kg.
    result = _with_cost(rule="weight", supplier="s2")

    assert cost_shares(result) == {"a": "25.00", "b": "0.00", "c": "75.00"}


def test_supplier_cost_per_member() -> None:
    result = _with_cost(rule="per_member", supplier="s2", amount="5.00")

    assert cost_shares(result) == {"a": "5.00", "b": "0.00", "c": "5.00"}
    assert result["totals"]["shared_costs"] == "10.00"


def test_cost_with_nobody_to_carry_it_is_paid_by_the_fund() -> None:
    result = _with_cost(rule="equal", supplier="s3")

    assert cost_shares(result) == {"a": "0.00", "b": "0.00", "c": "0.00"}
    assert result["totals"]["shared_costs"] == "100.00"
    assert result["totals"]["fund_covered"] == "100.00"
    assert_books_balance(result)


def test_cost_without_participants_in_the_round() -> None:
    result = preview(scenario(
        [product()], [], shared_costs=[{"name": "truck", "amount": "50", "rule": "weight"}]
    ))

    assert result["totals"]["fund_covered"] == "50.00"
    assert member(result, "a")["shared"] == [{"name": "truck", "amount": "0.00"}]


def test_members_who_got_nothing_carry_no_cost() -> None:
    # b asked, but the short delivery left her nothing: she is no participant.
    result = preview(scenario(
        [product(received="2")], [ask("a", "3"), ask("b", "1")],
        shared_costs=[{"name": "taxi", "amount": "30", "rule": "equal"}],
    ))

    assert allocated(result) == {"a": "2", "b": "0"}
    assert cost_shares(result) == {"a": "30.00", "b": "0.00", "c": "0.00"}


# -- 8 and 9. levy and cash rounding ------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percent", "levy"),
    [("12.34", "2.5", "0.31"), ("10.10", "5", "0.51"), ("10.09", "5", "0.50"),
     ("10.00", "0", "0.00"), ("99.99", "100", "99.99")],
)
def test_levy_is_half_up_per_member(price: str, percent: str, levy: str) -> None:
    result = preview(scenario([product(price=price)], [ask("a", "1")], fund_levy_percent=percent))

    assert member(result, "a")["levy"] == levy
    assert result["totals"]["levy"] == levy
    assert_books_balance(result)


@pytest.mark.parametrize(
    ("price", "step", "total", "rounding"),
    [("7.40", "1", "7.00", "-0.40"), ("7.50", "1", "8.00", "0.50"),
     ("7.62", "1", "8.00", "0.38"), ("7.62", "0.05", "7.60", "-0.02"),
     ("7.62", "0", "7.62", "0.00"), ("7.62", "10", "10.00", "2.38")],
)
def test_cash_rounding_to_the_nearest_multiple(
    price: str, step: str, total: str, rounding: str
) -> None:
    result = preview(scenario([product(price=price)], [ask("a", "1")], cash_rounding=step))

    assert member(result, "a")["total"] == total
    assert member(result, "a")["rounding"] == rounding
    assert result["totals"]["rounding"] == rounding
    assert_books_balance(result)


def test_currency_without_minor_unit() -> None:
    result = preview({**scenario([product(price="333")], [ask("a", "1"), ask("b", "2")]),
                      "currency": "JPY",
                      "shared_costs": [{"name": "x", "amount": "100", "rule": "equal"}]})

    assert cost_shares(result) == {"a": "50", "b": "50", "c": "0"}
    assert result["totals"]["members_total"] == "1099"


# -- the typed outcome: why each figure is what it is ----------------------------------


def test_outcome_keeps_the_basis_of_each_split() -> None:
    products = [product("p", weight_kg="2"), product("q", price="5", weight_kg="0.5")]
    requests = [ask("a", "1"), ask("a", "2", product="q"), ask("b", "2")]
    data = scenario(products, requests, members=("a", "b"),
                    shared_costs=[{"name": "truck", "amount": "70", "rule": "weight"}],
                    fund_levy_percent="2")
    outcome = run(parse_scenario(data))

    truck = outcome.shared_costs[0]
    # kg with qty_decimals + weight_decimals = 0 + 1 decimals: 3.0 kg and 4.0 kg
    assert truck.split.basis == "weight"
    assert truck.split.basis_decimals == 1
    assert truck.split.bases == {0: 30, 1: 40}
    assert truck.split.total_basis == 70
    assert truck.split.shares == {0: 3000, 1: 4000}
    assert truck.carriers == [0, 1]
    assert outcome.members[0].levy_basis == 2000
    assert outcome.members[0].levy == 40
    assert [x.product for x in outcome.lines_of(0)] == [0, 1]
    assert outcome.lines_of(1)[0].allocated == 2
    assert outcome.participants == [0, 1]


def test_outcome_tells_who_carried_a_loss() -> None:
    outcome = run(parse_scenario(scenario(_damaged(), [ask("a", "6"), ask("b", "3")])))

    split = outcome.products[0].loss_split
    assert split is not None
    assert split.basis == "allocated"
    assert split.bases == {0: 4, 1: 2}
    assert split.shares == {0: 2000, 1: 1000}
    assert outcome.totals.fund_losses == 0


# -- bad input --------------------------------------------------------------------


def _valid() -> Scenario:
    return scenario(
        [product(granularity="0.5", pack_size="1", retail_price="12"),
         product("q", received="3")],
        [ask("a", "1.5", "0.5"), ask("b", "2"), ask("a", "1", product="q")],
        shared_costs=[{"name": "truck", "amount": "10.50", "rule": "equal"}],
        cash_rounding="1",
    )


def _set(path: str, value: Any) -> Callable[[Scenario], None]:
    """A mutation of _valid(): set (or, with value ..., delete) a field."""

    def mutate(data: Scenario) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is ...:
            del target[last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


BAD_INPUTS = [
    (_set("requests.1.member", "zz"), "requests[1].member: unknown member 'zz'"),
    (_set("requests.0.product", "zz"), "requests[0].product: unknown product 'zz'"),
    (_set("members.1.id", "a"), "members[1].id: duplicate id 'a'"),
    (_set("products.1.id", "p"), "products[1].id: duplicate id 'p'"),
    (_set("requests.1.quantity", "-2"), "requests[1].quantity: must not be negative"),
    (_set("requests.0.quantity", "1.25"),
     "requests[0].quantity: must be a multiple of the product's granularity 0.5"),
    (_set("requests.2.tolerance", "0.5"),
     "requests[2].tolerance: must be a multiple of the product's granularity 1"),
    (_set("products.0.granularity", "0"), "products[0].granularity: must be above 0"),
    (_set("products.0.pack_size", "0"), "products[0].pack_size: must be above 0"),
    (_set("products.0.pack_size", "1.25"),
     "products[0].pack_size: must be a multiple of the granularity 0.5"),
    (_set("products.1.received", "2.5"),
     "products[1].received: must be a multiple of the granularity 1"),
    (_set("products.0.price_tiers.0.min_qty", "1"),
     "products[0].price_tiers: needs a tier with min_qty 0"),
    (_set("products.1.damaged", "4"), "products[1].damaged: cannot be more than received"),
    (_set("products.0.damaged", "4.5"),
     "products[0].damaged: cannot be more than received (by default, what was ordered)"),
    (_set("shared_costs.0.rule", "by_age"),
     "shared_costs[0].rule: unknown rule 'by_age'; use value, weight, quantity, equal or "
     "per_member"),
    (_set("loss_policy", "members"), "loss_policy: unknown policy 'members'; use product, "
                                     "round or fund"),
    (_set("shared_costs.0.amount", "10.505"),
     "shared_costs[0].amount: an amount in KGS has at most 2 decimals"),
    (_set("shared_costs.0.amount", "-1"), "shared_costs[0].amount: must not be negative"),
    (_set("cash_rounding", "0.001"), "cash_rounding: an amount in KGS has at most 2 decimals"),
    (_set("products.0.price_tiers.0.unit_price", "0.0000001"),
     "products[0].price_tiers[0].unit_price: a price has at most 6 decimals"),
    (_set("products.0.retail_price", "1.1234567"),
     "products[0].retail_price: a price has at most 6 decimals"),
    (_set("requests.1.quantity", "1,5"),
     'requests[1].quantity: "1,5" is not a decimal number like "12" or "0.5"'),
    (_set("fund_levy_percent", "2%"),
     'fund_levy_percent: "2%" is not a decimal number like "12" or "0.5"'),
    (_set("requests.1.quantity", 2),
     'requests[1].quantity: must be a decimal number in a string, like "12" or "0.5"'),
    (_set("products.0.weight_kg", 1.5),
     'products[0].weight_kg: must be a decimal number in a string, like "12" or "0.5"'),
    (_set("members.0", ["a"]), "members[0]: must be an object"),
    (_set("requests.2", "a q 1"), "requests[2]: must be an object"),
    (_set("products", {"id": "p"}), "products: must be a list"),
    (_set("requests.0.quantity", ...), "requests[0].quantity: is required"),
    (_set("requests.0.member", ...), "requests[0].member: is required"),
    (_set("products.1.price_tiers", ...), "products[1].price_tiers: is required"),
    (_set("shared_costs.0.name", ...), "shared_costs[0].name: is required"),
    (_set("currency", ...), "currency: is required"),
    (_set("currency", "XYZ"), "currency: unknown currency code 'XYZ'"),
    (_set("currency", "kgs"), "currency: unknown currency code 'kgs'"),
    (_set("requests.0.tolerence", "1"), "requests[0].tolerence: unknown field"),
    (_set("products.0.colour", "red"), "products[0].colour: unknown field"),
    (_set("requests.0.member", ["a"]), "requests[0].member: must be a string"),
    (_set("members.2.id", ""), "members[2].id: must be 1 to 64 characters"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD_INPUTS, ids=[m for _, m in BAD_INPUTS])
def test_bad_input_names_the_field(mutate: Callable[[Scenario], None], message: str) -> None:
    data = _valid()
    mutate(data)

    with pytest.raises(ScenarioError) as caught:
        preview(data)

    assert str(caught.value) == message
    assert caught.value.field == message.split(":")[0]


def test_the_valid_scenario_the_bad_inputs_start_from_is_valid() -> None:
    data = _valid()
    before = copy.deepcopy(data)

    result = preview(data)

    assert data == before  # the engine never changes its input
    assert allocated(result) == {"a": "2", "b": "2"}


def test_a_scenario_that_is_no_object() -> None:
    with pytest.raises(ScenarioError, match=r"^scenario: must be an object$"):
        preview([])


def test_products_are_checked_before_requests() -> None:
    data = _valid()
    data["requests"][0]["quantity"] = "-1"
    data["products"][1]["price_tiers"] = []

    with pytest.raises(ScenarioError, match=r"^products\[1\]\.price_tiers: needs a tier"):
        preview(data)


def test_well_known_currencies_are_accepted() -> None:
    for code in ("KGS", "TJS", "USD", "EUR", "RUB", "KZT", "UZS"):
        result = preview({**scenario([product(price="1.5")], [ask("a", "1")]), "currency": code})
        assert member(result, "a")["total"] == "1.50"


def test_tier_min_qty_finer_than_the_quantities() -> None:
    # Ordered 1: both 0.3 and 0.7 are below it; the larger min_qty applies,
    # whatever the order the tiers are listed in.
    tiers = [{"min_qty": "0.7", "unit_price": "7"}, {"min_qty": "0.3", "unit_price": "8"},
             {"min_qty": "0", "unit_price": "9"}]
    result = preview(scenario([{"id": "p", "price_tiers": tiers}], [ask("a", "1")]))

    assert prod(result)["unit_price"] == "7"
