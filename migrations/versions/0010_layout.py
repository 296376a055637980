"""A member may show her phone number to the other members (hidden by default)

Revision ID: 0010_layout
Revises: 0009
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_layout'
down_revision = "0010_once"
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN: a batch copy of memberships would have to drop a table
    # that accounts, postings and payments point at, which SQLite refuses
    op.add_column('memberships', sa.Column('show_phone', sa.Boolean(),
                                           server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('show_phone')
