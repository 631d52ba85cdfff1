"""Answer deadlines recomputed when a year's official calendar is entered or changed (``signals.calendar_changed``).

A question awaiting its answer is due :data:`~interaction.qa.models.ANSWER_WORKDAYS` working days
after its clock started (approval, or the last reroute): ``clock_start_dt`` is what the deadline is
counted from, so counting again on the new calendar gives what the question's history gives. A
moved deadline gets an audit entry (``qa.reschedule``; questions keep no timeline of their own).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from sqlalchemy import select

from interaction.core import audit
from interaction.core.calendar import get_calendar
from interaction.core.db import db
from interaction.core.time import SHANGHAI
from interaction.qa.models import ANSWER_WORKDAYS, Question, waiting_clause

log = logging.getLogger(__name__)


def recompute_deadlines(year: int, *, actor=None) -> list[Question]:
    """Count again the deadlines of questions awaiting an answer that reach into *year*; return those moved."""
    first_day = datetime.combine(date(year, 1, 1), time(0, 0), tzinfo=SHANGHAI)
    questions = db.session.scalars(select(Question).where(waiting_clause(), Question.due_dt >= first_day,
                                                          Question.clock_start_dt.is_not(None))
                                   .order_by(Question.id)).all()
    moved = []
    calendar = get_calendar()
    for question in questions:
        old_due = question.due_dt
        new_due = calendar.due_at(question.clock_start_dt, ANSWER_WORKDAYS)
        if new_due == old_due:
            continue
        question.due_dt = new_due
        audit.record("qa.reschedule", actor=actor, target=question, year=year, old_due=old_due.isoformat(),
                     new_due=new_due.isoformat())
        moved.append(question)
    db.session.flush()
    if moved:
        log.info("calendar %d: %d questions' deadlines recomputed", year, len(moved))
    return moved


def on_calendar_changed(sender, *, year: int, actor=None, **_kwargs) -> None:
    """``signals.calendar_changed``: recompute the deadlines of open questions that reach into *year*."""
    recompute_deadlines(year, actor=actor)
