"""Interview pages: list, scheduling, the live room (one page, shown by role), transcript, handovers.

The room works without JavaScript (every action is a POST form); ``static/js/interviews.js``
turns it live over Socket.IO and sends the same actions as socket events.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from interaction.accounts.models import Department
from interaction.accounts.permissions import Permission, permission_required
from interaction.core import signals
from interaction.core.db import db
from interaction.core.errors import DomainError
from interaction.core.forms import show_errors
from interaction.core.views import redirect_on_refusal
from interaction.interviews import live, queries, services
from interaction.interviews.forms import (AnswerForm, ApproveForm, AskForm, CorrectionForm, InterviewForm, RejectForm,
                                          guest_rows, parse_local_datetime)
from interaction.interviews.models import (Interview, InterviewStatus, LiveQuestion, QuestionState,
                                           TranscriptEntry)

bp = Blueprint("interviews", __name__, url_prefix="/interviews")
PER_PAGE = 20


@bp.app_template_filter("interview_asker")
def asker_filter(question: LiveQuestion) -> str:
    """The masked name of a question's asker, as the public sees it."""
    return live.asker_label(question)


def speaker_label(guest) -> str:
    """How an entry spoken as *guest* is signed in the transcript (a host without a name: 主持人)."""
    return guest.display_name if guest.name else _("主持人")


def handover_status(questions, user) -> dict:
    """What may be shown of where *questions* were handed over (core.signals.handover_status).

    ``{(kind, number): {"status", "department", "may_follow"}}`` from the receiving features:
    everyone sees that a question became a letter and its state; the link only those it opens for.
    """
    items = [item for q in questions for item in (q.handed_to or []) if isinstance(item, dict)]
    found: dict = {}
    if items:
        for _receiver, answer in signals.handover_status.send("interviews", items=items, user=user):
            found.update(answer or {})
    return found


def get_interview_or_404(interview_id: int) -> Interview:
    """The interview with *interview_id*; 404 if there is none (every interview is public)."""
    return db.get_or_404(Interview, interview_id)


def get_question_or_404(question_id: int) -> LiveQuestion:
    """The question with *question_id*; 404 if there is none. Callers check who may act on it."""
    return db.get_or_404(LiveQuestion, question_id)


def _user():
    return current_user if current_user.is_authenticated else None


@bp.get("/")
def index():
    page = db.paginate(queries.query_interviews(), per_page=PER_PAGE, error_out=False)
    return render_template("interviews/interview_list.html", page=page,
                           can_run=services.can_run(_user()))


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.RUN_INTERVIEWS)
def create():
    form = InterviewForm()
    if form.validate_on_submit():
        department = db.session.scalar(select(Department).where(Department.code == form.department.data))
        try:
            interview = services.create_interview(
                title=form.title.data, topic=form.topic.data or "", description=form.description.data or "",
                department=department, scheduled_dt=parse_local_datetime(form.scheduled_at.data),
                expected_minutes=form.expected_minutes.data, guests=guest_rows(form.guests),
                actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, fallback="title")
        else:
            db.session.commit()
            flash(_("访谈已安排，预告页已公开。"), "success")
            return redirect(url_for(".room", interview_id=interview.id))
    return render_template("interviews/interview_form.html", form=form), 422 if form.errors else 200


@bp.get("/<int:interview_id>")
def room(interview_id: int):
    """The one page for everyone: preview (预告), live room or, once ended, a link to the transcript."""
    interview = get_interview_or_404(interview_id)
    user = _user()
    entries = db.session.scalars(queries.query_transcript(interview.id)).all()
    moderator = services.can_moderate(user)
    speaker = services.can_speak(interview, user)
    pending = db.session.scalars(queries.query_questions(interview.id, QuestionState.pending)).all() \
        if moderator else []
    waiting = db.session.scalars(queries.query_waiting(interview.id)).all()
    mine = db.session.scalars(queries.query_own_questions(user.id).where(
        LiveQuestion.interview_id == interview.id)).all() if user else []
    answer_form = AnswerForm(formdata=None)
    answer_form.question.choices = [SelectChoice("", _("不针对具体问题（主持人发言）"))] + [
        SelectChoice(str(q.id), q.body[:60]) for q in waiting]
    # The name an entry will carry is shown before it is sent: a moderator's default is the
    # interview's host (services.speaking_guest), never a vague "myself".
    voice = services.speaking_guest(interview, user) if speaker else None
    unnamed_host = [SelectChoice("", _("主持人（不署名）"))] if voice is not None and voice.id is None else []
    answer_form.guest.choices = unnamed_host + [SelectChoice(str(g.id), speaker_label(g)) for g in interview.guests]
    answer_form.guest.data = str(voice.id) if voice is not None and voice.id is not None else ""
    return render_template(
        "interviews/interview_room.html", interview=interview, entries=entries, pending=pending, waiting=waiting,
        mine=mine, moderator=moderator, speaker=speaker, can_run=services.can_run(user),
        can_ask=user is not None and user.can(Permission.WRITE) and interview.accepts_questions,
        last_seq=entries[-1].seq if entries else 0, ask_form=AskForm(formdata=None),
        approve_form=ApproveForm(formdata=None), reject_form=RejectForm(formdata=None), answer_form=answer_form,
        voice_label=speaker_label(voice) if voice is not None else "",
        handover=handover_status(mine, user),
        voted=_voted_ids(user, waiting))


def _voted_ids(user, questions) -> set[int]:
    from interaction.interviews.models import QuestionVote

    if user is None or not questions:
        return set()
    return set(db.session.scalars(select(QuestionVote.question_id).where(
        QuestionVote.user_id == user.id, QuestionVote.question_id.in_([q.id for q in questions]))))


@bp.post("/<int:interview_id>/start")
@permission_required(Permission.RUN_INTERVIEWS)
def start(interview_id: int):
    interview = get_interview_or_404(interview_id)
    back = url_for(".room", interview_id=interview_id)
    with redirect_on_refusal(back):
        services.start_interview(interview, actor=current_user)
    db.session.commit()
    flash(_("访谈已开始直播。"), "success")
    return redirect(back)


@bp.post("/<int:interview_id>/end")
@permission_required(Permission.RUN_INTERVIEWS)
def end(interview_id: int):
    interview = get_interview_or_404(interview_id)
    with redirect_on_refusal(url_for(".room", interview_id=interview_id)):
        services.end_interview(interview, actor=current_user)
    db.session.commit()
    flash(_("访谈已结束，文字实录已发布，未答复的问题已转交部门。"), "success")
    return redirect(url_for(".transcript", interview_id=interview_id))


@bp.post("/<int:interview_id>/questions")
@login_required
def ask(interview_id: int):
    interview = get_interview_or_404(interview_id)
    form = AskForm()
    back = url_for(".room", interview_id=interview_id) + "#ask"
    if not form.validate():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(back)
    with redirect_on_refusal(back):
        question = services.ask_question(interview, form.body.data, actor=current_user)
    db.session.commit()
    if question.state == QuestionState.rejected:
        flash(_("问题未通过自动筛查：%(reason)s", reason=question.reject_reason), "error")
    else:
        flash(_("问题已提交，经审核后显示。"), "success")
    return redirect(back)


def _question_action(question_id: int, run, success: str):
    """A moderator's or viewer's button on one question: *run* its service, commit, back to the room."""
    question = get_question_or_404(question_id)
    back = url_for(".room", interview_id=question.interview_id)
    with redirect_on_refusal(back):
        run(question)
    db.session.commit()
    flash(success, "success")
    return redirect(back)


@bp.post("/questions/<int:question_id>/approve")
@permission_required(Permission.MODERATE)
def approve(question_id: int):
    form = ApproveForm()
    return _question_action(question_id, lambda q: services.approve_question(
        q, actor=current_user, body=form.body.data or None), _("已通过，问题已公开。"))


@bp.post("/questions/<int:question_id>/reject")
@permission_required(Permission.MODERATE)
def reject(question_id: int):
    form = RejectForm()
    return _question_action(question_id, lambda q: services.reject_question(
        q, actor=current_user, reason=form.reason.data), _("已设为不通过，理由已告知提问人。"))


@bp.post("/questions/<int:question_id>/pick")
@permission_required(Permission.MODERATE)
def pick(question_id: int):
    return _question_action(question_id, lambda q: services.pick_question(q, actor=current_user),
                            _("已选为下一个回答的问题。"))


@bp.post("/questions/<int:question_id>/vote")
@login_required
def vote(question_id: int):
    return _question_action(question_id, lambda q: services.vote_question(q, actor=current_user), _("已同问。"))


@bp.post("/<int:interview_id>/answers")
@login_required
def answer(interview_id: int):
    interview = get_interview_or_404(interview_id)
    if not services.can_speak(interview, current_user):
        abort(403)
    form = AnswerForm()
    back = url_for(".room", interview_id=interview_id)
    if not form.validate():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(back)
    question = db.session.get(LiveQuestion, int(form.question.data)) if form.question.data.isdigit() else None
    guest_id = int(form.guest.data) if form.guest.data.isdigit() else None
    with redirect_on_refusal(back):
        services.answer(interview, form.body.data, actor=current_user, question=question, guest_id=guest_id)
    db.session.commit()
    flash(_("已发布。"), "success")
    return redirect(back)


@bp.get("/<int:interview_id>/transcript")
def transcript(interview_id: int):
    """文字实录: published once the interview ended."""
    interview = get_interview_or_404(interview_id)
    if interview.status != InterviewStatus.ended:
        abort(404)
    entries = db.session.scalars(queries.query_transcript(interview.id)).all()
    handed = db.session.scalars(queries.query_questions(interview.id, QuestionState.handed_over)).all()
    return render_template("interviews/interview_transcript.html", interview=interview,
                           pairs=queries.qa_pairs(entries), handed=handed, can_run=services.can_run(_user()),
                           handover=handover_status(handed, _user()))


@bp.route("/<int:interview_id>/transcript/<int:seq>/edit", methods=["GET", "POST"])
@permission_required(Permission.RUN_INTERVIEWS)
def correct(interview_id: int, seq: int):
    entry = db.first_or_404(select(TranscriptEntry).where(TranscriptEntry.interview_id == interview_id,
                                                          TranscriptEntry.seq == seq))
    form = CorrectionForm(data={"body": entry.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.correct_entry(entry, form.body.data, reason=form.reason.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, fallback="body")
        else:
            db.session.commit()
            flash(_("已更正，原文保留在修改记录中。"), "success")
            return redirect(url_for(".transcript", interview_id=interview_id) + f"#entry-{seq}")
    return render_template("interviews/entry_edit.html", entry=entry, form=form), 422 if form.errors else 200


@bp.get("/mine")
@login_required
def mine():
    page = db.paginate(queries.query_own_questions(current_user.id), per_page=PER_PAGE, error_out=False)
    return render_template("interviews/question_mine.html", page=page,
                           handover=handover_status(page.items, current_user))


@bp.get("/handovers")
@permission_required(Permission.HANDLE)
def handovers():
    """Questions not answered live, handed to the department (admins see every department)."""
    department_id = None if current_user.is_admin else current_user.department_id
    if department_id is None and not current_user.is_admin:
        abort(403)
    page = db.paginate(queries.query_handovers(department_id), per_page=PER_PAGE, error_out=False)
    return render_template("interviews/handover_list.html", page=page)
