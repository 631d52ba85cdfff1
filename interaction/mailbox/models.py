"""Mailboxes, letters and their timelines; the letter state machine and its deadline rules.

Status flow (API.md): ``submitted → accepted → assigned → replied → rated → closed`` with
``rejected`` as an end. ``transfer`` keeps ``assigned`` under another department; ``rehandle``
(再办理, once, after an overall rating of 1–2) takes a rated letter back to ``assigned`` with a
new deadline. Each transition is a method that raises :class:`InvalidTransition` (409) when the
letter's state does not allow it; services compute times and deadlines and call these methods.

Deadlines are stored in UTC: ``accept_due_dt`` (2 working days) and ``due_dt`` (the reply
deadline, the API's ``due_at``). Rules used in Python and in SQL are hybrid properties:
``is_open``, ``is_overdue``, ``is_due_soon`` (≤ 2 working days left) and ``is_long_unanswered``
(a valid letter unanswered for more than three months, the inspection indicators' red line).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, and_, false, literal_column, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.accounts.models import Department, User
from interaction.core.calendar import get_calendar, is_provisional
from interaction.core.db import db
from interaction.core.errors import InvalidTransition
from interaction.core.time import SHANGHAI, now_utc, to_local

# Letters and codes use an alphabet without look-alikes: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCEPT_WORKDAYS = 2
DUE_SOON_WORKDAYS = 2
MAX_EXTENSION_WORKDAYS = 15
TRANSFER_FLAG = 3  # a letter transferred this often is flagged to administrators
LONG_UNANSWERED_MONTHS = 3


class WriteRule(StrEnum):
    """Who may write to a mailbox over the web (the portal's choice, per mailbox)."""

    anyone = "anyone"  # no sign-in, no code (the API's contract for such a mailbox)
    account = "account"  # a signed-in account
    phone = "phone"  # a phone number proved by an SMS code (core.phone_codes)


class LetterState(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    assigned = "assigned"
    replied = "replied"
    rated = "rated"
    closed = "closed"
    rejected = "rejected"


OPEN_STATES = (LetterState.submitted.value, LetterState.accepted.value, LetterState.assigned.value)
#: The SQL of "open", written with literals: the partial indexes below carry the same predicate, and the
#: planners (PostgreSQL with prepared statements too, SQLite) use a partial index only for a query whose
#: WHERE contains it verbatim. Use :func:`open_clause` in queries, never ``status.in_(OPEN_STATES)``.
OPEN_SQL = "status IN ('submitted', 'accepted', 'assigned')"
FLAGGED_SQL = f"{OPEN_SQL} AND transfer_count >= {TRANSFER_FLAG}"
SUBMITTED_SQL = "status = 'submitted'"
ANSWERED_STATES = (LetterState.replied.value, LetterState.rated.value, LetterState.closed.value)


class Category(StrEnum):
    consultation = "consultation"
    suggestion = "suggestion"
    complaint = "complaint"
    help = "help"
    report = "report"
    other = "other"


class LetterChannel(StrEnum):
    web = "web"
    post = "post"
    phone = "phone"
    visit = "visit"
    #: A question a live interview did not answer, handed over (``core.signals.question_handed_over``;
    #: see ``receivers``). The asker's account is the author; the phone may be empty for this channel
    #: only (accounts need not have one). Never chosen by people: not in the forms' channel choices.
    live = "live"


#: Channels a letter can be submitted or registered with (web, and staff's post, phone, visit).
SUBMIT_CHANNELS = (LetterChannel.web.value, LetterChannel.post.value, LetterChannel.phone.value,
                   LetterChannel.visit.value)


class EventAction(StrEnum):
    submitted = "submitted"
    registered = "registered"
    accepted = "accepted"
    rejected = "rejected"
    assigned = "assigned"
    transferred = "transferred"
    extended = "extended"
    replied = "replied"
    rated = "rated"
    rehandle = "rehandle"
    supervised = "supervised"
    closed = "closed"
    published = "published"
    handed_over = "handed_over"  # came from another channel (a live interview's unanswered question)
    rescheduled = "rescheduled"  # the deadline recomputed after the year's official calendar was entered


def open_clause(cls=None):
    """``status IN ('submitted', 'accepted', 'assigned')`` with literals (see :data:`OPEN_SQL`)."""
    column = (cls or Letter).status
    return column.in_([literal_column(f"'{state}'") for state in OPEN_STATES])


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time *months* calendar months earlier in Shanghai (day clipped to the month)."""
    local = to_local(moment)
    month_index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = local.day
    while True:
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def due_soon_limit(now: datetime | None = None) -> datetime:
    """The latest deadline still "due soon" at *now*: end of the 2nd working day after today."""
    return get_calendar().due_at(now or now_utc(), DUE_SOON_WORKDAYS)


def long_unanswered_limit(now: datetime | None = None) -> datetime:
    """Letters received before this moment and still unanswered have passed the three-months line."""
    return months_before(now or now_utc(), LONG_UNANSWERED_MONTHS)


class Mailbox(db.Model):
    """Where letters are addressed (省长信箱, 厅长信箱); belongs to a department."""

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    reply_days: Mapped[int] = mapped_column(default=15)
    description: Mapped[str] = mapped_column(String(500), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    write_rule: Mapped[str] = mapped_column(String(16), default=WriteRule.anyone.value, server_default="anyone")

    department: Mapped[Department] = relationship(lazy="joined")

    def __repr__(self):
        return f"<Mailbox {self.code}>"


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


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def start_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)


class MailboxSnapshot(db.Model):
    """Figures the public pages show, computed by ``flask mailbox sweep``; requests only read them.

    ``key`` "public": ``{"strip": {"month": {...}, "year": {...}}, "published": n}`` (see
    ``queries.public_figures``).
    """

    __tablename__ = "mailbox_snapshots"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    computed_dt: Mapped[datetime]
