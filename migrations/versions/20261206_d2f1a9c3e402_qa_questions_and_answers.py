"""Q&A: questions, answers, me-too, helpful, FAQ

Placeholder in the chain search → Q&A → polls (written first so that the three features, built in
parallel, never make two Alembic heads); its feature's work fills in upgrade() and downgrade().

Revision ID: d2f1a9c3e402
Revises: b5e4a1c2d301
Create Date: 2026-12-06 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f1a9c3e402'
down_revision = 'b5e4a1c2d301'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
