"""Jointly owned equipment (assets, owners, bookings that never overlap, the
waiting list, repairs; a maintenance-fund account kind `equipment`) and
certificates, the brand and lots' marks with their traceability codes

Revision ID: 0012_equipment
Revises: 0012_savings
Create Date: 2026-12-02 02:00:00

No two bookings of one asset that hold its time (booked, handed over,
returned) overlap, whatever the timing: on PostgreSQL an exclusion constraint
over one int8range per asset (the asset's id shifted above the slots, so no
extension is needed); on SQLite triggers that refuse the insert or update.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_equipment'
down_revision = '0012_savings'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
KINDS_BEFORE = ("kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', 'supplier', "
                "'sg_shares', 'sg_loan', 'sg_dues', 'sg_box_loan', 'sg_box_social', 'sg_income', "
                "'sg_social')")
KINDS_AFTER = ("kind IN ('member', 'fund', 'cash', 'suppliers', 'bank', 'mobile', 'supplier', "
               "'equipment', 'sg_shares', 'sg_loan', 'sg_dues', 'sg_box_loan', 'sg_box_social', "
               "'sg_income', 'sg_social')")
HOLDING = "('booked', 'handed_over', 'returned')"
OVERLAP_SQLITE = (
    "SELECT RAISE(ABORT, 'asset booking overlaps another') WHERE NEW.state IN " + HOLDING +
    " AND EXISTS (SELECT 1 FROM asset_bookings b WHERE b.asset_id = NEW.asset_id"
    " AND b.id IS NOT NEW.id AND b.state IN " + HOLDING +
    " AND b.slot_from < NEW.slot_to AND b.slot_to > NEW.slot_from);")


def _sqlite_foreign_keys(on):
    """As in 0010_payables: the batch copy of `accounts` drops the old table,
    which postings refer to."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.connection.dbapi_connection.in_transaction:
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        assert not broken, f"foreign keys broken by the migration: {broken[:5]}"


def _account_kinds(kinds):
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_accounts_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accounts_kind'), kinds)
    _sqlite_foreign_keys(True)


def upgrade():
    _account_kinds(KINDS_AFTER)
    op.create_table('assets',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('round_id', ID, nullable=True),
    sa.Column('product_id', ID, nullable=True),
    sa.Column('purchase_value', ID, nullable=False),
    sa.Column('bought_on', sa.Date(), nullable=True),
    sa.Column('kept_at', sa.String(length=200), nullable=False),
    sa.Column('keeper_id', ID, nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('fee', ID, nullable=False),
    sa.Column('fee_unit', sa.String(length=8), nullable=False),
    sa.Column('owners_pay_fee', sa.Boolean(), nullable=False),
    sa.Column('account_id', ID, nullable=True),
    sa.Column('booking_lock', ID, server_default='0', nullable=False),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("fee_unit IN ('day', 'hour')", name=op.f('ck_assets_fee_unit')),
    sa.CheckConstraint("state IN ('available', 'in_repair', 'retired')", name=op.f('ck_assets_state')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_assets_fee')),
    sa.CheckConstraint('purchase_value >= 0', name=op.f('ck_assets_purchase_value')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_assets_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assets_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_assets_group_id_groups')),
    sa.ForeignKeyConstraint(['keeper_id'], ['memberships.id'], name=op.f('fk_assets_keeper_id_memberships')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_assets_product_id_products')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_assets_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('account_id', name=op.f('uq_assets_account_id'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_round_id'), ['round_id'], unique=False)

    op.create_table('asset_owners',
    sa.Column('id', ID, nullable=False),
    sa.Column('asset_id', ID, nullable=False),
    sa.Column('membership_id', ID, nullable=False),
    sa.Column('share', ID, nullable=False),
    sa.CheckConstraint('share > 0', name=op.f('ck_asset_owners_share')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_owners_asset_id_assets')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_asset_owners_membership_id_memberships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_owners')),
    sa.UniqueConstraint('asset_id', 'membership_id', name=op.f('uq_asset_owners_asset_id_membership_id'))
    )
    with op.batch_alter_table('asset_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_owners_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_owners_membership_id'), ['membership_id'], unique=False)

    op.create_table('asset_bookings',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('asset_id', ID, nullable=False),
    sa.Column('membership_id', ID, nullable=False),
    sa.Column('slot_from', ID, nullable=False),
    sa.Column('slot_to', ID, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('handed_over_at', sa.DateTime(), nullable=True),
    sa.Column('condition_out', sa.String(length=300), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('condition_back', sa.String(length=300), nullable=False),
    sa.Column('hours', ID, nullable=True),
    sa.Column('fee', ID, nullable=True),
    sa.Column('fee_posting_id', ID, nullable=True),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('booked', 'handed_over', 'returned', 'cancelled')", name=op.f('ck_asset_bookings_state')),
    sa.CheckConstraint('fee IS NULL OR fee >= 0', name=op.f('ck_asset_bookings_fee')),
    sa.CheckConstraint('slot_to > slot_from', name=op.f('ck_asset_bookings_slots')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_bookings_asset_id_assets')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_asset_bookings_created_by_id_users')),
    sa.ForeignKeyConstraint(['fee_posting_id'], ['postings.id'], name=op.f('fk_asset_bookings_fee_posting_id_postings')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_asset_bookings_group_id_groups')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_asset_bookings_membership_id_memberships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_bookings'))
    )
    with op.batch_alter_table('asset_bookings', schema=None) as batch_op:
        batch_op.create_index('ix_asset_bookings_asset_id_slot_from', ['asset_id', 'slot_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_bookings_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_bookings_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index('uq_asset_bookings_group_id_idempotency_key', ['group_id', 'idempotency_key'], unique=True)

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            "ALTER TABLE asset_bookings ADD CONSTRAINT ex_asset_bookings_no_overlap "
            "EXCLUDE USING gist (int8range(asset_id * 4294967296 + slot_from, "
            "asset_id * 4294967296 + slot_to) WITH &&) WHERE (state IN " + HOLDING + ")")
    else:
        for when in ("INSERT", "UPDATE"):
            op.execute(f"CREATE TRIGGER tr_asset_bookings_no_overlap_{when.lower()} "
                       f"BEFORE {when} ON asset_bookings BEGIN {OVERLAP_SQLITE} END")

    op.create_table('asset_waits',
    sa.Column('id', ID, nullable=False),
    sa.Column('asset_id', ID, nullable=False),
    sa.Column('membership_id', ID, nullable=False),
    sa.Column('slot_from', ID, nullable=False),
    sa.Column('slot_to', ID, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('booking_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('waiting', 'booked', 'cancelled')", name=op.f('ck_asset_waits_state')),
    sa.CheckConstraint('slot_to > slot_from', name=op.f('ck_asset_waits_slots')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_waits_asset_id_assets')),
    sa.ForeignKeyConstraint(['booking_id'], ['asset_bookings.id'], name=op.f('fk_asset_waits_booking_id_asset_bookings')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_asset_waits_membership_id_memberships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_waits'))
    )
    with op.batch_alter_table('asset_waits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_waits_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_waits_membership_id'), ['membership_id'], unique=False)

    op.create_table('asset_repairs',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('asset_id', ID, nullable=False),
    sa.Column('cost', ID, nullable=False),
    sa.Column('from_fund', ID, nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('repaired_on', sa.Date(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("method IN ('cash', 'bank', 'mobile')", name=op.f('ck_asset_repairs_method')),
    sa.CheckConstraint("mode IN ('fund', 'owners')", name=op.f('ck_asset_repairs_mode')),
    sa.CheckConstraint('cost > 0', name=op.f('ck_asset_repairs_cost')),
    sa.CheckConstraint('from_fund >= 0 AND from_fund <= cost', name=op.f('ck_asset_repairs_from_fund')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_repairs_asset_id_assets')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_asset_repairs_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_asset_repairs_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_repairs')),
    sa.UniqueConstraint('group_id', 'idempotency_key', name=op.f('uq_asset_repairs_group_id_idempotency_key'))
    )
    with op.batch_alter_table('asset_repairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_repairs_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_repairs_group_id'), ['group_id'], unique=False)

    op.create_table('asset_repair_shares',
    sa.Column('id', ID, nullable=False),
    sa.Column('repair_id', ID, nullable=False),
    sa.Column('membership_id', ID, nullable=False),
    sa.Column('amount', ID, nullable=False),
    sa.Column('posting_id', ID, nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_asset_repair_shares_amount')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_asset_repair_shares_membership_id_memberships')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_asset_repair_shares_posting_id_postings')),
    sa.ForeignKeyConstraint(['repair_id'], ['asset_repairs.id'], name=op.f('fk_asset_repair_shares_repair_id_asset_repairs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_repair_shares')),
    sa.UniqueConstraint('repair_id', 'membership_id', name=op.f('uq_asset_repair_shares_repair_id_membership_id'))
    )
    with op.batch_alter_table('asset_repair_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_repair_shares_repair_id'), ['repair_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('file_token', sa.String(length=64), nullable=True),
    sa.Column('file_size', ID, nullable=True),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('declaration', 'certificate', 'organic', 'own_standard')", name=op.f('ck_certificates_kind')),
    sa.CheckConstraint('valid_to >= valid_from', name=op.f('ck_certificates_validity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_certificates_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_certificates_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('group_id', 'number', name=op.f('uq_certificates_group_id_number'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_group_id'), ['group_id'], unique=False)

    op.create_table('certificate_products',
    sa.Column('id', ID, nullable=False),
    sa.Column('certificate_id', ID, nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_products_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_products')),
    sa.UniqueConstraint('certificate_id', 'name', name=op.f('uq_certificate_products_certificate_id_name'))
    )
    with op.batch_alter_table('certificate_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_products_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('certificate_members',
    sa.Column('id', ID, nullable=False),
    sa.Column('certificate_id', ID, nullable=False),
    sa.Column('membership_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_members_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_certificate_members_membership_id_memberships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_members')),
    sa.UniqueConstraint('certificate_id', 'membership_id', name=op.f('uq_certificate_members_certificate_id_membership_id'))
    )
    with op.batch_alter_table('certificate_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_members_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_members_membership_id'), ['membership_id'], unique=False)

    op.create_table('brands',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('logo_token', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_brands_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brands')),
    sa.UniqueConstraint('group_id', name=op.f('uq_brands_group_id'))
    )

    op.create_table('lot_marks',
    sa.Column('id', ID, nullable=False),
    sa.Column('lot_id', ID, nullable=False),
    sa.Column('certificate_id', ID, nullable=True),
    sa.Column('use_brand', sa.Boolean(), nullable=False),
    sa.Column('trace_code', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_lot_marks_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['lot_id'], ['sale_lots.id'], name=op.f('fk_lot_marks_lot_id_sale_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_marks')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_lot_marks_lot_id')),
    sa.UniqueConstraint('trace_code', name=op.f('uq_lot_marks_trace_code'))
    )


def downgrade():
    for table in ('lot_marks', 'brands', 'certificate_members', 'certificate_products',
                  'certificates', 'asset_repair_shares', 'asset_repairs', 'asset_waits',
                  'asset_bookings'):
        op.drop_table(table)
    bind = op.get_bind()
    # The maintenance funds' postings and accounts go with the equipment.
    bind.execute(sa.text("UPDATE assets SET account_id = NULL"))
    op.drop_table('asset_owners')
    op.drop_table('assets')
    bind.execute(sa.text(
        "DELETE FROM postings WHERE debit_account_id IN (SELECT id FROM accounts WHERE "
        "kind = 'equipment') OR credit_account_id IN (SELECT id FROM accounts WHERE "
        "kind = 'equipment')"))
    bind.execute(sa.text("DELETE FROM accounts WHERE kind = 'equipment'"))
    _account_kinds(KINDS_BEFORE)
