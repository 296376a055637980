"""Migration 0010_payables on a database with data: the postings stay as they
were, each group gets bank and mobile-wallet accounts, each supplier her
account, and members' earlier bank and mobile payments move out of the cash
by one added posting, so that the books still balance and the cash is cash."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from coop import create_app
from coop.config import testing_config
from coop.extensions import db
from coop.groups.models import Group, Membership
from coop.ledger import services as ledger
from tests.conftest import MIGRATIONS
from tests.integration.test_migrations import empty_database_url  # noqa: F401 (fixture)

NOW = "2026-11-30 10:00:00"


def _insert(conn, table: str, **values: object) -> int:  # type: ignore[no-untyped-def]
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    return conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"),
                        values).scalar_one()


@pytest.mark.parametrize("start", ["0009", "0008"])  # from 0008: 0009 runs in the same go
def test_upgrade_keeps_postings_and_moves_non_cash_payments_out_of_the_cash(
        empty_database_url: str, start: str) -> None:  # noqa: F811
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=start)
        with db.engine.begin() as conn:
            group = _insert(conn, "groups", name="Группа", village="Село", region="Ош",
                            country="KG", currency="KGS", language="ru", levy_basis_points=0,
                            cash_rounding=0, loss_policy="product", created_at=NOW)
            user = _insert(conn, "users", name="Айгүл", is_admin=False, disabled=False,
                           login_nonce="n", created_at=NOW)
            member = _insert(conn, "memberships", group_id=group, user_id=user, role="member",
                             active=True, created_at=NOW)
            supplier = _insert(conn, "suppliers", group_id=group, name="Агро", contact_person="",
                               phone="", address="", language="ru", active=True,
                               created_at=NOW)
            cash = _insert(conn, "accounts", group_id=group, kind="cash")
            purchases = _insert(conn, "accounts", group_id=group, kind="suppliers")
            her = _insert(conn, "accounts", group_id=group, kind="member", membership_id=member)
            # her bill, and three payments: cash 100, bank 250, mobile 40 (reversed)
            _insert(conn, "postings", group_id=group, debit_account_id=her,
                    credit_account_id=purchases, amount=50000, kind="charge", memo="",
                    created_at=NOW)
            for method, amount in (("cash", 10000), ("bank", 25000), ("mobile", 4000)):
                posting = _insert(conn, "postings", group_id=group, debit_account_id=cash,
                                  credit_account_id=her, amount=amount, kind="payment",
                                  memo="", created_at=NOW)
                _insert(conn, "payments", group_id=group, membership_id=member, amount=amount,
                        method=method, reference="", idempotency_key=f"key-{method}-00000000",
                        posting_id=posting, created_at=NOW)
            _insert(conn, "postings", group_id=group, debit_account_id=her,
                    credit_account_id=cash, amount=4000, kind="reversal", memo="ошибка",
                    reverses_id=posting, created_at=NOW)
            before = conn.execute(text("SELECT id, debit_account_id, credit_account_id, amount, "
                                       "kind FROM postings ORDER BY id")).all()
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            after = conn.execute(text("SELECT id, debit_account_id, credit_account_id, amount, "
                                      "kind FROM postings ORDER BY id")).all()
            kinds = dict(conn.execute(text(
                "SELECT kind, COUNT(*) FROM accounts GROUP BY kind")).all())
            supplier_account = conn.execute(text(
                "SELECT id FROM accounts WHERE supplier_id = :s"), {"s": supplier}).scalar()
        assert after[:len(before)] == before  # nothing edited
        [added] = after[len(before):]
        assert (added.kind, added.amount, added.credit_account_id) == (
            "method_transfer", 25000, cash)  # the reversed mobile payment moved nothing
        assert kinds["bank"] == kinds["mobile"] == kinds["supplier"] == 1
        assert supplier_account is not None
        session = db.session
        books = ledger.books(session, session.get(Group, group),
                             [session.get(Membership, member)])
        assert (books.cash_on_hand, books.in_bank, books.in_mobile) == (10000, 25000, 0)
        assert books.members_net == -15000 and books.suppliers == 50000
        assert books.total == 0
        session.remove()
