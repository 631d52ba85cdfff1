"""The calendar in the API (API.md "Calendar"), mounted under ``/api/v1`` by ``interaction.api``."""

from flask import Blueprint, jsonify
from flask_login import current_user

from interaction.accounts.permissions import Permission, permission_required
from interaction.calendar.forms import check_year, schedule_from
from interaction.core.api import json_body, optional_int, optional_list
from interaction.core.apidoc import INTEGER, STRING, documented, obj
from interaction.core.calendar import set_year_schedule, year_schedule
from interaction.core.db import db

bp = Blueprint("calendar", __name__)

_DATES = {"type": "array", "items": {"type": "string", "format": "date"}}
CALENDAR_SCHEMA = obj({"year": INTEGER, "holidays": _DATES, "workdays": _DATES, "source": STRING})


@bp.get("/calendar/<int:year>")
@documented(response=CALENDAR_SCHEMA)
def get_calendar_year(year):
    """A year's official schedule: holidays, make-up working days and where they come from."""
    check_year(year)
    return jsonify(year_schedule(year).to_dict())


@bp.put("/calendar/<int:year>")
@documented(request={"type": "object", "properties": {"year": INTEGER, "holidays": _DATES, "workdays": _DATES}},
            response=CALENDAR_SCHEMA, errors=(401, 403))
@permission_required(Permission.ADMIN)
def put_calendar_year(year):
    """Replace a year's schedule (admin): ``{"holidays": [...], "workdays": [...]}``."""
    check_year(year)
    payload = json_body()
    data = {"year": optional_int(payload, "year"), "holidays": optional_list(payload, "holidays"),
            "workdays": optional_list(payload, "workdays")}
    set_year_schedule(schedule_from(year, {k: v for k, v in data.items() if v is not None}), current_user)
    db.session.commit()
    return jsonify(year_schedule(year).to_dict())
