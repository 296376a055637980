"""Exactly once for a lot's contributions and sales: the form's idempotency key
is kept with the contribution (or correction) and with the sale itself (a sale
at price 0 makes no entry in the books to keep it)

Revision ID: 0011_gaps20
Revises: 0010_layout
Create Date: 2026-12-02 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_gaps20'
down_revision = "0010_layout"
branch_labels = None
depends_on = None


def upgrade():
    # Columns and unique indexes only (as 0010_once): SQLite adds them in place.
    op.add_column('sale_contributions',
                  sa.Column('idempotency_key', sa.String(length=64), nullable=True))
    op.create_index('uq_sale_contributions_lot_id_idempotency_key', 'sale_contributions',
                    ['lot_id', 'idempotency_key'], unique=True)
    op.add_column('sales', sa.Column('idempotency_key', sa.String(length=64), nullable=True))
    op.create_index('uq_sales_lot_id_idempotency_key', 'sales', ['lot_id', 'idempotency_key'],
                    unique=True)


def downgrade():
    for table, index in (('sales', 'uq_sales_lot_id_idempotency_key'),
                         ('sale_contributions', 'uq_sale_contributions_lot_id_idempotency_key')):
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('idempotency_key')
