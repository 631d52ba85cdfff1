"""Answering: the department's official answer, its edits (history kept), their review, rerouting.

The answer is the department's: staff of the question's current department (or an administrator)
give it while the question is ``open``, and edit it later once it is ``answered``. Every version
is an :class:`Answer` row. Where the department's setting says answers need review
(:class:`DepartmentQaSetting`), a version goes to the shared queue (kind ``qa.answer``) and is
public only once approved; until then the public keeps seeing the previous one. The approved
versions are the public edit history (修改记录).

An administrator reroutes a question still awaiting moderation or an answer to another
department: audited, and the clock restarts (a fresh ``ANSWER_WORKDAYS`` from the reroute).
"""

from __future__ import annotations

from flask_babel import gettext as _

from interaction.accounts.permissions import Permission
from interaction.core import audit
from interaction.core.calendar import get_calendar
from interaction.core.db import db
from interaction.core.errors import Forbidden, InvalidTransition, ValidationFailed
from interaction.core.sanitize import plain_text_html
from interaction.core.time import now_utc
from interaction.qa.models import (ANSWER_WORKDAYS, MAX_ANSWER, Answer, AnswerState, DepartmentQaSetting, Question,
                                   QuestionStatus)
from interaction.qa.services.common import (ANSWER_KIND, active_department, answers_need_review, clean,
                                            default_locale, lock, mask_for, notify_asker, notify_department,
                                            question_url, require_handle)
from interaction.qa.services.indexing import sync_index


def _checked_body(body: str | None) -> str:
    body = clean(body)
    if not body:
        raise ValidationFailed({"body": _("请填写答复内容。")})
    if len(body) > MAX_ANSWER:
        raise ValidationFailed({"body": _("答复不能超过 %(n)d 个字。", n=MAX_ANSWER)})
    return body


def _new_version(question: Question, body: str, *, is_edit: bool, actor) -> Answer:
    """A new version of the answer: approved at once, or pending review (then submitted to the queue)."""
    review = answers_need_review(question.department_id)
    now = now_utc()
    answer = Answer(question_id=question.id, department_id=question.department_id, author_id=actor.id, body=body,
                    body_html=plain_text_html(body), is_edit=is_edit, created_dt=now,
                    state=(AnswerState.pending if review else AnswerState.approved).value,
                    decided_dt=None if review else now)
    db.session.add(answer)
    db.session.flush()
    if review:
        from interaction.moderation.services import submit_for_moderation

        submit_for_moderation(ANSWER_KIND, answer.id, text=body, author=actor)
    else:
        _make_current(question, answer)
    return answer


def _make_current(question: Question, answer: Answer) -> None:
    """*answer* becomes the public one: the question shows it, and the index holds its text."""
    now = answer.decided_dt or now_utc()
    question.answer_id, question.answer_body, question.answer_html = answer.id, answer.body, answer.body_html
    if answer.is_edit:
        question.answer_edited_dt = now
    else:
        question.status = QuestionStatus.answered.value
        question.answered_dt = now
        question.answered_on_time = question.due_dt is None or answer.created_dt <= question.due_dt
        with default_locale():
            notify_asker(question, _("您的提问已答复"),
                         _("%(department)s已答复您的提问“%(title)s”。", department=question.department.name,
                           title=question.title))
    if question.is_published:
        question.published_answer = mask_for(question, answer.body)
    sync_index(question)


def answer_question(question: Question, body: str, *, actor) -> Answer:
    """The department's answer to an open question.

    ``Forbidden`` (403) for anyone but staff of the question's department and administrators;
    ``InvalidTransition`` (409, ``not_open``) unless the question is approved and still awaiting
    its answer (a pending, rejected, withdrawn or already answered one); ``ValidationFailed``
    (422) for an empty or too long body.
    """
    require_handle(actor, question)
    body = _checked_body(body)
    question = lock(question)
    if question.status != QuestionStatus.open:
        raise InvalidTransition(code="not_open")
    if question.first_answered_dt is None:
        question.first_answered_dt = now_utc()
    answer = _new_version(question, body, is_edit=False, actor=actor)
    if answer.state == AnswerState.pending:
        question.status = QuestionStatus.reviewing.value
    audit.record("qa.answer", actor=actor, target=question, answer=answer.id, review=answer.state)
    return answer


def edit_answer(question: Question, body: str, *, actor) -> Answer:
    """A new version of an answered question's answer; the earlier ones stay in the public history.

    Same refusals as :func:`answer_question`; ``InvalidTransition`` (409, ``not_answered``) before
    the first answer is public.
    """
    require_handle(actor, question)
    body = _checked_body(body)
    question = lock(question)
    if question.status != QuestionStatus.answered:
        raise InvalidTransition(code="not_answered")
    answer = _new_version(question, body, is_edit=True, actor=actor)
    audit.record("qa.edit_answer", actor=actor, target=question, answer=answer.id, review=answer.state)
    return answer


def describe_answer(target_id: str) -> dict | None:
    """What the moderation queue shows of an answer: the question's title, the answer, the department."""
    try:
        answer = db.session.get(Answer, int(target_id))
    except (TypeError, ValueError, OverflowError):
        return None
    if answer is None:
        return None
    question = answer.question
    with default_locale():
        label = _("修改后的答复") if answer.is_edit else _("答复")
    url = None if question.is_consultation else question_url(question.id)  # moderators cannot open a consultation
    return {"title": question.title, "text": answer.body, "url": url, "kind": label,
            "department": answer.department.name, "question": question.body, "state": answer.state}


def on_answer_decided(sender, case=None, actor=None, **_kwargs) -> None:
    """The review of an answer: approved → public; rejected → a first answer's question is open again."""
    if case is None:
        return
    try:
        answer = db.session.get(Answer, int(case.target_id))
    except (TypeError, ValueError, OverflowError):
        return
    if answer is None or answer.state != AnswerState.pending:
        return
    question = lock(answer.question)
    answer.decided_dt = now_utc()
    if case.state == "approved":
        answer.state = AnswerState.approved.value
        if answer.is_edit or question.status == QuestionStatus.reviewing:
            _make_current(question, answer)
    elif case.state == "rejected":
        answer.state, answer.review_reason = AnswerState.rejected.value, case.reason
        if not answer.is_edit and question.status == QuestionStatus.reviewing:
            question.status = QuestionStatus.open.value
    db.session.flush()


def reroute_question(question: Question, department, reason: str, *, actor) -> Question:
    """An administrator moves a question to another department (audited); the clock restarts.

    ``Forbidden`` (403) for anyone but administrators; ``InvalidTransition`` (409) once the
    question is answered (or under review, rejected, withdrawn); ``ValidationFailed`` (422) for
    an inactive or the same department or no reason.
    """
    if actor is None or not actor.can(Permission.ADMIN):
        raise Forbidden(_("只有管理员可以改派问题。"))
    department = active_department(department)
    reason = clean(reason)
    if not reason:
        raise ValidationFailed({"reason": _("请填写改派理由。")})
    question = lock(question)
    if question.status not in (QuestionStatus.pending, QuestionStatus.open):
        raise InvalidTransition(code="not_reroutable")
    if department.id == question.department_id:
        raise ValidationFailed({"department": _("不能改派给当前部门。")})
    old_department, old_due = question.department, question.due_dt
    question.department_id, question.department = department.id, department
    question.reroute_count += 1
    if question.status == QuestionStatus.open:  # the clock restarts for the new department
        now = now_utc()
        question.clock_start_dt, question.due_dt = now, get_calendar().due_at(now, ANSWER_WORKDAYS)
    sync_index(question)
    audit.record("qa.reroute", actor=actor, target=question, from_department=old_department.code,
                 to_department=department.code, reason=reason,
                 old_due=old_due.isoformat() if old_due else None,
                 new_due=question.due_dt.isoformat() if question.due_dt else None)
    if question.status == QuestionStatus.open:
        with default_locale():
            notify_department(department.id, _("改派给贵单位的提问（%(id)d）", id=question.id),
                              _("“%(title)s”已改派给贵单位（理由：%(reason)s），请在 %(n)d 个工作日内答复。",
                                title=question.title, reason=reason, n=ANSWER_WORKDAYS), question)
    return question


def set_answers_need_review(department, need_review: bool, *, actor) -> DepartmentQaSetting:
    """Administrators decide whether a department's answers go through review before they are public."""
    if actor is None or not actor.can(Permission.ADMIN):
        raise Forbidden()
    department = active_department(department)
    setting = db.session.get(DepartmentQaSetting, department.id)
    if setting is None:
        setting = DepartmentQaSetting(department_id=department.id)
        db.session.add(setting)
    setting.answers_need_review = bool(need_review)
    setting.updated_dt, setting.updated_by_id = now_utc(), actor.id
    db.session.flush()
    audit.record("qa.settings", actor=actor, target_type="departments", target_id=department.id,
                 department=department.code, answers_need_review=bool(need_review))
    return setting
