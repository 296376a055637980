"""A ledger account per supplier (payables), bank and mobile-wallet accounts
beside the cash, and supplier payments

Revision ID: 0010_payables
Revises: 0009
Create Date: 2026-12-01 23:00:00

Existing postings are kept as they are. Two things are added to the data:
- every group gets a bank and a mobile-wallet account, every supplier her
  account;
- members' payments by bank transfer or mobile money were posted into the
  cash until now: for each group, what they add up to (less their reversals)
  is moved out of the cash into the new account by one posting of kind
  `method_transfer`, so that the cash holds cash only. Nothing is edited.
Bills of rounds settled before this stay in the group's purchases account
(`suppliers`); the books show them there as purchases not yet assigned to a
supplier account.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_payables'
down_revision = '0009'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _sqlite_foreign_keys(on):
    """SQLite: the batch copy of `accounts` drops the old table, which postings
    refer to; with foreign keys enforced that fails. The pragma is ignored
    inside a transaction, so end the one earlier steps opened (SQLite's DDL is
    not transactional here anyway) before switching it."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.connection.dbapi_connection.in_transaction:
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        assert not broken, f"foreign keys broken by the migration: {broken[:5]}"


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier_id', ID, nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_accounts_kind'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_accounts_kind'),
            "kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', 'supplier')")
        batch_op.create_check_constraint(
            batch_op.f('ck_accounts_supplier_link'),
            "(kind = 'supplier') = (supplier_id IS NOT NULL)")
        batch_op.create_unique_constraint(batch_op.f('uq_accounts_supplier_id'), ['supplier_id'])
        batch_op.create_foreign_key(batch_op.f('fk_accounts_supplier_id_suppliers'),
                                    'suppliers', ['supplier_id'], ['id'])
    _sqlite_foreign_keys(True)

    op.create_table('supplier_payments',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('supplier_id', ID, nullable=False),
    sa.Column('round_id', ID, nullable=True),
    sa.Column('amount', ID, nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('posting_id', ID, nullable=False),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("method IN ('cash', 'bank', 'mobile')", name=op.f('ck_supplier_payments_method')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_supplier_payments_amount')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_supplier_payments_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_supplier_payments_group_id_groups')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_supplier_payments_posting_id_postings')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_supplier_payments_round_id_rounds')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_payments_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_payments')),
    sa.UniqueConstraint('group_id', 'idempotency_key', name=op.f('uq_supplier_payments_group_id_idempotency_key'))
    )
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_payments_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_payments_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_payments_supplier_id'), ['supplier_id'], unique=False)

    _accounts_for_existing_data()


def _accounts_for_existing_data():
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    accounts = sa.table('accounts', sa.column('id'), sa.column('group_id'), sa.column('kind'),
                        sa.column('membership_id'), sa.column('supplier_id'))
    for kind in ('bank', 'mobile'):
        bind.execute(sa.text(  # kind is one of two constants above
            f"INSERT INTO accounts (group_id, kind) SELECT g.id, '{kind}' FROM groups g "
            f"WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.group_id = g.id "
            f"AND a.kind = '{kind}')"))
    bind.execute(sa.text(
        "INSERT INTO accounts (group_id, kind, supplier_id) "
        "SELECT s.group_id, 'supplier', s.id FROM suppliers s "
        "WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.supplier_id = s.id)"))
    # Members' bank and mobile payments, less their reversals, per group.
    rows = bind.execute(sa.text(
        "SELECT p.group_id, pay.method, SUM(p.amount - COALESCE(r.amount, 0)) "
        "FROM payments pay JOIN postings p ON p.id = pay.posting_id "
        "LEFT JOIN postings r ON r.reverses_id = p.id "
        "WHERE pay.method IN ('bank', 'mobile') GROUP BY p.group_id, pay.method")).all()
    for group_id, method, amount in rows:
        amount = int(amount or 0)
        if amount <= 0:
            continue
        cash = bind.execute(sa.select(accounts.c.id).where(
            accounts.c.group_id == group_id, accounts.c.kind == 'cash')
            .order_by(accounts.c.id).limit(1)).scalar()
        target = bind.execute(sa.select(accounts.c.id).where(
            accounts.c.group_id == group_id, accounts.c.kind == method)
            .order_by(accounts.c.id).limit(1)).scalar()
        if cash is None or target is None:
            continue
        bind.execute(sa.text(
            "INSERT INTO postings (group_id, debit_account_id, credit_account_id, amount, "
            "kind, memo, created_at) VALUES (:group_id, :debit, :credit, :amount, "
            "'method_transfer', '', :now)"),
            {"group_id": group_id, "debit": target, "credit": cash, "amount": amount,
             "now": now})


def downgrade():
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM postings WHERE kind = 'method_transfer'"))
    op.drop_table('supplier_payments')
    bind.execute(sa.text(
        "DELETE FROM accounts WHERE kind IN ('bank', 'mobile', 'supplier') AND NOT EXISTS "
        "(SELECT 1 FROM postings p WHERE p.debit_account_id = accounts.id "
        "OR p.credit_account_id = accounts.id)"))
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_accounts_supplier_id_suppliers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_accounts_supplier_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_accounts_supplier_link'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_accounts_kind'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_accounts_kind'), "kind IN ('member', 'fund', 'cash', 'suppliers')")
        batch_op.drop_column('supplier_id')
    _sqlite_foreign_keys(True)
