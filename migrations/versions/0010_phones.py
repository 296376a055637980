"""Phone numbers stored in E.164, read in the country of the person's group

Members' numbers were stored as typed ('0555 10 00 03', '+996 555 …'): each
becomes E.164 ('+996555100003'), a local form read as a number of the country
of her first group (of the supplier's group). A number that cannot be read, or
whose E.164 form another person already has, is left as it was and printed.

Revision ID: 0010_phones
Revises: 0009
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa

from coop.phones import DEFAULT_REGION, to_e164


# revision identifiers, used by Alembic.
revision = '0010_phones'
down_revision = "0010_units"
branch_labels = None
depends_on = None


def _users(conn):
    first_group = (
        sa.select(sa.text('g.country')).select_from(sa.text('memberships m JOIN groups g ON g.id = m.group_id'))
        .where(sa.text('m.user_id = users.id')).order_by(sa.text('m.id')).limit(1)
        .scalar_subquery()
    )
    return conn.execute(
        sa.select(sa.column('id'), sa.column('phone'), first_group.label('country'))
        .select_from(sa.table('users')).where(sa.column('phone').isnot(None))
        .order_by(sa.column('id'))
    ).all()


def upgrade():
    conn = op.get_bind()
    users = _users(conn)
    taken = {phone for _id, phone, _country in users}
    for user_id, phone, country in users:
        number = to_e164(phone, country or DEFAULT_REGION)
        if number is None:
            print(f"0010_phones: user {user_id}: {phone!r} is not a phone number "
                  f"({country or DEFAULT_REGION}); left as it was")
            continue
        if number == phone:
            continue
        if number in taken:
            print(f"0010_phones: user {user_id}: {phone!r} is {number}, which another "
                  f"person has; left as it was")
            continue
        conn.execute(sa.text('UPDATE users SET phone = :number WHERE id = :id'),
                     {'number': number, 'id': user_id})
        taken.discard(phone)
        taken.add(number)

    suppliers = conn.execute(sa.text(
        "SELECT s.id, s.phone, g.country FROM suppliers s JOIN groups g ON g.id = s.group_id "
        "WHERE s.phone <> '' ORDER BY s.id")).all()
    for supplier_id, phone, country in suppliers:
        number = to_e164(phone, country or DEFAULT_REGION)
        if number is None:
            print(f"0010_phones: supplier {supplier_id}: {phone!r} is not a phone number "
                  f"({country}); left as it was")
        elif number != phone:
            conn.execute(sa.text('UPDATE suppliers SET phone = :number WHERE id = :id'),
                         {'number': number, 'id': supplier_id})


def downgrade():
    # the numbers as typed are not kept: E.164 is a valid value before this revision too
    pass
