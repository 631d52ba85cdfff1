"""Periodic jobs' leases (core.jobs): each job runs once per period however many processes start it

Revision ID: f4b9c2d7e805
Revises: e7c3b8d1f503
Create Date: 2026-12-06 15:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4b9c2d7e805'
down_revision = 'e7c3b8d1f503'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('last_started', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )


def downgrade():
    op.drop_table('job_leases')
