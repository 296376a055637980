"""A supplier's offer form sent twice records one revision: the form's
idempotency key is kept with the revision it made, unique per quote

Revision ID: 0023_quote_once
Revises: 0022_split_change_from
Create Date: 2026-12-03 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_quote_once'
down_revision = '0022_split_change_from'
branch_labels = None
depends_on = None


def upgrade():
    # A column and a unique index only: SQLite adds them in place, without
    # rebuilding `quote_revisions`, which awards refer to. Existing revisions
    # have no key (NULL, never equal to another).
    op.add_column('quote_revisions',
                  sa.Column('idempotency_key', sa.String(length=64), nullable=True))
    op.create_index('uq_quote_revisions_quote_id_idempotency_key', 'quote_revisions',
                    ['quote_id', 'idempotency_key'], unique=True)


def downgrade():
    op.drop_index('uq_quote_revisions_quote_id_idempotency_key', table_name='quote_revisions')
    with op.batch_alter_table('quote_revisions', schema=None) as batch_op:
        batch_op.drop_column('idempotency_key')
