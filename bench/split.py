"""How fast the split engine is: `python bench/split.py`.

Builds synthetic rounds of 1k, 10k and 100k request lines, times `preview`
(best of 3) and prints the figures against the targets: 100k lines in at most
1 s, and ten times the lines in at most twelve times the time. It only prints;
it never fails.
"""

from __future__ import annotations

import gc
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coop.orders.split import preview

PRODUCTS = 50
SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS_100K = 1.0
TARGET_GROWTH = 12.0
REPEATS = 3


def synthetic_scenario(lines: int, products: int = PRODUCTS) -> dict[str, Any]:
    """`lines` requests: every member asks for every product, with varied
    quantities, tolerances, packs, price tiers, damage and all cost rules."""
    members = lines // products
    scenario_products = []
    for p in range(products):
        product: dict[str, Any] = {
            "id": f"p{p}",
            "name": f"Product {p}",
            "unit": "kg",
            "supplier": f"s{p % 3}",
            "granularity": "0.5" if p % 4 == 0 else "1",
            "pack_size": str(5 + p % 20),
            "weight_kg": f"{p % 7}.{p % 10}5",
            "price_tiers": [
                {"min_qty": "0", "unit_price": f"{10 + p}.{p % 100:02d}"},
                {"min_qty": str(members * 2), "unit_price": f"{9 + p}.5"},
            ],
        }
        if p % 2:
            product["retail_price"] = str(20 + p)
        if p % 5 == 0:
            product["damaged"] = "2"
        scenario_products.append(product)
    requests = [
        {
            "member": f"m{m}",
            "product": f"p{p}",
            "quantity": str(1 + (m * 7 + p * 3) % 9),
            "tolerance": str((m + p) % 4),
        }
        for m in range(members)
        for p in range(products)
    ]
    return {
        "currency": "KGS",
        "members": [{"id": f"m{m}", "name": f"Member {m}"} for m in range(members)],
        "products": scenario_products,
        "requests": requests,
        "shared_costs": [
            {"name": "Truck", "amount": "18000.00", "rule": "weight"},
            {"name": "Bank fee", "amount": "150.00", "rule": "value", "supplier": "s1"},
            {"name": "Loading", "amount": "999.99", "rule": "quantity"},
            {"name": "Market stall", "amount": "1000", "rule": "equal"},
            {"name": "Phone credit", "amount": "5", "rule": "per_member", "supplier": "s2"},
        ],
        "loss_policy": "product",
        "fund_levy_percent": "2.5",
        "cash_rounding": "1",
    }


def best_time(scenario: dict[str, Any]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        gc.collect()  # each run starts clean, not with the previous run's garbage
        start = time.perf_counter()
        preview(scenario)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"{'lines':>8} {'seconds':>9} {'lines/s':>10} {'× time':>8}")
    timings: list[tuple[int, float]] = []
    for lines in SIZES:
        seconds = best_time(synthetic_scenario(lines))
        growth = f"{seconds / timings[-1][1]:8.2f}" if timings else f"{'':>8}"
        print(f"{lines:>8} {seconds:9.4f} {lines / seconds:10.0f} {growth}")
        timings.append((lines, seconds))
    largest = timings[-1][1]
    worst_growth = max(later[1] / earlier[1] for earlier, later in pairwise(timings))
    print(f"100k lines in {largest:.3f} s (target ≤ {TARGET_SECONDS_100K} s): "
          f"{'met' if largest <= TARGET_SECONDS_100K else 'NOT met'}")
    print(f"worst time growth per 10× lines {worst_growth:.2f}× (target ≤ {TARGET_GROWTH}×): "
          f"{'met' if worst_growth <= TARGET_GROWTH else 'NOT met'}")


if __name__ == "__main__":
    main()
