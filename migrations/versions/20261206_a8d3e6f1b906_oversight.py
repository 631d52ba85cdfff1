"""Oversight's performance summary (oversight_day_figures, oversight_marks) and two Q&A indexes it reads by

The per-day summary of settled letters and answered questions per department, the marks saying up to where
it is current (and the self-check's last outcome), and on qa_questions: by state and creation (a period's answered
questions and the unsettled ones) and by answer time (what changed since the summary).

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

COUNTERS = ("received", "valid", "replied", "on_time", "reply_workdays", "transferred", "extended", "rated",
            "satisfied", "resolution_rated", "resolution_satisfied", "attitude_rated", "attitude_satisfied",
            "speed_rated", "speed_satisfied", "rehandled", "questions", "questions_answered", "questions_on_time",
            "question_workdays")


def upgrade():
    op.create_table('oversight_day_figures',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS],
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                            name=op.f('fk_oversight_day_figures_department_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'department_id', name=op.f('pk_oversight_day_figures'))
    )
    op.create_index('ix_oversight_day_figures_department_day', 'oversight_day_figures', ['department_id', 'day'],
                    unique=False)
    op.create_table('oversight_marks',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('as_of_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_oversight_marks'))
    )
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.create_index('ix_qa_questions_status_created', ['status', 'created_dt'], unique=False)
        batch_op.create_index('ix_qa_questions_answered', ['answered_dt'], unique=False)


def downgrade():
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_questions_answered')
        batch_op.drop_index('ix_qa_questions_status_created')
    op.drop_table('oversight_marks')
    op.drop_index('ix_oversight_day_figures_department_day', table_name='oversight_day_figures')
    op.drop_table('oversight_day_figures')
