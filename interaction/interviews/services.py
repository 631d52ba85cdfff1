"""Every state change of live interviews. Services flush, never commit; the caller commits once.

The rule that matters most: nothing a moderator has not approved reaches viewers. A question is
created ``pending`` and goes to the shared moderation queue (kind ``interviews.question``), which
screens it first (blocked words → rejected automatically). Whoever decides, in the live room or on
the shared queue page, the decision goes through ``moderation.services.decide_case``, and
:func:`apply_moderation_decision` (connected to ``moderation_decided``) is the one place where a
question becomes public, as a transcript entry.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from interaction.accounts.models import Department, User, normalize_email
from interaction.accounts.permissions import Permission
from interaction.core import audit
from interaction.core.db import db, lock_row
from interaction.core.errors import Conflict, DomainError, Forbidden, InvalidTransition, NotFound, Unauthorized
from interaction.core.errors import ValidationFailed
from interaction.core.sanitize import plain_text_html
from interaction.core.signals import interview_ended, question_handed_over
from interaction.core.text import INVISIBLE_ONLY_MESSAGE, is_invisible_only, single_line
from interaction.core.time import now_utc
from interaction.interviews import live, search_documents
from interaction.interviews.models import (EntryKind, Guest, GuestRole, Interview, InterviewStatus, LiveQuestion,
                                           QuestionState, QuestionVote, TranscriptEntry, TranscriptRevision)

log = logging.getLogger(__name__)

MODERATION_KIND = "interviews.question"
MAX_QUESTION = 500
MAX_ANSWER = 5000
MAX_REASON = 500
HANDOVER_WORKDAYS = 5


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


@dataclass
class GuestData:
    name: str
    title: str = ""
    role: str = GuestRole.guest.value
    user_email: str | None = None


# -- checks --------------------------------------------------------------------------------------------------

def _text(value, field: str, limit: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str | None):
        raise ValidationFailed({field: _("类型不正确。")})
    if required and not text:
        raise ValidationFailed({field: _("请填写内容。")})
    if len(text) > limit:
        raise ValidationFailed({field: _("不能超过 %(n)d 个字。", n=limit)})
    return text


def _line(value, field: str, limit: int, *, required: bool = True) -> str:
    """One-line text (a title, a name): as :func:`_text`, without bidirectional controls, never invisible only."""
    if is_invisible_only(value):
        raise ValidationFailed({field: str(INVISIBLE_ONLY_MESSAGE)})
    return _text(single_line(value), field, limit, required=required)


def require_user(actor: User | None) -> User:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Unauthorized()
    return actor


def can_run(user: User | None) -> bool:
    """Schedule, start and end interviews, correct transcripts: moderators and administrators."""
    return user is not None and user.can(Permission.RUN_INTERVIEWS)


def can_moderate(user: User | None) -> bool:
    return live.can_moderate(user)


def speaking_guest(interview: Interview, user: User | None, guest_id: int | None = None) -> Guest | None:
    """The guest or host *user* may speak as, or None if they may not speak.

    A guest or host speaks as themselves; a moderator running the interview may type for any
    guest (officials often answer aloud and staff transcribe), naming them with *guest_id*.
    """
    if user is None:
        return None
    own = interview.guest_for(user)
    if guest_id is not None:
        chosen = next((g for g in interview.guests if g.id == guest_id), None)
        if chosen is None:
            raise NotFound()
        if own is not None and own.id == chosen.id:
            return own
        return chosen if can_run(user) else None
    if own is not None:
        return own
    if can_run(user):
        return next((g for g in interview.guests if g.role == GuestRole.host), None) or Guest(
            id=None, name="", title="", role=GuestRole.host.value)
    return None


def can_speak(interview: Interview, user: User | None) -> bool:
    return user is not None and (interview.guest_for(user) is not None or can_run(user))


# -- scheduling -------------------------------------------------------------------------------------------------

def _guests(guests: list[GuestData]) -> list[Guest]:
    if not guests:
        raise ValidationFailed({"guests": _("请至少填写一位嘉宾。")})
    if len(guests) > 20:
        raise ValidationFailed({"guests": _("嘉宾不能超过 20 位。")})
    rows = []
    for n, data in enumerate(guests):
        name = _line(data.name, "guests", 50)
        title = _line(data.title, "guests", 100, required=False)
        if data.role not in {r.value for r in GuestRole}:
            raise ValidationFailed({"guests": _("嘉宾身份只能是嘉宾或主持人。")})
        user_id = None
        if data.user_email:
            user = db.session.scalar(select(User).where(User.email == normalize_email(data.user_email)))
            if user is None:
                raise ValidationFailed({"guests": _("找不到账号 %(email)s。", email=data.user_email)})
            user_id = user.id
        rows.append(Guest(name=name, title=title, role=data.role, user_id=user_id, sort_order=n))
    return rows


def create_interview(*, title: str, department: Department | None, scheduled_dt: datetime,
                     guests: list[GuestData], actor: User, topic: str = "", description: str = "",
                     expected_minutes: int = 60) -> Interview:
    """Schedule an interview (status ``scheduled``: its preview page is public at once)."""
    if not can_run(actor):
        raise Forbidden()
    fields = {}
    if department is None:
        fields["department"] = _("请选择部门。")
    if scheduled_dt is None or scheduled_dt.tzinfo is None:
        fields["scheduled_at"] = _("请填写开始时间。")
    if not isinstance(expected_minutes, int) or not 10 <= expected_minutes <= 600:
        fields["expected_minutes"] = _("预计时长应在 10 到 600 分钟之间。")
    if fields:
        raise ValidationFailed(fields)
    interview = Interview(
        title=_line(title, "title", 200), topic=_line(topic, "topic", 200, required=False),
        description=_text(description, "description", 5000, required=False), department=department,
        scheduled_dt=scheduled_dt, expected_minutes=expected_minutes, created_by_id=actor.id,
        status=InterviewStatus.scheduled.value, next_seq=1,
    )
    interview.guests = _guests(guests)
    db.session.add(interview)
    db.session.flush()
    audit.record("interviews.create", actor=actor, target=interview, title=interview.title)
    return interview


def lock_interview(interview_id: int) -> Interview:
    """Load the interview and its guests under a row lock, once per transaction (:func:`~interaction.core.db.lock_row`).

    Every caller reads the guests (who may speak, the interview's JSON): one statement for both.
    """
    interview = lock_row(Interview, interview_id, joined=Interview.guests)
    if interview is None:
        raise NotFound()
    return interview


def start_interview(interview: Interview, *, actor: User) -> Interview:
    if not can_run(actor):
        raise Forbidden()
    interview = lock_interview(interview.id)
    interview.start()
    db.session.flush()
    audit.record("interviews.start", actor=actor, target=interview)
    live.broadcast_status(interview)
    return interview


def end_interview(interview: Interview, *, actor: User) -> Interview:
    """End the interview: its transcript is published and unanswered approved questions handed over."""
    if not can_run(actor):
        raise Forbidden()
    interview = lock_interview(interview.id)
    interview.end()
    interview.current_question_id = None
    db.session.flush()
    unanswered = hand_over_unanswered(interview)
    search_documents.put_transcript(interview)  # the transcript is public from now: in the search too
    audit.record("interviews.end", actor=actor, target=interview, handed_over=len(unanswered))
    interview_ended.send("interviews", interview=interview, unanswered=unanswered)
    live.broadcast_status(interview)
    return interview


def _default_locale_text(message) -> str:
    """Text stored for everyone (a reason, a subject): in the source language, whoever's request made it."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
        return str(message)


def hand_over_unanswered(interview: Interview) -> list[dict]:
    """Hand every approved, unanswered question to the department, due in 5 working days.

    Through ``core.signals.question_handed_over`` (features never import each other): receivers
    (the mailbox, Q&A) turn it into a letter or a question and append ``{"kind", "url",
    "number"?}`` to ``handed_to``. When nobody does, the question stays here, ``handed_over``,
    listed for the department's staff with its deadline.
    """
    from interaction.core.calendar import get_calendar

    due = get_calendar().due_at(now_utc(), HANDOVER_WORKDAYS)
    questions = db.session.scalars(
        select(LiveQuestion).where(LiveQuestion.interview_id == interview.id,
                                   LiveQuestion.state == QuestionState.approved)
        .order_by(LiveQuestion.id)).all()
    unanswered = []
    for question in questions:
        handed_to: list[dict] = []
        subject = _default_locale_text(_l("在线访谈“%(title)s”未答复的网民提问", title=interview.title))[:200]
        question_handed_over.send("interviews", department_id=interview.department_id, author_id=question.asker_id,
                                  subject=subject, body=question.body, source=MODERATION_KIND,
                                  source_ref=str(question.id), reply_workdays=HANDOVER_WORKDAYS,
                                  handed_to=handed_to)
        question.hand_over(due_dt=due, handed_to=[dict(h) for h in handed_to if isinstance(h, dict)])
        db.session.flush()
        unanswered.append({"id": question.id, "body": question.body, "asker_id": question.asker_id,
                           "department_id": interview.department_id, "handed_to": question.handed_to})
        audit.record("interviews.hand_over", actor=None, target=question, handed_to=question.handed_to)
        live.broadcast_question(question)
    return unanswered


# -- questions ----------------------------------------------------------------------------------------------------

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
    text = _text(body, "body", MAX_QUESTION)
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
        corrected = _text(body, "body", MAX_QUESTION)
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
    reason = _text(reason, "reason", MAX_REASON, required=False) or _default_locale_text(
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


# -- the transcript -----------------------------------------------------------------------------------------------

# On the table, not the mapped class: the ORM-enabled UPDATE evaluated its criteria against the
# session's objects on every call (a third of its cost); append_entry updates the one object itself.
_interviews = Interview.__table__
_TAKE_SEQ = (update(_interviews).where(_interviews.c.id == bindparam("interview_id"))
             .values(next_seq=_interviews.c.next_seq + 1).returning(_interviews.c.next_seq))


def append_entry(interview_id: int, kind: EntryKind, body: str, *, question: LiveQuestion | None = None,
                 guest: Guest | None = None, author_name: str = "", author: User | None = None) -> TranscriptEntry:
    """Add a transcript entry with the interview's next seq.

    Taking the seq (``UPDATE interviews SET next_seq = next_seq + 1 ... RETURNING``) locks the
    interview's row until the commit, so entries commit in seq order without a separate lock.
    """
    taken = db.session.execute(_TAKE_SEQ, {"interview_id": interview_id}).scalar_one()
    loaded = db.session.identity_map.get(identity_key(Interview, interview_id))
    if loaded is not None:  # keep the session's interview in step without reading it again
        set_committed_value(loaded, "next_seq", taken)
    entry = TranscriptEntry(interview_id=interview_id, seq=taken - 1, kind=kind.value, body=body,
                            body_html=plain_text_html(body), at_dt=now_utc(),
                            question_id=question.id if question is not None else None,
                            guest_id=guest.id if guest is not None else None,
                            author_name=author_name[:200], author_user_id=getattr(author, "id", None))
    db.session.add(entry)
    db.session.flush()
    return entry


def answer(interview: Interview, body, *, actor: User | None, question: LiveQuestion | None = None,
           guest_id: int | None = None) -> TranscriptEntry:
    """A guest answers *question* (or speaks without one); a host's words without a question are a remark.

    Only while the interview is live; only guests and hosts of this interview, or moderators
    running it (who may type for a named guest).
    """
    actor = require_user(actor)
    guest = speaking_guest(interview, actor, guest_id)
    if guest is None:
        raise Forbidden()
    text = _text(body, "body", MAX_ANSWER)
    interview = lock_interview(interview.id)
    if not interview.is_live:
        raise InvalidTransition(_("访谈不在进行中。"), code="not_live")
    if question is not None:
        if question.interview_id != interview.id:
            raise NotFound()
        if question.state not in (QuestionState.approved, QuestionState.answered):
            raise InvalidTransition(code="not_approved")
    kind = EntryKind.answer if question is not None or guest.role == GuestRole.guest else EntryKind.host
    entry = append_entry(interview.id, kind, text, question=question, guest=guest if guest.id else None,
                         author_name=guest.display_name, author=actor)
    if question is not None:
        question.mark_answered(entry)
        if interview.current_question_id == question.id:
            interview.current_question_id = None
    db.session.flush()
    audit.record("interviews.answer", actor=actor, target=entry, interview_id=interview.id, kind=entry.kind)
    live.broadcast_entry(entry)
    if question is not None:
        live.broadcast_question(question)
    return entry


def post_remark(interview: Interview, body, *, actor: User | None) -> TranscriptEntry:
    """A host's remark (主持人): no question, kind ``host``."""
    actor = require_user(actor)
    guest = speaking_guest(interview, actor)
    if guest is None or guest.role != GuestRole.host:
        raise Forbidden()
    return answer(interview, body, actor=actor, guest_id=guest.id)


def correct_entry(entry: TranscriptEntry, body, *, reason, actor: User | None) -> TranscriptRevision:
    """Correct the transcript afterwards; the text before is kept as a revision."""
    if not can_run(actor):
        raise Forbidden()
    limit = MAX_QUESTION if entry.kind == EntryKind.question else MAX_ANSWER
    text = _text(body, "body", limit)
    why = _text(reason, "reason", MAX_REASON)
    if text == entry.body:
        raise ValidationFailed({"body": _("内容没有变化。")})
    revision = TranscriptRevision(entry_id=entry.id, body_before=entry.body, body_after=text, reason=why,
                                  editor_id=actor.id, at_dt=now_utc())
    entry.body = text
    entry.body_html = plain_text_html(text)
    entry.edited_dt = revision.at_dt
    db.session.add(revision)
    db.session.flush()
    search_documents.put_transcript(db.session.get(Interview, entry.interview_id))
    audit.record("interviews.correct_entry", actor=actor, target=entry, seq=entry.seq, reason=why)
    return revision


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
