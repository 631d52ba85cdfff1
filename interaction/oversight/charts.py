"""What the charts and the public page show: the monthly trend, the overdue heat table, the province by month."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from cachetools import TTLCache
from flask import current_app

from interaction.core.time import now_utc, to_local
from interaction.mailbox import queries as mailbox_queries
from interaction.oversight import figures
from interaction.qa import queries as qa_queries

#: The heat table's columns: days past the deadline (calendar days), as (label key, lowest, highest).
AGE_BUCKETS = (("1-7", 1, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("90+", 91, None))
#: Months on the public page.
PUBLIC_MONTHS = 12
PUBLIC_CACHE_KEY = "interaction.oversight_public"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return day.replace(year=day.year + (day.month == 12), month=day.month % 12 + 1, day=1)


def monthly(first: date, end: date, department_id: int | None = None) -> list[dict]:
    """Per calendar month touching ``[first, end)``: ``{"month": "2026-03", **figures}``."""
    return figures.performance(first, end, department_id=department_id, months=True).months


def overdue_heat(now: datetime | None = None, department_id: int | None = None) -> dict[int, list[int]]:
    """Open letters and questions past their deadline now, per department id: counts per :data:`AGE_BUCKETS`."""
    now = now or now_utc()
    # deadlines more than 90 days ago, 31–90, 8–30, less: the database's buckets 0..3, AGE_BUCKETS reversed
    cuts = [now - timedelta(days=90), now - timedelta(days=30), now - timedelta(days=7)]
    heat: dict[int, list[int]] = defaultdict(lambda: [0] * len(AGE_BUCKETS))
    rows = [*mailbox_queries.overdue_letter_ages(now, cuts), *qa_queries.overdue_question_ages(now, cuts)]
    for owner, bucket, n in rows:
        if department_id is None or owner == department_id:
            heat[owner][len(AGE_BUCKETS) - 1 - bucket] += n
    return dict(heat)


def public_months(now: datetime | None = None) -> list[dict]:
    """The province's figures of the last :data:`PUBLIC_MONTHS` months (this one included), no person in them.

    Kept per process (cachetools' TTLCache) for ``OVERSIGHT_PUBLIC_CACHE_SECONDS`` (600; 0 in tests): the
    page is public and read often, the figures move slowly.
    """
    seconds = current_app.config.get("OVERSIGHT_PUBLIC_CACHE_SECONDS", 0 if current_app.testing else 600)
    today = to_local(now or now_utc()).date()
    cache = current_app.extensions.setdefault(PUBLIC_CACHE_KEY, TTLCache(maxsize=4, ttl=max(seconds, 1)))
    if seconds and today in cache:
        return cache[today]
    first = month_start(today)
    for _ in range(PUBLIC_MONTHS - 1):
        first = month_start(date.fromordinal(first.toordinal() - 1))
    keep = ("letters_received", "reply_rate", "on_time_rate", "satisfaction_rate")
    rows = [{"month": m["month"], **{k: m[k] for k in keep}} for m in monthly(first, next_month(today))]
    if seconds:
        cache[today] = rows
    return rows
