"""The department's pages: its open questions (oldest first, working days waiting), answering, FAQ management.

The answer page of a question is for staff of its department and administrators; anyone else
gets the 404 of an unknown id when they may not even see the question, else 403.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.db import db
from interaction.core.errors import DomainError, NotFound
from interaction.core.forms import EmptyForm, show_errors
from interaction.core.time import now_utc
from interaction.core.views import redirect_on_refusal
from interaction.qa import queries, services
from interaction.qa.forms import AnswerForm, RerouteForm
from interaction.qa.models import FaqEntry
from interaction.qa.views import PER_PAGE, bp


@bp.get("/work")
@permission_required(Permission.HANDLE)
def staff_queue():
    """Questions awaiting the department's answer, oldest first, with working days waiting and the due date."""
    department = None
    if current_user.is_admin:
        department = services.department_by_code(request.args.get("department"))
    else:
        department = current_user.department
    department_id = department.id if department is not None else None
    if department_id is None and not current_user.is_admin:
        raise NotFound()
    page = db.paginate(queries.staff_queue(department_id), per_page=PER_PAGE, error_out=False)
    now = now_utc()
    waiting = {q.id: q.workdays_waiting(now) for q in page.items}
    return render_template("qa/staff_queue.html", page=page, department=department, waiting=waiting, now=now,
                           departments=queries.active_departments() if current_user.is_admin else [])


def _question_for_staff(question_id):
    """The question for its department's staff (and administrators); 404 if they may not see it, else 403."""
    question = services.get_question_for_reader_or_404(question_id, current_user)
    services.require_handle(current_user, question)
    return question


def _render_answer_page(question, form=None, reroute_form=None, status=200):
    form = form or AnswerForm(formdata=None, body=question.answer_body or "")
    return render_template(
        "qa/question_answer.html", question=question, form=form,
        reroute_form=reroute_form or RerouteForm(formdata=None), versions=queries.answer_versions(question.id),
        waiting=question.workdays_waiting(), need_review=services.answers_need_review(question.department_id),
        action_form=EmptyForm(formdata=None)), status


@bp.get("/<int:question_id>/answer")
@permission_required(Permission.HANDLE)
def answer_page(question_id):
    return _render_answer_page(_question_for_staff(question_id))


@bp.post("/<int:question_id>/answer")
@permission_required(Permission.HANDLE)
def answer_question(question_id):
    """Give the answer (an open question) or a new version of it (an answered one)."""
    question = _question_for_staff(question_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_answer_page(question, form=form, status=422)
    editing = question.is_answered
    service = services.edit_answer if editing else services.answer_question
    try:
        answer = service(question, form.body.data, actor=current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc, fallback="body")
        return _render_answer_page(db.session.get(type(question), question_id), form=form, status=exc.status)
    pending = answer.state == "pending"
    db.session.commit()
    if pending:
        flash(_("答复已提交，审核通过后公开。"), "success")
    else:
        flash(_("修改已保存，修改记录公开可查。") if editing else _("答复已公开。"), "success")
    return redirect(url_for("qa.answer_page", question_id=question_id))


def _staff_action(question_id, service, message):
    question = _question_for_staff(question_id)
    back = url_for("qa.answer_page", question_id=question.id)
    if EmptyForm().validate_on_submit():
        with redirect_on_refusal(back):
            service(question, actor=current_user._get_current_object())
        db.session.commit()
        flash(message, "success")
    return redirect(back)


@bp.post("/<int:question_id>/publish")
@permission_required(Permission.HANDLE)
def publish(question_id):
    return _staff_action(question_id, services.publish_consultation, _("咨询已隐去个人信息后公开。"))


@bp.post("/<int:question_id>/unpublish")
@permission_required(Permission.HANDLE)
def unpublish(question_id):
    return _staff_action(question_id, services.unpublish_consultation, _("咨询已取消公开。"))


# -- the FAQ ------------------------------------------------------------------------------------------------

@bp.post("/<int:question_id>/faq")
@permission_required(Permission.HANDLE)
def add_to_faq(question_id):
    question = _question_for_staff(question_id)
    back = url_for("qa.department_faq", code=question.department.code)
    if EmptyForm().validate_on_submit():
        with redirect_on_refusal(back):
            services.add_to_faq(question, actor=current_user._get_current_object())
        db.session.commit()
        flash(_("已加入常见问题。"), "success")
    return redirect(back)


def _faq_entry_or_404(entry_id) -> FaqEntry:
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None or not services.can_handle_department(current_user, entry.department_id):
        raise NotFound()
    return entry


@bp.post("/faq/entries/<int:entry_id>/<any(up, down, remove):action>")
@permission_required(Permission.HANDLE)
def change_faq(entry_id, action):
    """Move an FAQ entry up or down, or remove it (staff of its department)."""
    entry = _faq_entry_or_404(entry_id)
    back = url_for("qa.department_faq", code=entry.question.department.code)
    if EmptyForm().validate_on_submit():
        with redirect_on_refusal(back):
            if action == "remove":
                services.remove_from_faq(entry, actor=current_user._get_current_object())
            else:
                services.move_faq_entry(entry, action, actor=current_user._get_current_object())
        db.session.commit()
        flash(_("常见问题已更新。"), "success")
    return redirect(back)
