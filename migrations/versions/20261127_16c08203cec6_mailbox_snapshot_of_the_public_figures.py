"""Mailbox: snapshot of the public figures

The public strip and the published count, computed by `flask mailbox sweep`; requests only read them.

Revision ID: 16c08203cec6
Revises: 08aa1753c811
Create Date: 2026-11-27 00:07:25.571177

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '16c08203cec6'
down_revision = '08aa1753c811'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mailbox_snapshots',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('computed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_mailbox_snapshots'))
    )


def downgrade():
    op.drop_table('mailbox_snapshots')