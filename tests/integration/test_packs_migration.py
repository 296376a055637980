"""Migration 0011_packs on a database that already holds products: they keep
every value and no container, and print their packs as before."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from coop import create_app
from coop.config import testing_config
from coop.extensions import db
from tests.conftest import MIGRATIONS
from tests.integration.test_migrations import empty_database_url  # noqa: F401  (fixture)
from tests.integration.test_units_migration import PRODUCT_UNITS, _fill


def test_existing_products_keep_everything_and_no_container(empty_database_url: str  # noqa: F811
                                                              ) -> None:
    app = create_app(testing_config(empty_database_url))
    columns = "id, name, unit, pack_size, granularity, article_code"
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0009")
        with db.engine.begin() as conn:
            _fill(conn)
        upgrade(directory=MIGRATIONS, revision="0010_layout")
        with db.engine.connect() as conn:
            before = conn.execute(text(f"SELECT {columns} FROM products ORDER BY id")).all()
        upgrade(directory=MIGRATIONS, revision="0011_packs")
        with db.engine.begin() as conn:
            after = conn.execute(text(f"SELECT {columns} FROM products ORDER BY id")).all()
            containers = conn.execute(text("SELECT pack_container FROM products")).scalars().all()
            conn.execute(text("UPDATE products SET pack_container = 'sack' WHERE id = 4"))
        assert after == before and len(after) == len(PRODUCT_UNITS)
        assert containers == [None] * len(PRODUCT_UNITS)
        downgrade(directory=MIGRATIONS, revision="0010_layout")
        with db.engine.connect() as conn:
            assert conn.execute(text(f"SELECT {columns} FROM products ORDER BY id")).all() \
                == before
        db.session.remove()
