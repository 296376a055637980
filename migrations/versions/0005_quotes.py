"""supplier quotes: links, revisions, tiers, counter-offers, awards

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('quotes',
    sa.Column('id', ID, nullable=False),
    sa.Column('round_id', ID, nullable=False),
    sa.Column('supplier_id', ID, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('link_expires_at', sa.DateTime(), nullable=False),
    sa.Column('link_revoked_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_quotes_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_quotes_round_id_rounds')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_quotes_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('round_id', 'supplier_id', name=op.f('uq_quotes_round_id_supplier_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_quotes_token_hash'))
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quotes_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('quote_revisions',
    sa.Column('id', ID, nullable=False),
    sa.Column('quote_id', ID, nullable=False),
    sa.Column('number', ID, nullable=False),
    sa.Column('declined', sa.Boolean(), nullable=False),
    sa.Column('delivery_fee', ID, nullable=False),
    sa.Column('lead_time_days', ID, nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('number > 0', name=op.f('ck_quote_revisions_number')),
    sa.CheckConstraint('delivery_fee >= 0', name=op.f('ck_quote_revisions_delivery_fee')),
    sa.CheckConstraint('lead_time_days IS NULL OR lead_time_days >= 0', name=op.f('ck_quote_revisions_lead_time')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_revisions_quote_id_quotes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_revisions')),
    sa.UniqueConstraint('quote_id', 'number', name=op.f('uq_quote_revisions_quote_id_number'))
    )
    with op.batch_alter_table('quote_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_revisions_quote_id'), ['quote_id'], unique=False)

    op.create_table('quote_lines',
    sa.Column('id', ID, nullable=False),
    sa.Column('revision_id', ID, nullable=False),
    sa.Column('round_item_id', ID, nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('pack_size', ID, nullable=True),
    sa.Column('max_quantity', ID, nullable=True),
    sa.CheckConstraint('pack_size IS NULL OR pack_size > 0', name=op.f('ck_quote_lines_pack_size')),
    sa.CheckConstraint('max_quantity IS NULL OR max_quantity >= 0', name=op.f('ck_quote_lines_max_quantity')),
    sa.ForeignKeyConstraint(['revision_id'], ['quote_revisions.id'], name=op.f('fk_quote_lines_revision_id_quote_revisions')),
    sa.ForeignKeyConstraint(['round_item_id'], ['round_items.id'], name=op.f('fk_quote_lines_round_item_id_round_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_lines')),
    sa.UniqueConstraint('revision_id', 'round_item_id', name=op.f('uq_quote_lines_revision_id_round_item_id'))
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_lines_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_lines_round_item_id'), ['round_item_id'], unique=False)

    op.create_table('quote_tiers',
    sa.Column('id', ID, nullable=False),
    sa.Column('line_id', ID, nullable=False),
    sa.Column('min_qty', ID, nullable=False),
    sa.Column('unit_price', ID, nullable=False),
    sa.CheckConstraint('min_qty >= 0', name=op.f('ck_quote_tiers_min_qty')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_quote_tiers_unit_price')),
    sa.ForeignKeyConstraint(['line_id'], ['quote_lines.id'], name=op.f('fk_quote_tiers_line_id_quote_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_tiers')),
    sa.UniqueConstraint('line_id', 'min_qty', name=op.f('uq_quote_tiers_line_id_min_qty'))
    )
    with op.batch_alter_table('quote_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_tiers_line_id'), ['line_id'], unique=False)

    op.create_table('counter_offers',
    sa.Column('id', ID, nullable=False),
    sa.Column('quote_id', ID, nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_counter_offers_created_by_id_users')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_counter_offers_quote_id_quotes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_offers'))
    )
    with op.batch_alter_table('counter_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_offers_quote_id'), ['quote_id'], unique=False)

    op.create_table('counter_offer_lines',
    sa.Column('id', ID, nullable=False),
    sa.Column('counter_offer_id', ID, nullable=False),
    sa.Column('round_item_id', ID, nullable=False),
    sa.Column('target_price', ID, nullable=False),
    sa.CheckConstraint('target_price >= 0', name=op.f('ck_counter_offer_lines_target_price')),
    sa.ForeignKeyConstraint(['counter_offer_id'], ['counter_offers.id'], name=op.f('fk_counter_offer_lines_counter_offer_id_counter_offers')),
    sa.ForeignKeyConstraint(['round_item_id'], ['round_items.id'], name=op.f('fk_counter_offer_lines_round_item_id_round_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_offer_lines')),
    sa.UniqueConstraint('counter_offer_id', 'round_item_id', name=op.f('uq_counter_offer_lines_counter_offer_id_round_item_id'))
    )
    with op.batch_alter_table('counter_offer_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_offer_lines_counter_offer_id'), ['counter_offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_counter_offer_lines_round_item_id'), ['round_item_id'], unique=False)

    op.create_table('quote_awards',
    sa.Column('id', ID, nullable=False),
    sa.Column('round_id', ID, nullable=False),
    sa.Column('quote_id', ID, nullable=False),
    sa.Column('revision_id', ID, nullable=False),
    sa.Column('round_item_id', ID, nullable=False),
    sa.Column('awarded_by_id', ID, nullable=True),
    sa.Column('awarded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['users.id'], name=op.f('fk_quote_awards_awarded_by_id_users')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_awards_quote_id_quotes')),
    sa.ForeignKeyConstraint(['revision_id'], ['quote_revisions.id'], name=op.f('fk_quote_awards_revision_id_quote_revisions')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_quote_awards_round_id_rounds')),
    sa.ForeignKeyConstraint(['round_item_id'], ['round_items.id'], name=op.f('fk_quote_awards_round_item_id_round_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_awards')),
    sa.UniqueConstraint('round_item_id', name=op.f('uq_quote_awards_round_item_id'))
    )
    with op.batch_alter_table('quote_awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_awards_quote_id'), ['quote_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_awards_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_awards_round_id'), ['round_id'], unique=False)


def downgrade():
    with op.batch_alter_table('quote_awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_awards_round_id'))
        batch_op.drop_index(batch_op.f('ix_quote_awards_revision_id'))
        batch_op.drop_index(batch_op.f('ix_quote_awards_quote_id'))
    op.drop_table('quote_awards')

    with op.batch_alter_table('counter_offer_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counter_offer_lines_round_item_id'))
        batch_op.drop_index(batch_op.f('ix_counter_offer_lines_counter_offer_id'))
    op.drop_table('counter_offer_lines')

    with op.batch_alter_table('counter_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counter_offers_quote_id'))
    op.drop_table('counter_offers')

    with op.batch_alter_table('quote_tiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_tiers_line_id'))
    op.drop_table('quote_tiers')

    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_lines_round_item_id'))
        batch_op.drop_index(batch_op.f('ix_quote_lines_revision_id'))
    op.drop_table('quote_lines')

    with op.batch_alter_table('quote_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_revisions_quote_id'))
    op.drop_table('quote_revisions')

    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_quotes_round_id'))
    op.drop_table('quotes')
