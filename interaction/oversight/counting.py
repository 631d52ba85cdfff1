"""From the facts the features give (``letter_facts``, ``question_facts``) to counts per day and department.

Pure functions over rows: the summary's refresh and the live part of a read count alike, so a figure
cannot depend on whether it came from the summary.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from interaction.core.calendar import get_calendar

#: Asia/Shanghai has kept UTC+8 all year since 1991: a stored (UTC) time's local date is a shift away, much
#: cheaper than a time-zone conversion per letter when a day's letters are counted again.
SHANGHAI_OFFSET = timedelta(hours=8)


def local_date(moment: datetime) -> date:
    """The Shanghai date of an aware time (the database gives UTC ones)."""
    if moment.utcoffset():  # another zone: to UTC first
        moment = moment.astimezone(UTC)
    return (moment + SHANGHAI_OFFSET).date()

#: An overall or dimension score of at least this counts as satisfied (满意, 基本满意), as on the public strip.
SATISFIED_SCORE = 3
OPEN_STATES = frozenset(("submitted", "accepted", "assigned"))
Bins = dict[tuple[date, int], Counter]


class Workdays:
    """Working days between two local dates on the official calendar, each pair computed once."""

    def __init__(self):
        self.calendar = get_calendar()
        self.memo: dict[tuple[date, date], int] = {}

    def between(self, start: datetime, end: datetime) -> int:
        key = (local_date(start), local_date(end))
        value = self.memo.get(key)
        if value is None:
            value = self.memo[key] = max(0, self.calendar.workdays_between(*key))
        return value


def count_letters(rows, now: datetime, bins: Bins | None = None, workdays: Workdays | None = None) -> Bins:
    """Add letters (rows of ``mailbox.queries.FACT_COLUMNS``) to *bins* keyed by (day received, department).

    A rejected letter counts as received only. An open one counts as valid and, past its deadline, as
    ``overdue_open`` (against the on-time rate); replies, their working days and ratings count for letters
    that are not open (a re-handled letter open again owes a new reply).
    """
    bins = bins if bins is not None else defaultdict(Counter)
    workdays = workdays or Workdays()
    for (department_id, received_dt, status, due_dt, replied_dt, replied_on_time, transfer_count, extended,
         score, resolution, attitude, speed, rehandled) in rows:
        c = bins[(local_date(received_dt), department_id)]
        c["received"] += 1
        if status == "rejected":
            continue
        c["valid"] += 1
        c["transferred"] += transfer_count > 0
        c["extended"] += (extended or 0) > 0
        c["rehandled"] += bool(rehandled)
        if status in OPEN_STATES:
            c["overdue_open"] += due_dt < now
            continue
        if replied_dt is not None:
            c["replied"] += 1
            c["on_time"] += bool(replied_on_time)
            c["reply_workdays"] += workdays.between(received_dt, replied_dt)
        for name, value in (("", score), ("resolution_", resolution), ("attitude_", attitude), ("speed_", speed)):
            if value is not None:
                c[f"{name}rated"] += 1
                c[f"{name}satisfied"] += value >= SATISFIED_SCORE
    return bins


def count_questions(rows, now: datetime, bins: Bins | None = None, workdays: Workdays | None = None) -> Bins:
    """Add questions (rows of ``qa.queries.QUESTION_FACT_COLUMNS``) to *bins* keyed by (day asked, department).

    Questions awaiting moderation are no question to the department yet; an approved one counts as asked,
    once answered as answered (on time or not; working days from its clock's start to the first answer),
    and still awaiting its answer past the due date as ``questions_overdue_open``.
    """
    bins = bins if bins is not None else defaultdict(Counter)
    workdays = workdays or Workdays()
    for department_id, created_dt, status, due_dt, clock_start_dt, first_answered_dt, on_time in rows:
        if status not in ("open", "reviewing", "answered"):
            continue
        c = bins[(local_date(created_dt), department_id)]
        c["questions"] += 1
        if status == "answered":
            c["questions_answered"] += 1
            c["questions_on_time"] += bool(on_time)
            if clock_start_dt is not None and first_answered_dt is not None:
                c["question_workdays"] += workdays.between(clock_start_dt, first_answered_dt)
        elif status == "open" and due_dt is not None and due_dt < now:
            c["questions_overdue_open"] += 1
    return bins
