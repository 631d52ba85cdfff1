"""The mailbox's figures: received, reply rate, on-time rate, satisfaction; the public strip's snapshot.

The public strip and oversight share :func:`letter_statistics`; the public pages read the figures
``flask mailbox sweep`` stored (:func:`public_figures`), never the year's aggregate.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, case, func, select, true

from interaction.core.db import db
from interaction.core.time import now_utc, to_local
from interaction.mailbox.models import Letter, LetterState, MailboxSnapshot, open_clause, start_of_local_day


def letter_statistics(start: datetime | None = None, end: datetime | None = None,
                      department_id: int | None = None) -> dict:
    """Figures over letters received in ``[start, end)`` (optionally of one handling department).

    ``received``: letters received (rejected ones included); ``valid``: not rejected;
    ``replied``: valid letters with a reply; ``reply_rate`` = replied / valid; ``on_time_rate`` =
    replied on time / (replied + open past deadline): a letter still open past its deadline
    counts against it; ``satisfaction_rate`` = ratings of 3 or more (满意, 基本满意) / ratings;
    ``overdue_open``: open letters past their deadline. Rates are None when there is nothing to count.
    """
    now = now_utc()
    is_valid = Letter.status != LetterState.rejected.value
    replied = and_(is_valid, Letter.replied_dt.is_not(None))
    overdue_open = and_(open_clause(), Letter.due_dt < now)

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    stmt = select(
        func.count(Letter.id),
        count_if(is_valid),
        count_if(replied),
        count_if(and_(replied, Letter.replied_on_time.is_(True))),
        count_if(overdue_open),
        count_if(Letter.rating_score.is_not(None)),
        count_if(Letter.rating_score >= 3),
    )
    if start is not None:
        stmt = stmt.where(Letter.received_dt >= start)
    if end is not None:
        stmt = stmt.where(Letter.received_dt < end)
    if department_id is not None:
        stmt = stmt.where(Letter.department_id == department_id)
    received, valid, n_replied, on_time, n_overdue, rated, satisfied = (int(v or 0) for v in
                                                                         db.session.execute(stmt).one())

    def rate(part, whole):
        return round(part / whole, 4) if whole else None

    return {
        "received": received,
        "valid": valid,
        "replied": n_replied,
        "reply_rate": rate(n_replied, valid),
        "on_time_rate": rate(on_time, n_replied + n_overdue),
        "overdue_open": n_overdue,
        "rated": rated,
        "satisfaction_rate": rate(satisfied, rated),
    }


def period_bounds(now: datetime | None = None) -> dict[str, tuple[datetime, datetime]]:
    """Bounds of this month and this year in Shanghai, as UTC-comparable aware bounds."""
    local = to_local(now or now_utc())
    month_start = start_of_local_day(local.date().replace(day=1))
    year_start = start_of_local_day(local.date().replace(month=1, day=1))
    next_month = start_of_local_day(_first_of_next_month(local.date()))
    next_year = start_of_local_day(local.date().replace(year=local.year + 1, month=1, day=1))
    return {"month": (month_start, next_month), "year": (year_start, next_year)}


def _first_of_next_month(day):
    return day.replace(year=day.year + (day.month == 12), month=day.month % 12 + 1, day=1)


def statistics_strip() -> dict[str, dict]:
    """The public strip: figures of this month and this year (from the snapshot: see :func:`public_figures`)."""
    return public_figures()["strip"]


PUBLIC_SNAPSHOT = "public"


def compute_public_figures() -> dict:
    """The public strip and the number of published letters, computed now (the year's aggregate: slow)."""
    bounds = period_bounds()
    published = db.session.scalar(select(func.count()).select_from(Letter).where(Letter.is_published == true()))
    return {"strip": {name: letter_statistics(*span) for name, span in bounds.items()}, "published": published}


def refresh_public_snapshot() -> dict:
    """Compute the public figures and store them (``flask mailbox sweep``); flushes, never commits."""
    figures = compute_public_figures()
    snapshot = db.session.get(MailboxSnapshot, PUBLIC_SNAPSHOT)
    if snapshot is None:
        snapshot = MailboxSnapshot(key=PUBLIC_SNAPSHOT)
        db.session.add(snapshot)
    snapshot.data, snapshot.computed_dt = figures, now_utc()
    db.session.flush()
    current_app.extensions.pop(FIGURES_KEY, None)  # this process reads the new snapshot at once
    return figures


FIGURES_KEY = "interaction.mailbox_public_figures"


def public_figures() -> dict:
    """The figures the public pages show, as ``flask mailbox sweep`` last stored them.

    Requests never run the year's aggregate (nearly a second at a million letters): they read the
    snapshot row, and each process keeps what it read for ``MAILBOX_STATS_CACHE_SECONDS`` (the
    sweep runs every few minutes; a page need not read the row on every request). Until the sweep
    has run once, each process computes the figures once and keeps them (no write in a page
    request). With ``MAILBOX_STATS_CACHE_SECONDS`` = 0 (tests) they are computed on every call.
    """
    seconds = _cache_seconds()
    if not seconds:
        return compute_public_figures()
    cached = current_app.extensions.get(FIGURES_KEY)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    snapshot = db.session.get(MailboxSnapshot, PUBLIC_SNAPSHOT)
    if snapshot is not None:
        figures = snapshot.data
    elif cached is not None:  # no sweep yet: the figures this process computed
        figures = cached[1]
    else:
        figures = compute_public_figures()
    current_app.extensions[FIGURES_KEY] = (now + seconds, figures)
    return figures


def _cache_seconds() -> int:
    """0 (tests): the public figures are computed on each call; otherwise they come from the snapshot."""
    return current_app.config.get("MAILBOX_STATS_CACHE_SECONDS", 0 if current_app.testing else 60)


def count_published() -> int:
    """How many letters are published (from the snapshot: see :func:`public_figures`).

    The public list's plain pages need a total; counting hundreds of thousands of index entries on
    every request would make the page slower as the archive grows.
    """
    return public_figures()["published"]
