"""Questions and answers as the API shows them, and the schemas the OpenAPI document says of them.

A reader who is no party to a question (neither its asker nor its department) sees only its public
texts: a published consultation in its masked version, without moderation details or consent.
"""

from interaction.core.apidoc import BOOLEAN, DATETIME, INTEGER, STRING, nullable, obj
from interaction.core.time import isoformat
from interaction.qa import queries
from interaction.qa.models import Answer, Question
from interaction.qa.services.common import question_url

SUMMARY_SCHEMA = obj({
    "id": INTEGER, "kind": STRING, "status": STRING, "department": STRING, "department_name": STRING,
    "topic": nullable(STRING), "title": STRING, "created_at": DATETIME, "answered": BOOLEAN,
    "answered_at": nullable(DATETIME), "me_too_count": INTEGER, "helpful_count": INTEGER, "url": STRING,
    "snippet": STRING, "answer": nullable(STRING)}, optional=("snippet", "answer"))
ANSWER_SCHEMA = obj({"id": INTEGER, "question": INTEGER, "state": STRING, "body": STRING, "is_edit": BOOLEAN,
                     "created_at": DATETIME, "department": STRING, "review_reason": nullable(STRING)})
HISTORY_SCHEMA = obj({"body": STRING, "at": DATETIME, "is_edit": BOOLEAN})
QUESTION_SCHEMA = obj({
    "id": INTEGER, "kind": STRING, "status": STRING, "department": STRING, "department_name": STRING,
    "topic": nullable(STRING), "title": STRING, "body": STRING, "created_at": DATETIME,
    "due_at": nullable(DATETIME), "due_provisional": BOOLEAN, "overdue": BOOLEAN, "workdays_waiting": nullable(INTEGER),
    "answer": nullable(obj({"body": STRING, "answered_at": nullable(DATETIME), "edited_at": nullable(DATETIME)})),
    "history": {"type": "array", "items": HISTORY_SCHEMA},
    "me_too_count": INTEGER, "helpful_count": INTEGER, "is_published": BOOLEAN, "url": STRING,
    "moderation_reason": nullable(STRING), "publication_consent": BOOLEAN, "reroute_count": INTEGER},
    optional=("history", "moderation_reason", "publication_consent", "reroute_count"))
CREATED_SCHEMA = obj({"id": INTEGER, "status": STRING, "kind": STRING, "department": STRING})
COUNTS_SCHEMA = obj({"id": INTEGER, "me_too_count": INTEGER, "helpful_count": INTEGER})
FAQ_SCHEMA = obj({"department": STRING, "items": {"type": "array", "items": SUMMARY_SCHEMA}})
SETTING_SCHEMA = obj({"department": STRING, "answers_need_review": BOOLEAN})


def serialize_summary(question: Question) -> dict:
    """A public question in a list (public texts only)."""
    return {"id": question.id, "kind": question.kind, "status": question.status,
            "department": question.department.code, "department_name": question.department.name,
            "topic": question.topic, "title": question.public_title, "created_at": isoformat(question.created_dt),
            "answered": question.is_answered, "answered_at": isoformat(question.answered_dt),
            "me_too_count": question.me_too_count, "helpful_count": question.helpful_count,
            "url": question_url(question.id)}


def serialize_question(question: Question, *, party: bool, history: bool = True) -> dict:
    """One question; *party* (its asker, its department): the original texts, moderation reason and consent."""
    title, body = (question.title, question.body) if party else (question.public_title, question.public_body)
    answer_body = question.answer_body if party else question.public_answer
    answer = None
    if answer_body is not None and question.answer_id is not None:
        answer = {"body": answer_body, "answered_at": isoformat(question.answered_dt),
                  "edited_at": isoformat(question.answer_edited_dt)}
    data = {
        "id": question.id, "kind": question.kind, "status": question.status,
        "department": question.department.code, "department_name": question.department.name,
        "topic": question.topic, "title": title, "body": body, "created_at": isoformat(question.created_dt),
        "due_at": isoformat(question.due_dt), "due_provisional": question.due_provisional,
        "overdue": bool(question.is_overdue),
        "workdays_waiting": question.workdays_waiting(), "answer": answer,
        "me_too_count": question.me_too_count, "helpful_count": question.helpful_count,
        "is_published": question.is_published, "url": question_url(question.id),
    }
    if history:
        # A published consultation's earlier versions are not masked: its public history is the current one only.
        versions = queries.answer_history(question.id) if (party or not question.is_consultation) else []
        data["history"] = [{"body": a.body, "at": isoformat(a.decided_dt or a.created_dt), "is_edit": a.is_edit}
                           for a in versions]
    if party:
        data.update(moderation_reason=question.moderation_reason, publication_consent=question.publication_consent,
                    reroute_count=question.reroute_count)
    return data


def serialize_answer(answer: Answer) -> dict:
    return {"id": answer.id, "question": answer.question_id, "state": answer.state, "body": answer.body,
            "is_edit": answer.is_edit, "created_at": isoformat(answer.created_dt),
            "department": answer.department.code, "review_reason": answer.review_reason}

