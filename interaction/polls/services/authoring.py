"""Staff's side of a poll: the draft and its questions, publishing, closing early, withdrawal, the report.

Every rule lives here, for the pages and the API alike; services flush, the caller commits.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from interaction.accounts.permissions import Permission
from interaction.core import audit
from interaction.core.db import db
from interaction.core.errors import Forbidden, InvalidTransition, ValidationFailed
from interaction.core.sanitize import plain_text_html
from interaction.core.time import now_utc
from interaction.polls.models import (Poll, PollOption, PollQuestion, PollState, PollStatus, QuestionKind,
                                      ResultsVisibility)

log = logging.getLogger(__name__)

MAX_TITLE, MAX_DESCRIPTION, MAX_PROMPT, MAX_LABEL = 200, 5000, 500, 200
MAX_QUESTIONS, MAX_OPTIONS, MIN_OPTIONS = 50, 50, 2
MAX_REASON, MAX_REPORT = 500, 10000


@dataclass
class PollData:
    title: str
    opens_dt: datetime
    closes_dt: datetime
    description: str = ""
    results_visibility: str = ResultsVisibility.after_close.value


@dataclass
class QuestionData:
    kind: str
    prompt: str
    options: list[str] = field(default_factory=list)
    min_choices: int | None = None
    max_choices: int | None = None
    required: bool | None = None  # None: required, except free text


# -- who may do what ---------------------------------------------------------------------------------------

def can_manage(user, poll: Poll | None = None, department_id: int | None = None) -> bool:
    """Staff of the poll's department (with MANAGE_POLLS) and administrators."""
    if user is None or not user.is_authenticated or not user.can(Permission.MANAGE_POLLS):
        return False
    target = poll.department_id if poll is not None else department_id
    return target is None or user.belongs_to(target)


def require_manage(user, poll: Poll | None = None, department_id: int | None = None) -> None:
    if not can_manage(user, poll, department_id):
        raise Forbidden()


def can_withdraw(user) -> bool:
    return user is not None and user.is_authenticated and (user.can(Permission.MODERATE) or user.is_admin)


# -- checks ----------------------------------------------------------------------------------------------------

def check_poll_data(data: PollData) -> dict:
    """The fields of *data* that break a rule, with messages (empty: all good)."""
    fields = {}
    if not data.title or not data.title.strip():
        fields["title"] = _("请填写标题。")
    elif len(data.title) > MAX_TITLE:
        fields["title"] = _("标题不能超过 %(n)s 个字。", n=MAX_TITLE)
    if len(data.description or "") > MAX_DESCRIPTION:
        fields["description"] = _("说明不能超过 %(n)s 个字。", n=MAX_DESCRIPTION)
    if data.results_visibility not in {v.value for v in ResultsVisibility}:
        fields["results_visibility"] = _("结果公开方式只能是 after_close、live 或 staff。")
    if data.opens_dt is None:
        fields["opens_at"] = _("请填写开始时间。")
    if data.closes_dt is None:
        fields["closes_at"] = _("请填写截止时间。")
    elif data.opens_dt is not None and data.closes_dt <= data.opens_dt:
        fields["closes_at"] = _("截止时间必须晚于开始时间。")
    return fields


def check_question(data: QuestionData, prefix: str = "") -> dict:
    """The rule each question follows, by kind; field names start with *prefix* (``questions[2].``)."""
    fields = {}
    if data.kind not in {k.value for k in QuestionKind}:
        return {f"{prefix}kind": _("题型只能是 single、multiple、rating 或 text。")}
    if not data.prompt or not data.prompt.strip():
        fields[f"{prefix}prompt"] = _("请填写题目。")
    elif len(data.prompt) > MAX_PROMPT:
        fields[f"{prefix}prompt"] = _("题目不能超过 %(n)s 个字。", n=MAX_PROMPT)
    labels = [label.strip() for label in data.options]
    if data.kind in (QuestionKind.single, QuestionKind.multiple):
        if not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
            fields[f"{prefix}options"] = _("选择题需要 %(min)s 到 %(max)s 个选项。", min=MIN_OPTIONS, max=MAX_OPTIONS)
        elif any(not label or len(label) > MAX_LABEL for label in labels):
            fields[f"{prefix}options"] = _("每个选项需填写，且不超过 %(n)s 个字。", n=MAX_LABEL)
        elif len(set(labels)) != len(labels):
            fields[f"{prefix}options"] = _("选项不能重复。")
    elif labels:
        fields[f"{prefix}options"] = _("评分题和填空题没有选项。")
    if data.kind == QuestionKind.multiple and f"{prefix}options" not in fields:
        low = 1 if data.min_choices is None else data.min_choices
        high = len(labels) if data.max_choices is None else data.max_choices
        if not 1 <= low <= len(labels):
            fields[f"{prefix}min_choices"] = _("最少选择数应在 1 到选项数之间。")
        elif not low <= high <= len(labels):
            fields[f"{prefix}max_choices"] = _("最多选择数应在最少选择数到选项数之间。")
    elif data.kind != QuestionKind.multiple and (data.min_choices is not None or data.max_choices is not None):
        fields[f"{prefix}max_choices"] = _("只有多选题可以设置选择数。")
    return fields


def _question(data: QuestionData, position: int) -> PollQuestion:
    labels = [label.strip() for label in data.options]
    multiple = data.kind == QuestionKind.multiple
    required = data.required if data.required is not None else data.kind != QuestionKind.text
    question = PollQuestion(position=position, kind=data.kind, prompt=data.prompt.strip(), is_required=required,
                            min_choices=(data.min_choices or 1) if multiple else None,
                            max_choices=(data.max_choices or len(labels)) if multiple else None)
    question.options = [PollOption(position=i, label=label) for i, label in enumerate(labels)]
    return question


def _set_fields(poll: Poll, data: PollData) -> None:
    poll.title = data.title.strip()
    poll.description = data.description or ""
    poll.description_html = plain_text_html(poll.description)
    poll.opens_dt, poll.closes_dt = data.opens_dt, data.closes_dt
    poll.results_visibility = data.results_visibility


# -- the draft -------------------------------------------------------------------------------------------------

def create_poll(department, data: PollData, questions: list[QuestionData], *, actor) -> Poll:
    """A draft poll of *department* with its *questions*; 422 naming every field that breaks a rule."""
    require_manage(actor, department_id=department.id)
    fields = check_poll_data(data)
    if len(questions) > MAX_QUESTIONS:
        fields["questions"] = _("一次调查最多 %(n)s 道题。", n=MAX_QUESTIONS)
    else:
        for i, question in enumerate(questions):
            fields.update(check_question(question, f"questions[{i}]."))
    if fields:
        raise ValidationFailed(fields)
    poll = Poll(department_id=department.id, created_by_id=actor.id, state=PollState.draft.value)
    _set_fields(poll, data)
    poll.questions = [_question(q, i) for i, q in enumerate(questions)]
    db.session.add(poll)
    db.session.flush()
    audit.record("polls.create", actor=actor, target=poll, title=poll.title)
    log.info("poll %s created by user %s", poll.id, actor.id)
    return poll


def update_poll(poll: Poll, data: PollData, *, actor) -> Poll:
    """Change a draft's title, description, window and result visibility."""
    require_manage(actor, poll)
    poll.require_draft()
    fields = check_poll_data(data)
    if fields:
        raise ValidationFailed(fields)
    _set_fields(poll, data)
    db.session.flush()
    audit.record("polls.update", actor=actor, target=poll)
    return poll


def add_question(poll: Poll, data: QuestionData, *, actor) -> PollQuestion:
    require_manage(actor, poll)
    poll.require_draft()
    if len(poll.questions) >= MAX_QUESTIONS:
        raise ValidationFailed({"prompt": _("一次调查最多 %(n)s 道题。", n=MAX_QUESTIONS)})
    fields = check_question(data)
    if fields:
        raise ValidationFailed(fields)
    position = max((q.position for q in poll.questions), default=-1) + 1
    question = _question(data, position)
    poll.questions.append(question)
    db.session.flush()
    audit.record("polls.add_question", actor=actor, target=poll, question=question.id)
    return question


def remove_question(poll: Poll, question: PollQuestion, *, actor) -> None:
    require_manage(actor, poll)
    poll.require_draft()
    if question.poll_id != poll.id:
        raise ValidationFailed({"question": _("该题目不属于这次调查。")})
    poll.questions.remove(question)
    db.session.flush()
    audit.record("polls.remove_question", actor=actor, target=poll, question=question.id)


def publish_poll(poll: Poll, *, actor) -> Poll:
    """Draft → published: votable within its window from now on; its questions can no longer change."""
    require_manage(actor, poll)
    poll.require_draft()
    if not poll.questions:
        raise ValidationFailed({"questions": _("请至少添加一道题目再发布。")})
    now = now_utc()
    if poll.closes_dt <= now:
        raise ValidationFailed({"closes_at": _("截止时间已过，请先修改截止时间。")})
    poll.state = PollState.published.value
    poll.published_dt = now
    db.session.flush()
    audit.record("polls.publish", actor=actor, target=poll)
    log.info("poll %s published by user %s", poll.id, actor.id)
    return poll


def close_poll(poll: Poll, *, actor) -> Poll:
    """End a published poll now (before its closing time); 409 unless it is scheduled or open."""
    require_manage(actor, poll)
    now = now_utc()
    if poll.status_at(now) not in (PollStatus.open, PollStatus.scheduled):
        raise InvalidTransition(_("只有进行中或未开始的调查可以提前结束。"))
    poll.closes_dt = now
    if poll.opens_dt > now:
        poll.opens_dt = now
    poll.closed_early_dt = now
    db.session.flush()
    audit.record("polls.close", actor=actor, target=poll)
    return poll


def withdraw_poll(poll: Poll, reason: str, *, actor) -> Poll:
    """A moderator or administrator takes a poll down, with a reason shown in its place."""
    if not can_withdraw(actor):
        raise Forbidden()
    if poll.state == PollState.withdrawn:
        raise InvalidTransition(_("该调查已撤下。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _("请填写撤下原因。")})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": _("原因不能超过 %(n)s 个字。", n=MAX_REASON)})
    poll.state = PollState.withdrawn.value
    poll.withdrawn_dt = now_utc()
    poll.withdraw_reason = reason
    db.session.flush()
    audit.record("polls.withdraw", actor=actor, target=poll, reason=reason)
    log.info("poll %s withdrawn by user %s", poll.id, actor.id)
    return poll


def publish_report(poll: Poll, summary: str, adoption: str, *, actor) -> Poll:
    """The results report (征集调查结果反馈) of a closed poll: a summary and what was adopted (采纳情况), once."""
    require_manage(actor, poll)
    if poll.status != PollStatus.closed:
        raise InvalidTransition(_("调查结束后才能发布结果反馈。"))
    if poll.has_report:
        raise InvalidTransition(_("结果反馈已发布。"))
    fields = {}
    for name, value in (("summary", summary), ("adoption", adoption)):
        if not value or not value.strip():
            fields[name] = _("请填写内容。")
        elif len(value) > MAX_REPORT:
            fields[name] = _("内容不能超过 %(n)s 个字。", n=MAX_REPORT)
    if fields:
        raise ValidationFailed(fields)
    poll.report_summary, poll.report_adoption = summary.strip(), adoption.strip()
    poll.report_summary_html = plain_text_html(poll.report_summary)
    poll.report_adoption_html = plain_text_html(poll.report_adoption)
    poll.report_published_dt = now_utc()
    db.session.flush()
    audit.record("polls.report", actor=actor, target=poll)
    return poll
