"""documents: numbered, stored PDFs and their counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('document_counters',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('doc_type', sa.String(length=24), nullable=False),
    sa.Column('year', ID, nullable=False),
    sa.Column('last', ID, nullable=False),
    sa.CheckConstraint('last >= 0', name=op.f('ck_document_counters_last')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_document_counters_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_counters')),
    sa.UniqueConstraint('group_id', 'doc_type', 'year', name=op.f('uq_document_counters_group_id_doc_type_year'))
    )
    with op.batch_alter_table('document_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_counters_group_id'), ['group_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('doc_type', sa.String(length=24), nullable=False),
    sa.Column('year', ID, nullable=False),
    sa.Column('seq', ID, nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('round_id', ID, nullable=True),
    sa.Column('membership_id', ID, nullable=True),
    sa.Column('supplier_id', ID, nullable=True),
    sa.Column('refers_to_id', ID, nullable=True),
    sa.Column('posting_id', ID, nullable=True),
    sa.Column('amount', ID, nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_by_id', ID, nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('size', ID, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint("doc_type IN ('purchase_order', 'invoice', 'credit_note', 'sales_invoice')", name=op.f('ck_documents_doc_type')),
    sa.CheckConstraint('seq > 0', name=op.f('ck_documents_seq')),
    sa.CheckConstraint('size > 0', name=op.f('ck_documents_size')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_documents_group_id_groups')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_documents_issued_by_id_users')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_documents_membership_id_memberships')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_documents_posting_id_postings')),
    sa.ForeignKeyConstraint(['refers_to_id'], ['documents.id'], name=op.f('fk_documents_refers_to_id_documents')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_documents_round_id_rounds')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_documents_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('group_id', 'doc_type', 'number', name=op.f('uq_documents_group_id_doc_type_number')),
    sa.UniqueConstraint('group_id', 'subject', name=op.f('uq_documents_group_id_subject'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_posting_id'), ['posting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_refers_to_id'), ['refers_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_supplier_id'), ['supplier_id'], unique=False)


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_documents_round_id'))
        batch_op.drop_index(batch_op.f('ix_documents_refers_to_id'))
        batch_op.drop_index(batch_op.f('ix_documents_posting_id'))
        batch_op.drop_index(batch_op.f('ix_documents_membership_id'))
        batch_op.drop_index(batch_op.f('ix_documents_group_id'))

    op.drop_table('documents')
    with op.batch_alter_table('document_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_counters_group_id'))

    op.drop_table('document_counters')
