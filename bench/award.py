"""How fast the cheapest award is found (run as `python bench/award.py`).

Random offers (each supplier offers about 80 % of the products, one price
each, a delivery fee of 0 to 3,000): the exact search over every set of
suppliers up to 12, the local search beyond. Prints the time and the plan's
landed total, suppliers used and whether it is proven. It only prints."""

from __future__ import annotations

import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coop.quotes import domain, optimise
from coop.quotes.domain import LineInput, Need, Offer, Tier

K, P = 1000, 1_000_000


def _case(suppliers: int, products: int, seed: int = 1) -> tuple[list[Need], list[Offer]]:
    rng = random.Random(seed)
    needs = [Need(i, rng.randint(1, 50) * K, 0) for i in range(products)]
    offers = [Offer(k, {i: LineInput(True, K, (Tier(0, rng.randint(50, 100) * P),))
                        for i in range(products) if rng.random() < 0.8},
                    delivery_fee=rng.randint(0, 3000) * 100) for k in range(suppliers)]
    return needs, offers


def main() -> None:
    print(f"{'suppliers':>9} {'products':>8} {'seconds':>8} {'landed':>12} used proven")
    for suppliers, products in ((3, 10), (8, 40), (12, 40), (12, 100), (25, 40), (40, 60)):
        needs, offers = _case(suppliers, products)
        costs = [domain.offer_cost(needs, o, "KGS", date(2026, 1, 1)) for o in offers]
        started = time.perf_counter()
        award = optimise.cheapest_award([n.item_id for n in needs], costs)
        elapsed = time.perf_counter() - started
        plan = award.cheapest
        assert plan is not None
        print(f"{suppliers:>9} {products:>8} {elapsed:>8.2f} {plan.landed / 100:>12,.2f} "
              f"{len(plan.keys):>4} {plan.proven}")


if __name__ == "__main__":
    main()
