"""Units from a list; each group's time zone

Products and sale lots keep their unit as a code of the list in coop/units.py
("kg", "bag"): the free text stored so far is mapped onto it ("кг",
"килограмм", "шт.", "мешок", "pcs"...), and text that names no unit of the list
is kept as it was typed (an "other" unit, printed without agreement). Groups
get a time zone, from their country (else their currency): Asia/Bishkek for
Kyrgyzstan, Asia/Dushanbe for Tajikistan.

Revision ID: 0010_units
Revises: 0009
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa

from coop.units import normalise
from coop.zones import default_timezone


# revision identifiers, used by Alembic.
revision = '0010_units'
down_revision = "0010_award"
branch_labels = None
depends_on = None



def _map_units(table: str) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, unit FROM {table}")).fetchall()
    for row_id, unit in rows:
        mapped = normalise(unit or "")
        if mapped != unit:
            conn.execute(sa.text(f"UPDATE {table} SET unit = :unit WHERE id = :id"),
                         {"unit": mapped, "id": row_id})


def upgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=40),
                                      server_default='Asia/Bishkek', nullable=False))
    conn = op.get_bind()
    for group_id, country, currency in conn.execute(
            sa.text("SELECT id, country, currency FROM groups")).fetchall():
        zone = default_timezone(country, currency)
        conn.execute(sa.text("UPDATE groups SET timezone = :zone WHERE id = :id"),
                     {"zone": zone, "id": group_id})
    _map_units("products")
    _map_units("sale_lots")


def downgrade():
    # the units stay as codes: the text they were typed as is not kept.
    # SQLite (3.35+) drops the column in place: recreating `groups` in batch
    # mode would trip the foreign keys of every table that refers to it.
    with op.batch_alter_table('groups', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('timezone')
