"""The asker's pages (ask, "my questions", withdraw, consent) and the citizens' 同问 and 有帮助."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.db import db
from interaction.core.errors import ValidationFailed
from interaction.core.forms import EmptyForm, show_errors
from interaction.core.views import redirect_on_refusal
from interaction.qa import queries, services
from interaction.qa.forms import AskForm, ConsentForm
from interaction.qa.views import PER_PAGE, bp


@bp.route("/ask", methods=["GET", "POST"])
@permission_required(Permission.WRITE)
def ask_question():
    """我要提问: a public question or a consultation; similar answered questions appear as the title is typed."""
    form = AskForm()
    if request.method == "GET":
        form.department.data = request.args.get("department", "")
    elif form.validate_on_submit():
        try:
            question = services.ask_question(
                form.selected_department, kind=form.kind.data, title=form.title.data, body=form.body.data,
                topic=form.topic.data or None, publication_consent=form.publication_consent.data,
                actor=current_user._get_current_object())
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            rejected = question.status == "rejected"
            db.session.commit()
            if rejected:
                flash(_("您的提问未能通过自动审核，原因见“我的提问”。"), "error")
            else:
                flash(_("提问已提交，审核通过后送达部门。"), "success")
            return redirect(url_for("qa.my_questions"))
    return render_template("qa/question_ask.html", form=form)


@bp.get("/mine")
@login_required
def my_questions():
    """我的提问: each question's state (awaiting review, its outcome and reason, the answer)."""
    page = db.paginate(queries.author_questions(current_user.id), per_page=PER_PAGE, error_out=False)
    return render_template("qa/question_mine.html", page=page, consent_form=ConsentForm(formdata=None),
                           form=EmptyForm())


def _public_action(question_id, service, message):
    question = services.get_question_for_reader_or_404(question_id, current_user)
    back = url_for("qa.question_detail", question_id=question.id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请重试。"), "error")
        return redirect(back)
    with redirect_on_refusal(back):
        service(question, actor=current_user._get_current_object())
    db.session.commit()
    flash(message, "success")
    return redirect(back)


@bp.post("/<int:question_id>/me-too")
@permission_required(Permission.WRITE)
def me_too(question_id):
    return _public_action(question_id, services.me_too, _("已同问，部门答复后您可在此查看。"))


@bp.post("/<int:question_id>/helpful")
@permission_required(Permission.WRITE)
def helpful(question_id):
    return _public_action(question_id, services.mark_helpful, _("感谢您的评价。"))


@bp.post("/<int:question_id>/withdraw")
@login_required
def withdraw(question_id):
    question = services.get_question_for_reader_or_404(question_id, current_user)
    back = url_for("qa.my_questions")
    form = EmptyForm()
    if form.validate_on_submit():
        with redirect_on_refusal(back):
            services.withdraw_question(question, actor=current_user._get_current_object())
        db.session.commit()
        flash(_("提问已撤回。"), "success")
    return redirect(back)


@bp.post("/<int:question_id>/consent")
@login_required
def consent(question_id):
    """The asker gives (or takes back) consent to publishing a consultation, masked."""
    question = services.get_question_for_reader_or_404(question_id, current_user)
    back = url_for("qa.my_questions")
    form = ConsentForm()
    if form.validate_on_submit():
        with redirect_on_refusal(back):
            services.set_publication_consent(question, bool(form.publication_consent.data),
                                             actor=current_user._get_current_object())
        db.session.commit()
        flash(_("已保存您的选择。"), "success")
    return redirect(back)
