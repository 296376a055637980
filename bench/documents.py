"""How fast the documents are made: `python bench/documents.py`.

Builds a throwaway SQLite database by the migrations, with two settled rounds
of one group (10 and 500 members, 100 products, each member ordering 10 of
them, a damaged delivery, shared costs, levy and cash rounding) and an open
round. Prints: one member invoice (target < 50 ms), the distribution sheet of
500 members x 100 products (target < 3 s), all 500 invoices of the round
(target < 15 s), and the SQL queries each document takes with 10 and with 500
members (they must not grow with the members). It only prints; it never fails.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import event

from coop import create_app
from coop.config import testing_config
from coop.documents import builders, services
from coop.documents.domain import InvoiceData, Stamp
from coop.extensions import db
from coop.groups import services as groups
from coop.groups.models import Group, Membership
from coop.orders import explain, facts
from coop.orders import services as orders
from coop.orders.models import Request, Round
from coop.suppliers.models import PriceTier, Product, Supplier

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
PRODUCTS = 100
PER_MEMBER = 10
TARGETS = {"invoice": 0.050, "sheet": 3.0, "invoices": 15.0}


def _catalog(group: Group) -> list[Product]:
    supplier = Supplier(group_id=group.id, name="Агро-Каракол", language="ru",
                        contact_person="Асель", phone="+996 555 000 000", address="Каракол")
    db.session.add(supplier)
    db.session.flush()
    products = []
    for p in range(PRODUCTS):
        products.append(Product(
            group_id=group.id, supplier_id=supplier.id, article_code=f"A-{p:03d}",
            name=f"Семена «Сорт {p}», пакет {5 + p % 20} г", unit="пакет",
            pack_size=(10 + p % 15) * 1000, granularity=1000, weight_grams=10 + p % 50,
            retail_price=(60 + p % 40) * 1_000_000,
            price_tiers=[PriceTier(min_qty=0, unit_price=(40 + p % 30) * 1_000_000 + 500_000),
                         PriceTier(min_qty=200_000, unit_price=(36 + p % 30) * 1_000_000)]))
    db.session.add_all(products)
    db.session.flush()
    return products


def _settled_round(group: Group, members: list[Membership], products: list[Product],
                   treasurer: Membership, title: str) -> Round:
    rnd = orders.create_round(db.session, group, treasurer.user, title=title, deadline=None,
                              product_ids=[p.id for p in products], delivery_place="Дом культуры")
    orders.move_round(db.session, rnd, treasurer.user, "open")
    items = rnd.items
    db.session.add_all([
        Request(round_id=rnd.id, round_item_id=items[(m * 7 + k * 11) % PRODUCTS].id,
                membership_id=member.id, quantity=(3 + (m + k) % 9) * 1000,
                tolerance=(m % 4) * 1000)
        for m, member in enumerate(members) for k in range(PER_MEMBER)])
    db.session.flush()
    orders.add_shared_cost(db.session, rnd, name="Грузовик", amount=2_500_000, rule="weight")
    orders.add_shared_cost(db.session, rnd, name="Банк", amount=150_000, rule="value")
    orders.move_round(db.session, rnd, treasurer.user, "closed")
    orders.award_at_list_prices(db.session, rnd, treasurer.user)
    fills = orders.pack_fills(db.session, rnd)
    orders.record_delivery(db.session, rnd, {
        item.id: (fill.packs * fill.pack_size, 1000 if i % 9 == 0 and fill.packs else 0)
        for i, (item, fill) in enumerate(fills)}, actor=treasurer.user)
    orders.confirm_delivery(db.session, rnd, treasurer.user)
    orders.settle_round(db.session, rnd, treasurer.user)
    db.session.commit()
    return rnd


def build_world(count: int) -> tuple[int, int, int]:
    """(settled round id, open round id, a member's id)."""
    group = Group(name=f"Группа на {count}", village="Светлая Поляна", region="Иссык-Куль",
                  country="KG", currency="KGS", language="ru", levy_basis_points=200,
                  cash_rounding=100)
    db.session.add(group)
    db.session.flush()
    treasurer = groups.add_member(db.session, group, name="Майрам Дукенбаева",
                                  role="treasurer", phone=f"+99655510{count:04d}")
    members = [groups.add_member(db.session, group, name=f"Айгүл {i:03d} Токтогулова")
               for i in range(count)]
    products = _catalog(group)
    settled = _settled_round(group, members, products, treasurer, "Весна")
    open_round = orders.create_round(db.session, group, treasurer.user, title="Осень",
                                     deadline=None,
                                     product_ids=[p.id for p in products[:40]])
    orders.move_round(db.session, open_round, treasurer.user, "open")
    db.session.commit()
    return settled.id, open_round.id, members[0].id


@contextmanager
def counted() -> Iterator[list[int]]:
    count = [0]

    def before(*_args: object) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def best_of(repeats: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def verdict(seconds: float, target: float) -> str:
    return f"target < {target:g} s: {'met' if seconds < target else 'NOT met'}"


def query_counts(round_id: int, open_id: int, member_id: int) -> dict[str, int]:
    """Queries of each document, on a fresh session (nothing cached), the round
    and the member loaded first as a view loads them."""
    counts: dict[str, int] = {}
    documents: dict[str, Callable[[Round, Round, Membership], object]] = {
        "invoice (issue one)": lambda r, _o, m: services.issue_invoice(db.session, r, m, None),
        "all invoices (issue)": lambda r, _o, _m: services.issue_invoices(db.session, r, None),
        "all invoices (one PDF)": lambda r, _o, _m: services.invoices_pdf(db.session, r, None),
        "purchase order": lambda r, _o, _m: services.issue_purchase_orders(db.session, r, None),
        "distribution sheet": lambda r, _o, _m: builders.build_distribution_sheet(
            services.distribution_data(db.session, r)),
        "order form": lambda _r, o, _m: builders.build_order_form(
            services.order_form_data(db.session, o)),
        "statement": lambda _r, _o, m: builders.build_statement(services.statement_data(
            db.session, m, start=None, end=None, start_at=None, end_at=None)),
    }
    for name, make in documents.items():
        db.session.rollback()
        db.session.expunge_all()
        # loaded as the views load them (coop.orders.services.get_round)
        fresh_member = db.session.get(Membership, member_id)
        group = fresh_member.group
        fresh_round = orders.get_round(db.session, group, round_id)
        fresh_open = orders.get_round(db.session, group, open_id)
        with counted() as n:
            make(fresh_round, fresh_open, fresh_member)  # type: ignore[arg-type]
        counts[name] = n[0]
    db.session.rollback()
    return counts


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as tmp:
        app = create_app(testing_config(f"sqlite:///{Path(tmp) / 'bench.sqlite'}"))
        with app.app_context(), app.test_request_context():
            upgrade(directory=MIGRATIONS)
            start = time.perf_counter()
            small, small_open, small_member = build_world(10)
            large, large_open, large_member = build_world(500)
            print(f"setup: two settled rounds (10 and 500 members, {PRODUCTS} products, "
                  f"{PER_MEMBER} products per member) in {time.perf_counter() - start:.1f} s")

            counts = {"10": query_counts(small, small_open, small_member),
                      "500": query_counts(large, large_open, large_member)}

            rnd = db.session.get(Round, large)
            member = db.session.get(Membership, large_member)
            round_split = orders.compute_split(db.session, rnd)
            figures = facts.member_facts(round_split.outcome,
                                         round_split.member_index[member.id])
            info = services.group_info(db.session, rnd.group)

            def one_invoice() -> bytes:
                share = explain.member_share(figures, "KGS")
                return builders.build_invoice(InvoiceData(
                    group=info, stamp=Stamp("INV-2026-0001", services.local_today(), "ru"),
                    round_title=rnd.title, settled_on=None, member_name=member.user.name,
                    member_phone="", share=share, balance=-share.total, paid=0,
                    due=share.total))

            seconds = best_of(5, one_invoice)
            print(f"member invoice (build)         {seconds * 1000:8.1f} ms  "
                  f"{verdict(seconds, TARGETS['invoice'])}")
            seconds = best_of(3, lambda: services.issue_invoice(
                db.session, rnd, member, None) and db.session.rollback())
            print(f"member invoice (issue, with DB){seconds * 1000:8.1f} ms")

            sheet: list[bytes] = []
            seconds = best_of(2, lambda: sheet.append(builders.build_distribution_sheet(
                services.distribution_data(db.session, rnd))))
            from io import BytesIO

            from pypdf import PdfReader

            pages = len(PdfReader(BytesIO(sheet[-1])).pages)
            print(f"distribution sheet 500 x {PRODUCTS}   {seconds:8.2f} s   "
                  f"({pages} pages, {len(sheet[-1]) // 1024} KiB)  "
                  f"{verdict(seconds, TARGETS['sheet'])}")

            db.session.rollback()
            start = time.perf_counter()
            issued = services.issue_invoices(db.session, rnd, None)
            db.session.commit()
            seconds = time.perf_counter() - start
            size = sum(d.size for d in issued.values())
            print(f"all {len(issued)} invoices (issue)     {seconds:8.2f} s   "
                  f"({size // 1024} KiB stored)  {verdict(seconds, TARGETS['invoices'])}")
            start = time.perf_counter()
            combined = services.invoices_pdf(db.session, rnd, None)
            print(f"all {len(issued)} invoices as one PDF  {time.perf_counter() - start:8.2f} s   "
                  f"({len(combined) // 1024} KiB)")

            print("\nSQL queries per document     10 members  500 members")
            for name in counts["10"]:
                a, b = counts["10"][name], counts["500"][name]
                print(f"  {name:<26} {a:>10}  {b:>11}  {'same' if a == b else 'GROWS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
