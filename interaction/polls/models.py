"""Polls and surveys (民意调查 / 征集调查): a poll, its questions and options, ballots and their answers.

One ballot per person per poll is a database constraint (``uq_ballots_poll_id``), not a check in
code: two requests of one person racing each other cannot both be stored. A ballot's answers
carry the poll's id too, so that results are one grouped read of one index, without joins.

Who voted what is in the database (a citizen sees their own answers) but never leaves it for
staff: results are aggregates (``queries``), exports carry no identity (``exports``).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint, and_, case, literal
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.core.db import db
from interaction.core.errors import InvalidTransition
from interaction.core.time import now_utc


class PollState(StrEnum):
    """What staff did to the poll; its status also depends on the clock (:meth:`Poll.status_at`)."""

    draft = "draft"
    published = "published"
    withdrawn = "withdrawn"


class PollStatus(StrEnum):
    """What the public sees: ``draft``, ``scheduled`` (published, not yet open), ``open``, ``closed``, ``withdrawn``."""

    draft = "draft"
    scheduled = "scheduled"
    open = "open"
    closed = "closed"
    withdrawn = "withdrawn"


class ResultsVisibility(StrEnum):
    """Who sees the results when: ``after_close`` (sealed until the poll closes), ``live``, ``staff`` (staff only)."""

    after_close = "after_close"
    live = "live"
    staff = "staff"


class QuestionKind(StrEnum):
    single = "single"
    multiple = "multiple"
    rating = "rating"
    text = "text"


class TextState(StrEnum):
    """A free-text answer's way to publication: moderated (kind ``polls.text_answer``) before it is shown."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


RATING_MIN, RATING_MAX = 1, 5


class Poll(db.Model):
    """A poll of one department; questions are fixed once it is published (a correction is a new poll)."""

    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_state_closes", "state", "closes_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    opens_dt: Mapped[datetime]
    closes_dt: Mapped[datetime]
    results_visibility: Mapped[str] = mapped_column(String(16), default=ResultsVisibility.after_close.value)
    state: Mapped[str] = mapped_column(String(16), default=PollState.draft.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    published_dt: Mapped[datetime | None]
    closed_early_dt: Mapped[datetime | None]
    withdrawn_dt: Mapped[datetime | None]
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    # The results report (征集调查结果反馈), published once after closing.
    report_summary: Mapped[str | None] = mapped_column(Text)
    report_adoption: Mapped[str | None] = mapped_column(Text)
    report_summary_html: Mapped[str | None] = mapped_column(Text)
    report_adoption_html: Mapped[str | None] = mapped_column(Text)
    report_published_dt: Mapped[datetime | None]

    department = relationship("Department", lazy="joined")
    # Loaded when used (a ballot reads the questions' shape from a per-process cache: ``services.voting``).
    questions: Mapped[list["PollQuestion"]] = relationship(
        back_populates="poll", order_by="PollQuestion.position", cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Poll {self.id} {self.state}>"

    def status_at(self, now: datetime) -> PollStatus:
        return status_of(self.state, self.opens_dt, self.closes_dt, now)

    @property
    def status(self) -> PollStatus:
        return self.status_at(now_utc())

    @hybrid_method
    def is_open_at(self, now: datetime) -> bool:
        """Published and within its window at *now* (in Python and in SQL alike)."""
        return self.state == PollState.published and self.opens_dt <= now < self.closes_dt

    @is_open_at.expression
    def is_open_at(cls, now):
        return and_(cls.state == PollState.published.value, cls.opens_dt <= now, cls.closes_dt > now)

    @property
    def is_open(self) -> bool:
        return self.is_open_at(now_utc())

    @property
    def has_report(self) -> bool:
        return self.report_published_dt is not None

    def require_draft(self) -> None:
        if self.state != PollState.draft:
            raise InvalidTransition()


def status_of(state: str, opens_dt: datetime, closes_dt: datetime, now: datetime) -> PollStatus:
    """A poll's status from its state and window at *now* (:meth:`Poll.status_at`, and ballots' short read)."""
    if state == PollState.draft:
        return PollStatus.draft
    if state == PollState.withdrawn:
        return PollStatus.withdrawn
    if now < opens_dt:
        return PollStatus.scheduled
    return PollStatus.open if now < closes_dt else PollStatus.closed


#: The status as a SQL expression at *now* (lists filter and sort by it).
def status_expression(now):
    return case(
        (Poll.state == PollState.draft.value, literal(PollStatus.draft.value)),
        (Poll.state == PollState.withdrawn.value, literal(PollStatus.withdrawn.value)),
        (Poll.opens_dt > now, literal(PollStatus.scheduled.value)),
        (Poll.closes_dt > now, literal(PollStatus.open.value)),
        else_=literal(PollStatus.closed.value))


class PollQuestion(db.Model):
    __tablename__ = "poll_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(String(500))
    is_required: Mapped[bool] = mapped_column(default=True)
    min_choices: Mapped[int | None] = mapped_column(SmallInteger)
    max_choices: Mapped[int | None] = mapped_column(SmallInteger)

    poll: Mapped[Poll] = relationship(back_populates="questions")
    options: Mapped[list["PollOption"]] = relationship(
        back_populates="question", order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin")

    @property
    def has_options(self) -> bool:
        return self.kind in (QuestionKind.single, QuestionKind.multiple)


class PollOption(db.Model):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    label: Mapped[str] = mapped_column(String(200))

    question: Mapped[PollQuestion] = relationship(back_populates="options")


class Ballot(db.Model):
    """One person's ballot on one poll: unique per (poll, user). The time is kept for the voter, never exported."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)


class BallotAnswer(db.Model):
    """One answer of a ballot: a chosen option (one row per option), a rating value, or a text."""

    __tablename__ = "ballot_answers"
    __table_args__ = (
        Index("ix_ballot_answers_poll_question", "poll_id", "question_id", "option_id", "value"),
        Index("ix_ballot_answers_text", "question_id", "text_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_questions.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("poll_options.id", ondelete="CASCADE"))
    value: Mapped[int | None] = mapped_column(SmallInteger)
    text: Mapped[str | None] = mapped_column(Text)
    text_state: Mapped[str | None] = mapped_column(String(16))
