"""How fast a supplier's catalog imports: `python bench/catalog_import.py`.

Builds a 10,000-row catalog CSV (semicolons, decimal commas, a BOM: what a
Russian-locale spreadsheet saves), a throwaway SQLite database made by the
migrations, a group and a supplier; then times the import service (parse +
upsert + commit) into an empty catalog, and a re-import in which every product
changes (all updates). Target: under 5 s each. It only prints; it never fails.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from coop import create_app
from coop.config import testing_config
from coop.extensions import db
from coop.groups.models import Group
from coop.suppliers import services

ROWS = 10_000
TARGET_SECONDS = 5.0
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
HEADER = "article_code;name;unit;pack_size;granularity;weight_kg;retail_price;tiers"


def build_catalog(rows: int, price_shift: int = 0) -> bytes:
    """`rows` products with one to three price tiers, some without a retail price."""
    lines = [HEADER]
    for i in range(rows):
        step = "0,5" if i % 3 == 0 else "1"
        base = 40 + i % 60 + price_shift
        tiers = [f"0={base},{i % 100:02d}"]
        if i % 2:
            tiers.append(f"50={base - 3},5")
        if i % 5 == 0:
            tiers.append(f"200={base - 6}")
        retail = "" if i % 4 == 0 else f"{base + 12},25"
        lines.append(f"ART-{i:05d};Товар «{i}», сорт {i % 7};кг;{5 + i % 20};{step};"
                     f"{i % 9},{i % 1000:03d};{retail};{'|'.join(tiers)}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def timed_import(supplier_id: int, data: bytes) -> tuple[float, services.ImportResult]:
    db.session.expire_all()
    start = time.perf_counter()
    supplier = db.session.get(services.Supplier, supplier_id)
    result = services.import_catalog(db.session, supplier, data)
    db.session.commit()
    return time.perf_counter() - start, result


def report(label: str, seconds: float, result: services.ImportResult, size: int) -> None:
    verdict = "met" if seconds < TARGET_SECONDS else "NOT met"
    print(f"{label:<22} rows={result.total:>6}  added={result.added:>6}  "
          f"updated={result.updated:>6}  {seconds:6.2f} s  {result.total / seconds:8.0f} rows/s  "
          f"file={size / 1024:.0f} KiB  target < {TARGET_SECONDS:.0f} s: {verdict}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as tmp:
        app = create_app(testing_config(f"sqlite:///{Path(tmp) / 'bench.sqlite'}"))
        first, second = build_catalog(ROWS), build_catalog(ROWS, price_shift=1)
        (Path(tmp) / "catalog.csv").write_bytes(first)
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            group = Group(name="Bench", country="KG", currency="KGS", language="ru")
            db.session.add(group)
            db.session.flush()
            supplier_id = services.create_supplier(db.session, group, name="Bench supplier").id
            db.session.commit()
            with app.test_request_context():
                seconds, result = timed_import(supplier_id, first)
                report("import (all new)", seconds, result, len(first))
                seconds, result = timed_import(supplier_id, second)
                report("re-import (all updates)", seconds, result, len(second))
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
