"""Oversight: performance figures (summary tables or indexes, if any)

Placeholder in the chain (written first so that features built in parallel never make two Alembic
heads); its feature's work fills in upgrade() and downgrade(), or leaves it empty.

Revision ID: a8d3e6f1b906
Revises: f4b9c2d7e805
Create Date: 2026-12-06 15:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8d3e6f1b906'
down_revision = 'f4b9c2d7e805'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
