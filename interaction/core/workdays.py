"""The official working-day calendar of the PRC and "N working days after" arithmetic.

A day is a working day (工作日) when it is a weekday that is not a public holiday, or a weekend day
that the State Council declared a make-up working day (调休上班). Deadlines are reckoned on calendar
days in Asia/Shanghai and handed back as aware UTC datetimes.

Each year's rules come from the first of these that knows the year:

1. ``lookup(year)``: schedules entered by administrators (provided by the database layer);
2. the ``chinese_calendar`` package, which knows every year up to its newest published schedule;
3. weekends only, so that deadlines in a year nobody has entered yet are still computable.

This module is pure: it knows neither Flask nor the database.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

Source = Literal["package", "admin", "weekends-only"]
SOURCES: frozenset[str] = frozenset({"package", "admin", "weekends-only"})

_SATURDAY = 5
# date.fromisoformat also accepts "20261001" and week dates; the API contract is "YYYY-MM-DD" only.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_weekend(day: date) -> bool:
    return day.weekday() >= _SATURDAY


@dataclass(frozen=True)
class YearSchedule:
    """The days off and make-up working days of one calendar year.

    ``holidays`` are the days off of the public holiday periods. They may include weekend days that
    fall inside a holiday period (chinese_calendar lists them, e.g. 2026-10-03): that is harmless,
    because a weekend day is off anyway unless it is listed in ``workdays``, and it lets the list read
    like the State Council's notice. ``workdays`` are the make-up working days, which always fall on
    a weekend (a weekday is a working day already).

    The constructor checks these invariants and raises ValueError, so no invalid schedule exists.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: Source

    def __post_init__(self) -> None:
        """Refuse schedules that would make the calendar ambiguous."""
        if self.source not in SOURCES:
            raise ValueError(f"unknown schedule source {self.source!r}; expected one of {sorted(SOURCES)}")
        for label, days in (("holiday", self.holidays), ("workday", self.workdays)):
            outside = sorted(day for day in days if day.year != self.year)
            if outside:
                raise ValueError(f"{label} {outside[0].isoformat()} is not in {self.year}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{both[0].isoformat()} is listed both as a holiday and as a workday")
        weekdays = sorted(day for day in self.workdays if not _is_weekend(day))
        if weekdays:
            raise ValueError(
                f"workday {weekdays[0].isoformat()} is not a Saturday or Sunday; "
                "only make-up working days on weekends belong in the workdays list"
            )

    @classmethod
    def weekends_only(cls, year: int) -> YearSchedule:
        """Return the fallback schedule of a year nobody has published: Monday to Friday."""
        return cls(year, frozenset(), frozenset(), "weekends-only")

    @classmethod
    def from_dict(cls, year: int, data: Mapping[str, Any], source: Source = "admin") -> YearSchedule:
        """Build a schedule from the API shape ``{"holidays": [...], "workdays": [...]}``.

        Dates are "YYYY-MM-DD" strings; a missing list means an empty one, and a ``"year"`` key, if
        present, must agree with ``year``. Raises ValueError with a message fit to show an
        administrator when a date is malformed or the schedule is inconsistent.
        """
        if not isinstance(data, Mapping):
            raise ValueError("a year schedule must be an object with 'holidays' and 'workdays' lists")
        if "year" in data and data["year"] != year:
            raise ValueError(f"the schedule says year {data['year']!r} but is stored for {year}")
        return cls(
            year=year,
            holidays=_parse_dates(data.get("holidays", ()), "holidays"),
            workdays=_parse_dates(data.get("workdays", ()), "workdays"),
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the API shape, with dates sorted and written as "YYYY-MM-DD"."""
        return {
            "year": self.year,
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
            "workdays": [day.isoformat() for day in sorted(self.workdays)],
            "source": self.source,
        }

    def is_workday(self, day: date) -> bool:
        """Return whether ``day`` (which must fall in this year) is a working day."""
        if day in self.workdays:
            return True
        return not _is_weekend(day) and day not in self.holidays


def _parse_dates(values: Iterable[Any], field: str) -> frozenset[date]:
    # A bare string is iterable too; without this check "2026-10-01" would be read as ten characters.
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError(f"{field} must be a list of dates written YYYY-MM-DD")
    days = set()
    for value in values:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValueError(f"{field}: {value!r} is not a date written YYYY-MM-DD")
        try:
            days.add(date.fromisoformat(value))
        except ValueError:
            raise ValueError(f"{field}: {value!r} is not a real date") from None
    return frozenset(days)


def package_supports(year: int) -> bool:
    """Return whether the chinese_calendar package has the official schedule of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def package_schedule(year: int) -> YearSchedule | None:
    """Return the schedule of ``year`` as published in chinese_calendar, or None if it has none.

    Only the package's public API is used. A holiday is a day off that the package names (weekend
    days inside a holiday period have a name, ordinary weekends have none); a make-up working day is
    a weekend day the package calls a working day.
    """
    if not package_supports(year):
        return None
    holidays, workdays = set(), set()
    day = date(year, 1, 1)
    while day.year == year:
        if chinese_calendar.is_workday(day):
            if _is_weekend(day):
                workdays.add(day)
        elif chinese_calendar.get_holiday_detail(day)[1] is not None:
            holidays.add(day)
        day += timedelta(days=1)
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), "package")


def to_local_date(moment: datetime) -> date:
    """Return the calendar day in Asia/Shanghai of an aware datetime; naive ones raise ValueError."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no calendar day in Shanghai; pass an aware datetime")
    return moment.astimezone(SHANGHAI).date()


def _weekdays_through(day: date) -> int:
    """Count Mondays to Fridays from 0001-01-01 (a Monday, ordinal 1) through ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return 5 * weeks + min(rest, 5)


#: How many answers of :meth:`WorkCalendar.workdays_between` and :meth:`WorkCalendar.add_workdays` a calendar
#: keeps (a list asks for "today to its deadline" for every row, every submission for its two deadlines from
#: the day of receipt; a day brings a few hundred distinct ones at most).
BETWEEN_MEMO_MAX = 4096


def _remembered(memo: dict, key, compute: Callable[[], object]):
    """``compute()``, kept in *memo* under *key*; the memo is emptied when it holds :data:`BETWEEN_MEMO_MAX`."""
    known = memo.get(key)
    if known is None:
        if len(memo) >= BETWEEN_MEMO_MAX:
            memo.clear()
        known = memo[key] = compute()
    return known


class WorkCalendar:
    """Working-day arithmetic over per-year schedules, each looked up once and cached.

    ``lookup(year)`` returns a schedule entered by an administrator, or None; it takes priority over
    the package. After an administrator edits a year, call ``forget(year)`` (or build a new
    calendar) so that the edit is seen.
    """

    def __init__(self, lookup: Callable[[int], YearSchedule | None] | None = None) -> None:
        """Use ``lookup`` for administrator-entered schedules; without it, package then weekends."""
        self._lookup = lookup
        self._schedules: dict[int, YearSchedule] = {}
        self._sorted: dict[int, tuple[YearSchedule, list[date], list[date]]] = {}
        self._between: dict[tuple[date, date], int] = {}  # workdays_between's answers (lists ask for the same days)
        self._added: dict[tuple[date, int], date] = {}  # add_workdays' answers (submissions ask for the same days)

    def schedule(self, year: int) -> YearSchedule:
        """Return the schedule in force for ``year``: admin, else package, else weekends only."""
        cached = self._schedules.get(year)
        if cached is None:
            cached = self._find_schedule(year)
            self._schedules[year] = cached
        return cached

    def _find_schedule(self, year: int) -> YearSchedule:
        entered = self._lookup(year) if self._lookup is not None else None
        if entered is not None:
            if entered.year != year:
                raise ValueError(f"lookup({year}) returned the schedule of {entered.year}")
            return entered
        return package_schedule(year) or YearSchedule.weekends_only(year)

    def forget(self, year: int | None = None) -> None:
        """Drop the cached schedule of ``year`` (of every year if None) so it is looked up again."""
        if year is None:
            self._schedules.clear()
        else:
            self._schedules.pop(year, None)
        self._between.clear()
        self._added.clear()

    def is_workday(self, day: date) -> bool:
        """Return whether ``day`` is a working day."""
        return self.schedule(day.year).is_workday(day)

    def add_workdays(self, day: date, n: int) -> date:
        """Return the ``n``-th working day after ``day``; ``n`` = 0 returns ``day`` itself.

        ``day`` need not be a working day: one working day after a Saturday is the next Monday
        (or whichever day is the next working day).
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}")
        return _remembered(self._added, (day, n), lambda: self._walk(day, n))

    def _walk(self, day: date, n: int) -> date:
        # Walking day by day costs about 1.5 steps per working day, a few microseconds each: adding
        # 200 working days takes well under a millisecond, so a cleverer jump would not pay its way.
        while n:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Count working days after ``start`` up to and including ``end``; negative if ``end`` < ``start``.

        So ``workdays_between(d, add_workdays(d, n)) == n``, and swapping the arguments flips the sign.
        """
        return _remembered(self._between, (start, end), lambda: self._count_between(start, end))

    def _count_between(self, start: date, end: date) -> int:
        if end < start:
            return -self._count_between(end, start)
        # Count weekdays arithmetically, then correct with the few listed days of each year, so a
        # range of years costs as much as reading those years' schedules.
        count = _weekdays_through(end) - _weekdays_through(start)
        for year in range(start.year, end.year + 1):
            days_off, days_on = self._listed_days(year)
            count -= bisect_right(days_off, end) - bisect_right(days_off, start)
            count += bisect_right(days_on, end) - bisect_right(days_on, start)
        return count

    def _listed_days(self, year: int) -> tuple[list[date], list[date]]:
        """The year's weekday holidays and make-up working days, sorted (kept while its schedule is)."""
        schedule = self.schedule(year)
        cached = self._sorted.get(year)
        if cached is None or cached[0] is not schedule:
            cached = (schedule, sorted(d for d in schedule.holidays if not _is_weekend(d)), sorted(schedule.workdays))
            self._sorted[year] = cached
        return cached[1], cached[2]

    def due_at(self, received: datetime, n: int) -> datetime:
        """Return the deadline of something received at ``received``, due in ``n`` working days.

        The deadline is 23:59:59 (Asia/Shanghai) of the ``n``-th working day after the Shanghai
        calendar day of receipt, returned as an aware UTC datetime. ``received`` must be aware.
        """
        due_day = self.add_workdays(to_local_date(received), n)
        return datetime.combine(due_day, END_OF_DAY, tzinfo=SHANGHAI).astimezone(UTC)
