"""What oversight's performance figures and compliance self-check read of the letters.

Oversight (``interaction.oversight``) keeps a per-day summary of the letters that are no longer
open and reads the open ones live (few: ``ix_letters_open_received``). To keep the summary right it
asks which letters changed since it was computed: every change of a letter writes a
``LetterEvent`` (submitted, registered, accepted, rejected, assigned, transferred, extended,
replied, rated, rehandle, closed, published), so the events after a known id name them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, select, true

from interaction.core.db import db
from interaction.mailbox.models import Letter, LetterEvent, LetterState, long_unanswered_limit, open_clause

#: The columns of :func:`letter_facts`' rows, in order.
FACT_COLUMNS = ("department_id", "received_dt", "status", "due_dt", "replied_dt", "replied_on_time",
                "transfer_count", "extended_workdays", "rating_score", "rating_resolution", "rating_attitude",
                "rating_speed", "is_rehandled")


def letter_facts(start: datetime, end: datetime, *, open_letters: bool) -> list[tuple]:
    """Per letter received in ``[start, end)``: the :data:`FACT_COLUMNS` oversight's figures are made of.

    ``open_letters=True``: only the open ones (submitted, accepted, assigned), on the partial index
    ``ix_letters_open_received``; False: only the others (replied, rated, closed, rejected), on
    ``ix_letters_received``. The two never overlap, so oversight can summarize the second and read the
    first live (an open letter's lateness changes with the clock).
    """
    columns = [getattr(Letter, name) for name in FACT_COLUMNS]
    stmt = select(*columns).where(Letter.received_dt >= start, Letter.received_dt < end)
    stmt = stmt.where(open_clause() if open_letters else ~open_clause())
    return [tuple(row) for row in db.session.execute(stmt)]


def letters_changed_since(event_id: int) -> tuple[int, list[datetime]]:
    """``(newest event id, received times of the letters with an event after *event_id*)``.

    Oversight recomputes the days those letters were received on (the events' primary key makes this
    one short range scan).
    """
    newest = db.session.scalar(select(func.max(LetterEvent.id))) or 0
    if newest <= event_id:
        return newest, []
    received = db.session.scalars(
        select(Letter.received_dt).join(LetterEvent, LetterEvent.letter_id == Letter.id)
        .where(LetterEvent.id > event_id, LetterEvent.id <= newest).distinct())
    return newest, list(received)


def first_letter_received() -> datetime | None:
    """When the oldest letter was received (where oversight's summary starts)."""
    return db.session.scalar(select(func.min(Letter.received_dt)))


def long_unanswered_letters(now: datetime | None = None, limit: int = 200) -> list[tuple]:
    """Valid letters still unanswered after three months, oldest first (the self-check's single-item veto).

    Rows ``(number, subject, department_id, received_dt)``, on ``ix_letters_open_received``.
    """
    stmt = (select(Letter.number, Letter.subject, Letter.department_id, Letter.received_dt)
            .where(open_clause(), Letter.received_dt < long_unanswered_limit(now))
            .order_by(Letter.received_dt, Letter.id).limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]


def latest_reply_published() -> datetime | None:
    """When the newest published letter's reply was given (the self-check's "no reply published" line)."""
    return db.session.scalar(select(func.max(Letter.replied_dt)).where(Letter.is_published == true(),
                                                                        Letter.status != LetterState.rejected.value))


def _bucket(column, cuts: list[datetime]):
    """The index of the first of *cuts* that *column* is before (``len(cuts)`` when after them all)."""
    if not cuts:
        return literal(0)
    return case(*[(column < cut, n) for n, cut in enumerate(cuts)], else_=len(cuts))


def open_letter_counts(start: datetime, end: datetime, now: datetime, cuts: list[datetime]) -> list[tuple]:
    """The open letters received in ``[start, end)``, counted in SQL per (bucket of *cuts*, department).

    Rows ``(bucket, department_id, received, transferred, extended, rehandled, overdue)``: the bucket is
    the index of the first cut the receipt is before (oversight's months); ``overdue``: past the deadline
    at *now*. On ``ix_letters_open_received``: the open letters are read where they are, never the archive.
    """
    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    bucket = _bucket(Letter.received_dt, cuts)
    stmt = (select(bucket, Letter.department_id, func.count(), count_if(Letter.transfer_count > 0),
                   count_if(Letter.extended_workdays > 0), count_if(Letter.is_rehandled == true()),
                   count_if(Letter.due_dt < now))
            .where(open_clause(), Letter.received_dt >= start, Letter.received_dt < end)
            .group_by(bucket, Letter.department_id))
    return [tuple(row) for row in db.session.execute(stmt)]


def overdue_letter_ages(now: datetime, cuts: list[datetime]) -> list[tuple]:
    """Open letters past their deadline at *now*, per (department, bucket of their deadline among *cuts*).

    Rows ``(department_id, bucket, n)``; *cuts* are ascending deadlines (oversight's "overdue by age" heat
    table: more than 90 days late, 31–90, ...). On ``ix_letters_open_due``.
    """
    bucket = _bucket(Letter.due_dt, cuts)
    stmt = (select(Letter.department_id, bucket, func.count()).where(open_clause(), Letter.due_dt < now)
            .group_by(Letter.department_id, bucket))
    return [tuple(row) for row in db.session.execute(stmt)]
