"""Migration 0010_units on a database that already holds data: the free-text
units are mapped onto the list (what names no unit stays as written), and
each group gets the time zone of its country."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from coop import create_app
from coop.config import testing_config
from coop.extensions import db
from tests.conftest import MIGRATIONS
from tests.integration.test_migrations import empty_database_url  # noqa: F401  (fixture)

NOW = "2026-11-01 10:00:00"
PRODUCT_UNITS = {1: "кг", 2: "Шт.", 3: "пакет", 4: "мешок", 5: "л", 6: "ғалтак",
                 7: "килограмм", 8: "pcs", 9: "мешок 50 кг", 10: "даана"}
EXPECTED = {1: "kg", 2: "piece", 3: "bag", 4: "sack", 5: "l", 6: "ғалтак", 7: "kg",
            8: "piece", 9: "мешок 50 кг", 10: "piece"}


def _fill(conn) -> None:  # type: ignore[no-untyped-def]
    groups = [(1, "KG", "KGS"), (2, "TJ", "TJS"), (3, "UZ", "UZS"), (4, "KZ", "TJS")]
    for gid, country, currency in groups:
        conn.execute(text(
            "INSERT INTO groups (id, name, village, region, country, currency, language, "
            "levy_basis_points, cash_rounding, loss_policy, created_at) VALUES "
            "(:id, :name, '', '', :country, :currency, 'ru', 0, 0, 'product', :now)"),
            {"id": gid, "name": f"Группа {gid}", "country": country, "currency": currency,
             "now": NOW})
    conn.execute(text(
        "INSERT INTO suppliers (id, group_id, name, contact_person, phone, address, language, "
        "active, created_at) VALUES (1, 1, 'Агро', '', '', '', 'ru', :yes, :now)"),
        {"yes": True, "now": NOW})
    for pid, unit in PRODUCT_UNITS.items():
        conn.execute(text(
            "INSERT INTO products (id, group_id, supplier_id, article_code, name, unit, "
            "pack_size, granularity, weight_grams, retired, created_at, updated_at) VALUES "
            "(:id, 1, 1, :code, :name, :unit, 1000, 1000, 0, :no, :now, :now)"),
            {"id": pid, "code": f"A{pid}", "name": f"Товар {pid}", "unit": unit, "no": False,
             "now": NOW})
    for lid, unit in ((1, "банка"), (2, "банка 0,5 л"), (3, "кг")):
        conn.execute(text(
            "INSERT INTO sale_lots (id, group_id, product, unit, step, period_from, place, "
            "levy_basis_points, state, created_at) VALUES "
            "(:id, 2, 'Варенье', :unit, 1000, '2026-08-01', '', 0, 'open', :now)"),
            {"id": lid, "unit": unit, "now": NOW})


def test_existing_units_and_groups_survive_the_migration(empty_database_url: str  # noqa: F811
                                                         ) -> None:
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0009")
        with db.engine.begin() as conn:
            _fill(conn)
        upgrade(directory=MIGRATIONS, revision="0010_units")
        with db.engine.connect() as conn:
            units = dict(conn.execute(text("SELECT id, unit FROM products")).all())
            lots = dict(conn.execute(text("SELECT id, unit FROM sale_lots")).all())
            zones = dict(conn.execute(text("SELECT id, timezone FROM groups")).all())
            names = dict(conn.execute(text("SELECT id, name FROM products")).all())
        assert units == EXPECTED
        assert lots == {1: "jar", 2: "банка 0,5 л", 3: "kg"}
        assert zones == {1: "Asia/Bishkek", 2: "Asia/Dushanbe", 3: "Asia/Tashkent",
                         4: "Asia/Almaty"}
        assert names[1] == "Товар 1" and len(names) == len(PRODUCT_UNITS)
        downgrade(directory=MIGRATIONS, revision="0009")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM products")).scalar() == 10
        db.session.remove()
