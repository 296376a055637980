"""How fast the split engine is: `python bench/split.py`.

Builds synthetic rounds of 1k, 10k and 100k request lines, times `preview`
(best of 3) and prints the figures against the targets: 100k lines in at most
1 s, and ten times the lines in at most twelve times the time.

Then the split kept up to date line by line (coop/orders/live.py) on a round of
1,000 members x 50 products: one member changes one line (a random member,
product, quantity and tolerance, a line taken away now and then), and the
time to the new split of the whole round is measured over 50 such changes
(target: under 20 ms), and the result compared with a full split; then the
time to the change and one member's bill of it (what her share page reads
after another's order: the others' bills are left to be worked out when
read); and a member's whole order taken away (she leaves the split) and her
first line again (she joins it at her place).

Last, the same through the app's split cache (coop/orders/cache.py) on a
throwaway SQLite database seeded as bench/http.py seeds PostgreSQL: the first
view of a member's share after an order when the round is split anew (as every
first view was before), and when the cached split is brought up to date from
the order (the page's read of her bill, after the order's commit). It only
prints; it never fails.
"""

from __future__ import annotations

import contextlib
import gc
import io
import random
import statistics
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coop.orders.live import LiveSplit
from coop.orders.split import parse_scenario, preview, run

PRODUCTS = 50
SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS_100K = 1.0
TARGET_GROWTH = 12.0
REPEATS = 3
LIVE_LINES = 50_000  # 1,000 members x 50 products
LIVE_CHANGES = 50
TARGET_LIVE_MS = 20.0


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
    print_live()
    print_cached()


def live_times(lines: int = LIVE_LINES, changes: int = LIVE_CHANGES, *, whole: bool = True
               ) -> tuple[list[float], float, bool]:
    """Seconds per one-line change of the live split with every member's bill
    worked out (`whole`), or with one member's bill (as her page reads it
    after an order), the full split's time (parse and run) for comparison,
    and whether the live split after the changes is the full split of the
    changed round."""
    scenario = parse_scenario(synthetic_scenario(lines))
    live = LiveSplit(scenario)
    members, products = len(scenario.members), len(scenario.products)
    rng, viewers = random.Random(19), random.Random(23)  # the same changes either way
    times = []
    was_enabled = gc.isenabled()
    gc.disable()  # as the engine runs: the collector has nothing to find here
    try:
        for _ in range(changes):
            p = rng.randrange(products)
            step = scenario.products[p].granularity
            quantity = 0 if rng.random() < 0.1 else step * rng.randrange(1, 10)
            tolerance = step * rng.randrange(0, 4) if quantity else 0
            start = time.perf_counter()
            outcome = live.change([(rng.randrange(members), p, quantity, tolerance)])
            if whole:
                outcome.whole()  # every member's bill worked out
            else:
                outcome.bill(viewers.randrange(members))
            times.append(time.perf_counter() - start)
    finally:
        if was_enabled:
            gc.enable()
    start = time.perf_counter()
    full = run(live.scenario)
    full_seconds = time.perf_counter() - start
    return times, full_seconds, full == live.outcome


def join_leave_times(lines: int = LIVE_LINES, members: int = 10
                     ) -> tuple[list[float], list[float], bool]:
    """Seconds for a member's whole order (every product) taken away, so
    that she leaves the split, and for her first line after it, so that she
    joins it again at her place; whether the split is then the full split."""
    scenario = parse_scenario(synthetic_scenario(lines))
    live = LiveSplit(scenario)
    order = {m.id: i for i, m in enumerate(scenario.members)}.__getitem__
    rng = random.Random(19)
    leaves, joins = [], []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for member in rng.sample(scenario.members, members):
            start = time.perf_counter()
            live.change_asks([(member.id, p, 0, 0) for p in range(len(scenario.products))],
                             {}, order).whole()
            leaves.append(time.perf_counter() - start)
            start = time.perf_counter()
            live.change_asks([(member.id, rng.randrange(len(scenario.products)), 2, 0)],
                             {member.id: member.name}, order).whole()
            joins.append(time.perf_counter() - start)
    finally:
        if was_enabled:
            gc.enable()
    return leaves, joins, live.outcome == run(live.scenario)


def print_live() -> None:
    times, full_seconds, same = live_times()
    median_ms, worst_ms = statistics.median(times) * 1000, max(times) * 1000
    print(f"one line changed in a round of {LIVE_LINES // PRODUCTS:,} members x {PRODUCTS} "
          f"products, {LIVE_CHANGES} changes: median {median_ms:.1f} ms, "
          f"best {min(times) * 1000:.1f} ms, worst {worst_ms:.1f} ms "
          f"(a full split of the engine: {full_seconds * 1000:.0f} ms)")
    print(f"the split after one line changed in {median_ms:.1f} ms (median; target < "
          f"{TARGET_LIVE_MS:.0f} ms): {'met' if median_ms < TARGET_LIVE_MS else 'NOT met'}; "
          f"the same as a full split: {'yes' if same else 'NO'}")
    times, _, same = live_times(whole=False)
    print(f"one line changed and one member's bill read of it (as her page does after an "
          f"order; the others' bills not worked out): median "
          f"{statistics.median(times) * 1000:.2f} ms, best {min(times) * 1000:.2f} ms, worst "
          f"{max(times) * 1000:.2f} ms; the same as a full split: {'yes' if same else 'NO'}")
    leaves, joins, same = join_leave_times()
    print(f"a member's whole order taken away ({PRODUCTS} lines; she leaves the split): "
          f"median {statistics.median(leaves) * 1000:.1f} ms; her first line again (she "
          f"joins): median {statistics.median(joins) * 1000:.1f} ms (of {len(joins)}); "
          f"the same as a full split: {'yes' if same else 'NO'}")


def cached_times(changes: int = 20) -> tuple[float, list[float], bool]:
    """Through the split cache on SQLite: seconds of a full split of the seeded
    round (cache.compute), seconds of each first read of a member's bill after
    an order, and whether every one equalled a full split."""
    from flask_migrate import upgrade

    from bench._seed import seed
    from coop import create_app
    from coop.config import testing_config
    from coop.extensions import db
    from coop.groups.models import Membership
    from coop.orders import cache
    from coop.orders import services as orders
    from coop.orders.models import Round

    folder = tempfile.mkdtemp(prefix="coop-bench-split-")
    config = testing_config(f"sqlite:///{folder}/bench.sqlite")
    config["SPLIT_CACHE_CHECK"] = False  # the bench checks once per change itself
    app = create_app(config)
    rng = random.Random(19)
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # the migrations' log
            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        seeded = seed(db.engine, with_login=1)
        session = db.session
        rnd = session.get(Round, seeded.round_id)
        start = time.perf_counter()
        cache.compute(session, rnd)
        full_seconds = time.perf_counter() - start
        members = list(session.scalars(select_members(Membership, seeded.group_id)))[1:]
        treasurer = session.scalars(select_members(Membership, seeded.group_id)).first()
        assert treasurer is not None
        times, same = [], True
        for _ in range(changes):
            member = rng.choice(members)
            item = rng.choice(seeded.item_ids)
            orders.save_order(session, rnd, member, {item: (rng.randrange(1, 10) * 1000,
                                                            rng.randrange(0, 4) * 1000)},
                              treasurer.user, as_treasurer=True)
            session.commit()
            rnd = session.get(Round, seeded.round_id)
            start = time.perf_counter()
            bill = cache.member_share(session, rnd, member.id)
            times.append(time.perf_counter() - start)
            same = same and bill == cache.compute(session, rnd, keep_live=False).members.get(
                member.id)
        session.remove()
        db.engine.dispose()
    return full_seconds, times, same


def select_members(membership: type, group_id: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return select(membership).where(membership.group_id == group_id).order_by(membership.id)


def print_cached() -> None:
    full_seconds, times, same = cached_times()
    median_ms = statistics.median(times) * 1000
    print(f"through the split cache (SQLite, {LIVE_LINES // PRODUCTS:,} x {PRODUCTS}): "
          f"the round split anew {full_seconds * 1000:.0f} ms; her bill after an order "
          f"{median_ms:.1f} ms (median of {len(times)}, worst {max(times) * 1000:.1f} ms; "
          f"target < {TARGET_LIVE_MS:.0f} ms): "
          f"{'met' if median_ms < TARGET_LIVE_MS else 'NOT met'}; "
          f"the same as a full split: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
