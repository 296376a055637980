"""The season around the rounds: needs surveys (with the household profile),
seed loans from the fund, their repayments and the seed stock register; a
product's seed rate; member accounts of kind `seed_loan` and the group's
`seed_stock` account

Revision ID: 0012_season
Revises: 0012_equipment
Create Date: 2026-12-02 01:43:44

A membership now has up to two accounts (her purchases, her seed loans): the
unique constraint on `accounts.membership_id` gives way to the existing one on
(group, kind, membership). Existing rows are unchanged.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_season'
down_revision = '0012_equipment'
branch_labels = None
depends_on = None

SG = ("'sg_shares', 'sg_loan', 'sg_dues', 'sg_box_loan', 'sg_box_social', 'sg_income', "
      "'sg_social'")
OLD_KINDS = ("kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', 'supplier', "
             "'equipment', " + SG + ")")
NEW_KINDS = ("kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', 'supplier', "
             "'seed_loan', 'seed_stock', 'equipment', " + SG + ")")
OLD_LINK = "(kind = 'member') = (membership_id IS NOT NULL)"
NEW_LINK = "(kind IN ('member', 'seed_loan')) = (membership_id IS NOT NULL)"


def _sqlite_foreign_keys(on):
    """SQLite: the batch copy of `accounts` drops the table postings refer to;
    with foreign keys enforced that fails (as in 0010_payables)."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.connection.dbapi_connection.in_transaction:
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        assert not broken, f"foreign keys broken by the migration: {broken[:5]}"


def upgrade():
    op.create_table('household_profiles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('household_size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('land', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('livestock', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('migrant_abroad', sa.Boolean(), nullable=True),
    sa.Column('services_wanted', sa.String(length=300), nullable=False),
    sa.Column('updated_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('household_size IS NULL OR household_size BETWEEN 1 AND 60', name=op.f('ck_household_profiles_household_size')),
    sa.CheckConstraint('land IS NULL OR land >= 0', name=op.f('ck_household_profiles_land')),
    sa.CheckConstraint('livestock IS NULL OR livestock >= 0', name=op.f('ck_household_profiles_livestock')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_household_profiles_membership_id_memberships')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_household_profiles_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_profiles')),
    sa.UniqueConstraint('membership_id', name=op.f('uq_household_profiles_membership_id'))
    )
    op.create_table('surveys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=True),
    sa.Column('round_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lock', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'open', 'closed', 'converted')", name=op.f('ck_surveys_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_surveys_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_surveys_group_id_groups')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_surveys_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('round_id', name=op.f('uq_surveys_round_id'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_group_id'), ['group_id'], unique=False)

    op.create_table('survey_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('survey_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_survey_items_product_id_products')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_items_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_items')),
    sa.UniqueConstraint('survey_id', 'product_id', name=op.f('uq_survey_items_survey_id_product_id'))
    )
    with op.batch_alter_table('survey_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_items_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_items_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_wishes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('survey_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.String(length=60), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_survey_wishes_created_by_id_users')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_survey_wishes_membership_id_memberships')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_wishes_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_wishes')),
    sa.UniqueConstraint('survey_id', 'membership_id', 'text', name=op.f('uq_survey_wishes_survey_id_membership_id_text'))
    )
    with op.batch_alter_table('survey_wishes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_wishes_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_wishes_survey_id'), ['survey_id'], unique=False)

    op.create_table('seed_loans',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('round_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('value', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repay_mode', sa.String(length=8), nullable=False),
    sa.Column('repay_bp', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('delivery_posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lock', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('approved_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("repay_mode IN ('cash', 'kind', 'payout')", name=op.f('ck_seed_loans_repay_mode')),
    sa.CheckConstraint("state IN ('proposed', 'approved', 'delivered', 'repaid', 'written_off', 'cancelled')", name=op.f('ck_seed_loans_state')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_seed_loans_quantity')),
    sa.CheckConstraint('repay_bp BETWEEN 10000 AND 30000', name=op.f('ck_seed_loans_repay_bp')),
    sa.CheckConstraint('value > 0', name=op.f('ck_seed_loans_value')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_seed_loans_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_seed_loans_created_by_id_users')),
    sa.ForeignKeyConstraint(['delivery_posting_id'], ['postings.id'], name=op.f('fk_seed_loans_delivery_posting_id_postings')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_seed_loans_group_id_groups')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_seed_loans_membership_id_memberships')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_seed_loans_product_id_products')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_seed_loans_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seed_loans'))
    )
    with op.batch_alter_table('seed_loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seed_loans_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seed_loans_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seed_loans_round_id'), ['round_id'], unique=False)
        batch_op.create_index('ix_seed_loans_round_member', ['round_id', 'membership_id', 'product_id'], unique=False)
        batch_op.create_index('uq_seed_loans_group_id_idempotency_key', ['group_id', 'idempotency_key'], unique=True)

    op.create_table('survey_answers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('survey_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('firm', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('maybe', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('area', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('updated_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('member', 'treasurer', 'paper', 'import')", name=op.f('ck_survey_answers_source')),
    sa.CheckConstraint('area IS NULL OR area > 0', name=op.f('ck_survey_answers_area')),
    sa.CheckConstraint('firm >= 0', name=op.f('ck_survey_answers_firm')),
    sa.CheckConstraint('maybe >= 0', name=op.f('ck_survey_answers_maybe')),
    sa.ForeignKeyConstraint(['item_id'], ['survey_items.id'], name=op.f('fk_survey_answers_item_id_survey_items')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_survey_answers_membership_id_memberships')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_answers_survey_id_surveys')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_survey_answers_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('survey_id', 'membership_id', 'item_id', name=op.f('uq_survey_answers_survey_id_membership_id_item_id'))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answers_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answers_survey_id'), ['survey_id'], unique=False)

    op.create_table('seed_repayments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('loan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('principal', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('income', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('lot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('cash', 'kind', 'payout', 'write_off')", name=op.f('ck_seed_repayments_kind')),
    sa.CheckConstraint('principal >= 0 AND income >= 0 AND principal + income > 0', name=op.f('ck_seed_repayments_amounts')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_seed_repayments_quantity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_seed_repayments_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_seed_repayments_group_id_groups')),
    sa.ForeignKeyConstraint(['loan_id'], ['seed_loans.id'], name=op.f('fk_seed_repayments_loan_id_seed_loans')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_seed_repayments_lot_id_sale_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seed_repayments'))
    )
    with op.batch_alter_table('seed_repayments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seed_repayments_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seed_repayments_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seed_repayments_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index('uq_seed_repayments_group_id_idempotency_key', ['group_id', 'idempotency_key'], unique=True)
        batch_op.create_index('uq_seed_repayments_loan_id_lot_id', ['loan_id', 'lot_id'], unique=True)

    op.create_table('seed_stock_moves',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('value', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('loan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('loan_return', 'out', 'in')", name=op.f('ck_seed_stock_moves_kind')),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_seed_stock_moves_quantity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_seed_stock_moves_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_seed_stock_moves_group_id_groups')),
    sa.ForeignKeyConstraint(['loan_id'], ['seed_loans.id'], name=op.f('fk_seed_stock_moves_loan_id_seed_loans')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_seed_stock_moves_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seed_stock_moves'))
    )
    with op.batch_alter_table('seed_stock_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seed_stock_moves_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seed_stock_moves_product_id'), ['product_id'], unique=False)
        batch_op.create_index('uq_seed_stock_moves_group_id_idempotency_key', ['group_id', 'idempotency_key'], unique=True)

    _sqlite_foreign_keys(False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_accounts_membership_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_accounts_membership_id'), ['membership_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_accounts_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accounts_kind'), NEW_KINDS)
        batch_op.drop_constraint(batch_op.f('ck_accounts_member_link'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accounts_member_link'), NEW_LINK)
    _sqlite_foreign_keys(True)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seed_rate', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_products_seed_rate'),
                                         'seed_rate IS NULL OR seed_rate > 0')



def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_products_seed_rate'), type_='check')
        batch_op.drop_column('seed_rate')

    _sqlite_foreign_keys(False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_membership_id'))
        batch_op.drop_constraint(batch_op.f('ck_accounts_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accounts_kind'), OLD_KINDS)
        batch_op.drop_constraint(batch_op.f('ck_accounts_member_link'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accounts_member_link'), OLD_LINK)
        batch_op.create_unique_constraint(batch_op.f('uq_accounts_membership_id'), ['membership_id'])
    _sqlite_foreign_keys(True)

    with op.batch_alter_table('seed_stock_moves', schema=None) as batch_op:
        batch_op.drop_index('uq_seed_stock_moves_group_id_idempotency_key')
        batch_op.drop_index(batch_op.f('ix_seed_stock_moves_product_id'))
        batch_op.drop_index(batch_op.f('ix_seed_stock_moves_group_id'))

    op.drop_table('seed_stock_moves')
    with op.batch_alter_table('seed_repayments', schema=None) as batch_op:
        batch_op.drop_index('uq_seed_repayments_loan_id_lot_id')
        batch_op.drop_index('uq_seed_repayments_group_id_idempotency_key')
        batch_op.drop_index(batch_op.f('ix_seed_repayments_lot_id'))
        batch_op.drop_index(batch_op.f('ix_seed_repayments_loan_id'))
        batch_op.drop_index(batch_op.f('ix_seed_repayments_group_id'))

    op.drop_table('seed_repayments')
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_answers_membership_id'))
        batch_op.drop_index(batch_op.f('ix_survey_answers_item_id'))

    op.drop_table('survey_answers')
    with op.batch_alter_table('seed_loans', schema=None) as batch_op:
        batch_op.drop_index('uq_seed_loans_group_id_idempotency_key')
        batch_op.drop_index('ix_seed_loans_round_member')
        batch_op.drop_index(batch_op.f('ix_seed_loans_round_id'))
        batch_op.drop_index(batch_op.f('ix_seed_loans_membership_id'))
        batch_op.drop_index(batch_op.f('ix_seed_loans_group_id'))

    op.drop_table('seed_loans')
    with op.batch_alter_table('survey_wishes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_wishes_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_wishes_membership_id'))

    op.drop_table('survey_wishes')
    with op.batch_alter_table('survey_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_items_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_items_product_id'))

    op.drop_table('survey_items')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_group_id'))

    op.drop_table('surveys')
    op.drop_table('household_profiles')
