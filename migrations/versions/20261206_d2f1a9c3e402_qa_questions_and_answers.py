"""Q&A: questions, answers, me-too, helpful, FAQ

Public Q&A and business consultation (interaction/qa): questions with their moderation state and
5-working-day clock (a partial index on the questions still awaiting their answer, for the
supervision board), every version of the department's answer (the public edit history), one 同问
and one 有帮助 per citizen and question (unique constraints), the departments' FAQ and whether a
department's answers need review.

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
    op.create_table('qa_department_settings',
    sa.Column('department_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('answers_need_review', sa.Boolean(), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_qa_department_settings_department_id_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_qa_department_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('department_id', name=op.f('pk_qa_department_settings'))
    )
    op.create_table('qa_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moderation_reason', sa.Text(), nullable=True),
    sa.Column('decided_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock_start_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reroute_count', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('answer_body', sa.Text(), nullable=True),
    sa.Column('answer_html', sa.Text(), nullable=True),
    sa.Column('first_answered_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_edited_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_on_time', sa.Boolean(), nullable=True),
    sa.Column('me_too_count', sa.Integer(), nullable=False),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('publication_consent', sa.Boolean(), nullable=False),
    sa.Column('consent_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('published_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_title', sa.String(length=200), nullable=True),
    sa.Column('published_body', sa.Text(), nullable=True),
    sa.Column('published_answer', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_qa_questions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_qa_questions_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_questions'))
    )
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.create_index('ix_qa_questions_author', ['author_id', 'created_dt'], unique=False)
        batch_op.create_index('ix_qa_questions_department_status', ['department_id', 'status', 'clock_start_dt'], unique=False)
        batch_op.create_index('ix_qa_questions_public_created', ['is_public', 'created_dt', 'id'], unique=False)
        batch_op.create_index('ix_qa_questions_waiting_due', ['due_dt', 'id'], unique=False, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    op.create_table('qa_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('is_edit', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_qa_answers_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_qa_answers_department_id_departments')),
    sa.ForeignKeyConstraint(['question_id'], ['qa_questions.id'], name=op.f('fk_qa_answers_question_id_qa_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_answers'))
    )
    with op.batch_alter_table('qa_answers', schema=None) as batch_op:
        batch_op.create_index('ix_qa_answers_question', ['question_id', 'id'], unique=False)

    op.create_table('qa_faq_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_qa_faq_entries_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_qa_faq_entries_department_id_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['qa_questions.id'], name=op.f('fk_qa_faq_entries_question_id_qa_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_faq_entries')),
    sa.UniqueConstraint('department_id', 'question_id', name=op.f('uq_qa_faq_entries_department_id_question_id'))
    )
    with op.batch_alter_table('qa_faq_entries', schema=None) as batch_op:
        batch_op.create_index('ix_qa_faq_entries_department_position', ['department_id', 'position'], unique=False)

    op.create_table('qa_helpfuls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['qa_questions.id'], name=op.f('fk_qa_helpfuls_question_id_qa_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_qa_helpfuls_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_helpfuls')),
    sa.UniqueConstraint('question_id', 'user_id', name=op.f('uq_qa_helpfuls_question_id_user_id'))
    )
    with op.batch_alter_table('qa_helpfuls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_helpfuls_user_id'), ['user_id'], unique=False)

    op.create_table('qa_me_toos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['qa_questions.id'], name=op.f('fk_qa_me_toos_question_id_qa_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_qa_me_toos_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_me_toos')),
    sa.UniqueConstraint('question_id', 'user_id', name=op.f('uq_qa_me_toos_question_id_user_id'))
    )
    with op.batch_alter_table('qa_me_toos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_me_toos_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('qa_me_toos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_me_toos_user_id'))

    op.drop_table('qa_me_toos')
    with op.batch_alter_table('qa_helpfuls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_helpfuls_user_id'))

    op.drop_table('qa_helpfuls')
    with op.batch_alter_table('qa_faq_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_faq_entries_department_position')

    op.drop_table('qa_faq_entries')
    with op.batch_alter_table('qa_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_answers_question')

    op.drop_table('qa_answers')
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_questions_waiting_due', postgresql_where=sa.text("status = 'open'"),
                            sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_qa_questions_public_created')
        batch_op.drop_index('ix_qa_questions_department_status')
        batch_op.drop_index('ix_qa_questions_author')

    op.drop_table('qa_questions')
    op.drop_table('qa_department_settings')
