"""What the charts and the public page show: the monthly trend, the overdue heat table, the province by month."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

from cachetools import TTLCache
from flask import current_app

from interaction.core.time import SHANGHAI, now_utc, to_local
from interaction.mailbox import queries as mailbox_queries
from interaction.oversight import summary
from interaction.oversight.figures import compute
from interaction.qa import queries as qa_queries

#: The heat table's columns: days past the deadline (calendar days), as (label key, lowest, highest).
AGE_BUCKETS = (("1-7", 1, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("90+", 91, None))
#: Months on the public page.
PUBLIC_MONTHS = 12
PUBLIC_CACHE_KEY = "interaction.oversight_public"
EPOCH = datetime(2000, 1, 1, tzinfo=SHANGHAI)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return day.replace(year=day.year + (day.month == 12), month=day.month % 12 + 1, day=1)


def monthly(first: date, end: date, department_id: int | None = None) -> list[dict]:
    """Per calendar month touching ``[first, end)``: ``{"month": "2026-03", **figures}``."""
    by_day = summary.period_bins(first, end, by="day", department_id=department_id)
    months: dict[date, Counter] = defaultdict(Counter)
    for day, counts in by_day.items():
        months[month_start(day)].update(counts)
    result, month = [], month_start(first)
    while month < end:
        result.append({"month": month.strftime("%Y-%m"), **compute(months.get(month, Counter()))})
        month = next_month(month)
    return result


def overdue_heat(now: datetime | None = None, department_id: int | None = None) -> dict[int, list[int]]:
    """Open letters and questions past their deadline now, per department id: counts per :data:`AGE_BUCKETS`."""
    now = now or now_utc()
    heat: dict[int, list[int]] = defaultdict(lambda: [0] * len(AGE_BUCKETS))
    today = to_local(now).date()
    letters = [(row[0], row[3]) for row in mailbox_queries.letter_facts(EPOCH, now, open_letters=True)]
    questions = [(row[0], row[3]) for row in qa_queries.question_facts(EPOCH, now, unsettled=True) if row[2] == "open"]
    for owner, due in [*letters, *questions]:
        if due is None or due >= now or (department_id is not None and owner != department_id):
            continue
        days = max(1, (today - to_local(due).date()).days)
        for n, (_label, low, high) in enumerate(AGE_BUCKETS):
            if days >= low and (high is None or days <= high):
                heat[owner][n] += 1
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
