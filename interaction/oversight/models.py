"""Oversight's own tables: the per-day summary behind the performance figures, and its marks.

:class:`DayFigures` holds, per day (Shanghai) and handling department, the counts of the letters
received that day that are no longer open and of the questions asked that day that are answered:
their figures only change when something happens to them, and each such change is seen (a letter's
event, a question's ``answered_dt``). Open letters and unsettled questions are never summarized:
whether they are late depends on the clock, so they are read live (few, on partial indexes).
:class:`SummaryMark` says up to where the summary is current (see :mod:`.summary`), and keeps the
self-check's last outcome so an e-mail goes out only when a check turns red.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core.db import db

#: Counters of the letters (received that day, not open any more).
LETTER_COUNTERS = ("received", "valid", "replied", "on_time", "reply_workdays", "transferred", "extended",
                   "rated", "satisfied", "resolution_rated", "resolution_satisfied", "attitude_rated",
                   "attitude_satisfied", "speed_rated", "speed_satisfied", "rehandled")
#: Counters of the questions (asked that day and answered).
QUESTION_COUNTERS = ("questions", "questions_answered", "questions_on_time", "question_workdays")
COUNTERS = LETTER_COUNTERS + QUESTION_COUNTERS


class DayFigures(db.Model):
    """Counts of one day's settled letters and answered questions of one department (see the module)."""

    __tablename__ = "oversight_day_figures"
    __table_args__ = (Index("ix_oversight_day_figures_department_day", "department_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True)

    received: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    reply_workdays: Mapped[int] = mapped_column(Integer, default=0)
    transferred: Mapped[int] = mapped_column(Integer, default=0)
    extended: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    resolution_rated: Mapped[int] = mapped_column(Integer, default=0)
    resolution_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    attitude_rated: Mapped[int] = mapped_column(Integer, default=0)
    attitude_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    speed_rated: Mapped[int] = mapped_column(Integer, default=0)
    speed_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    rehandled: Mapped[int] = mapped_column(Integer, default=0)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    questions_answered: Mapped[int] = mapped_column(Integer, default=0)
    questions_on_time: Mapped[int] = mapped_column(Integer, default=0)
    question_workdays: Mapped[int] = mapped_column(Integer, default=0)


class SummaryMark(db.Model):
    """Up to where the summary is current (``key`` "summary"), and the self-check's last outcome ("compliance").

    ``event_id``: the newest letter event the summary has seen; ``as_of_dt``: when it was computed (questions
    answered at or after it are not in it yet); ``data``: for "compliance", ``{code: ok}`` of the last check.
    """

    __tablename__ = "oversight_marks"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, default=0)
    as_of_dt: Mapped[datetime]
    data: Mapped[dict | None] = mapped_column(JSON)
