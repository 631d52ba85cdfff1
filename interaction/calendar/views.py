"""The calendar's administration page: the years around this one and where each schedule comes from."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts.permissions import Permission, permission_required
from interaction.calendar.forms import CalendarForm, check_year, schedule_from
from interaction.core import calendar as core_calendar
from interaction.core.db import db
from interaction.core.errors import ValidationFailed
from interaction.core.forms import show_errors
from interaction.core.time import now_utc, to_local

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


@bp.before_request
@permission_required(Permission.ADMIN)
def _require_admin():
    """Every page here is for administrators only (401/login for anonymous, 403 for others)."""


@bp.get("/")
def year_list():
    this_year = to_local(now_utc()).year
    years = [core_calendar.year_schedule(y) for y in range(this_year - 1, this_year + 3)]
    return render_template("calendar/calendar_list.html", years=years, this_year=this_year)


@bp.route("/<int:year>", methods=["GET", "POST"])
def edit_year(year):
    check_year(year)
    schedule = core_calendar.year_schedule(year)
    form = CalendarForm()
    if request.method == "GET":
        form.holidays.data = "\n".join(schedule.to_dict()["holidays"])
        form.workdays.data = "\n".join(schedule.to_dict()["workdays"])
    elif form.validate_on_submit():
        try:
            new = schedule_from(year, form.schedule_data())
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            core_calendar.set_year_schedule(new, current_user._get_current_object())
            db.session.commit()
            flash(_("%(year)d 年的工作日历已保存。", year=year), "success")
            return redirect(url_for("calendar.year_list"))
    return render_template("calendar/calendar_edit.html", form=form, year=year, schedule=schedule)
