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
    # What a letter's reply deadline is counted from (a recomputation after the calendar changes reproduces
    # it); letters stored before have it read from their history.
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_basis', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('due_basis')
