"""Reads of Q&A as ``select()`` builders: the public board, "my questions", the staff queue, the FAQ.

Oversight (``interaction.oversight``) reads the overdue questions here (:func:`overdue_board`),
beside the mailbox's letters.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, case, func, literal, select

from interaction.accounts.models import Department
from interaction.core import search
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.qa.models import (Answer, AnswerState, DepartmentQaSetting, FaqEntry, Helpful, MeToo, Question,
                                   QuestionStatus, waiting_clause)

#: The public board's orders: newest, most asked (同问), most helpful.
ORDERS = ("newest", "most_asked", "most_helpful")
#: The public board's state filter: answered, or awaiting the answer.
STATES = ("answered", "waiting")
#: Overdue questions shown on the supervision board (the rest: the staff queues).
BOARD_ROWS = 10


def public_questions(*, department_id: int | None = None, topic: str | None = None, state: str | None = None,
                     order: str = "newest") -> Select:
    """Public questions (approved public ones, published consultations), filtered and ordered."""
    stmt = select(Question).where(Question.is_public.is_(True))
    if department_id is not None:
        stmt = stmt.where(Question.department_id == department_id)
    if topic:
        stmt = stmt.where(Question.topic == topic)
    if state == "answered":
        stmt = stmt.where(Question.status == QuestionStatus.answered.value)
    elif state == "waiting":
        stmt = stmt.where(Question.status.in_([QuestionStatus.open.value, QuestionStatus.reviewing.value]))
    if order == "most_asked":
        stmt = stmt.order_by(Question.me_too_count.desc(), Question.id.desc())
    elif order == "most_helpful":
        stmt = stmt.order_by(Question.helpful_count.desc(), Question.id.desc())
    else:
        stmt = stmt.order_by(Question.created_dt.desc(), Question.id.desc())
    return stmt


def public_by_ids(ids: list[int]) -> dict[int, Question]:
    """The public questions among *ids* (search and similar hits), by id."""
    if not ids:
        return {}
    rows = db.session.scalars(select(Question).where(Question.id.in_(ids), Question.is_public.is_(True)))
    return {q.id: q for q in rows}


def search_public(q: str, *, department_id: int | None = None, topic: str | None = None, state: str | None = None,
                  page: int = 1, per_page: int = 20):
    """The public questions ``core.search`` finds for *q* (questions only, in the department), in its ranking.

    Returns ``(results, [(hit, question), ...])``: the search's page (its total counts every match) and
    its hits whose question is still public, narrowed to *topic* and *state* (filters the index does not
    hold, applied to the page).
    """
    results = search.search(q, types=("question",), department_id=department_id, page=page, per_page=per_page)
    found = public_by_ids([int(h.key) for h in results.items if h.key.isdigit()])
    pairs = []
    for hit in results.items:
        question = found.get(int(hit.key)) if hit.key.isdigit() else None
        if question is None or (topic and question.topic != topic):
            continue
        if state and question.is_answered != (state == "answered"):
            continue
        pairs.append((hit, question))
    return results, pairs


def similar_public(text: str, *, limit: int = 5, answered_only: bool = False) -> list[Question]:
    """Up to *limit* public questions most like *text* (``core.search.similar``), answered ones only if asked."""
    hits = search.similar(text, types=("question",), limit=limit * 2 if answered_only else limit)
    found = public_by_ids([int(h.key) for h in hits if h.key.isdigit()])
    questions = [found[int(h.key)] for h in hits if h.key.isdigit() and int(h.key) in found]
    if answered_only:
        questions = [q for q in questions if q.is_answered]
    return questions[:limit]


def author_questions(user_id: int) -> Select:
    """A citizen's questions and consultations, newest first ("my questions")."""
    return select(Question).where(Question.author_id == user_id).order_by(Question.created_dt.desc(),
                                                                          Question.id.desc())


def staff_queue(department_id: int | None) -> Select:
    """Questions awaiting the department's answer (or its review), oldest clock first; None: every department."""
    stmt = select(Question).where(Question.status.in_([QuestionStatus.open.value, QuestionStatus.reviewing.value]))
    if department_id is not None:
        stmt = stmt.where(Question.department_id == department_id)
    return stmt.order_by(Question.clock_start_dt, Question.id)


def answered_for_faq(department_id: int) -> Select:
    """The department's public answered questions not yet in its FAQ, most asked first."""
    in_faq = select(FaqEntry.question_id).where(FaqEntry.department_id == department_id)
    return (select(Question).where(Question.department_id == department_id, Question.is_public.is_(True),
                                   Question.status == QuestionStatus.answered.value, Question.id.not_in(in_faq))
            .order_by(Question.me_too_count.desc(), Question.id.desc()))


def faq_entries(department_id: int) -> list[FaqEntry]:
    """The department's FAQ in its order (only questions still public)."""
    return list(db.session.scalars(
        select(FaqEntry).join(Question, FaqEntry.question_id == Question.id)
        .where(FaqEntry.department_id == department_id, Question.is_public.is_(True))
        .order_by(FaqEntry.position, FaqEntry.id)))


def answer_history(question_id: int) -> list[Answer]:
    """Every approved version of the answer, first to current (the public 修改记录)."""
    return list(db.session.scalars(select(Answer).where(
        Answer.question_id == question_id, Answer.state == AnswerState.approved.value).order_by(Answer.id)))


def answer_versions(question_id: int) -> list[Answer]:
    """Every version, reviewed or not (the department's view), newest first."""
    return list(db.session.scalars(select(Answer).where(Answer.question_id == question_id)
                                   .order_by(Answer.id.desc())))


def has_me_too(question_id: int, user_id: int) -> bool:
    return db.session.scalar(select(MeToo.id).where(MeToo.question_id == question_id,
                                                    MeToo.user_id == user_id)) is not None


def has_helpful(question_id: int, user_id: int) -> bool:
    return db.session.scalar(select(Helpful.id).where(Helpful.question_id == question_id,
                                                      Helpful.user_id == user_id)) is not None


def active_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.is_active.is_(True))
                                   .order_by(Department.sort_order, Department.id)))


def review_settings() -> dict[int, bool]:
    """Departments whose answers need review, by id (others: not listed or False)."""
    return dict(db.session.execute(select(DepartmentQaSetting.department_id,
                                          DepartmentQaSetting.answers_need_review)).all())


# -- oversight ----------------------------------------------------------------------------------------------

def overdue_questions(now: datetime | None = None) -> Select:
    """Questions still awaiting their answer past the due date, most overdue first (with the department's name)."""
    now = now or now_utc()
    return (select(Question.id, Question.title, Question.kind, Question.clock_start_dt, Question.due_dt,
                   Department.name.label("department_name"))
            .join(Department, Question.department_id == Department.id)
            .where(waiting_clause(), Question.due_dt < now).order_by(Question.due_dt, Question.id))


def overdue_board(limit: int = BOARD_ROWS, now: datetime | None = None) -> dict:
    """The board's Q&A section: ``{"questions": rows (the *limit* most overdue), "total": n}``."""
    stmt = overdue_questions(now)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return {"questions": db.session.execute(stmt.limit(limit)).all(), "total": total}


def questions_answered(department_id: int | None = None) -> int:
    """How many questions have a public answer (the oversight figures' ``questions_answered``)."""
    stmt = select(func.count(Question.id)).where(Question.status == QuestionStatus.answered.value)
    if department_id is not None:
        stmt = stmt.where(Question.department_id == department_id)
    return db.session.scalar(stmt) or 0


# -- oversight's performance figures and self-check ------------------------------------------------------------

#: The columns of :func:`question_facts`' rows, in order.
QUESTION_FACT_COLUMNS = ("department_id", "created_dt", "status", "due_dt", "clock_start_dt", "first_answered_dt",
                         "answered_on_time")


def unsettled_clause():
    """``status IN ('pending', 'open', 'reviewing')``: awaiting moderation, the answer or its review."""
    return Question.status.in_(["pending", "open", "reviewing"])


def question_facts(start: datetime, end: datetime, *, unsettled: bool) -> list[tuple]:
    """Per question asked in ``[start, end)``: the :data:`QUESTION_FACT_COLUMNS` oversight's figures are made of.

    ``unsettled=True``: questions awaiting moderation, the answer or its review (few); False: the answered
    ones (both on ``ix_qa_questions_status_created``) (the only settled ones that count:
    rejected and withdrawn questions are no question to answer). Oversight summarizes the second, reads the first live.
    """
    columns = [getattr(Question, name) for name in QUESTION_FACT_COLUMNS]
    stmt = select(*columns).where(Question.created_dt >= start, Question.created_dt < end)
    stmt = stmt.where(unsettled_clause() if unsettled else Question.status == QuestionStatus.answered.value)
    return [tuple(row) for row in db.session.execute(stmt)]


def questions_answered_since(moment: datetime) -> list[datetime]:
    """When the questions answered (their answer made public) at or after *moment* were asked.

    A question's figures change only while it is unsettled and once when it becomes answered
    (``answered_dt``, ``ix_qa_questions_answered``): oversight recomputes those days of its summary.
    """
    return list(db.session.scalars(select(Question.created_dt).where(Question.answered_dt >= moment).distinct()))


def first_question_asked() -> datetime | None:
    """When the oldest question was asked (where oversight's summary starts)."""
    return db.session.scalar(select(func.min(Question.created_dt)))


def long_unanswered_questions(before: datetime, limit: int = 200) -> list[tuple]:
    """Approved questions still awaiting their answer, their clock started before *before*, oldest first.

    The self-check's single-item veto (*before*: three months ago); rows ``(id, title, department_id,
    clock_start_dt)``.
    """
    stmt = (select(Question.id, Question.title, Question.department_id, Question.clock_start_dt)
            .where(waiting_clause(), Question.clock_start_dt < before)
            .order_by(Question.clock_start_dt, Question.id).limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]


def latest_answer_published() -> datetime | None:
    """When the newest public answer was given (the self-check's "no reply published in two months")."""
    return db.session.scalar(select(func.max(Question.answered_dt)).where(Question.is_public.is_(True)))


def _bucket(column, cuts: list[datetime]):
    if not cuts:
        return literal(0)
    return case(*[(column < cut, n) for n, cut in enumerate(cuts)], else_=len(cuts))


def unsettled_question_counts(start: datetime, end: datetime, now: datetime, cuts: list[datetime]) -> list[tuple]:
    """Questions asked in ``[start, end)`` awaiting their answer or its review, counted in SQL per (bucket, department).

    Rows ``(bucket, department_id, questions, overdue)``: the bucket is the index of the first of *cuts* the
    question was asked before; ``overdue``: still awaiting the answer past the due date at *now*. Questions
    awaiting moderation are not counted (no question to the department yet). On ``ix_qa_questions_status_created``.
    """
    bucket = _bucket(Question.created_dt, cuts)
    overdue = func.coalesce(func.sum(case((and_(waiting_clause(), Question.due_dt < now), 1), else_=0)), 0)
    stmt = (select(bucket, Question.department_id, func.count(), overdue)
            .where(Question.status.in_(["open", "reviewing"]), Question.created_dt >= start,
                   Question.created_dt < end)
            .group_by(bucket, Question.department_id))
    return [tuple(row) for row in db.session.execute(stmt)]


def overdue_question_ages(now: datetime, cuts: list[datetime]) -> list[tuple]:
    """Questions awaiting their answer past the due date, per (department, bucket of the due date among *cuts*)."""
    bucket = _bucket(Question.due_dt, cuts)
    stmt = (select(Question.department_id, bucket, func.count()).where(waiting_clause(), Question.due_dt < now)
            .group_by(Question.department_id, bucket))
    return [tuple(row) for row in db.session.execute(stmt)]
