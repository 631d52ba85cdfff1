"""Administrators' pages: rerouting a question (改派) and each department's answers-need-review setting."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts.permissions import admin_required
from interaction.core.db import db
from interaction.core.errors import DomainError, NotFound
from interaction.core.forms import show_errors
from interaction.core.views import redirect_on_refusal
from interaction.qa import queries, services
from interaction.qa.forms import RerouteForm, ReviewSettingForm
from interaction.qa.views import bp
from interaction.qa.views.staff import _render_answer_page


@bp.post("/<int:question_id>/reroute")
@admin_required
def reroute(question_id):
    """Move a question to another department (audited); the 5-working-day clock restarts."""
    question = services.get_question_for_reader_or_404(question_id, current_user)
    form = RerouteForm()
    if not form.validate_on_submit():
        return _render_answer_page(question, reroute_form=form, status=422)
    try:
        services.reroute_question(question, form.selected_department, form.reason.data,
                                  actor=current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc, fallback="department")
        return _render_answer_page(services.find_question(question_id), reroute_form=form, status=exc.status)
    db.session.commit()
    flash(_("问题已改派，答复期限重新计算。"), "success")
    return redirect(url_for("qa.answer_page", question_id=question_id))


@bp.get("/admin/settings")
@admin_required
def review_settings():
    """Each department with its setting: do its answers need review before they are public?"""
    return render_template("qa/review_settings.html", departments=queries.active_departments(),
                           settings=queries.review_settings(), form=ReviewSettingForm(formdata=None))


@bp.post("/admin/settings/<code>")
@admin_required
def save_review_setting(code):
    department = services.department_by_code(code)
    if department is None:
        raise NotFound()
    back = url_for("qa.review_settings")
    form = ReviewSettingForm()
    if form.validate_on_submit():
        with redirect_on_refusal(back):
            services.set_answers_need_review(department, bool(form.answers_need_review.data),
                                             actor=current_user._get_current_object())
        db.session.commit()
        flash(_("%(name)s 的设置已保存。", name=department.name), "success")
    return redirect(back)
