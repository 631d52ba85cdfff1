"""Login attempts: the scope of a sign-in lock

Five wrong passwords no longer lock an account for everyone (issue 13): they lock it for the
address they came from, and only twenty from several addresses lock it everywhere. The failure
that set a lock records which of the two it is. Locks set before this revision (at most fifteen
minutes old) are taken as locks everywhere, as they were.

Revision ID: a3c41f0e7d52
Revises: 5d1e7a3c9b20
Create Date: 2026-12-06 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c41f0e7d52'
down_revision = '5d1e7a3c9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_scope', sa.String(length=16), nullable=True))
    op.execute(sa.text("UPDATE login_attempts SET lock_scope = 'everywhere' WHERE locks_until_dt IS NOT NULL"))


def downgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_column('lock_scope')
