"""Staff pages: the department's polls, the draft and its questions, preview, publish, close, report, exports.

Withdrawal is for moderators and administrators. Every action is a POST form (works without
JavaScript); views call one service each and commit.
"""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.accounts.permissions import Permission, permission_required
from interaction.core.db import db
from interaction.core.errors import DomainError
from interaction.core.forms import EmptyForm, show_errors
from interaction.core.views import redirect_on_refusal
from interaction.polls import exports, queries, services
from interaction.polls.forms import PollForm, QuestionForm, ReportForm, WithdrawForm, local_input, parse_local_datetime
from interaction.polls.models import Poll, PollQuestion
from interaction.polls.views import PER_PAGE, bp
from interaction.polls.views.public import get_poll_or_404


def get_managed_poll_or_404(poll_id: int) -> Poll:
    """The poll, for its department's staff and administrators: 404 if there is none, 403 for others."""
    poll = db.get_or_404(Poll, poll_id)
    if not services.can_manage(current_user, poll):
        abort(403)
    return poll


def _poll_data(form: PollForm) -> services.PollData:
    return services.PollData(title=form.title.data or "", description=form.description.data or "",
                             opens_dt=parse_local_datetime(form.opens_at.data),
                             closes_dt=parse_local_datetime(form.closes_at.data),
                             results_visibility=form.results_visibility.data or "after_close")


def _question_data(form: QuestionForm) -> services.QuestionData:
    multiple = form.kind.data == "multiple"
    return services.QuestionData(kind=form.kind.data, prompt=form.prompt.data or "",
                                 options=form.option_labels() if form.kind.data in ("single", "multiple") else [],
                                 min_choices=form.min_choices.data if multiple else None,
                                 max_choices=form.max_choices.data if multiple else None,
                                 required=bool(form.required.data))


@bp.get("/manage")
@permission_required(Permission.MANAGE_POLLS)
def manage():
    page = db.paginate(queries.query_staff_polls(current_user), per_page=PER_PAGE, error_out=False)
    counts = {poll.id: queries.count_ballots(poll.id) for poll in page.items}
    return render_template("polls/poll_manage.html", page=page, counts=counts)


def _departments():
    return db.session.scalars(select(Department).where(Department.is_active).order_by(Department.sort_order,
                                                                                        Department.id)).all()


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_POLLS)
def create():
    form = PollForm()
    departments = _departments() if current_user.is_admin else []
    if form.validate_on_submit():
        department = current_user.department
        if current_user.is_admin:
            department = db.session.get(Department, request.form.get("department", type=int) or 0) or department
        if department is None:
            flash(_("请选择部门。"), "error")
        else:
            try:
                poll = services.create_poll(department, _poll_data(form), [], actor=current_user)
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc, fallback="title")
            else:
                db.session.commit()
                flash(_("草稿已保存，请添加题目。"), "success")
                return redirect(url_for(".edit", poll_id=poll.id))
    return render_template("polls/poll_form.html", form=form, departments=departments), 422 if form.errors else 200


@bp.route("/<int:poll_id>/edit", methods=["GET", "POST"])
@login_required
def edit(poll_id: int):
    poll = get_managed_poll_or_404(poll_id)
    if poll.state != "draft":
        flash(_("已发布的调查不能修改题目；如需更正，请新建一次调查。"), "error")
        return redirect(url_for(".show", poll_id=poll.id))
    form = PollForm(prefix="poll") if request.method == "POST" else PollForm(
        prefix="poll", formdata=None, title=poll.title, description=poll.description,
        opens_at=local_input(poll.opens_dt), closes_at=local_input(poll.closes_dt),
        results_visibility=poll.results_visibility)
    if form.validate_on_submit():
        try:
            services.update_poll(poll, _poll_data(form), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, fallback="title")
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".edit", poll_id=poll.id))
    return _render_edit(poll, form=form, question_form=QuestionForm(prefix="question"))


def _render_edit(poll, *, form, question_form):
    status = 422 if form.errors or question_form.errors else 200
    return render_template("polls/poll_edit.html", poll=poll, form=form, question_form=question_form,
                           action_form=EmptyForm()), status


@bp.post("/<int:poll_id>/questions")
@login_required
def add_question(poll_id: int):
    poll = get_managed_poll_or_404(poll_id)
    question_form = QuestionForm(prefix="question")
    if question_form.validate_on_submit():
        try:
            services.add_question(poll, _question_data(question_form), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_errors(question_form, exc, fallback="prompt")
        else:
            db.session.commit()
            flash(_("题目已添加。"), "success")
            return redirect(url_for(".edit", poll_id=poll.id) + "#questions")
    form = PollForm(prefix="poll", formdata=None, title=poll.title, description=poll.description,
                    opens_at=local_input(poll.opens_dt), closes_at=local_input(poll.closes_dt),
                    results_visibility=poll.results_visibility)
    return _render_edit(poll, form=form, question_form=question_form)


@bp.post("/<int:poll_id>/questions/<int:question_id>/delete")
@login_required
def remove_question(poll_id: int, question_id: int):
    poll = get_managed_poll_or_404(poll_id)
    question = db.get_or_404(PollQuestion, question_id)
    back = url_for(".edit", poll_id=poll.id) + "#questions"
    if not EmptyForm().validate_on_submit():
        abort(400)
    with redirect_on_refusal(back):
        services.remove_question(poll, question, actor=current_user)
    db.session.commit()
    flash(_("题目已删除。"), "success")
    return redirect(back)


@bp.get("/<int:poll_id>/preview")
@login_required
def preview(poll_id: int):
    """The voting page exactly as a citizen will see it; the submit button does nothing here."""
    poll = get_managed_poll_or_404(poll_id)
    return render_template("polls/poll_preview.html", poll=poll, status="open", mine=None, errors={}, chosen={},
                           preview=True, form=EmptyForm())


def _simple_action(poll_id: int, action, message: str):
    poll = get_managed_poll_or_404(poll_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with redirect_on_refusal(url_for(".show", poll_id=poll.id)):
        action(poll, actor=current_user)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".show", poll_id=poll.id))


@bp.post("/<int:poll_id>/publish")
@login_required
def publish(poll_id: int):
    return _simple_action(poll_id, services.publish_poll, _("调查已发布。"))


@bp.post("/<int:poll_id>/close")
@login_required
def close(poll_id: int):
    return _simple_action(poll_id, services.close_poll, _("调查已提前结束。"))


@bp.route("/<int:poll_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(poll_id: int):
    poll = get_poll_or_404(poll_id)
    if not services.can_withdraw(current_user):
        abort(403)
    form = WithdrawForm()
    if form.validate_on_submit():
        with redirect_on_refusal(url_for(".show", poll_id=poll.id)):
            services.withdraw_poll(poll, form.reason.data, actor=current_user)
        db.session.commit()
        flash(_("调查已撤下。"), "success")
        return redirect(url_for(".show", poll_id=poll.id))
    return render_template("polls/poll_withdraw.html", poll=poll, form=form), 422 if form.errors else 200


@bp.route("/<int:poll_id>/report", methods=["GET", "POST"])
@login_required
def report(poll_id: int):
    poll = get_managed_poll_or_404(poll_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.publish_report(poll, form.summary.data, form.adoption.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, fallback="summary")
        else:
            db.session.commit()
            flash(_("结果反馈已发布。"), "success")
            return redirect(url_for(".results", poll_id=poll.id))
    return render_template("polls/poll_report.html", poll=poll, form=form), 422 if form.errors else 200


@bp.get("/<int:poll_id>/export/<any(results, answers):what>.<any(csv, xlsx):fmt>")
@login_required
def export(poll_id: int, what: str, fmt: str):
    """Results (aggregates) or all answers (no identity, no time) as CSV or Excel, for the department's staff."""
    poll = get_managed_poll_or_404(poll_id)
    table = exports.results_table(poll) if what == "results" else exports.answers_table(poll)
    body, mimetype = (exports.as_csv(table), "text/csv; charset=utf-8") if fmt == "csv" else \
        (exports.as_xlsx(table, sheet=what), exports.XLSX_MIMETYPE)
    filename = f"poll-{poll.id}-{what}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
