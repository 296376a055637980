"""Exactly once: a posting is reversed at most once, forms' idempotency keys
kept with what they made (postings, supplier credit notes, deliveries, shared
costs), payments get
receipt numbers unique per group and year

Revision ID: 0010_once
Revises: 0009
Create Date: 2026-12-01 23:00:00

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_once'
down_revision = "0010_phones"
branch_labels = None
depends_on = None


def _unlink_double_reversals(conn) -> None:
    """Postings reversed more than once before this revision (a race the unique
    index now forbids): the first reversal keeps its link, the later ones stay
    in the books, amounts untouched, but no longer claim to reverse it, so that
    the index can be made. They are printed for the treasurer to look at."""
    rows = conn.execute(sa.text(
        "SELECT id, reverses_id FROM postings WHERE reverses_id IS NOT NULL "
        "ORDER BY reverses_id, id")).all()
    seen = set()
    for posting_id, reverses_id in rows:
        if reverses_id in seen:
            print(f"0010_once: posting {posting_id} reversed posting {reverses_id} a second "
                  "time; its link is removed, the entry stays")
            conn.execute(sa.text("UPDATE postings SET reverses_id = NULL WHERE id = :id"),
                         {"id": posting_id})
        seen.add(reverses_id)


def _number_receipts(conn) -> None:
    """Existing payments are numbered in the order they were recorded, per group
    and year, and the counters continue from there."""
    rows = conn.execute(sa.text(
        "SELECT id, group_id, created_at FROM payments ORDER BY created_at, id")).all()
    last = defaultdict(int)
    for payment_id, group_id, created_at in rows:
        year = created_at.year if hasattr(created_at, "year") else int(str(created_at)[:4])
        last[(group_id, year)] += 1
        conn.execute(sa.text("UPDATE payments SET receipt_year = :y, receipt_seq = :s "
                             "WHERE id = :id"),
                     {"y": year, "s": last[(group_id, year)], "id": payment_id})
    for (group_id, year), seq in last.items():
        conn.execute(sa.text("INSERT INTO document_counters (group_id, doc_type, year, last) "
                             "VALUES (:g, 'receipt', :y, :n)"),
                     {"g": group_id, "y": year, "n": seq})


def upgrade():
    conn = op.get_bind()
    _unlink_double_reversals(conn)
    # Columns and unique indexes only: SQLite adds them in place, without
    # rebuilding `postings`, which many tables refer to.
    op.add_column('postings', sa.Column('idempotency_key', sa.String(length=64), nullable=True))
    op.create_index('uq_postings_reverses_id', 'postings', ['reverses_id'], unique=True)
    op.create_index('uq_postings_group_id_idempotency_key', 'postings',
                    ['group_id', 'idempotency_key'], unique=True)
    int_type = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_year', int_type, nullable=True))
        batch_op.add_column(sa.Column('receipt_seq', int_type, nullable=True))
    _number_receipts(conn)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.alter_column('receipt_year', existing_type=int_type, nullable=False)
        batch_op.alter_column('receipt_seq', existing_type=int_type, nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_payments_group_id_receipt_year_receipt_seq'),
            ['group_id', 'receipt_year', 'receipt_seq'])
        batch_op.create_check_constraint(batch_op.f('ck_payments_receipt_seq'), 'receipt_seq > 0')
    op.add_column('credit_notes',
                  sa.Column('idempotency_key', sa.String(length=64), nullable=True))
    op.create_index('uq_credit_notes_round_id_idempotency_key', 'credit_notes',
                    ['round_id', 'idempotency_key'], unique=True)
    op.add_column('deliveries',
                  sa.Column('idempotency_key', sa.String(length=64), nullable=True))
    op.create_index('uq_deliveries_round_item_id_idempotency_key', 'deliveries',
                    ['round_item_id', 'idempotency_key'], unique=True)
    op.add_column('shared_costs',
                  sa.Column('idempotency_key', sa.String(length=64), nullable=True))
    op.create_index('uq_shared_costs_round_id_idempotency_key', 'shared_costs',
                    ['round_id', 'idempotency_key'], unique=True)


def downgrade():
    for table, index in (('shared_costs', 'uq_shared_costs_round_id_idempotency_key'),
                         ('deliveries', 'uq_deliveries_round_item_id_idempotency_key')):
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('idempotency_key')
    op.drop_index('uq_credit_notes_round_id_idempotency_key', table_name='credit_notes')
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_column('idempotency_key')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payments_receipt_seq'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_payments_group_id_receipt_year_receipt_seq'),
                                 type_='unique')
        batch_op.drop_column('receipt_seq')
        batch_op.drop_column('receipt_year')
    op.execute("DELETE FROM document_counters WHERE doc_type = 'receipt'")
    op.drop_index('uq_postings_group_id_idempotency_key', table_name='postings')
    op.drop_index('uq_postings_reverses_id', table_name='postings')
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_column('idempotency_key')
