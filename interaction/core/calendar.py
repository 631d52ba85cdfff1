"""The official working-day calendar as the application uses it: package schedules plus admin-entered years.

:mod:`interaction.core.workdays` is pure arithmetic; this module gives it a memory. The State
Council publishes each year's holidays and make-up working days (调休) only late in the year
before, and the ``chinese_calendar`` package follows later still, so administrators enter a
year's schedule themselves (page and ``PUT /api/v1/calendar/{year}``). Those rows live in
:class:`CalendarYear` and take priority over the package.

:func:`get_calendar` returns one :class:`~interaction.core.workdays.WorkCalendar` per app whose
lookup reads this table. Each year is read once and cached; :func:`set_year_schedule` forgets the
year at once and again after commit. Other processes pick an edit up within :data:`CACHE_SECONDS`
(a calendar edit is rare and made weeks before the year starts, so a short delay harms nobody).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import JSON, ForeignKey, Integer, select
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core import audit
from interaction.core.db import after_commit, db
from interaction.core.signals import calendar_changed
from interaction.core.time import now_utc, to_local
from interaction.core.workdays import WorkCalendar, YearSchedule, package_schedule

EXTENSION_KEY = "interaction.calendar"
CACHE_SECONDS = 300


class CalendarYear(db.Model):
    """One year's schedule entered by an administrator: holidays and make-up working days."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list] = mapped_column(JSON, default=list)  # ["YYYY-MM-DD", ...]
    workdays: Mapped[list] = mapped_column(JSON, default=list)  # make-up working days on weekends
    updated_dt: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def to_schedule(self) -> YearSchedule:
        return YearSchedule.from_dict(self.year, {"holidays": self.holidays, "workdays": self.workdays},
                                      source="admin")


def _lookup(year: int) -> YearSchedule | None:
    row = db.session.get(CalendarYear, year)
    return row.to_schedule() if row is not None else None


def get_calendar() -> WorkCalendar:
    """The working-day calendar of the current app (admin-entered years first, then the package)."""
    holder = current_app.extensions.get(EXTENSION_KEY)
    now = time.monotonic()
    if holder is None or now - holder[1] > CACHE_SECONDS:
        holder = (WorkCalendar(_lookup), now)
        current_app.extensions[EXTENSION_KEY] = holder
    return holder[0]


def forget(year: int | None = None) -> None:
    """Drop the cached schedule of *year* (every year if None) in this process."""
    holder = current_app.extensions.get(EXTENSION_KEY)
    if holder is not None:
        holder[0].forget(year)


def year_schedule(year: int) -> YearSchedule:
    """The schedule in force for *year* (``source`` says where it comes from)."""
    return get_calendar().schedule(year)


def set_year_schedule(schedule: YearSchedule, actor) -> CalendarYear:
    """Store *schedule* as the administrators' schedule of its year, replacing any earlier one.

    The schedule was validated when it was built (``YearSchedule.from_dict`` raises ValueError).
    Audited as ``calendar.set_year``; the cached calendar forgets the year at once and after commit.
    """
    data = schedule.to_dict()
    row = db.session.get(CalendarYear, schedule.year)
    before = None
    if row is None:
        row = CalendarYear(year=schedule.year)
        db.session.add(row)
    else:
        before = {"holidays": list(row.holidays or []), "workdays": list(row.workdays or [])}
    row.holidays = data["holidays"]
    row.workdays = data["workdays"]
    row.updated_dt = now_utc()
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("calendar.set_year", actor=actor, target_type="calendar_years", target_id=schedule.year,
                 before=before, holidays=data["holidays"], workdays=data["workdays"])
    app = current_app._get_current_object()
    forget(schedule.year)

    def _forget_after_commit():
        with app.app_context():
            forget(schedule.year)

    after_commit(_forget_after_commit)
    calendar_changed.send("calendar", year=schedule.year, actor=actor)
    return row


def delete_year_schedule(year: int, actor) -> bool:
    """Remove the administrators' schedule of *year* (the package or weekends-only apply again)."""
    row = db.session.get(CalendarYear, year)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar.delete_year", actor=actor, target_type="calendar_years", target_id=year)
    forget(year)
    calendar_changed.send("calendar", year=year, actor=actor)
    return True


def admin_years() -> list[CalendarYear]:
    """Every year an administrator has entered, newest first."""
    return list(db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def years_without_schedule(years) -> list[int]:
    """Those of *years* for which neither administrators nor the package have a schedule."""
    return [year for year in years if get_calendar().schedule(year).source == "weekends-only"]


def package_knows(year: int) -> bool:
    return package_schedule(year) is not None


def is_provisional(due: datetime | None, since: datetime | None = None) -> bool:
    """Whether a deadline *due* (counted from *since*, default: its own day) is provisional (暂定期限).

    It is when a year from *since*'s to *due*'s has no official schedule yet (neither entered nor in
    the package): its working days were counted as Monday to Friday, and the deadline will be
    recomputed when an administrator enters that year (``signals.calendar_changed``).
    """
    if due is None:
        return False
    last = to_local(due).year
    first = min(to_local(since).year, last) if since is not None else last
    calendar = get_calendar()
    return any(calendar.schedule(year).source == "weekends-only" for year in range(first, last + 1))


#: Deadlines reach this many days ahead (15 working days, extended by 15 more, is about 6 weeks); a year
#: without a schedule that starts within this horizon is worth a warning to staff.
WARNING_HORIZON_DAYS = 60


def missing_years_ahead(now: datetime | None = None) -> list[int]:
    """The current year, and the next once within :data:`WARNING_HORIZON_DAYS`, when they have no schedule."""
    moment = now or now_utc()
    first, last = to_local(moment).year, to_local(moment + timedelta(days=WARNING_HORIZON_DAYS)).year
    return years_without_schedule(range(first, last + 1))
