"""The period (and department) the performance figures are asked for: one form for the page and the API.

``period``: ``month`` (``year``, ``month``), ``quarter`` (``year``, ``quarter``), ``year`` (``year``) or
``custom`` (``from``, ``to``: dates, both included). The API's ``?from=&to=`` is ``custom``; without any
of them the period is this year up to today. :func:`resolve` turns the form into ``[first, end)`` days or
refuses with messages naming the fields (a period that ends before it starts, one longer than
:data:`MAX_DAYS`, dates outside :data:`EARLIEST`..next year, an unknown department).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from interaction.accounts import queries as accounts_queries
from interaction.core.db import db
from interaction.core.errors import ValidationFailed
from interaction.core.time import now_utc, to_local

PERIODS = ("month", "quarter", "year", "custom")
#: The longest period asked for at once (ten years).
MAX_DAYS = 3660
EARLIEST = date(2000, 1, 1)


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    period = SelectField(_l("统计期间"), default="year", choices=[
        SelectChoice("month", _l("月度")), SelectChoice("quarter", _l("季度")), SelectChoice("year", _l("年度")),
        SelectChoice("custom", _l("自定义"))])
    year = IntegerField(_l("年份"), validators=[Optional(), NumberRange(2000, 2100, message=_l("请填写有效的年份。"))])
    month = SelectField(_l("月份"), choices=[SelectChoice(str(m), str(m)) for m in range(1, 13)], default="1")
    quarter = SelectField(_l("季度"), choices=[SelectChoice(str(q), str(q)) for q in range(1, 5)], default="1")
    start = DateField(_l("开始日期"), name="from", validators=[Optional()],
                      render_kw={"autocomplete": "off"})
    end = DateField(_l("结束日期"), name="to", validators=[Optional()], render_kw={"autocomplete": "off"})
    department = StringField(_l("部门"), validators=[Optional()])


def default_form_data(args) -> dict:
    """The page's and the API's query: ``from``/``to`` alone mean a custom period."""
    data = {k: v for k, v in args.items() if v != ""}
    if "period" not in data:
        data["period"] = "custom" if ("from" in data or "to" in data) else "year"
    return data


def _field_errors(form: PeriodForm) -> dict:
    return {form[name].name: str(errors[0]) for name, errors in form.errors.items() if errors}


def resolve(form: PeriodForm) -> tuple[date, date, object | None]:
    """``(first day, day after the last, department or None)``; ValidationFailed naming the fields otherwise."""
    errors = _field_errors(form) if not form.validate() else {}
    today = to_local(now_utc()).date()
    year = form.year.data or today.year
    period = form.period.data
    first = end = None
    if period == "month" and not errors:
        first = date(year, int(form.month.data), 1)
        end = date(year + (first.month == 12), first.month % 12 + 1, 1)
    elif period == "quarter" and not errors:
        first = date(year, 3 * int(form.quarter.data) - 2, 1)
        end = date(year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    elif period == "year" and not errors:
        first, end = date(year, 1, 1), date(year + 1, 1, 1)
    elif period == "custom" and not errors:
        first = form.start.data or today.replace(month=1, day=1)
        last = form.end.data or today
        end = last + timedelta(days=1)
        if first > last:
            errors["from"] = str(_l("开始日期不能晚于结束日期。"))
        elif (end - first).days > MAX_DAYS:
            errors["to"] = str(_l("统计期间最长十年，请缩短期间。"))
    if first is not None and "from" not in errors and (first < EARLIEST or end > date(today.year + 2, 1, 1)):
        errors["from"] = str(_l("请选择 2000 年以后、明年以前的期间。"))
    department = None
    if form.department.data:
        code = form.department.data.strip()
        department = next((d for d in db.session.scalars(accounts_queries.query_departments()) if d.code == code),
                          None)
        if department is None:
            errors["department"] = str(_l("没有这个部门。"))
    if errors:
        raise ValidationFailed(errors)
    return first, end, department
