"""Asking: a citizen's question or consultation, its moderation, withdrawal and the asker's consent.

A new question is ``pending`` and goes to the shared queue (kind ``qa.question``), screened
automatically first (blocked words reject it at once, with a reason the asker sees). The
moderator's decision arrives through ``core.signals.moderation_decided``
(:func:`on_question_decided`): approved, the department's clock of ``ANSWER_WORKDAYS`` working
days starts and a public question enters the search index; rejected, the asker sees the reason.
"""

from __future__ import annotations

from flask_babel import gettext as _

from interaction.core import audit
from interaction.core.calendar import get_calendar
from interaction.core.db import db
from interaction.core.errors import Forbidden, InvalidTransition, ValidationFailed
from interaction.core.time import now_utc
from interaction.qa.models import (ANSWER_WORKDAYS, MAX_BODY, MAX_TITLE, Question, QuestionKind, QuestionStatus)
from interaction.qa.services.common import (QUESTION_KIND, active_department, clean, default_locale, find_question,
                                            is_asker, lock, notify_asker, notify_department,
                                            question_url)
from interaction.qa.services.indexing import sync_index

#: Topics a question may be filed under (the public board filters by them).
TOPICS = ("education", "social_security", "household", "transport", "housing", "health", "environment",
          "business", "other")


def ask_question(department, *, kind: str, title: str, body: str, topic: str | None = None,
                 publication_consent: bool = False, actor) -> Question:
    """Ask *department* a question (kind ``question``) or a consultation; it awaits moderation.

    ``ValidationFailed`` (422) for an inactive department, an unknown kind or topic, or an empty or
    too long title or body. *publication_consent* (consultations): the asker allows the department
    to publish it, masked, once answered.
    """
    department = active_department(department)
    title, body = clean(title), clean(body)
    errors = {}
    if kind not in {k.value for k in QuestionKind}:
        errors["kind"] = _("请选择公众问答或业务咨询。")
    if topic and topic not in TOPICS:
        errors["topic"] = _("请选择一个分类。")
    if not title:
        errors["title"] = _("请填写问题标题。")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("标题不能超过 %(n)d 个字。", n=MAX_TITLE)
    if not body:
        errors["body"] = _("请填写问题内容。")
    elif len(body) > MAX_BODY:
        errors["body"] = _("内容不能超过 %(n)d 个字。", n=MAX_BODY)
    if errors:
        raise ValidationFailed(errors)
    now = now_utc()
    consent = bool(publication_consent) and kind == QuestionKind.consultation
    question = Question(kind=kind, department_id=department.id, topic=topic or None, author_id=actor.id,
                        title=title, body=body, status=QuestionStatus.pending.value, is_public=False,
                        created_dt=now, publication_consent=consent, consent_dt=now if consent else None)
    db.session.add(question)
    db.session.flush()
    audit.record("qa.ask", actor=actor, target=question, kind=kind, department=department.code)
    from interaction.moderation.services import submit_for_moderation

    submit_for_moderation(QUESTION_KIND, question.id, text=f"{title}\n\n{body}", author=actor)
    return question


def describe_question(target_id: str) -> dict | None:
    """What the moderation queue shows of a question: title, text, kind and department."""
    question = find_question(target_id)
    if question is None:
        return None
    with default_locale():
        kind = _("业务咨询（不公开）") if question.is_consultation else _("公众问答")
    # A consultation has no page a moderator may open (it is its asker's and its department's): no link.
    url = None if question.is_consultation else question_url(question.id)
    return {"title": question.title, "text": question.body, "url": url,
            "kind": kind, "department": question.department.name, "state": question.status}


def on_question_decided(sender, case=None, actor=None, **_kwargs) -> None:
    """The moderation decision on a question: approved → open (clock starts), rejected → the asker sees why.

    A question no longer pending (withdrawn meanwhile) is left as it is.
    """
    if case is None:
        return
    question = find_question(case.target_id)
    if question is None:
        return
    question = lock(question)
    if question.status != QuestionStatus.pending:
        return
    now = now_utc()
    if case.state == "approved":
        question.approve(now, get_calendar().due_at(now, ANSWER_WORKDAYS))
        sync_index(question)
        with default_locale():
            notify_department(question.department_id, _("新的提问待答复（%(id)d）", id=question.id),
                              _("“%(title)s”请在 %(n)d 个工作日内答复。", title=question.title, n=ANSWER_WORKDAYS),
                              question)
    elif case.state == "rejected":
        question.reject(case.reason, now)
        sync_index(question)
        with default_locale():
            notify_asker(question, _("您的提问未通过审核"),
                         _("“%(title)s”未通过审核。原因：%(reason)s", title=question.title,
                           reason=case.reason or _("未说明")))
    db.session.flush()


def withdraw_question(question: Question, *, actor) -> Question:
    """The asker takes a pending or unanswered question back: it leaves the board and the index.

    ``Forbidden`` (403) for anyone else; ``InvalidTransition`` (409) once answered or decided otherwise.
    """
    if not is_asker(actor, question):
        raise Forbidden()
    question = lock(question)
    question.withdraw()
    sync_index(question)
    audit.record("qa.withdraw", actor=actor, target=question)
    return question


def set_publication_consent(question: Question, consent: bool, *, actor) -> Question:
    """The asker of a consultation gives (or takes back) consent to its publication, masked.

    Taking it back unpublishes a published consultation at once. ``Forbidden`` (403) for anyone
    but the asker; ``InvalidTransition`` (409) for a public question (there is nothing to consent to).
    """
    if not is_asker(actor, question):
        raise Forbidden()
    if not question.is_consultation:
        raise InvalidTransition(code="not_a_consultation")
    question = lock(question)
    question.publication_consent = bool(consent)
    question.consent_dt = now_utc() if consent else None
    if not consent and question.is_published:
        question.is_published = question.is_public = False
        sync_index(question)
    audit.record("qa.consent", actor=actor, target=question, consent=bool(consent))
    return question
