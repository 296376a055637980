"""joint sales (placeholder until the sales feature adds its tables)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 15:50:00

"""

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
