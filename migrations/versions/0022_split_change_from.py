"""An index on split_changes (round_id, previous_token): the way from a token
starts at the change made from it, found by the index instead of a scan of
the kept changes (coop/orders/cache.py, _order_path)

Revision ID: 0022_split_change_from
Revises: 0021_seed_return_lot
Create Date: 2026-12-03 09:27:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_split_change_from'
down_revision = '0021_seed_return_lot'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('split_changes', schema=None) as batch_op:
        batch_op.create_index('ix_split_changes_round_id_previous_token',
                              ['round_id', 'previous_token'], unique=False)


def downgrade():
    with op.batch_alter_table('split_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_split_changes_round_id_previous_token')
