"""Order changes as the split cache needs them: the lines an order changed and
the round's change tokens before and after, so that the split is brought up
to date line by line

Revision ID: 0019_split_cache
Revises: 0018_postings_sg_meeting
Create Date: 2026-12-02 06:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_split_cache'
down_revision = '0018_postings_sg_meeting'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('split_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('round_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('previous_token', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lines', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_split_changes_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_split_changes')),
    sa.UniqueConstraint('round_id', 'token', name=op.f('uq_split_changes_round_id_token'))
    )


def downgrade():
    op.drop_table('split_changes')
