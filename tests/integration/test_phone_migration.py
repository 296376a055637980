"""Migration 0010_phones: stored numbers become E.164, read in the country of
the person's (the supplier's) group; what cannot be read is printed and kept."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from coop import create_app
from coop.config import testing_config
from coop.extensions import db
from tests.conftest import MIGRATIONS
from tests.integration.test_migrations import empty_database_url  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 30, 12, 0)
# (id, phone as typed, group id or None, expected after the migration)
USERS = [
    (1, "0555 10 00 03", 1, "+996555100003"),
    (2, "8 (555) 10-00-04", 1, "+996555100004"),
    (3, "00996 555 100 005", 1, "+996555100005"),
    (4, "92 700 00 02", 2, "+992927000002"),
    (5, "992927000003", 2, "+992927000003"),
    (6, "8 92 700 00 04", 2, "+992927000004"),
    (7, "call her sister", 1, "call her sister"),   # not a number: kept, printed
    (8, "+996555100008", None, "+996555100008"),     # already E.164, no group
    (9, "555 100 003", 1, "555 100 003"),            # the same as user 1's: kept, printed
    (10, "555100006", None, "+996555100006"),        # no group: read as Kyrgyz
    (11, None, 1, None),
]


def _seed(conn) -> None:  # type: ignore[no-untyped-def]
    for gid, country, currency in ((1, "KG", "KGS"), (2, "TJ", "TJS")):
        conn.execute(text(
            "INSERT INTO groups (id, name, village, region, country, currency, language, "
            "levy_basis_points, cash_rounding, loss_policy, created_at) VALUES "
            "(:id, :name, '', '', :country, :currency, 'ru', 0, 0, 'product', :now)"),
            {"id": gid, "name": f"G{gid}", "country": country, "currency": currency,
             "now": NOW})
    for uid, phone, gid, _expected in USERS:
        conn.execute(text(
            "INSERT INTO users (id, name, phone, is_admin, disabled, login_nonce, created_at) "
            "VALUES (:id, :name, :phone, false, false, 'n', :now)"),
            {"id": uid, "name": f"U{uid}", "phone": phone, "now": NOW})
        if gid:
            conn.execute(text(
                "INSERT INTO memberships (group_id, user_id, role, active, created_at, "
                "order_lock) VALUES (:g, :u, 'member', true, :now, 0)"),
                {"g": gid, "u": uid, "now": NOW})
    for sid, gid, phone in ((1, 1, "0 (3922) 5-12-34"), (2, 2, "92 700 11 22"),
                            (3, 1, "ask at the bazaar"), (4, 1, "")):
        conn.execute(text(
            "INSERT INTO suppliers (id, group_id, name, contact_person, phone, address, "
            "language, active, created_at) VALUES (:id, :g, :name, '', :phone, '', 'ru', "
            "true, :now)"), {"id": sid, "g": gid, "name": f"S{sid}", "phone": phone,
                             "now": NOW})


def test_stored_numbers_become_e164_and_the_unreadable_are_reported(
        empty_database_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0009")
        with db.engine.begin() as conn:
            _seed(conn)
        capsys.readouterr()
        upgrade(directory=MIGRATIONS)
        printed = capsys.readouterr().out
        with db.engine.connect() as conn:
            users = dict(conn.execute(text("SELECT id, phone FROM users")).all())
            suppliers = dict(conn.execute(text("SELECT id, phone FROM suppliers")).all())
        db.session.remove()
        db.engine.dispose()
    print(printed)
    assert users == {uid: expected for uid, _phone, _gid, expected in USERS}
    assert suppliers == {1: "+996392251234", 2: "+992927001122", 3: "ask at the bazaar",
                         4: ""}
    assert "user 7: 'call her sister' is not a phone number (KG); left as it was" in printed
    assert "user 9: '555 100 003' is +996555100003, which another person has" in printed
    assert "supplier 3: 'ask at the bazaar' is not a phone number" in printed
    assert "user 1:" not in printed and "user 4:" not in printed
