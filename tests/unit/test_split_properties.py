"""Properties of the split that hold for every valid scenario."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coop.orders.split import preview

CURRENCIES = {"KGS": 2, "JPY": 0, "BHD": 3}
GRANULARITIES = ("1", "0.5", "0.25", "2", "0.1")
SUPPLIERS = ("s1", "s2", "default")
RULES = ("value", "weight", "quantity", "equal", "per_member")

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _money(minor: int, digits: int) -> str:
    return _text(Decimal(minor).scaleb(-digits)) if digits else str(minor)


@st.composite
def products(draw: st.DrawFn, index: int) -> dict[str, Any]:
    step = Decimal(draw(st.sampled_from(GRANULARITIES)))
    pack = step * draw(st.integers(1, 6))
    product: dict[str, Any] = {
        "id": f"p{index}",
        "granularity": _text(step),
        "pack_size": _text(pack),
        "supplier": draw(st.sampled_from(SUPPLIERS)),
        "weight_kg": _text(Decimal(draw(st.integers(0, 3000))).scaleb(-3)),
        "price_tiers": [{"min_qty": "0", "unit_price": _price(draw)}],
    }
    if draw(st.booleans()):
        min_qty = _text(Decimal(draw(st.integers(1, 40))) / 2)
        product["price_tiers"].append({"min_qty": min_qty, "unit_price": _price(draw)})
    if draw(st.booleans()):
        product["retail_price"] = _price(draw)
    if draw(st.booleans()):
        received = draw(st.integers(0, 30))
        product["received"] = _text(step * received)
        product["damaged"] = _text(step * draw(st.integers(0, received)))
    return product


def _price(draw: st.DrawFn) -> str:
    return _text(Decimal(draw(st.integers(0, 10**8))).scaleb(-draw(st.integers(0, 6))))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    digits = CURRENCIES[currency]
    members = [f"m{i}" for i in range(draw(st.integers(0, 6)))]
    product_list = [draw(products(i)) for i in range(draw(st.integers(0, 4)))]
    requests = []
    if members and product_list:
        for _ in range(draw(st.integers(0, 16))):
            product = draw(st.sampled_from(product_list))
            step = Decimal(product["granularity"])
            requests.append({
                "member": draw(st.sampled_from(members)),
                "product": product["id"],
                "quantity": _text(step * draw(st.integers(0, 12))),
                "tolerance": _text(step * draw(st.integers(0, 6))),
            })
    costs = []
    for i in range(draw(st.integers(0, 3))):
        cost = {
            "name": f"cost {i}",
            "amount": _money(draw(st.integers(0, 10**6)), digits),
            "rule": draw(st.sampled_from(RULES)),
        }
        if draw(st.booleans()):
            cost["supplier"] = draw(st.sampled_from((*SUPPLIERS, "nobody")))
        costs.append(cost)
    return {
        "currency": currency,
        "members": [{"id": m} for m in members],
        "products": product_list,
        "requests": requests,
        "shared_costs": costs,
        "loss_policy": draw(st.sampled_from(("product", "round", "fund"))),
        "fund_levy_percent": _text(Decimal(draw(st.integers(0, 1000))) / 100),
        "cash_rounding": _money(draw(st.sampled_from((0, 1, 5, 10, 100))), digits),
    }


def _minor(text: str, digits: int) -> int:
    return int(Decimal(text).scaleb(digits))


@PROPERTY_SETTINGS
@given(scenarios())
def test_books_always_balance(scenario: dict[str, Any]) -> None:
    digits = CURRENCIES[scenario["currency"]]
    result = preview(scenario)

    t = {key: _minor(value, digits) for key, value in result["totals"].items()}
    assert t["members_total"] + t["fund_covered"] == (
        t["supplier_bill"] + t["shared_costs"] + t["levy"] + t["rounding"]
    )
    assert t["members_total"] == sum(_minor(m["total"], digits) for m in result["members"])
    for m in result["members"]:
        parts = [m["goods"], m["losses"], m["levy"], m["rounding"]]
        parts += [s["amount"] for s in m["shared"]]
        assert _minor(m["total"], digits) == sum(_minor(p, digits) for p in parts)
        assert _minor(m["goods"], digits) == sum(_minor(x["amount"], digits) for x in m["lines"])


@PROPERTY_SETTINGS
@given(scenarios())
def test_allocations_respect_asks_granules_and_what_is_usable(scenario: dict[str, Any]) -> None:
    result = preview(scenario)

    by_id = {p["id"]: p for p in scenario["products"]}
    allocated_by_product: dict[str, Decimal] = {}
    for m in result["members"]:
        for line in m["lines"]:
            got = Decimal(line["allocated"])
            assert got <= Decimal(line["quantity"]) + Decimal(line["tolerance"])
            assert got % Decimal(by_id[line["product"]]["granularity"]) == 0
            allocated_by_product[line["product"]] = allocated_by_product.get(
                line["product"], Decimal(0)) + got
    for p in result["products"]:
        usable = Decimal(p["received"]) - Decimal(p["damaged"])
        assert Decimal(p["allocated"]) <= usable
        assert Decimal(p["allocated"]) == allocated_by_product.get(p["id"], Decimal(0))
        assert Decimal(p["ordered"]) % Decimal(by_id[p["id"]]["pack_size"]) == 0


@PROPERTY_SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_the_order_of_requests_never_matters(scenario: dict[str, Any], random: Any) -> None:
    shuffled = {**scenario, "requests": list(scenario["requests"])}
    random.shuffle(shuffled["requests"])

    assert preview(shuffled) == preview(scenario)
