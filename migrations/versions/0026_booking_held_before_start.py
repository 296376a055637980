"""Equipment: a turn handed over before its booking began and taken back
before it began holds (and pays for) the time she had the asset, not its
first booked half-day; `booked_from` keeps the start that was booked

Revision ID: 0026_booking_held_before_start
Revises: 0025_booking_returned_early
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_booking_held_before_start'
down_revision = '0025_booking_returned_early'
branch_labels = None
depends_on = None


def upgrade():
    # In place, as 0025: a batch rebuild of `asset_bookings` would drop its
    # no-overlap triggers on SQLite. (A half-day's number: BIGINT, INTEGER on SQLite.)
    op.add_column('asset_bookings', sa.Column(
        'booked_from', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))


def downgrade():
    op.drop_column('asset_bookings', 'booked_from')
