"""Portal: site settings, who may write (sign-in or SMS-verified phone), provisional deadlines

Placeholder in the chain (written first so that features built in parallel never make two Alembic
heads); its feature's work fills in upgrade() and downgrade(), or leaves it empty.

Revision ID: c5e2f8a4d107
Revises: a8d3e6f1b906
Create Date: 2026-12-06 15:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e2f8a4d107'
down_revision = 'a8d3e6f1b906'
branch_labels = None
depends_on = None


def upgrade():
    # Site settings (主办单位, 12345, filing numbers, 留言须知) are rows of core's existing `settings` table
    # (names "site.*"): no schema change for them.
    op.create_table('phone_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_dt', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_codes'))
    )
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.create_index('ix_phone_codes_phone_created', ['phone', 'created_dt'], unique=False)
        batch_op.create_index('ix_phone_codes_address_created', ['address', 'created_dt'], unique=False)

    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('write_rule', sa.String(length=16), server_default='anyone', nullable=False))

    # What a letter's reply deadline is counted from (a recomputation after the calendar changes reproduces
    # it); letters stored before have it read from their history.
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_basis', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('due_basis')
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_column('write_rule')
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_codes_address_created')
        batch_op.drop_index('ix_phone_codes_phone_created')
    op.drop_table('phone_codes')
