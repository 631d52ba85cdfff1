"""Settings: the secret key's check value

Letters' query codes are HMACs keyed with INTERACTION_SECRET_KEY; a database restored under another
key would silently refuse every code (issue 13). Core's settings table keeps a check value of the key
(core.keycheck), compared at start-up. The value is written by the application, not here: on a
database that already holds letters, the first start after this revision records the key it runs with.

Revision ID: c7b2e94f1a68
Revises: a3c41f0e7d52
Create Date: 2026-12-06 13:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7b2e94f1a68'
down_revision = 'a3c41f0e7d52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('settings',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_settings'))
    )


def downgrade():
    op.drop_table('settings')
