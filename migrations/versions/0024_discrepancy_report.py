"""Issued documents: the delivery discrepancy report (doc type
"discrepancy_report", numbered DR-…) joins the document types

Revision ID: 0024_discrepancy_report
Revises: 0023_quote_once
Create Date: 2026-12-04 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024_discrepancy_report'
down_revision = '0023_quote_once'
branch_labels = None
depends_on = None

TYPES = ("'purchase_order', 'invoice', 'credit_note', 'sales_invoice', "
         "'savings_meeting', 'savings_share_out'")


def _sqlite_foreign_keys(on):
    """SQLite: the batch copy of `documents` drops the old table, which other
    documents (refers_to_id) and savings rows refer to; with foreign keys
    enforced that fails. The pragma is ignored inside a transaction, so end
    the one earlier steps opened before switching it (as in 0012_savings)."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.connection.dbapi_connection.in_transaction:
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        assert not broken, f"foreign keys broken by the migration: {broken[:5]}"


def _doc_types(types):
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_documents_doc_type'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_documents_doc_type'),
                                         f"doc_type IN ({types})")
    _sqlite_foreign_keys(True)


def upgrade():
    _doc_types(TYPES + ", 'discrepancy_report'")


def downgrade():
    # Issued documents are never deleted: with reports issued, the older schema
    # (which has no such type) cannot take them; say so rather than lose them.
    issued = op.get_bind().exec_driver_sql(
        "SELECT COUNT(*) FROM documents WHERE doc_type = 'discrepancy_report'").scalar()
    if issued:
        raise RuntimeError(f"{issued} discrepancy report(s) issued: they would be lost "
                           "by this downgrade")
    op.execute("DELETE FROM document_counters WHERE doc_type = 'discrepancy_report'")
    _doc_types(TYPES)
