"""Idempotency records: the request's fingerprint

A key now belongs to its caller (issue 13): the sha256 of method, path and body is kept with each
record, so a signed-in caller repeating a key with another body gets 422 and an anonymous caller's
key counts only with its own body. Records live 24 hours and the ones already stored have no
fingerprint to compare with, so they are dropped rather than replayed to the wrong caller.

Revision ID: 5d1e7a3c9b20
Revises: 16c08203cec6
Create Date: 2026-12-06 12:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e7a3c9b20'
down_revision = '16c08203cec6'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("DELETE FROM idempotency_records"))
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=False))


def downgrade():
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('fingerprint')
