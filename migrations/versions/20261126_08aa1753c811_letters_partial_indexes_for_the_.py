"""Letters: partial indexes for the supervision board

Open letters by (due_dt, received_dt, id) (overdue but not past the three-months line, counted from
the index alone), open letters transferred three times or more by (due_dt, id), and submitted (not
yet accepted) letters by (accept_due_dt, id): each board section reads the first rows of its own index.

Revision ID: 08aa1753c811
Revises: 38297327e836
Create Date: 2026-11-26 23:59:24.961959

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '08aa1753c811'
down_revision = '38297327e836'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index('ix_letters_open_due_received', ['due_dt', 'received_dt', 'id'], unique=False, postgresql_where=sa.text("status IN ('submitted', 'accepted', 'assigned')"), sqlite_where=sa.text("status IN ('submitted', 'accepted', 'assigned')"))
        batch_op.create_index('ix_letters_open_flagged_due', ['due_dt', 'id'], unique=False, postgresql_where=sa.text("status IN ('submitted', 'accepted', 'assigned') AND transfer_count >= 3"), sqlite_where=sa.text("status IN ('submitted', 'accepted', 'assigned') AND transfer_count >= 3"))
        batch_op.create_index('ix_letters_submitted_accept_due', ['accept_due_dt', 'id'], unique=False, postgresql_where=sa.text("status = 'submitted'"), sqlite_where=sa.text("status = 'submitted'"))


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_submitted_accept_due', postgresql_where=sa.text("status = 'submitted'"), sqlite_where=sa.text("status = 'submitted'"))
        batch_op.drop_index('ix_letters_open_flagged_due', postgresql_where=sa.text("status IN ('submitted', 'accepted', 'assigned') AND transfer_count >= 3"), sqlite_where=sa.text("status IN ('submitted', 'accepted', 'assigned') AND transfer_count >= 3"))
        batch_op.drop_index('ix_letters_open_due_received', postgresql_where=sa.text("status IN ('submitted', 'accepted', 'assigned')"), sqlite_where=sa.text("status IN ('submitted', 'accepted', 'assigned')"))
