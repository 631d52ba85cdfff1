"""Public Q&A (公众问答) and business consultation (业务咨询): questions, answers, 同问, 有帮助, FAQ.

A :class:`Question` is asked of a department by a signed-in citizen, of one of two kinds:

* ``question``: public once a moderator approves it (kind ``qa.question`` in the shared queue);
* ``consultation``: private between the asker and the department; the department may publish a
  good one, masked, only with the asker's consent (``publication_consent``, given when asking or
  later).

Status flow: ``pending`` (awaiting review) → ``open`` (approved, the 5-working-day clock runs:
``clock_start_dt``, ``due_dt``) → ``reviewing`` (an answer awaits review, when the department's
answers need it) → ``answered``; ``rejected`` and ``withdrawn`` are ends. A reroute moves an open
question to another department and restarts the clock.

Each version of the department's answer is an :class:`Answer` row (the first and every edit),
reviewed or not; the question carries the current public one (``answer_body``/``answer_html``,
``answer_id``) so lists read one table, and the approved rows are the public edit history
(修改记录). ``is_public`` is kept by the services: what the public board, search and similar
questions may show.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, literal_column, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.accounts.models import Department, User
from interaction.core.calendar import get_calendar, is_provisional
from interaction.core.db import db
from interaction.core.errors import InvalidTransition
from interaction.core.time import now_utc, to_local

#: Working days a department has to answer (the official calendar).
ANSWER_WORKDAYS = 5
MAX_TITLE = 100
MAX_BODY = 3000
MAX_ANSWER = 10000


class QuestionKind(StrEnum):
    question = "question"
    consultation = "consultation"


class QuestionStatus(StrEnum):
    pending = "pending"  # awaiting moderation (待审核)
    rejected = "rejected"  # moderation refused it; the asker sees the reason
    open = "open"  # approved, awaiting the department's answer (待答复)
    reviewing = "reviewing"  # answered, the answer awaits review
    answered = "answered"  # the answer is public (to the asker, for a consultation)
    withdrawn = "withdrawn"  # the asker took it back


class AnswerState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


#: "Awaiting the department": the clock runs (the supervision board, the staff queue).
WAITING_SQL = "status = 'open'"


def waiting_clause(cls=None):
    """``status = 'open'`` with a literal (the partial index's predicate, verbatim)."""
    return (cls or Question).status == literal_column("'open'")


class Question(db.Model):
    """A citizen's question or consultation to a department (see the module docstring)."""

    __tablename__ = "qa_questions"
    __table_args__ = (
        Index("ix_qa_questions_waiting_due", "due_dt", "id", postgresql_where=text(WAITING_SQL),
              sqlite_where=text(WAITING_SQL)),
        Index("ix_qa_questions_department_status", "department_id", "status", "clock_start_dt"),
        Index("ix_qa_questions_public_created", "is_public", "created_dt", "id"),
        Index("ix_qa_questions_author", "author_id", "created_dt"),
        # oversight's figures: a period's questions by state (answered ones into its summary, the others read
        # live) and those answered lately (its summary's changes); see qa.queries.question_facts and
        # questions_answered_since
        Index("ix_qa_questions_status_created", "status", "created_dt"),
        Index("ix_qa_questions_answered", "answered_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=QuestionKind.question.value)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    topic: Mapped[str | None] = mapped_column(String(32))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(MAX_TITLE * 2))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QuestionStatus.pending.value)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    decided_dt: Mapped[datetime | None]

    # The department's clock: from approval (or the last reroute), ANSWER_WORKDAYS working days.
    clock_start_dt: Mapped[datetime | None]
    due_dt: Mapped[datetime | None]
    reroute_count: Mapped[int] = mapped_column(Integer, default=0)

    # The current public answer (the latest approved Answer), copied here for the lists.
    answer_id: Mapped[int | None]  # no foreign key: answers refer to their question (no cycle)
    answer_body: Mapped[str | None] = mapped_column(Text)
    answer_html: Mapped[str | None] = mapped_column(Text)
    first_answered_dt: Mapped[datetime | None]  # when the department first answered (on time or not)
    answered_dt: Mapped[datetime | None]  # when an answer first became public
    answer_edited_dt: Mapped[datetime | None]
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean)

    me_too_count: Mapped[int] = mapped_column(Integer, default=0)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)

    # Consultations: publication, masked, with the asker's consent.
    publication_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_dt: Mapped[datetime | None]
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_dt: Mapped[datetime | None]
    published_title: Mapped[str | None] = mapped_column(String(MAX_TITLE * 2))
    published_body: Mapped[str | None] = mapped_column(Text)
    published_answer: Mapped[str | None] = mapped_column(Text)

    department: Mapped[Department] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    def __repr__(self):
        return f"<Question {self.id} {self.kind} {self.status}>"

    @property
    def is_consultation(self) -> bool:
        return self.kind == QuestionKind.consultation

    @property
    def is_answered(self) -> bool:
        return self.status == QuestionStatus.answered

    @hybrid_property
    def is_overdue(self) -> bool:
        """Awaiting the department's answer past its due date."""
        return self.status == QuestionStatus.open and self.due_dt is not None and self.due_dt < now_utc()

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_expression(cls):
        return and_(waiting_clause(cls), cls.due_dt < now_utc())

    def workdays_waiting(self, now: datetime | None = None) -> int | None:
        """Working days since the clock started (0 on its first day); None when nothing is awaited."""
        if self.status != QuestionStatus.open or self.clock_start_dt is None:
            return None
        return get_calendar().workdays_between(to_local(self.clock_start_dt).date(), to_local(now or now_utc()).date())

    @property
    def due_date(self) -> date | None:
        return to_local(self.due_dt).date() if self.due_dt is not None else None

    @property
    def due_provisional(self) -> bool:
        """The answer's deadline crosses a year whose official calendar is not entered yet (暂定期限)."""
        return is_provisional(self.due_dt, self.clock_start_dt)

    # -- public texts: a published consultation shows its masked version -----------------------------

    @property
    def public_title(self) -> str:
        return (self.published_title or "") if self.is_consultation else self.title

    @property
    def public_body(self) -> str:
        return (self.published_body or "") if self.is_consultation else self.body

    @property
    def public_answer(self) -> str | None:
        return self.published_answer if self.is_consultation else self.answer_body

    # -- transitions -------------------------------------------------------------------------------

    def _require(self, *states: QuestionStatus, code: str | None = None) -> None:
        if self.status not in {s.value for s in states}:
            raise InvalidTransition(code=code)

    def approve(self, at: datetime, due: datetime) -> None:
        """Pending → open: the department's clock starts."""
        self._require(QuestionStatus.pending)
        self.status, self.decided_dt, self.clock_start_dt, self.due_dt = QuestionStatus.open.value, at, at, due
        self.is_public = self.kind == QuestionKind.question

    def reject(self, reason: str | None, at: datetime) -> None:
        """Pending → rejected, with the moderator's reason for the asker."""
        self._require(QuestionStatus.pending)
        self.status, self.moderation_reason, self.decided_dt = QuestionStatus.rejected.value, reason, at
        self.is_public = False

    def withdraw(self) -> None:
        """Pending or open → withdrawn (the asker's own choice)."""
        self._require(QuestionStatus.pending, QuestionStatus.open)
        self.status, self.is_public, self.is_published = QuestionStatus.withdrawn.value, False, False


class Answer(db.Model):
    """One version of a department's answer: the first, or an edit; public once approved."""

    __tablename__ = "qa_answers"
    __table_args__ = (Index("ix_qa_answers_question", "question_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    is_edit: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=AnswerState.approved.value)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    decided_dt: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)

    question: Mapped[Question] = relationship(foreign_keys=[question_id])
    department: Mapped[Department] = relationship(lazy="joined")

    def __repr__(self):
        return f"<Answer {self.id} of {self.question_id} {self.state}>"


class MeToo(db.Model):
    """同问: one per citizen and question (the constraint holds under a race)."""

    __tablename__ = "qa_me_toos"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)


class Helpful(db.Model):
    """有帮助: one per citizen and answered question."""

    __tablename__ = "qa_helpfuls"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)


class FaqEntry(db.Model):
    """An answered question a department put in its FAQ (常见问题), at ``position``."""

    __tablename__ = "qa_faq_entries"
    __table_args__ = (UniqueConstraint("department_id", "question_id"),
                      Index("ix_qa_faq_entries_department_position", "department_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)

    question: Mapped[Question] = relationship(lazy="joined")


class DepartmentQaSetting(db.Model):
    """A department's Q&A setting, kept by administrators: whether its answers need review."""

    __tablename__ = "qa_department_settings"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True,
                                               autoincrement=False)
    answers_need_review: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_dt: Mapped[datetime] = mapped_column(default=now_utc)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
