"""The per-day summary (``DayFigures``): how it is refreshed, and how a read stays exact between refreshes.

A read of a period adds up

* the summary's rows of the period's **clean** days (SQL ``SUM``, a few hundred rows per department and year),
* the settled letters and answered questions of its **dirty** days, counted live: days with a letter
  event after the summary's ``event_id`` (every change of a letter writes one) or a question answered at
  or after its ``as_of_dt`` (the only change of a settled question that moves a figure),
* the open letters and unsettled questions of the whole period, always counted live by the database
  (their lateness moves with the clock; on ``ix_letters_open_received`` and ``ix_qa_questions_status_created``).

The periodic job (:func:`refresh`, every minute) recomputes the dirty days into the summary and
moves the marks; it also looks a little behind its last marks (:data:`EVENT_SLACK`, :data:`TIME_SLACK`)
for changes committed out of order. Without any summary yet (a new database, tests) every day is dirty:
the figures are the same, only slower.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, delete, func, literal, select

from interaction.core.db import db
from interaction.core.time import SHANGHAI, now_utc, to_local
from interaction.mailbox import queries as mailbox_queries
from interaction.oversight.counting import Bins, Workdays, count_letters, count_questions
from interaction.oversight.models import COUNTERS, DayFigures, SummaryMark
from interaction.qa import queries as qa_queries

log = logging.getLogger(__name__)

MARK = "summary"
EVENT_SLACK = 20
TIME_SLACK = timedelta(minutes=10)
#: Days refreshed per statement batch when the summary is built from the start.
BUILD_CHUNK_DAYS = 31
#: With more dirty days than this in a read, the whole period is counted live (the job is far behind).
MAX_EXCLUDED = 400


def day_start(day: date) -> datetime:
    """Midnight of *day* in Shanghai (aware: compares with the stored UTC times)."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def _runs(days) -> list[tuple[date, date]]:
    """Sorted *days* as ``[first, last + 1)`` runs of consecutive days (one query per run)."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day:
            runs[-1][1] = day + timedelta(days=1)
        else:
            runs.append([day, day + timedelta(days=1)])
    return [(a, b) for a, b in runs]


def settled_bins(days, now: datetime, workdays: Workdays | None = None) -> Bins:
    """Counts of the settled letters and answered questions of *days*, read live from the features."""
    bins: Bins = defaultdict(Counter)
    workdays = workdays or Workdays()
    for first, end in _runs(days):
        start, stop = day_start(first), day_start(end)
        count_letters(mailbox_queries.letter_facts(start, stop, open_letters=False), now, bins, workdays)
        count_questions(qa_queries.question_facts(start, stop, unsettled=False), now, bins, workdays)
    return bins


def unsettled_counts(first: date, end: date, now: datetime, cuts: list[date]) -> dict[tuple[int, int], Counter]:
    """Counts of the open letters and the questions awaiting an answer of ``[first, end)``, by (bucket, department).

    Counted by the database (``mailbox.queries.open_letter_counts``, ``qa.queries.unsettled_question_counts``):
    none of these figures needs working days, and there may be tens of thousands of open letters in a year.
    """
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    start, stop, cut_times = day_start(first), day_start(end), [day_start(c) for c in cuts]
    for bucket, department_id, received, transferred, extended, rehandled, overdue in (
            mailbox_queries.open_letter_counts(start, stop, now, cut_times)):
        counts[(bucket, department_id)].update({"received": received, "valid": received, "transferred": transferred,
                                                "extended": extended, "rehandled": rehandled,
                                                "overdue_open": overdue})
    for bucket, department_id, questions, overdue in qa_queries.unsettled_question_counts(start, stop, now, cut_times):
        counts[(bucket, department_id)].update({"questions": questions, "questions_overdue_open": overdue})
    return counts


def mark() -> SummaryMark | None:
    return db.session.get(SummaryMark, MARK)


def dirty_days(current: SummaryMark, *, event_id: int | None = None, since: datetime | None = None) -> set[date]:
    """Days whose settled items changed after *event_id* / *since* (the mark's own by default)."""
    _newest, received = mailbox_queries.letters_changed_since(current.event_id if event_id is None else event_id)
    asked = qa_queries.questions_answered_since(current.as_of_dt if since is None else since)
    return {to_local(moment).date() for moment in [*received, *asked]}


def period_counts(first: date, end: date, *, cuts: list[date] = (), now: datetime | None = None,
                  department_id: int | None = None) -> dict[tuple[int, int], Counter]:
    """Counters for ``[first, end)`` keyed by (bucket, department id); with *department_id*, that department's only.

    *cuts*: ascending days inside the period splitting it into buckets (bucket n: from ``cuts[n - 1]`` up to
    ``cuts[n]``; the months of a trend); without, one bucket (0).
    """
    now = now or now_utc()
    cuts = sorted(cuts)
    current = mark()
    all_days = {first + timedelta(days=n) for n in range((end - first).days)}
    dirty = all_days if current is None else dirty_days(current) & all_days
    if len(dirty) > MAX_EXCLUDED:  # a large backlog (the job has not run for long): count the period live
        dirty = all_days
    result: dict[tuple[int, int], Counter] = defaultdict(Counter)
    if dirty != all_days:
        _add_summary(result, first, end, dirty, cuts)
    for (day, owner), counts in settled_bins(dirty, now).items():
        result[(bisect_right(cuts, day), owner)].update(counts)
    for key, counts in unsettled_counts(first, end, now, cuts).items():
        result[key].update(counts)
    if department_id is not None:
        return defaultdict(Counter, {k: v for k, v in result.items() if k[1] == department_id})
    return result


def _add_summary(result: dict, first: date, end: date, dirty: set[date], cuts: list[date]) -> None:
    bucket = case(*[(DayFigures.day < cut, n) for n, cut in enumerate(cuts)], else_=len(cuts)) if cuts else literal(0)
    stmt = (select(bucket, DayFigures.department_id, *[func.sum(getattr(DayFigures, name)) for name in COUNTERS])
            .where(DayFigures.day >= first, DayFigures.day < end).group_by(bucket, DayFigures.department_id))
    if dirty:
        stmt = stmt.where(DayFigures.day.not_in(sorted(dirty)))
    for row in db.session.execute(stmt):
        counts = result[(row[0], row[1])]
        for name, value in zip(COUNTERS, row[2:]):
            if value:
                counts[name] += int(value)


def _store(bins: Bins, days) -> None:
    """Replace the summary rows of *days* by *bins* (flushes)."""
    days = sorted(days)
    wanted = set(days)
    for chunk in range(0, len(days), 500):
        db.session.execute(delete(DayFigures).where(DayFigures.day.in_(days[chunk:chunk + 500])))
    rows = [{"day": day, "department_id": department_id, **{name: counts.get(name, 0) for name in COUNTERS}}
            for (day, department_id), counts in bins.items() if day in wanted]
    for chunk in range(0, len(rows), 2000):
        db.session.execute(DayFigures.__table__.insert(), rows[chunk:chunk + 2000])
    db.session.flush()


def refresh(now: datetime | None = None) -> str:
    """Bring the summary up to date (the periodic job; flushes, the caller commits). Returns a log line.

    The first run counts every day since the oldest letter or question; later runs only the days with
    changes since the marks, looking :data:`EVENT_SLACK` events and :data:`TIME_SLACK` further back.
    """
    now = now or now_utc()
    current = mark()
    newest, _ = mailbox_queries.letters_changed_since(2**62)  # the newest event id, nothing else
    if current is None:
        starts = [m for m in (mailbox_queries.first_letter_received(), qa_queries.first_question_asked()) if m]
        first = to_local(min(starts)).date() if starts else to_local(now).date()
        last = to_local(now).date() + timedelta(days=1)
        days = [first + timedelta(days=n) for n in range((last - first).days)]
        current = SummaryMark(key=MARK, event_id=0, as_of_dt=now)
        db.session.add(current)
    else:
        days = sorted(dirty_days(current, event_id=max(0, current.event_id - EVENT_SLACK),
                                 since=current.as_of_dt - TIME_SLACK))
    workdays = Workdays()
    for chunk in range(0, len(days), BUILD_CHUNK_DAYS):
        part = days[chunk:chunk + BUILD_CHUNK_DAYS]
        _store(settled_bins(part, now, workdays), part)
    current.event_id, current.as_of_dt = newest, now
    db.session.flush()
    return f"oversight summary: {len(days)} day(s) recounted"
