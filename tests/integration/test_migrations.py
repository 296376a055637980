"""The schema comes only from the migrations: an empty database upgrades to
head, matches the models exactly, downgrades to nothing and upgrades again."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from coop import create_app
from coop.config import testing_config
from coop.extensions import db
from tests.conftest import MIGRATIONS


@pytest.fixture()
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database of the kind the suite runs on."""
    base = os.environ.get("COOP_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    url = make_url(base)
    name = f"coop_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_upgrade_empty_database_and_match_models(empty_database_url: str) -> None:
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables

        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS)
        assert {t.name for t in db.metadata.sorted_tables} <= set(
            inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()


def test_sqlite_enforces_foreign_keys(session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    from coop.groups.models import Membership

    session.add(Membership(group_id=999999, user_id=999999, role="member"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_0010_keeps_the_books_numbers_old_payments_and_unlinks_double_reversals(
        empty_database_url: str) -> None:
    """Books written before 0010, with a posting reversed twice by the old race:
    every posting survives with its amount, the second reversal loses only its
    link (so that the unique index can be made), and the old payments get
    receipt numbers in the order they were recorded, the counter after them."""
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0009")
        with db.engine.begin() as conn:
            run = conn.execute
            run(text("INSERT INTO users (id, name, is_admin, disabled, login_nonce, created_at) "
                     "VALUES (1, 'Айгүл', false, false, 'n', '2026-01-05 10:00:00')"))
            run(text("INSERT INTO groups (id, name, village, region, country, currency, "
                     "language, levy_basis_points, cash_rounding, loss_policy, created_at) "
                     "VALUES (1, 'G', '', '', 'KG', 'KGS', 'ru', 0, 0, 'product', "
                     "'2026-01-05 10:00:00')"))
            run(text("INSERT INTO memberships (id, group_id, user_id, role, active, created_at) "
                     "VALUES (1, 1, 1, 'member', true, '2026-01-05 10:00:00')"))
            run(text("INSERT INTO accounts (id, group_id, kind, membership_id) VALUES "
                     "(1, 1, 'member', 1), (2, 1, 'cash', NULL)"))
            for pid, debit, credit, kind, reverses, at in (
                    (1, 2, 1, 'payment', None, '2025-12-30 09:00:00'),
                    (2, 2, 1, 'payment', None, '2026-01-06 09:00:00'),
                    (3, 2, 1, 'payment', None, '2026-01-07 09:00:00'),
                    (4, 1, 2, 'reversal', 3, '2026-01-07 10:00:00'),
                    (5, 1, 2, 'reversal', 3, '2026-01-07 10:00:00')):
                run(text("INSERT INTO postings (id, group_id, debit_account_id, "
                         "credit_account_id, amount, kind, memo, reverses_id, created_at) "
                         "VALUES (:id, 1, :d, :c, 700, :k, '', :r, :at)"),
                    {"id": pid, "d": debit, "c": credit, "k": kind, "r": reverses, "at": at})
            for pay_id, posting_id in ((1, 1), (2, 2), (3, 3)):
                run(text("INSERT INTO payments (id, group_id, membership_id, amount, method, "
                         "reference, idempotency_key, posting_id, created_at) VALUES "
                         "(:id, 1, 1, 700, 'cash', '', :key, :p, "
                         "(SELECT created_at FROM postings WHERE id = :p))"),
                    {"id": pay_id, "key": f"old-key-{pay_id:012d}", "p": posting_id})
            if db.engine.dialect.name == "postgresql":  # as if the ids had come from it
                for table in ("users", "groups", "memberships", "accounts", "postings",
                              "payments"):
                    run(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))"))
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            postings = conn.execute(text(
                "SELECT id, amount, reverses_id FROM postings ORDER BY id")).all()
            receipts = conn.execute(text(
                "SELECT id, receipt_year, receipt_seq FROM payments ORDER BY id")).all()
            counters = conn.execute(text(
                "SELECT year, last FROM document_counters WHERE doc_type = 'receipt' "
                "ORDER BY year")).all()
        assert [tuple(p) for p in postings] == [(1, 700, None), (2, 700, None), (3, 700, None),
                                                (4, 700, 3), (5, 700, None)]
        assert [tuple(r) for r in receipts] == [(1, 2025, 1), (2, 2026, 1), (3, 2026, 2)]
        assert [tuple(c) for c in counters] == [(2025, 1), (2026, 2)]
        db.session.remove()
