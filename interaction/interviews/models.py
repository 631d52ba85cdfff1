"""Live interviews (在线访谈): the interview, its guests, citizens' questions and the transcript.

Every public line of an interview is a :class:`TranscriptEntry` with a sequence number
``seq`` that is unique and dense per interview (1, 2, 3, ...): it is taken from
``Interview.next_seq`` under a row lock, so the order of commits is the order of ``seq``,
and a client that missed entries asks for those after the last ``seq`` it saw.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.accounts.models import Department, User
from interaction.core.db import db
from interaction.core.errors import InvalidTransition
from interaction.core.time import now_utc


class InterviewStatus(StrEnum):
    scheduled = "scheduled"
    live = "live"
    ended = "ended"


class GuestRole(StrEnum):
    guest = "guest"  # 嘉宾: officials who answer
    host = "host"  # 主持人: runs the session, posts remarks


class QuestionState(StrEnum):
    pending = "pending"  # waiting for a moderator; never shown to viewers
    approved = "approved"  # public, waiting for an answer
    rejected = "rejected"  # the asker sees the reason
    answered = "answered"
    handed_over = "handed_over"  # not answered live: passed to the department after the interview


class EntryKind(StrEnum):
    question = "question"
    answer = "answer"
    host = "host"


class Interview(db.Model):
    """A scheduled live session: preview (scheduled) → live → ended (transcript published)."""

    __tablename__ = "interviews"
    __table_args__ = (Index("ix_interviews_status_scheduled", "status", "scheduled_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    scheduled_dt: Mapped[datetime]
    expected_minutes: Mapped[int] = mapped_column(default=60)
    status: Mapped[str] = mapped_column(String(16), default=InterviewStatus.scheduled.value)
    started_dt: Mapped[datetime | None]
    ended_dt: Mapped[datetime | None]
    # The seq the next transcript entry gets; read and bumped only under a row lock.
    next_seq: Mapped[int] = mapped_column(default=1)
    # The question the moderator picked for the guests to answer next (no FK: avoids a cycle).
    current_question_id: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)

    department: Mapped[Department] = relationship(lazy="joined")
    guests: Mapped[list["Guest"]] = relationship(back_populates="interview", order_by="Guest.sort_order",
                                                 cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Interview {self.id} {self.status}>"

    @property
    def accepts_questions(self) -> bool:
        """Citizens may ask before (pre-questions) and during the interview, not after."""
        return self.status in (InterviewStatus.scheduled, InterviewStatus.live)

    @property
    def is_live(self) -> bool:
        return self.status == InterviewStatus.live

    @property
    def is_ended(self) -> bool:
        return self.status == InterviewStatus.ended

    def start(self) -> None:
        """Go live (scheduled → live); anything else raises :class:`InvalidTransition` (409)."""
        if self.status != InterviewStatus.scheduled:
            raise InvalidTransition(code="invalid_state")
        self.status = InterviewStatus.live.value
        self.started_dt = now_utc()

    def end(self) -> None:
        """End it (live → ended); anything else raises :class:`InvalidTransition` (409)."""
        if self.status != InterviewStatus.live:
            raise InvalidTransition(code="invalid_state")
        self.status = InterviewStatus.ended.value
        self.ended_dt = now_utc()

    def guest_for(self, user) -> "Guest | None":
        """The guest or host row linked to *user*'s account, if any."""
        user_id = getattr(user, "id", None)
        if user_id is None:
            return None
        return next((g for g in self.guests if g.user_id == user_id), None)


class Guest(db.Model):
    """A guest (嘉宾) or host (主持人) of an interview, linked to a staff account where there is one."""

    __tablename__ = "interview_guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16), default=GuestRole.guest.value)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    interview: Mapped[Interview] = relationship(back_populates="guests")
    # Loaded when used (only the guest's user_id is needed to know who may speak): loading an
    # interview's guests joins no accounts.
    user: Mapped[User | None] = relationship()

    @property
    def display_name(self) -> str:
        return f"{self.name}（{self.title}）" if self.title else self.name


class LiveQuestion(db.Model):
    """A citizen's question: pending until a moderator (or screening) decides; public only once approved."""

    __tablename__ = "interview_questions"
    __table_args__ = (
        Index("ix_interview_questions_interview_state", "interview_id", "state"),
        Index("ix_interview_questions_asker_created", "asker_id", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)  # as shown; a moderator may correct typos before approving
    original_body: Mapped[str] = mapped_column(Text)  # as the citizen wrote it
    state: Mapped[str] = mapped_column(String(16), default=QuestionState.pending.value)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    upvotes: Mapped[int] = mapped_column(default=0)
    is_pre_question: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    decided_dt: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderation_case_id: Mapped[int | None] = mapped_column(index=True)
    # The transcript entries of the approved question and of its first answer (plain ids: the
    # entries already point at their question, and a second foreign key would make a cycle).
    question_entry_id: Mapped[int | None]
    answered_entry_id: Mapped[int | None]
    handed_over_dt: Mapped[datetime | None]
    handover_due_dt: Mapped[datetime | None]
    # What receivers of question_handed_over reported: [{"kind", "url", "number"?}]; [] = kept here.
    handed_to: Mapped[list | None] = mapped_column(JSON)

    # Read-only ways to navigate (rows are written with the ids): viewonly keeps them out of every
    # flush's dependency graph, which cost more than the UPDATE itself (figures: bench/README.md).
    interview: Mapped[Interview] = relationship(lazy="joined", viewonly=True)
    asker: Mapped[User | None] = relationship(foreign_keys=[asker_id], lazy="joined", viewonly=True)

    def __repr__(self):
        return f"<LiveQuestion {self.id} {self.state}>"

    @property
    def is_waiting(self) -> bool:
        """Approved and not yet answered: in the guests' queue, and viewers may upvote it."""
        return self.state == QuestionState.approved

    def approve(self, *, actor=None) -> None:
        if self.state != QuestionState.pending:
            raise InvalidTransition(code="already_decided")
        self.state = QuestionState.approved.value
        self.decided_dt = now_utc()
        self.decided_by_id = getattr(actor, "id", None)

    def reject(self, *, reason: str, actor=None) -> None:
        if self.state != QuestionState.pending:
            raise InvalidTransition(code="already_decided")
        self.state = QuestionState.rejected.value
        self.reject_reason = reason
        self.decided_dt = now_utc()
        self.decided_by_id = getattr(actor, "id", None)

    def mark_answered(self, entry: "TranscriptEntry") -> None:
        if self.state not in (QuestionState.approved, QuestionState.answered):
            raise InvalidTransition(code="not_approved")
        self.state = QuestionState.answered.value
        if self.answered_entry_id is None:
            self.answered_entry_id = entry.id

    def hand_over(self, *, due_dt: datetime, handed_to: list) -> None:
        if self.state != QuestionState.approved:
            raise InvalidTransition(code="invalid_state")
        self.state = QuestionState.handed_over.value
        self.handed_over_dt = now_utc()
        self.handover_due_dt = due_dt
        self.handed_to = handed_to


class QuestionVote(db.Model):
    """One upvote (同问) of one person for one approved question."""

    __tablename__ = "interview_question_votes"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("interview_questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)


class TranscriptEntry(db.Model):
    """One public line of the transcript (文字实录): an approved question, an answer or a host remark."""

    __tablename__ = "interview_transcript_entries"
    __table_args__ = (UniqueConstraint("interview_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    at_dt: Mapped[datetime]
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview_questions.id", ondelete="SET NULL"), index=True)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("interview_guests.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    edited_dt: Mapped[datetime | None]

    # Read-only, as LiveQuestion's (the entry is written with question_id).
    question: Mapped[LiveQuestion | None] = relationship(foreign_keys=[question_id], lazy="joined", viewonly=True)
    revisions: Mapped[list["TranscriptRevision"]] = relationship(
        back_populates="entry", order_by="TranscriptRevision.at_dt", cascade="all, delete-orphan")

    def __repr__(self):
        return f"<TranscriptEntry {self.interview_id}#{self.seq} {self.kind}>"


class TranscriptRevision(db.Model):
    """A correction of a transcript entry after the fact: the text before and after, who and why."""

    __tablename__ = "interview_transcript_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("interview_transcript_entries.id", ondelete="CASCADE"),
                                          index=True)
    body_before: Mapped[str] = mapped_column(Text)
    body_after: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at_dt: Mapped[datetime] = mapped_column(default=now_utc)

    entry: Mapped[TranscriptEntry] = relationship(back_populates="revisions")
    editor: Mapped[User | None] = relationship(lazy="joined")
