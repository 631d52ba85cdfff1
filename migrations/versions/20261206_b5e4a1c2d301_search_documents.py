"""Search: the index of published documents (core.search)

Placeholder in the chain search → Q&A → polls (written first so that the three features, built in
parallel, never make two Alembic heads); its feature's work fills in upgrade() and downgrade().

Revision ID: b5e4a1c2d301
Revises: c7b2e94f1a68
Create Date: 2026-12-06 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e4a1c2d301'
down_revision = 'c7b2e94f1a68'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
