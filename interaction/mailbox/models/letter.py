"""Letters and their timelines: the letter state machine, its deadline rules in Python and in SQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, and_, false, literal_column, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.accounts.models import Department, User
from interaction.core.calendar import get_calendar, is_provisional
from interaction.core.db import db
from interaction.core.errors import InvalidTransition
from interaction.core.time import now_utc, to_local
from interaction.mailbox.models.mailboxes import Mailbox
from interaction.mailbox.models.states import (FLAGGED_SQL, OPEN_SQL, OPEN_STATES, SUBMITTED_SQL,
                                               TRANSFER_FLAG, LetterChannel, LetterState, due_soon_limit,
                                               long_unanswered_limit)


def open_clause(cls=None):
    """``status IN ('submitted', 'accepted', 'assigned')`` with literals (see :data:`OPEN_SQL`)."""
    column = (cls or Letter).status
    return column.in_([literal_column(f"'{state}'") for state in OPEN_STATES])


class Letter(db.Model):
    """A citizen's letter to a mailbox, with its deadlines, reply, rating and publication.

    ``department_id`` is the department handling the letter now (the mailbox's at first; assign
    and transfer move it). Personal data (name, phone, email) is shown only to staff of that
    department and to the writer; ``published_*`` hold the masked texts computed once when the
    letter is put forward for publication, so public pages never mask on read.
    """

    __tablename__ = "letters"
    __table_args__ = (
        # Open letters are few next to the archive: partial indexes keep the inbox, the supervision
        # board, the sweep and the three-months line as fast with 1,000,000 letters as with 10,000.
        Index("ix_letters_open_department_due", "department_id", "due_dt", "id",
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
        Index("ix_letters_open_due", "due_dt", "id", postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
        Index("ix_letters_open_received", "received_dt",
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
        # supervision board: overdue but not yet past the three-months line (index-only count and list);
        # transferred three times or more; not accepted in time
        Index("ix_letters_open_due_received", "due_dt", "received_dt", "id", postgresql_where=text(OPEN_SQL),
              sqlite_where=text(OPEN_SQL)),
        Index("ix_letters_open_flagged_due", "due_dt", "id", postgresql_where=text(FLAGGED_SQL),
              sqlite_where=text(FLAGGED_SQL)),
        Index("ix_letters_submitted_accept_due", "accept_due_dt", "id", postgresql_where=text(SUBMITTED_SQL),
              sqlite_where=text(SUBMITTED_SQL)),
        # staff inbox filtered by another state, or all states
        Index("ix_letters_department_status_due", "department_id", "status", "due_dt"),
        Index("ix_letters_department_due", "department_id", "due_dt", "id"),
        Index("ix_letters_status_due", "status", "due_dt"),
        # public list, newest reply first
        Index("ix_letters_published_replied", "is_published", "replied_dt", "id"),
        Index("ix_letters_author", "author_id", "received_dt"),
        Index("ix_letters_received", "received_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(256))
    # Double-submit protection: SHA-256 of the form's one-time token; the query code sealed with that
    # token lets a repeat of the same submission show the same confirmation (see services).
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    sealed_code: Mapped[str | None] = mapped_column(String(32))
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    category: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    public_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(8), default=LetterChannel.web.value)
    status: Mapped[str] = mapped_column(String(16), default=LetterState.submitted.value)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    received_dt: Mapped[datetime]
    created_dt: Mapped[datetime]
    accept_due_dt: Mapped[datetime]
    due_dt: Mapped[datetime]
    accepted_dt: Mapped[datetime | None]
    assigned_dt: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    extended_workdays: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    #: What ``due_dt`` is counted from, so a change of the calendar recomputes it as the letter's history gave
    #: it (services.deadlines): {"from": Shanghai day the round began, "workdays": N, "extended": M}.
    due_basis: Mapped[dict | None] = mapped_column(JSON)

    replied_dt: Mapped[datetime | None]
    reply_body: Mapped[str | None] = mapped_column(Text)
    reply_html: Mapped[str | None] = mapped_column(Text)
    reply_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    replied_on_time: Mapped[bool | None] = mapped_column(Boolean)

    rating_score: Mapped[int | None] = mapped_column(Integer)  # overall 1..5, the API's "score"
    rating_resolution: Mapped[int | None] = mapped_column(Integer)  # 解决程度
    rating_attitude: Mapped[int | None] = mapped_column(Integer)  # 办理态度
    rating_speed: Mapped[int | None] = mapped_column(Integer)  # 办理速度
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_dt: Mapped[datetime | None]
    is_rehandled: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_dt: Mapped[datetime | None]

    # Publication (moderation kind "mailbox.letter"): masked once, when put forward.
    publication_state: Mapped[str | None] = mapped_column(String(16))  # pending|approved|rejected
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_dt: Mapped[datetime | None]
    published_subject: Mapped[str | None] = mapped_column(String(200))
    published_body: Mapped[str | None] = mapped_column(Text)
    published_reply: Mapped[str | None] = mapped_column(Text)

    # Reminders, once per deadline round (reset when the deadline moves).
    reminded_due_soon_dt: Mapped[datetime | None]
    reminded_due_dt: Mapped[datetime | None]
    supervised_dt: Mapped[datetime | None]

    mailbox: Mapped[Mailbox] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(foreign_keys=[department_id], lazy="joined")
    reply_department: Mapped[Department | None] = relationship(foreign_keys=[reply_department_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    events: Mapped[list[LetterEvent]] = relationship(
        back_populates="letter", order_by="LetterEvent.id", cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Letter {self.number} {self.status}>"

    # -- rules usable in Python and SQL --------------------------------------------------------------

    @hybrid_property
    def is_open(self) -> bool:
        """Waiting for the department: submitted, accepted or assigned."""
        return self.status in OPEN_STATES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return open_clause(cls)

    @hybrid_property
    def is_overdue(self) -> bool:
        """Open and past the reply deadline (``due_dt``)."""
        return self.status in OPEN_STATES and self.due_dt < now_utc()

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_expression(cls):
        return and_(open_clause(cls), cls.due_dt < now_utc())

    @hybrid_property
    def is_due_soon(self) -> bool:
        """Open, not overdue, and at most 2 working days left before the reply deadline."""
        now = now_utc()
        return self.status in OPEN_STATES and now <= self.due_dt <= due_soon_limit(now)

    @is_due_soon.inplace.expression
    @classmethod
    def _is_due_soon_expression(cls):
        now = now_utc()
        return and_(open_clause(cls), cls.due_dt >= now, cls.due_dt <= due_soon_limit(now))

    @hybrid_property
    def is_long_unanswered(self) -> bool:
        """Valid (not rejected), still unanswered, and received more than three months ago."""
        return self.status in OPEN_STATES and self.received_dt < long_unanswered_limit()

    @is_long_unanswered.inplace.expression
    @classmethod
    def _is_long_unanswered_expression(cls):
        return and_(open_clause(cls), cls.received_dt < long_unanswered_limit())

    @hybrid_property
    def is_acceptance_overdue(self) -> bool:
        """Still not accepted or rejected after the 2 working days allowed for acceptance."""
        return self.status == LetterState.submitted and self.accept_due_dt < now_utc()

    @is_acceptance_overdue.inplace.expression
    @classmethod
    def _is_acceptance_overdue_expression(cls):
        return and_(cls.status == LetterState.submitted.value, cls.accept_due_dt < now_utc())

    @property
    def is_flagged(self) -> bool:
        """Transferred three times or more: administrators should look at it."""
        return self.transfer_count >= TRANSFER_FLAG

    @property
    def can_rehandle(self) -> bool:
        return (self.status == LetterState.rated and not self.is_rehandled and self.rating_score is not None
                and self.rating_score <= 2)

    def workdays_left(self, now: datetime | None = None) -> int | None:
        """Working days from today (Shanghai) to the reply deadline: 0 on the day, negative once past."""
        if self.status not in OPEN_STATES:
            return None
        return get_calendar().workdays_between(to_local(now or now_utc()).date(), self.due_date)

    @property
    def due_provisional(self) -> bool:
        """The deadline crosses a year whose official calendar is not entered yet (暂定期限)."""
        return is_provisional(self.due_dt, self.received_dt)

    @property
    def due_date(self) -> date:
        return to_local(self.due_dt).date()

    @property
    def received_date(self) -> date:
        return to_local(self.received_dt).date()

    # -- transitions ---------------------------------------------------------------------------------

    def _require(self, *states: LetterState) -> None:
        if self.status not in {s.value for s in states}:
            raise InvalidTransition()

    def accept(self, at: datetime) -> None:
        """Submitted → accepted."""
        self._require(LetterState.submitted)
        self.status, self.accepted_dt = LetterState.accepted.value, at

    def reject(self, reason: str, at: datetime) -> None:
        """Submitted → rejected (不予受理); the writer sees *reason*."""
        self._require(LetterState.submitted)
        self.status, self.rejection_reason, self.closed_dt = LetterState.rejected.value, reason, at

    def assign(self, department_id: int, at: datetime) -> None:
        """Accepted → assigned to *department_id* (交办; may be the own department)."""
        self._require(LetterState.accepted)
        self.status, self.department_id, self.assigned_dt = LetterState.assigned.value, department_id, at

    def transfer(self, department_id: int) -> None:
        """Assigned → assigned under another department (转办); the deadline does not move."""
        self._require(LetterState.assigned)
        if department_id == self.department_id:
            raise InvalidTransition(code="same_department")
        self.department_id = department_id
        self.transfer_count += 1

    def extend(self, workdays: int, new_due_dt: datetime, reason: str) -> None:
        """Open letter (accepted or assigned), once: the reply deadline moves by *workdays*."""
        self._require(LetterState.accepted, LetterState.assigned)
        if self.extended_workdays:
            raise InvalidTransition(code="already_extended")
        self.extended_workdays, self.extension_reason, self.due_dt = workdays, reason, new_due_dt
        self.reminded_due_soon_dt = self.reminded_due_dt = None

    def reply(self, body: str, html: str, at: datetime) -> None:
        """Assigned → replied."""
        self._require(LetterState.assigned)
        self.status = LetterState.replied.value
        self.reply_body, self.reply_html, self.replied_dt = body, html, at
        self.reply_department_id = self.department_id
        self.replied_on_time = at <= self.due_dt

    def rate(self, score: int, resolution: int | None, attitude: int | None, speed: int | None,
             comment: str | None, at: datetime) -> None:
        """Replied → rated; a second rating of the same reply is refused (409)."""
        if self.rating_score is not None:
            raise InvalidTransition(code="already_rated")
        self._require(LetterState.replied)
        self.status = LetterState.rated.value
        self.rating_score, self.rating_resolution, self.rating_attitude = score, resolution, attitude
        self.rating_speed, self.rating_comment, self.rated_dt = speed, comment, at

    def rehandle(self, new_due_dt: datetime, at: datetime) -> None:
        """Rated (overall 1–2), once → assigned to the replying department with a new deadline."""
        if not self.can_rehandle:
            raise InvalidTransition(code="rehandle_not_allowed")
        self.is_rehandled = True
        self.status = LetterState.assigned.value
        self.department_id = self.reply_department_id or self.department_id
        self.due_dt, self.assigned_dt = new_due_dt, at
        self.reminded_due_soon_dt = self.reminded_due_dt = None
        # The first reply and rating stay in the timeline; the rating fields hold the current round.
        # The reply fields keep the first reply (and its date, which orders the public list) until the
        # second one replaces them.
        self.rated_dt = None
        self.rating_score = self.rating_resolution = self.rating_attitude = self.rating_speed = None
        self.rating_comment = None

    def close(self, at: datetime) -> None:
        """Replied or rated → closed."""
        self._require(LetterState.replied, LetterState.rated)
        self.status, self.closed_dt = LetterState.closed.value, at


class LetterEvent(db.Model):
    """One line of a letter's timeline.

    ``actor_id`` is for the audit trail and never shown publicly; ``is_internal`` notes (e.g. a
    supervision note) are shown to staff only.
    """

    __tablename__ = "letter_events"
    __table_args__ = (Index("ix_letter_events_letter", "letter_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    at_dt: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    data: Mapped[dict | None] = mapped_column(JSON)

    letter: Mapped[Letter] = relationship(back_populates="events")
    department: Mapped[Department | None] = relationship(lazy="joined")
    actor: Mapped[User | None] = relationship()
