"""Polls: polls, questions, options, ballots, answers, reports

Placeholder in the chain search → Q&A → polls (written first so that the three features, built in
parallel, never make two Alembic heads); its feature's work fills in upgrade() and downgrade().

Revision ID: e7c3b8d1f503
Revises: d2f1a9c3e402
Create Date: 2026-12-06 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c3b8d1f503'
down_revision = 'd2f1a9c3e402'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
