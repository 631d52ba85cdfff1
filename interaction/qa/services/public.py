"""The public board: 同问 and 有帮助 (one each per citizen), publishing consultations, the departments' FAQ.

One 同问 (or 有帮助) per citizen and question is the database's rule (a unique constraint): the
row is inserted in a savepoint, and a second one, sequential or concurrent, fails there and is
answered 409 ``already_me_too`` (``already_helpful``); the counter on the question goes up in SQL
(``me_too_count + 1``), so two citizens at once never lose a count.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from interaction.core import audit
from interaction.core.db import db
from interaction.core.errors import Conflict, Forbidden, InvalidTransition, NotFound
from interaction.core.time import now_utc
from interaction.qa.models import FaqEntry, Helpful, MeToo, Question, QuestionStatus
from interaction.qa.services.common import can_handle, can_handle_department, is_asker, lock, mask_for
from interaction.qa.services.indexing import sync_index


def _count_once(question: Question, model, counter, actor, code: str, message: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(model(question_id=question.id, user_id=actor.id, created_dt=now_utc()))
    except IntegrityError:
        raise Conflict(message, code=code) from None
    db.session.execute(update(Question).where(Question.id == question.id).values({counter: counter + 1}))
    db.session.refresh(question, [counter.key])


def me_too(question: Question, *, actor) -> Question:
    """同问: *actor* has the same question. Once per citizen (``Conflict`` 409 for a second).

    ``NotFound`` (404) for a question that is not public; ``Conflict`` (409, ``own_question``) for its asker.
    """
    if not question.is_public:
        raise NotFound()
    if is_asker(actor, question):
        raise Conflict(_("这是您自己的提问。"), code="own_question")
    _count_once(question, MeToo, Question.me_too_count, actor, "already_me_too", _("您已经同问过这个问题。"))
    return question


def mark_helpful(question: Question, *, actor) -> Question:
    """有帮助: the public answer helped *actor*. Once per citizen; 409 before the question is answered."""
    if not question.is_public:
        raise NotFound()
    if question.status != QuestionStatus.answered:
        raise InvalidTransition(_("问题尚未答复。"), code="not_answered")
    _count_once(question, Helpful, Question.helpful_count, actor, "already_helpful",
                _("您已经评价过这个答复有帮助。"))
    return question


# -- consultations: published by the department, masked, with the asker's consent -------------------------

def publish_consultation(question: Question, *, actor) -> Question:
    """The department publishes an answered consultation, masked (asker's name, phones, IDs, e-mails).

    ``Forbidden`` (403) for anyone but its department's staff and administrators;
    ``InvalidTransition`` (409): not a consultation, not answered, already published, or
    ``no_consent`` when the asker has not consented.
    """
    if not can_handle(actor, question):
        raise Forbidden()
    question = lock(question)
    if not question.is_consultation or question.status != QuestionStatus.answered or question.is_published:
        raise InvalidTransition()
    if not question.publication_consent:
        raise InvalidTransition(_("提问人未同意公开，不能公开这条咨询。"), code="no_consent")
    question.published_title = mask_for(question, question.title)[:200]
    question.published_body = mask_for(question, question.body)
    question.published_answer = mask_for(question, question.answer_body)
    question.is_published = question.is_public = True
    question.published_dt = now_utc()
    sync_index(question)
    audit.record("qa.publish", actor=actor, target=question)
    return question


def unpublish_consultation(question: Question, *, actor) -> Question:
    """The department takes a published consultation off the board and out of the index."""
    if not can_handle(actor, question):
        raise Forbidden()
    question = lock(question)
    if not question.is_published:
        raise InvalidTransition()
    question.is_published = question.is_public = False
    sync_index(question)
    audit.record("qa.unpublish", actor=actor, target=question)
    return question


# -- the FAQ (常见问题) ------------------------------------------------------------------------------------

def add_to_faq(question: Question, *, actor) -> FaqEntry:
    """Put a public answered question of the department in its FAQ, last.

    ``Forbidden`` (403) for other departments' staff; ``InvalidTransition`` (409) for a question
    not public or not answered; ``Conflict`` (409, ``already_in_faq``) when it is there already.
    """
    if not can_handle(actor, question):
        raise Forbidden()
    if not question.is_public or question.status != QuestionStatus.answered:
        raise InvalidTransition(_("只有已公开并已答复的问题可以加入常见问题。"))
    last = db.session.scalar(select(func.max(FaqEntry.position)).where(
        FaqEntry.department_id == question.department_id))
    entry = FaqEntry(department_id=question.department_id, question_id=question.id,
                     position=(last or 0) + 1, added_by_id=actor.id, created_dt=now_utc())
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise Conflict(_("该问题已在常见问题中。"), code="already_in_faq") from None
    audit.record("qa.faq_add", actor=actor, target=question, department_id=question.department_id)
    return entry


def remove_from_faq(entry: FaqEntry, *, actor) -> None:
    """Take an entry out of its department's FAQ."""
    if not can_handle_department(actor, entry.department_id):
        raise Forbidden()
    audit.record("qa.faq_remove", actor=actor, target_type="qa_questions", target_id=entry.question_id,
                 department_id=entry.department_id)
    db.session.delete(entry)
    db.session.flush()


def move_faq_entry(entry: FaqEntry, direction: str, *, actor) -> None:
    """Move an entry one place ``up`` or ``down`` in its department's FAQ (swapping with its neighbour)."""
    if not can_handle_department(actor, entry.department_id):
        raise Forbidden()
    stmt = select(FaqEntry).where(FaqEntry.department_id == entry.department_id)
    if direction == "up":
        stmt = stmt.where(FaqEntry.position < entry.position).order_by(FaqEntry.position.desc())
    elif direction == "down":
        stmt = stmt.where(FaqEntry.position > entry.position).order_by(FaqEntry.position)
    else:
        raise InvalidTransition()
    neighbour = db.session.scalars(stmt.limit(1)).first()
    if neighbour is None:
        return
    entry.position, neighbour.position = neighbour.position, entry.position
    db.session.flush()
    audit.record("qa.faq_move", actor=actor, target_type="qa_questions", target_id=entry.question_id,
                 direction=direction)
