"""Scheduling, starting and ending interviews; the unanswered questions handed over at the end."""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from interaction.accounts.models import Department, User, normalize_email
from interaction.core import audit
from interaction.core.db import db, lock_row
from interaction.core.errors import Forbidden, NotFound, ValidationFailed
from interaction.core.signals import interview_ended, question_handed_over
from interaction.core.time import now_utc
from interaction.interviews import live, search_documents
from interaction.interviews.models import Guest, GuestRole, Interview, InterviewStatus, LiveQuestion, QuestionState
from interaction.interviews.services.rules import (HANDOVER_WORKDAYS, MODERATION_KIND, GuestData, can_run,
                                                   default_locale_text, line_field, text_field)


def _guests(guests: list[GuestData]) -> list[Guest]:
    if not guests:
        raise ValidationFailed({"guests": _("请至少填写一位嘉宾。")})
    if len(guests) > 20:
        raise ValidationFailed({"guests": _("嘉宾不能超过 20 位。")})
    rows = []
    for n, data in enumerate(guests):
        name = line_field(data.name, "guests", 50)
        title = line_field(data.title, "guests", 100, required=False)
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
        title=line_field(title, "title", 200), topic=line_field(topic, "topic", 200, required=False),
        description=text_field(description, "description", 5000, required=False), department=department,
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
        subject = default_locale_text(_l("在线访谈“%(title)s”未答复的网民提问", title=interview.title))[:200]
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
