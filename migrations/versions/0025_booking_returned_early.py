"""Equipment: a turn taken back before the end of its booking frees the rest
for others; the booking then ends where the asset came back, and `booked_to`
keeps the end that was booked (for the asset's history)

Revision ID: 0025_booking_returned_early
Revises: 0024_discrepancy_report
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_booking_returned_early'
down_revision = '0024_discrepancy_report'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column only, added in place: a batch rebuild of
    # `asset_bookings` would drop its no-overlap triggers on SQLite.
    # (a half-day's number, as slot_from and slot_to: BIGINT, INTEGER on SQLite)
    op.add_column('asset_bookings', sa.Column(
        'booked_to', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))


def downgrade():
    # In place too (SQLite 3.35+ drops a column without rebuilding the table).
    op.drop_column('asset_bookings', 'booked_to')
