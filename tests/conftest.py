"""Fixtures in the style of Flask's tutorial: app, client, runner, plus a
database session that is emptied after each test.

The schema comes from the Alembic migrations, never from create_all. By default
the suite runs on a throwaway SQLite file; COOP_TEST_DATABASE_URL points it at
PostgreSQL (an empty database that the suite may fill and empty)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from coop import create_app
from coop.config import testing_config
from coop.extensions import db, limiter

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def database_url(tmp_dir: Path) -> str:
    return os.environ.get("COOP_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'coop-test.sqlite'}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, with its own database session,
    `g` and signed-in user, as in production, even while a test holds a context."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(testing_config(database_url(tmp_path_factory.mktemp("db"))))
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        _empty_tables()
    yield app


def _empty_tables() -> None:
    from coop.orders.cache import forget_live_splits

    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    forget_live_splits()


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        _empty_tables()
    limiter.reset()


@pytest.fixture()
def session(app_ctx: Flask) -> Session:
    return db.session


@pytest.fixture()
def client(app_ctx: Flask) -> FlaskClient:
    return app_ctx.test_client()


@pytest.fixture()
def runner(app_ctx: Flask):  # type: ignore[no-untyped-def]
    return app_ctx.test_cli_runner()


@pytest.fixture()
def count_queries(app_ctx: Flask):  # type: ignore[no-untyped-def]
    """Counts the SQL statements run inside a `with count_queries() as n:` block."""
    from contextlib import contextmanager

    @contextmanager
    def counter():  # type: ignore[no-untyped-def]
        count = [0]

        def before(*_args: object) -> None:
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield count
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {url}: {page[:800]}"
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """POST a form the way a browser does: with the page's CSRF token, and a
    fresh idempotency key as a money form shown anew carries (other forms
    ignore it)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    data.setdefault("idempotency_key", secrets.token_urlsafe(24))
    return client.post(url, data=data, **kwargs)


def login(client: FlaskClient, login_name: str, password: str = "secret-password"):  # type: ignore[no-untyped-def]
    response = post(client, "/login", {"login": login_name, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def is_postgres() -> bool:
    return (os.environ.get("COOP_TEST_DATABASE_URL") or "").startswith("postgresql")


@pytest.fixture()
def pg_only() -> None:
    if not is_postgres():
        pytest.skip("needs COOP_TEST_DATABASE_URL on PostgreSQL")


def sql(session: Session, statement: str) -> object:
    return session.execute(text(statement)).scalar()
