"""Citizens' questions: asked, screened and decided by moderators, picked, upvoted (同问)."""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from interaction.accounts.models import User
from interaction.accounts.permissions import Permission
from interaction.core import audit
from interaction.core.db import db
from interaction.core.errors import Conflict, Forbidden, InvalidTransition
from interaction.core.time import now_utc
from interaction.interviews import live
from interaction.interviews.models import (EntryKind, Interview, InterviewStatus, LiveQuestion, QuestionState,
                                           QuestionVote)
from interaction.interviews.services.rules import (MAX_QUESTION, MAX_REASON, MODERATION_KIND, RateLimited,
                                                   can_moderate, default_locale_text, require_user, text_field)
from interaction.interviews.services.scheduling import lock_interview
from interaction.interviews.services.transcript import append_entry


def ask_question(interview: Interview, body, *, actor: User | None) -> LiveQuestion:
    """A citizen asks: pending, screened, queued for moderators. Never shown to viewers from here.

    Raises ``Unauthorized`` (anonymous), ``Forbidden``, ``InvalidTransition`` (interview ended),
    ``ValidationFailed`` (empty or over 500 characters) and ``RateLimited`` (one question per
    ``INTERVIEWS_ASK_INTERVAL_SECONDS``, 30 by default, per person).
    """
    from interaction.moderation.services import submit_for_moderation

    actor = require_user(actor)
    if not actor.can(Permission.WRITE):
        raise Forbidden()
    if not interview.accepts_questions:
        raise InvalidTransition(_("访谈已结束，不再接受提问。"), code="interview_ended")
    text = text_field(body, "body", MAX_QUESTION)
    now = now_utc()
    interval = timedelta(seconds=current_app.config["INTERVIEWS_ASK_INTERVAL_SECONDS"])
    last = db.session.scalar(select(func.max(LiveQuestion.created_dt)).where(LiveQuestion.asker_id == actor.id))
    if last is not None and now - last < interval:
        raise RateLimited(_("提问太频繁了，请 %(n)d 秒后再试。", n=int((interval - (now - last)).total_seconds()) + 1))
    question = LiveQuestion(interview_id=interview.id, asker_id=actor.id, body=text, original_body=text,
                            state=QuestionState.pending.value, created_dt=now,
                            is_pre_question=interview.status == InterviewStatus.scheduled)
    db.session.add(question)
    db.session.flush()
    case = submit_for_moderation(MODERATION_KIND, question.id, text=text, author=actor)
    question.moderation_case_id = case.id
    db.session.flush()
    audit.record("interviews.ask", actor=actor, target=question, interview_id=interview.id)
    if question.state == QuestionState.pending:  # screening may already have rejected it
        live.broadcast_question(question)
    return question


def _case_id(question: LiveQuestion) -> int:
    """The question's moderation case (the decision itself checks, in one statement, that it is pending)."""
    if not question.moderation_case_id:
        raise Conflict(code="no_moderation_case")
    return question.moderation_case_id


def approve_question(question: LiveQuestion, *, actor: User | None, body=None) -> LiveQuestion:
    """A moderator approves, optionally correcting typos first (the original is kept)."""
    from interaction.moderation.services import decide_case

    if not can_moderate(actor):
        raise Forbidden()
    if question.state != QuestionState.pending:
        raise InvalidTransition(code="already_decided")
    if body is not None:
        corrected = text_field(body, "body", MAX_QUESTION)
        if corrected != question.body:
            audit.record("interviews.correct_question", actor=actor, target=question, before=question.body)
            question.body = corrected
            db.session.flush()
    decide_case(_case_id(question), "approve", actor=actor)
    return question


def reject_question(question: LiveQuestion, *, actor: User | None, reason=None) -> LiveQuestion:
    from interaction.moderation.services import decide_case

    if not can_moderate(actor):
        raise Forbidden()
    if question.state != QuestionState.pending:
        raise InvalidTransition(code="already_decided")
    reason = text_field(reason, "reason", MAX_REASON, required=False) or default_locale_text(
        _l("问题与本期访谈主题无关或不符合提问规范。"))
    decide_case(_case_id(question), "reject", reason=reason, actor=actor)
    return question


def apply_moderation_decision(case, actor=None) -> None:
    """Receiver of ``moderation_decided`` (sender ``interviews.question``), in the decider's transaction.

    Approval: the question becomes public as a transcript entry (committed, then broadcast).
    Rejection: the asker sees the reason. Decisions on questions no longer pending are ignored.
    """
    try:
        question = db.session.get(LiveQuestion, int(case.target_id))
    except (TypeError, ValueError):
        question = None
    if question is None or question.state != QuestionState.pending:
        return
    if case.state == "approved":
        entry = append_entry(question.interview_id, EntryKind.question, question.body, question=question,
                             author_name=live.asker_label(question))
        question.approve(actor=actor)
        question.question_entry_id = entry.id  # one UPDATE of the question for both
        db.session.flush()
        live.broadcast_entry(entry)
    elif case.state == "rejected":
        question.reject(reason=case.reason or "", actor=actor)
        db.session.flush()
    else:
        return
    live.broadcast_question(question)  # the decision itself is audited once, by moderation ("moderation.decide")


def pick_question(question: LiveQuestion, *, actor: User | None) -> Interview:
    """A moderator picks the approved question the guests should answer next."""
    if not can_moderate(actor):
        raise Forbidden()
    if not question.is_waiting:
        raise InvalidTransition(code="not_waiting")
    interview = lock_interview(question.interview_id)
    if not interview.accepts_questions:
        raise InvalidTransition(code="interview_ended")
    interview.current_question_id = question.id
    db.session.flush()
    live.broadcast_next(interview)
    return interview


def vote_question(question: LiveQuestion, *, actor: User | None) -> LiveQuestion:
    """A signed-in viewer upvotes (同问) an approved question still waiting; once per person."""
    actor = require_user(actor)
    if not question.is_waiting or not question.interview.accepts_questions:
        raise InvalidTransition(code="not_waiting")
    try:
        with db.session.begin_nested():
            db.session.add(QuestionVote(question_id=question.id, user_id=actor.id))
    except IntegrityError:
        raise Conflict(_("您已经同问过这个问题。"), code="already_voted") from None
    db.session.execute(update(LiveQuestion).where(LiveQuestion.id == question.id)
                       .values(upvotes=LiveQuestion.upvotes + 1))
    db.session.refresh(question)
    live.broadcast_votes(question)
    return question


def describe_for_moderation(target_id: str) -> dict | None:
    """What the shared moderation queue shows of a live question."""
    from flask import url_for

    try:
        question = db.session.get(LiveQuestion, int(target_id))
    except (TypeError, ValueError):
        return None
    if question is None:
        return None
    return {"title": question.interview.title, "text": question.body, "original_text": question.original_body,
            "url": url_for("interviews.room", interview_id=question.interview_id), "state": question.state}
