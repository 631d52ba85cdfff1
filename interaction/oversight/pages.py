"""Department performance, its exports, the self-check and the public figures (routes on ``views.bp``).

Thin: the period comes from :class:`.forms.PeriodForm` (the API reads the same form), the figures from
:mod:`.figures`, :mod:`.charts` and :mod:`.compliance`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, render_template, request
from flask_login import current_user, login_required

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.errors import Forbidden, ValidationFailed
from interaction.core.pages import render_page
from interaction.oversight import access, charts, compliance, exports, figures
from interaction.oversight.forms import PeriodForm, default_form_data, resolve
from interaction.oversight.views import bp

#: Longer periods show no monthly trend (too many months for one chart).
TREND_MAX_DAYS = 3 * 366


def _load(months: bool = False):
    """``(form, performance or None)``: the period asked for, or the form with its errors.

    *months*: with the monthly figures (the trend chart) when the period is at most :data:`TREND_MAX_DAYS` long.
    """
    from werkzeug.datastructures import MultiDict

    form = PeriodForm(formdata=MultiDict(default_form_data(request.args)))
    try:
        first, end, department = resolve(form)
        limit = access.scope(current_user, department)
    except ValidationFailed as exc:
        for name, message in exc.fields.items():
            field = next((f for f in form if f.name == name), form.period)
            field.errors = [*field.errors, message]
        return form, None
    except Forbidden:
        abort(403)
    months = months and (end - first).days <= TREND_MAX_DAYS
    return form, figures.performance(first, end, department_id=limit, months=months)


def _render(form, perf):
    sees_all = current_user.can(Permission.OVERSEE)
    chart_data, heat = None, {}
    if perf is not None:
        limit = None if sees_all else current_user.department_id
        heat = charts.overdue_heat(department_id=limit)
        chart_data = {
            "trend": [{"month": m["month"], "received": m["letters_received"], "on_time": m["on_time_rate"]}
                      for m in perf.months],
            "satisfaction": [{"department": r.department.name, "rate": r.own["satisfaction_rate"]}
                             for r in perf.rows if r.own["satisfaction_rate"] is not None],
        }
    names = {r.department.id: r.department.name for r in perf.rows} if perf else {}
    return render_template(
        "oversight/performance.html", form=form, perf=perf, sections=figures.SECTIONS, by_key=figures.BY_KEY,
        rollup_keys=figures.ROLLUP_KEYS, min_ranked=figures.MIN_RANKED_LETTERS, chart_data=chart_data,
        heat=sorted(heat.items(), key=lambda kv: -sum(kv[1])), names=names, buckets=charts.AGE_BUCKETS,
        last_day=(perf.end - timedelta(days=1)) if perf else None, sees_all=sees_all,
        department_choices=figures.department_choices() if sees_all else [])


@bp.get("/oversight/performance")
@login_required
def performance():
    if not access.can_see_performance(current_user):
        abort(403)
    form, perf = _load(months=True)
    return _render(form, perf)


@bp.get("/oversight/performance.<any(xlsx, csv):fmt>")
@login_required
def performance_export(fmt):
    if not access.can_see_performance(current_user):
        abort(403)
    form, perf = _load()
    if perf is None:
        return _render(form, perf), 422
    name = f"performance-{perf.first.isoformat()}-{(perf.end - timedelta(days=1)).isoformat()}.{fmt}"
    if fmt == "xlsx":
        body, mimetype = exports.to_xlsx(perf), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = exports.to_csv(perf), "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/oversight/compliance")
@permission_required(Permission.OVERSEE)
def compliance_page():
    return render_template("oversight/compliance.html", checks=compliance.run_checks())


@bp.get("/oversight/public")
def public_figures():
    """Province-wide figures by month, as statistics portals publish them: counts and rates, no person."""
    return render_page("oversight/public.html", months=charts.public_months())
