"""Joint sales paid later: a sale's `paid_later` and `due_on`, the buyer's
payments (`sale_payments`), and the group's `buyers` account (what buyers
still owe). Existing sales were paid at once and stay so.

Revision ID: 0027_sales_paid_later
Revises: 0026_booking_held_before_start
Create Date: 2026-12-07 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_sales_paid_later'
down_revision = '0026_booking_held_before_start'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SG = ("'sg_shares', 'sg_loan', 'sg_dues', 'sg_box_loan', 'sg_box_social', 'sg_income', "
      "'sg_social'")
OLD_KINDS = ("kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', 'supplier', "
             "'seed_loan', 'seed_stock', 'equipment', " + SG + ")")
NEW_KINDS = ("kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', 'supplier', "
             "'seed_loan', 'seed_stock', 'equipment', 'buyers', " + SG + ")")


def _id(name, nullable=False, **kwargs):
    return sa.Column(name, ID, nullable=nullable, **kwargs)


def _sqlite_foreign_keys(on):
    """SQLite: the batch copy of `accounts` drops the table postings refer to;
    with foreign keys enforced that fails (as in 0010_payables, 0012_season)."""
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
    # In place (no batch copy of `sales`, which other tables refer to).
    op.add_column('sales', sa.Column('paid_later', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.add_column('sales', sa.Column('due_on', sa.Date(), nullable=True))
    op.create_table('sale_payments',
    _id('id'),
    _id('sale_id'),
    _id('amount'),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    _id('posting_id'),
    _id('recorded_by_id', nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=300), nullable=False),
    _id('cancel_posting_id', nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_sale_payments_amount')),
    sa.CheckConstraint("method IN ('cash', 'bank', 'mobile')", name=op.f('ck_sale_payments_method')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_sale_payments_sale_id_sales')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_sale_payments_posting_id_postings')),
    sa.ForeignKeyConstraint(['cancel_posting_id'], ['postings.id'], name=op.f('fk_sale_payments_cancel_posting_id_postings')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_sale_payments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_payments'))
    )
    with op.batch_alter_table('sale_payments', schema=None) as batch_op:
        for column in ('cancel_posting_id', 'posting_id', 'sale_id'):
            batch_op.create_index(batch_op.f(f'ix_sale_payments_{column}'), [column], unique=False)

    _sqlite_foreign_keys(False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_accounts_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accounts_kind'), NEW_KINDS)
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_accounts_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accounts_kind'), OLD_KINDS)
    _sqlite_foreign_keys(True)
    with op.batch_alter_table('sale_payments', schema=None) as batch_op:
        for column in ('sale_id', 'posting_id', 'cancel_posting_id'):
            batch_op.drop_index(batch_op.f(f'ix_sale_payments_{column}'))
    op.drop_table('sale_payments')
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_column('due_on')
        batch_op.drop_column('paid_later')
