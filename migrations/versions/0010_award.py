"""Award: a supplier's own article code on her quote lines and on the awarded
round item; a shared cost knows the quote whose delivery fee it is

Revision ID: 0010_award
Revises: 0009
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_award'
down_revision = "0010_payables"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('article_code', sa.String(length=64), nullable=True))
    with op.batch_alter_table('round_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awarded_article_code', sa.String(length=64), nullable=True))
    with op.batch_alter_table('shared_costs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quote_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_shared_costs_quote_id_quotes'), 'quotes', ['quote_id'], ['id'])
    # Rounds awarded before: the delivery fee of an awarded quote was added as
    # a shared cost of that supplier's goods, of the same amount.
    op.execute("""
        UPDATE shared_costs SET quote_id = (
            SELECT MIN(q.id) FROM quotes q
            JOIN quote_awards a ON a.quote_id = q.id
            JOIN quote_revisions r ON r.id = a.revision_id
            WHERE q.round_id = shared_costs.round_id
              AND q.supplier_id = shared_costs.supplier_id
              AND r.delivery_fee = shared_costs.amount)
        WHERE supplier_id IS NOT NULL
    """)


def downgrade():
    with op.batch_alter_table('shared_costs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shared_costs_quote_id_quotes'), type_='foreignkey')
        batch_op.drop_column('quote_id')
    with op.batch_alter_table('round_items', schema=None) as batch_op:
        batch_op.drop_column('awarded_article_code')
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_column('article_code')
