"""A product's pack may name its container ("мешок 50 кг"); existing products keep none

Revision ID: 0011_packs
Revises: 0010_layout
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_packs'
down_revision = "0011_gaps20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pack_container', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('pack_container')
