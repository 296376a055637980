"""joint sales: lots, grades, contributions, buyers, sales, costs, closings, payouts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 15:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _id(name, nullable=False, **kwargs):
    return sa.Column(name, ID, nullable=nullable, **kwargs)


def _indexes(table, *columns):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def _drop_indexes(table, *columns):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in reversed(columns):
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))


INDEXES = {
    'sale_lots': ('carried_from_id', 'group_id'),
    'sale_buyers': ('group_id',),
    'sale_grades': ('lot_id',),
    'sale_contributions': ('corrects_id', 'grade_id', 'lot_id', 'membership_id'),
    'sales': ('buyer_id', 'cancel_posting_id', 'lot_id', 'posting_id'),
    'sale_lines': ('grade_id', 'sale_id'),
    'sale_costs': ('cancel_posting_id', 'lot_id', 'posting_id', 'sale_id'),
    'sale_payouts': ('lot_id', 'membership_id'),
    'sale_cash_payouts': ('group_id', 'lot_id', 'membership_id'),
}


def upgrade():
    op.create_table('sale_lots',
    _id('id'),
    _id('group_id'),
    sa.Column('product', sa.String(length=160), nullable=False),
    sa.Column('unit', sa.String(length=24), nullable=False),
    _id('step'),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    _id('levy_basis_points'),
    sa.Column('state', sa.String(length=16), nullable=False),
    _id('stock_lock', server_default='0'),
    _id('carried_from_id', nullable=True),
    _id('created_by_id', nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_sale_lots_state')),
    sa.CheckConstraint('levy_basis_points >= 0 AND levy_basis_points <= 10000', name=op.f('ck_sale_lots_levy')),
    sa.CheckConstraint('step > 0', name=op.f('ck_sale_lots_step')),
    sa.CheckConstraint('period_to IS NULL OR period_to >= period_from', name=op.f('ck_sale_lots_period')),
    sa.ForeignKeyConstraint(['carried_from_id'], ['sale_lots.id'], name=op.f('fk_sale_lots_carried_from_id_sale_lots')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sale_lots_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_sale_lots_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_lots'))
    )
    _indexes('sale_lots', *INDEXES['sale_lots'])

    op.create_table('sale_buyers',
    _id('id'),
    _id('group_id'),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('shop', 'wholesaler', 'market', 'exporter')", name=op.f('ck_sale_buyers_kind')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_sale_buyers_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_buyers')),
    sa.UniqueConstraint('group_id', 'name', name=op.f('uq_sale_buyers_group_id_name'))
    )
    _indexes('sale_buyers', *INDEXES['sale_buyers'])

    op.create_table('sale_grades',
    _id('id'),
    _id('lot_id'),
    _id('position'),
    sa.Column('name', sa.String(length=80), nullable=False),
    _id('factor'),
    sa.Column('unsold_action', sa.String(length=8), nullable=True),
    sa.CheckConstraint('factor > 0 AND factor <= 100000', name=op.f('ck_sale_grades_factor')),
    sa.CheckConstraint("unsold_action IS NULL OR unsold_action IN ('return', 'carry')", name=op.f('ck_sale_grades_unsold_action')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_sale_grades_lot_id_sale_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_grades')),
    sa.UniqueConstraint('lot_id', 'name', name=op.f('uq_sale_grades_lot_id_name'))
    )
    _indexes('sale_grades', *INDEXES['sale_grades'])

    op.create_table('sale_contributions',
    _id('id'),
    _id('lot_id'),
    _id('membership_id'),
    _id('grade_id'),
    _id('quantity'),
    sa.Column('kind', sa.String(length=16), nullable=False),
    _id('corrects_id', nullable=True),
    sa.Column('brought_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    _id('recorded_by_id', nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('delivery', 'correction', 'carried')", name=op.f('ck_sale_contributions_kind')),
    sa.CheckConstraint("(kind = 'correction') = (corrects_id IS NOT NULL)", name=op.f('ck_sale_contributions_corrects')),
    sa.CheckConstraint("kind = 'correction' OR quantity > 0", name=op.f('ck_sale_contributions_quantity')),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_sale_contributions_nonzero')),
    sa.ForeignKeyConstraint(['corrects_id'], ['sale_contributions.id'], name=op.f('fk_sale_contributions_corrects_id_sale_contributions')),
    sa.ForeignKeyConstraint(['grade_id'], ['sale_grades.id'], name=op.f('fk_sale_contributions_grade_id_sale_grades')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_sale_contributions_lot_id_sale_lots')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_sale_contributions_membership_id_memberships')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_sale_contributions_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_contributions'))
    )
    _indexes('sale_contributions', *INDEXES['sale_contributions'])

    op.create_table('sales',
    _id('id'),
    _id('lot_id'),
    _id('buyer_id'),
    sa.Column('sold_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    _id('posting_id', nullable=True),
    _id('recorded_by_id', nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=300), nullable=False),
    _id('cancel_posting_id', nullable=True),
    sa.ForeignKeyConstraint(['buyer_id'], ['sale_buyers.id'], name=op.f('fk_sales_buyer_id_sale_buyers')),
    sa.ForeignKeyConstraint(['cancel_posting_id'], ['postings.id'], name=op.f('fk_sales_cancel_posting_id_postings')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_sales_lot_id_sale_lots')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_sales_posting_id_postings')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_sales_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales'))
    )
    _indexes('sales', *INDEXES['sales'])

    op.create_table('sale_lines',
    _id('id'),
    _id('sale_id'),
    _id('grade_id'),
    _id('quantity'),
    _id('unit_price'),
    _id('amount'),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_sale_lines_quantity')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_sale_lines_unit_price')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_sale_lines_amount')),
    sa.ForeignKeyConstraint(['grade_id'], ['sale_grades.id'], name=op.f('fk_sale_lines_grade_id_sale_grades')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_sale_lines_sale_id_sales')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_lines')),
    sa.UniqueConstraint('sale_id', 'grade_id', name=op.f('uq_sale_lines_sale_id_grade_id'))
    )
    _indexes('sale_lines', *INDEXES['sale_lines'])

    op.create_table('sale_costs',
    _id('id'),
    _id('lot_id'),
    _id('sale_id', nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    _id('amount'),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    _id('posting_id', nullable=True),
    _id('recorded_by_id', nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=300), nullable=False),
    _id('cancel_posting_id', nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_sale_costs_amount')),
    sa.CheckConstraint("kind IN ('transport', 'market_fee', 'packaging', 'certification', 'other')", name=op.f('ck_sale_costs_kind')),
    sa.CheckConstraint("rule IN ('value', 'quantity', 'equal')", name=op.f('ck_sale_costs_rule')),
    sa.ForeignKeyConstraint(['cancel_posting_id'], ['postings.id'], name=op.f('fk_sale_costs_cancel_posting_id_postings')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_sale_costs_lot_id_sale_lots')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_sale_costs_posting_id_postings')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_sale_costs_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_sale_costs_sale_id_sales')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_costs'))
    )
    _indexes('sale_costs', *INDEXES['sale_costs'])

    op.create_table('sale_lot_closings',
    _id('id'),
    _id('lot_id'),
    sa.Column('input_json', sa.Text(), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    _id('levy_posting_id', nullable=True),
    _id('carried_to_id', nullable=True),
    _id('closed_by_id', nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['carried_to_id'], ['sale_lots.id'], name=op.f('fk_sale_lot_closings_carried_to_id_sale_lots')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_sale_lot_closings_closed_by_id_users')),
    sa.ForeignKeyConstraint(['levy_posting_id'], ['postings.id'], name=op.f('fk_sale_lot_closings_levy_posting_id_postings')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_sale_lot_closings_lot_id_sale_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_lot_closings')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_sale_lot_closings_lot_id'))
    )

    op.create_table('sale_payouts',
    _id('id'),
    _id('lot_id'),
    _id('membership_id'),
    _id('amount'),
    _id('posting_id', nullable=True),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_sale_payouts_lot_id_sale_lots')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_sale_payouts_membership_id_memberships')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_sale_payouts_posting_id_postings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_payouts')),
    sa.UniqueConstraint('lot_id', 'membership_id', name=op.f('uq_sale_payouts_lot_id_membership_id'))
    )
    _indexes('sale_payouts', *INDEXES['sale_payouts'])

    op.create_table('sale_cash_payouts',
    _id('id'),
    _id('group_id'),
    _id('membership_id'),
    _id('lot_id', nullable=True),
    _id('amount'),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    _id('posting_id'),
    _id('created_by_id', nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_sale_cash_payouts_amount')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sale_cash_payouts_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_sale_cash_payouts_group_id_groups')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_sale_cash_payouts_lot_id_sale_lots')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_sale_cash_payouts_membership_id_memberships')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_sale_cash_payouts_posting_id_postings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_cash_payouts')),
    sa.UniqueConstraint('group_id', 'idempotency_key', name=op.f('uq_sale_cash_payouts_group_id_idempotency_key'))
    )
    _indexes('sale_cash_payouts', *INDEXES['sale_cash_payouts'])


TABLES = ('sale_lots', 'sale_buyers', 'sale_grades', 'sale_contributions', 'sales',
          'sale_lines', 'sale_costs', 'sale_lot_closings', 'sale_payouts', 'sale_cash_payouts')


def downgrade():
    for table in reversed(TABLES):
        if table in INDEXES:
            _drop_indexes(table, *INDEXES[table])
        op.drop_table(table)
