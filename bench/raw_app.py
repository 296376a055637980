"""Yardsticks for bench/http.py: the least that the member's "my share" page
and her order submission must ask of PostgreSQL, written by hand in raw SQL
(psycopg, one connection per worker thread; no ORM, no templates, no forms, no
Flask-Login), at the same URLs as Coop's pages and taking the same session
cookie and form.

- GET  /groups/<g>/rounds/<r>/share: checks the session (the user and her
  login nonce) and reads what the share page reads in one transaction: the
  group, her membership, the round and her balance. Its answer is a body of
  COOP_BENCH_PAGE_BYTES bytes (the size of Coop's page); nothing is rendered.
- POST /groups/<g>/rounds/<r>/order: reads the form as Coop's order page
  does (coop.orders.forms.parse_order_form), then in one transaction checks
  the session, locks her membership, checks the round is open and each
  quantity against its product's step, writes the lines that changed with
  their history rows, checks her credit when the group has a limit, renews
  the round's change token, commits and redirects.

What these reach is the most that any implementation of those two pages
could reach on the same machine and database: every cost left out here
(templates, CSRF, the split, the ORM) only lowers it."""

from __future__ import annotations

import os
import threading
from typing import Any

import psycopg
from flask import Flask, abort, current_app, redirect, request, session
from flask_babel import Babel

from coop.orders.forms import parse_order_form


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """gunicorn 'bench.raw_app:create_app()': the settings come from Coop's
    own COOP_DATABASE_URL and COOP_SECRET_KEY (so that Coop's session cookie
    is read here) and COOP_BENCH_PAGE_BYTES."""
    app = Flask(__name__)
    app.config.update({
        "SECRET_KEY": os.environ.get("COOP_SECRET_KEY"),
        "DSN": os.environ.get("COOP_DATABASE_URL", ""),
        "PAGE_BYTES": int(os.environ.get("COOP_BENCH_PAGE_BYTES", "20000")),
        **(config or {})})
    app.config["DSN"] = app.config["DSN"].replace("postgresql+psycopg://", "postgresql://", 1)
    Babel(app)  # the form parser's messages for what is not a number
    app.add_url_rule("/groups/<int:group_id>/rounds/<int:round_id>/share", view_func=share)
    app.add_url_rule("/groups/<int:group_id>/rounds/<int:round_id>/order", view_func=order,
                     methods=["POST"])
    return app


_local = threading.local()  # one connection per worker thread (and process) and database


def _thread_connections() -> dict[str, psycopg.Connection]:
    return _local.__dict__.setdefault("connections", {})


def connection() -> psycopg.Connection:
    dsn = current_app.config["DSN"]
    connections = _thread_connections()
    conn = connections.get(dsn)
    if conn is None or conn.closed:
        conn = connections[dsn] = psycopg.connect(dsn)
    return conn


def close_connections() -> None:
    """Close this thread's connections (the tests do, after each)."""
    connections = _thread_connections()
    for conn in connections.values():
        conn.close()
    connections.clear()


def signed_in_user(conn: psycopg.Connection) -> int:
    user_id, _, nonce = str(session.get("_user_id", "")).partition(":")
    if not user_id.isdigit():
        abort(401)
    row = conn.execute("SELECT login_nonce, disabled FROM users WHERE id = %s",
                       (int(user_id),)).fetchone()
    if row is None or row[0] != nonce or row[1]:
        abort(401)
    return int(user_id)


def balance(conn: psycopg.Connection, membership_id: int) -> int:
    return conn.execute(
        "SELECT coalesce(sum(CASE WHEN p.credit_account_id = a.id THEN p.amount"
        " ELSE -p.amount END), 0) FROM accounts a LEFT JOIN postings p"
        " ON p.debit_account_id = a.id OR p.credit_account_id = a.id"
        " WHERE a.membership_id = %s", (membership_id,)).fetchone()[0]


def share(group_id: int, round_id: int) -> bytes:
    conn = connection()
    with conn.transaction():
        user_id = signed_in_user(conn)
        conn.execute("SELECT name, currency, language FROM groups WHERE id = %s",
                     (group_id,)).fetchone()
        membership = conn.execute(
            "SELECT id, role FROM memberships WHERE group_id = %s AND user_id = %s"
            " AND active", (group_id, user_id)).fetchone()
        if membership is None:
            abort(404)
        rnd = conn.execute("SELECT title, state, change_token FROM rounds"
                           " WHERE id = %s AND group_id = %s", (round_id, group_id)).fetchone()
        if rnd is None:
            abort(404)
        balance(conn, membership[0])
    return b"x" * current_app.config["PAGE_BYTES"]


def order(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    conn = connection()
    with conn.transaction():
        user_id = signed_in_user(conn)
        membership = conn.execute(
            "SELECT m.id, g.credit_limit FROM memberships m JOIN groups g ON g.id = m.group_id"
            " WHERE m.group_id = %s AND m.user_id = %s AND m.active FOR UPDATE OF m",
            (group_id, user_id)).fetchone()
        rnd = conn.execute("SELECT state FROM rounds WHERE id = %s AND group_id = %s",
                           (round_id, group_id)).fetchone()
        if membership is None or rnd is None:
            abort(404)
        if rnd[0] != "open":
            abort(422)
        steps = dict(conn.execute(
            "SELECT ri.id, p.granularity FROM round_items ri JOIN products p"
            " ON p.id = ri.product_id WHERE ri.round_id = %s", (round_id,)).fetchall())
        lines, typed = parse_order_form(request.form, list(steps))
        if len(lines) != len(typed):
            abort(422)
        existing = {row[0]: row[1:] for row in conn.execute(
            "SELECT round_item_id, id, quantity, tolerance FROM requests"
            " WHERE round_id = %s AND membership_id = %s", (round_id, membership[0]))}
        updates, history = [], []
        for item_id, (quantity, tolerance) in lines.items():
            if quantity < 0 or tolerance < 0 or quantity % steps[item_id] \
                    or tolerance % steps[item_id]:
                abort(422)
            request_id, old_q, old_t = existing.get(item_id, (None, 0, 0))
            if (old_q, old_t) == (quantity, tolerance):
                continue
            if request_id is None:
                abort(422)  # the bench's members have every line already
            updates.append((quantity, tolerance, user_id, request_id))
            history.append((round_id, item_id, membership[0], old_q, old_t, quantity,
                            tolerance, user_id))
        with conn.cursor() as cur:
            cur.executemany(
                "UPDATE requests SET quantity = %s, tolerance = %s, updated_by_id = %s,"
                " updated_at = now() AT TIME ZONE 'utc' WHERE id = %s", updates)
            cur.executemany(
                "INSERT INTO request_changes (round_id, round_item_id, membership_id,"
                " old_quantity, old_tolerance, new_quantity, new_tolerance, changed_by_id,"
                " changed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
                " now() AT TIME ZONE 'utc')", history)
        if membership[1] is not None:
            balance(conn, membership[0])
        if updates:
            conn.execute("UPDATE rounds SET change_token = change_token + 1 WHERE id = %s",
                         (round_id,))
    return redirect(request.path, 302)
