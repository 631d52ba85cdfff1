"""Oversight API (routes relative to ``/api/v1``; contract: API.md "Oversight")."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.apidoc import BOOLEAN, INTEGER, STRING, documented, nullable, obj
from interaction.core.errors import Forbidden, Unauthorized, ValidationFailed
from interaction.oversight import access, compliance, figures
from interaction.oversight.forms import PeriodForm, default_form_data, resolve

bp = Blueprint("oversight", __name__)

NUMBER = {"type": "number"}
RATE = nullable({"type": "number", "minimum": 0, "maximum": 1})
_FIGURE_SCHEMA = {f.key: (RATE if f.kind == "rate" else nullable(NUMBER) if f.kind == "days" else INTEGER)
                  for f in figures.FIGURES}
DEPARTMENT_SCHEMA = obj({"department": STRING, "department_name": STRING, "parent": nullable(STRING),
                         "depth": INTEGER, **_FIGURE_SCHEMA, "rollup": nullable(obj(_FIGURE_SCHEMA)),
                         "rank": nullable(INTEGER)})
PERFORMANCE_SCHEMA = obj({"from": STRING, "to": STRING, "items": {"type": "array", "items": DEPARTMENT_SCHEMA},
                          "province": nullable(obj(_FIGURE_SCHEMA)), "min_ranked_letters": INTEGER,
                          "unranked": {"type": "array", "items": STRING}})
ITEM_SCHEMA = obj({"kind": STRING, "title": STRING, "url": STRING}, optional=("number", "id", "department", "since"))
CHECK_SCHEMA = obj({"code": STRING, "ok": BOOLEAN, "title": STRING, "total": INTEGER,
                    "items": {"type": "array", "items": ITEM_SCHEMA}})
DATE_QUERY = {"type": "string", "format": "date"}


def _require_viewer():
    if not current_user.is_authenticated:
        raise Unauthorized()
    if not access.can_see_performance(current_user):
        raise Forbidden()


@bp.get("/oversight/departments")
@documented(response=PERFORMANCE_SCHEMA, errors=(401, 403), query={
    "from": DATE_QUERY, "to": DATE_QUERY, "department": STRING})
def departments():
    _require_viewer()
    # A page's empty date box means "not set"; an API caller sending "from=" (or only blanks, which the
    # form's Optional() would take for "not set": "\x1e" too) sent no date at all.
    empty = {name: _("请填写日期，格式为 YYYY-MM-DD。") for name in ("from", "to")
             if name in request.args and not request.args[name].strip()}
    if empty:
        raise ValidationFailed(empty)
    first, end, department = resolve(PeriodForm(formdata=MultiDict(default_form_data(request.args))))
    limit = access.scope(current_user, department)
    perf = figures.performance(first, end, department_id=limit)
    ranks = {row.department.id: n for n, row in perf.ranking}
    items = [{"department": row.department.code, "department_name": row.department.name,
              "parent": row.department.parent.code if row.department.parent is not None else None,
              "depth": row.depth, **row.own, "rollup": row.rollup, "rank": ranks.get(row.department.id)}
             for row in perf.rows]
    return jsonify({"from": first.isoformat(), "to": (end - timedelta(days=1)).isoformat(), "items": items,
                    "province": perf.province if limit is None else None,
                    "min_ranked_letters": figures.MIN_RANKED_LETTERS,
                    "unranked": [row.department.code for row in perf.unranked]})


departments.__doc__ = (
    "Performance per department for a period (admin, oversight staff; a department's staff: their own).\n\n"
    "``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (both included; default: this year to today; ``department=<code>``"
    " for one). Letters count in the period they were received, questions in the one they were asked; each"
    " department's row holds its own figures, ``rollup`` adds every department below it. Rates are fractions"
    " in [0, 1] or null when there is nothing to count. Ranked (``rank``): departments with at least"
    f" {figures.MIN_RANKED_LETTERS} letters, by on-time rate, reply rate, satisfaction. Formulas: "
    + "; ".join(f"{f.key} = {f.formula_en}" for f in figures.FIGURES) + "."
)


@bp.get("/oversight/compliance")
@documented(response=obj({"checks": {"type": "array", "items": CHECK_SCHEMA}}), errors=(401, 403))
@permission_required(Permission.OVERSEE)
def compliance_checks():
    """The website self-check (admin, oversight staff): each check green or red with the items behind it.

    ``unanswered_3_months`` (the single-item veto: a valid letter or question unanswered for more than three
    months; items name the letter ``number`` or the question ``id``), ``no_reply_published_2_months``
    (``last_published``), ``transcript_missing`` (interview ``id``), ``poll_report_missing`` (poll ``id``).
    """
    return jsonify({"checks": [check.as_json() for check in compliance.run_checks()]})
