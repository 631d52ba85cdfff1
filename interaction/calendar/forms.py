"""The calendar page's form, and the one check of a year and its schedule that the page and the API share."""

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from interaction.core.errors import NotFound, ValidationFailed
from interaction.core.workdays import YearSchedule

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: The years an administrator may enter.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year: int) -> None:
    """``NotFound`` (404) for a year outside :data:`FIRST_YEAR`..:data:`LAST_YEAR`."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound()


def _dates(values, year: int) -> tuple[set, str | None]:
    """The dates of one list and the first thing wrong with it (a translated message), if any."""
    if values is None:
        return set(), None
    if not isinstance(values, list):
        return set(), _("须为日期列表，每个日期写作 YYYY-MM-DD。")
    days = set()
    for value in values:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            return days, _("“%(value)s”不是 YYYY-MM-DD 格式的日期。", value=str(value)[:20])
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return days, _("%(value)s 不是真实的日期。", value=value)
        if day.year != year:
            return days, _("%(value)s 不在 %(year)d 年。", value=value, year=year)
        days.add(day)
    return days, None


def schedule_from(year: int, data: dict) -> YearSchedule:
    """*year*'s schedule from ``{"holidays": [...], "workdays": [...]}``; ``ValidationFailed`` if it is not one.

    Each error is translated and names the list it concerns (``holidays`` or ``workdays``), so the
    page shows it under that field and the API in ``fields``.
    """
    errors = {}
    if data.get("year") is not None and data["year"] != year:
        errors["year"] = _("年份须为 %(year)d。", year=year)
    holidays, errors["holidays"] = _dates(data.get("holidays"), year)
    workdays, errors["workdays"] = _dates(data.get("workdays"), year)
    if not errors["workdays"]:
        both = sorted(holidays & workdays)
        weekdays = sorted(day for day in workdays if day.weekday() < 5)
        if both:
            errors["workdays"] = _("%(day)s 已列为放假日期，不能同时是调休上班日。", day=both[0].isoformat())
        elif weekdays:
            errors["workdays"] = _("%(day)s 不是周六或周日：这里只填落在周末的调休上班日。",
                                   day=weekdays[0].isoformat())
    errors = {field: message for field, message in errors.items() if message}
    if errors:
        raise ValidationFailed(errors)
    try:
        return YearSchedule.from_dict(year, data)
    except ValueError as exc:  # a rule of YearSchedule's not checked above: still a 422, never a 500
        raise ValidationFailed({"holidays": _("日程无效：%(detail)s", detail=str(exc))}) from None


class CalendarForm(FlaskForm):
    """A year's schedule: one date per line (or separated by commas or spaces)."""

    holidays = TextAreaField(_l("放假日期"), description=_l("每行一个日期，格式 2027-01-01；包括假期中的周末。"))
    workdays = TextAreaField(_l("调休上班日期"), description=_l("每行一个日期；只填落在周六、周日的调休上班日。"))

    @staticmethod
    def split(value: str | None) -> list[str]:
        return [part for part in (value or "").replace(",", " ").replace("，", " ").split() if part]

    def schedule_data(self) -> dict:
        return {"holidays": self.split(self.holidays.data), "workdays": self.split(self.workdays.data)}
