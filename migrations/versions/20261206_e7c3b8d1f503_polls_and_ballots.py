"""Polls: polls, questions, options, ballots, answers, reports

Polls and surveys (interaction/polls): a poll of one department with its questions and options,
its results report in the poll's own columns; ballots, one per person per poll by the unique
constraint uq_ballots_poll_id_user_id (the rule is the database's, so concurrent requests cannot
both store one); each answer a row of ballot_answers carrying the poll's id, indexed for the
grouped counts of the results (ix_ballot_answers_poll_question) and the moderated texts.

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
    op.create_table('polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('opens_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results_visibility', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_early_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('report_summary', sa.Text(), nullable=True),
    sa.Column('report_adoption', sa.Text(), nullable=True),
    sa.Column('report_summary_html', sa.Text(), nullable=True),
    sa.Column('report_adoption_html', sa.Text(), nullable=True),
    sa.Column('report_published_dt', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_polls_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_polls_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls'))
    )

    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polls_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_polls_state_closes', ['state', 'closes_dt'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_ballots_poll_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ballots_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('poll_id', 'user_id', name=op.f('uq_ballots_poll_id_user_id'))
    )

    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_user_id'), ['user_id'], unique=False)

    op.create_table('poll_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('prompt', sa.String(length=500), nullable=False),
    sa.Column('is_required', sa.Boolean(), nullable=False),
    sa.Column('min_choices', sa.SmallInteger(), nullable=True),
    sa.Column('max_choices', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_questions_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_questions'))
    )

    with op.batch_alter_table('poll_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_questions_poll_id'), ['poll_id'], unique=False)

    op.create_table('poll_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['poll_questions.id'], name=op.f('fk_poll_options_question_id_poll_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_options'))
    )

    with op.batch_alter_table('poll_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_options_question_id'), ['question_id'], unique=False)

    op.create_table('ballot_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.SmallInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('text_state', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_answers_ballot_id_ballots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['option_id'], ['poll_options.id'], name=op.f('fk_ballot_answers_option_id_poll_options'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_ballot_answers_poll_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['poll_questions.id'], name=op.f('fk_ballot_answers_question_id_poll_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_answers'))
    )

    with op.batch_alter_table('ballot_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_answers_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index('ix_ballot_answers_poll_question', ['poll_id', 'question_id', 'option_id', 'value'], unique=False)
        batch_op.create_index('ix_ballot_answers_text', ['question_id', 'text_state'], unique=False)


def downgrade():
    op.drop_table('ballot_answers')
    op.drop_table('poll_options')
    op.drop_table('poll_questions')
    op.drop_table('ballots')
    op.drop_table('polls')
