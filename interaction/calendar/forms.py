"""The calendar page's form, and the one check of a year and its schedule that the page and the API share."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from interaction.core.errors import NotFound, ValidationFailed
from interaction.core.workdays import YearSchedule

#: The years an administrator may enter.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year: int) -> None:
    """``NotFound`` (404) for a year outside :data:`FIRST_YEAR`..:data:`LAST_YEAR`."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound()


def schedule_from(year: int, data: dict) -> YearSchedule:
    """*year*'s schedule from ``{"holidays": [...], "workdays": [...]}``; ``ValidationFailed`` if it is not one."""
    try:
        return YearSchedule.from_dict(year, data)
    except ValueError as exc:
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
