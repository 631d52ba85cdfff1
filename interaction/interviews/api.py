"""Live interviews API (routes relative to ``/api/v1``; contract: API.md "Live interviews").

Every live action of the Socket.IO namespace has an equivalent endpoint here, for clients
that do not keep a socket open (the hotline system, the mini-program); the effects and the
broadcasts are the same because both call the same services.
"""

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defaultload, lazyload

from interaction.accounts.models import Department, User
from interaction.accounts.permissions import Permission, permission_required
from interaction.core.api import (idempotent, json_body, optional_id, optional_int, optional_json_body, optional_str,
                                  page_args, paginated, query_int, require_str)
from interaction.core.apidoc import (BOOLEAN, DATETIME, INTEGER, NO_BODY, STRING, documented, form_schema, nullable,
                                     obj, page_of, query_choice)
from interaction.core.db import MAX_ID, db
from interaction.core.errors import NotFound, ValidationFailed
from interaction.core.time import isoformat
from interaction.interviews import live, queries, services
from interaction.interviews.forms import (AnswerForm, AskForm, ApproveForm, CorrectionForm, InterviewForm, RejectForm,
                                         parse_local_datetime)
from interaction.interviews.models import Interview, InterviewStatus, LiveQuestion, QuestionState, TranscriptEntry

bp = Blueprint("interviews", __name__)

PUBLIC_STATES = (QuestionState.approved.value, QuestionState.answered.value, QuestionState.handed_over.value)

# -- what the OpenAPI document says (interaction.api.openapi) --------------------------------------------------
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
INTERVIEW_SCHEMA = obj({
    "id": INTEGER, "title": STRING, "topic": STRING, "description": STRING, "status": STRING, "department": STRING,
    "department_name": STRING, "scheduled_at": DATETIME, "expected_minutes": INTEGER,
    "started_at": nullable(DATETIME), "ended_at": nullable(DATETIME), "last_seq": INTEGER,
    "current_question": nullable(INTEGER),
    "guests": {"type": "array", "items": obj({"id": INTEGER, "name": STRING, "title": STRING, "role": STRING,
                                              "linked": BOOLEAN})},
    "url": STRING, "transcript_url": nullable(STRING)})
ENTRY_SCHEMA = obj({"interview": INTEGER, "seq": INTEGER, "kind": STRING, "body": STRING, "at": DATETIME,
                    "author": nullable(STRING), "question": nullable(INTEGER), "upvotes": INTEGER, "state": STRING},
                   optional=("upvotes", "state"))
QUESTION_SCHEMA = obj({
    "id": INTEGER, "interview": INTEGER, "body": STRING, "original_body": nullable(STRING), "state": STRING,
    "reason": nullable(STRING), "asker": STRING, "upvotes": INTEGER, "pre_question": BOOLEAN,
    "created_at": DATETIME, "handed_to": nullable({"type": "array"}), "handover_due_at": nullable(DATETIME)},
    optional=("original_body", "reason", "pre_question", "created_at", "handed_to", "handover_due_at"))
#: ``POST /interviews``: InterviewForm's fields, with guests as a list of objects (the page has one per line).
INTERVIEW_REQUEST = form_schema(
    InterviewForm, scheduled_at=DATETIME, expected_minutes={"type": "integer", "minimum": 10, "maximum": 600},
    guests={"type": "array", "minItems": 1, "maxItems": 20, "items": {
        "type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "maxLength": 50, "pattern": r"\S"},
            "title": {"type": "string", "maxLength": 100},
            "user": nullable({"type": "string", "format": "email"}),
            "role": {"type": "string", "enum": ["guest", "host"]}}}})
INTERVIEW_REQUEST["required"] = ["title", "department", "scheduled_at", "guests"]
PAGE_QUERY = {"page": {"type": "integer"}, "per_page": {"type": "integer"}}


def serialize_interview(interview: Interview) -> dict:
    return {
        "id": interview.id,
        "title": interview.title,
        "topic": interview.topic,
        "description": interview.description,
        "status": interview.status,
        "department": interview.department.code,
        "department_name": interview.department.name,
        "scheduled_at": isoformat(interview.scheduled_dt),
        "expected_minutes": interview.expected_minutes,
        "started_at": isoformat(interview.started_dt),
        "ended_at": isoformat(interview.ended_dt),
        "last_seq": interview.next_seq - 1,
        "current_question": interview.current_question_id,
        "guests": [{"id": g.id, "name": g.name, "title": g.title, "role": g.role, "linked": g.user_id is not None}
                   for g in interview.guests],
        "url": url_for("interviews.room", interview_id=interview.id, _external=False),
        "transcript_url": url_for("interviews.transcript", interview_id=interview.id)
        if interview.status == InterviewStatus.ended else None,
    }


def _interview(interview_id: int) -> Interview:
    interview = db.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound()
    return interview


# Built once. A question's interview (often in the session already) and its asker's department load
# when used: not joined into every read.
_QUESTION_BY_ID = (select(LiveQuestion).where(LiveQuestion.id == bindparam("id"))
                   .options(lazyload(LiveQuestion.interview),
                            defaultload(LiveQuestion.asker).lazyload(User.department)))


def _question(question_id: int) -> LiveQuestion:
    question = db.session.scalar(_QUESTION_BY_ID, {"id": question_id})
    if question is None:
        raise NotFound()
    return question


def _commit_then(body: dict, status: int = 200):
    """Commit, then answer with *body*, built before the commit (after it every attribute would be re-read)."""
    db.session.commit()
    return jsonify(body), status


def _user():
    return current_user if current_user.is_authenticated else None


@bp.get("/interviews")
@documented(response=page_of(INTERVIEW_SCHEMA), query={
    "status": query_choice(s.value for s in InterviewStatus), **PAGE_QUERY})
def list_interviews():
    """Interviews, live first, then upcoming, then ended (``?status=`` filters)."""
    status = request.args.get("status") or None
    if status and status not in {s.value for s in InterviewStatus}:
        raise ValidationFailed({"status": _("状态只能是 scheduled、live 或 ended。")})
    return paginated(queries.query_interviews(status), serialize_interview)


def _guest_data(raw) -> list[services.GuestData]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed({"guests": _("请至少填写一位嘉宾。")})
    guests = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not isinstance(item.get("title", ""), str) or not isinstance(item.get("user", ""), str | None) \
                or item.get("role", "guest") not in ("guest", "host"):
            raise ValidationFailed({"guests": _("嘉宾应为 {name, title, user?, role?} 的列表。")})
        guests.append(services.GuestData(name=item["name"], title=item.get("title", ""),
                                         role=item.get("role", "guest"), user_email=item.get("user") or None))
    return guests


@bp.post("/interviews")
@documented(request=INTERVIEW_REQUEST, response=INTERVIEW_SCHEMA, status=201, errors=(401, 403, 409))
@permission_required(Permission.RUN_INTERVIEWS)
@idempotent
def create_interview():
    """Schedule an interview (moderators, admins): ``{"title", "scheduled_at", "department", "guests"}`` → 201."""
    payload = json_body()
    fields = {}
    scheduled_raw = require_str(payload, "scheduled_at")
    scheduled = parse_local_datetime(scheduled_raw)
    if scheduled is None:
        fields["scheduled_at"] = _("时间应为 ISO 8601 格式。")
    code = require_str(payload, "department")
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        fields["department"] = _("找不到该部门。")
    minutes = optional_int(payload, "expected_minutes")
    if fields:
        raise ValidationFailed(fields)
    interview = services.create_interview(
        title=require_str(payload, "title"), topic=optional_str(payload, "topic") or "",
        description=optional_str(payload, "description") or "", department=department, scheduled_dt=scheduled,
        expected_minutes=60 if minutes is None else minutes, guests=_guest_data(payload.get("guests")),
        actor=current_user)
    db.session.commit()
    return jsonify(serialize_interview(interview)), 201


@bp.get("/interviews/<int:interview_id>")
@documented(response=INTERVIEW_SCHEMA)
def get_interview(interview_id: int):
    """One interview with its guests."""
    return jsonify(serialize_interview(_interview(interview_id)))


@bp.post("/interviews/<int:interview_id>/start")
@documented(request=NO_BODY, body_optional=True, response=INTERVIEW_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.RUN_INTERVIEWS)
def start_interview(interview_id: int):
    """Go live (scheduled → live); 409 in any other state."""
    interview = services.start_interview(_interview(interview_id), actor=current_user)
    db.session.commit()
    return jsonify(serialize_interview(interview))


@bp.post("/interviews/<int:interview_id>/end")
@documented(request=NO_BODY, body_optional=True, response=INTERVIEW_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.RUN_INTERVIEWS)
def end_interview(interview_id: int):
    """End it (live → ended): publishes the transcript, hands unanswered questions to the department."""
    interview = services.end_interview(_interview(interview_id), actor=current_user)
    db.session.commit()
    return jsonify(serialize_interview(interview))


@bp.get("/interviews/<int:interview_id>/transcript")
@documented(response=obj({"interview": INTEGER, "status": STRING, "items": {"type": "array", "items": ENTRY_SCHEMA},
                          "page": INTEGER, "per_page": INTEGER, "total": INTEGER}),
            query={"since": INTEGER, **PAGE_QUERY})
def get_transcript(interview_id: int):
    """Entries in seq order; ``?since=N`` gives those after N (what a reconnecting client missed)."""
    interview = _interview(interview_id)
    try:
        since = max(0, query_int("since", 0))
        per_page = min(100, max(1, query_int("per_page", 100)))  # a whole transcript page by default
    except ValueError:
        raise ValidationFailed({"since": _("since 和 per_page 应为整数。")}) from None
    page, _default_per_page = page_args()
    stmt = queries.query_transcript(interview.id, since)
    total = db.session.scalar(select(func.count(TranscriptEntry.id)).where(
        TranscriptEntry.interview_id == interview.id, TranscriptEntry.seq > since))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify(interview=interview.id, status=interview.status, items=[live.entry_payload(e) for e in rows],
                   page=page, per_page=per_page, total=total)


@bp.patch("/interviews/<int:interview_id>/transcript/<int:seq>")
@documented(request=CorrectionForm, response={**ENTRY_SCHEMA, "properties": {
    **ENTRY_SCHEMA["properties"], "revisions": {"type": "array", "items": obj({
        "body_before": STRING, "body_after": STRING, "reason": nullable(STRING), "at": DATETIME})}}},
    errors=(401, 403, 409))
@permission_required(Permission.RUN_INTERVIEWS)
def correct_entry(interview_id: int, seq: int):
    """Correct a transcript entry ``{"body", "reason"}``; the text before is kept as a revision."""
    payload = json_body()
    entry = db.session.scalar(select(TranscriptEntry).where(TranscriptEntry.interview_id == interview_id,
                                                            TranscriptEntry.seq == seq))
    if entry is None:
        raise NotFound()
    services.correct_entry(entry, require_str(payload, "body"), reason=optional_str(payload, "reason"),
                           actor=current_user)
    db.session.commit()
    return jsonify({**live.entry_payload(entry), "revisions": [
        {"body_before": r.body_before, "body_after": r.body_after, "reason": r.reason, "at": isoformat(r.at_dt)}
        for r in entry.revisions]})


@bp.get("/interviews/<int:interview_id>/questions")
@documented(response=page_of(QUESTION_SCHEMA), query={"state": STRING, **PAGE_QUERY})
def list_questions(interview_id: int):
    """Moderators: every question (``?state=`` filters). Everyone else: only approved ones."""
    interview = _interview(interview_id)
    state = request.args.get("state") or None
    stmt = queries.query_questions(interview.id, state)
    if not services.can_moderate(_user()):
        stmt = stmt.where(LiveQuestion.state.in_(PUBLIC_STATES))
        return paginated(stmt, _public_question)
    return paginated(stmt, live.question_payload)


def _public_question(question: LiveQuestion) -> dict:
    return {"id": question.id, "interview": question.interview_id, "body": question.body, "state": question.state,
            "upvotes": question.upvotes, "asker": live.asker_label(question)}


@bp.post("/interviews/<int:interview_id>/questions")
@documented(request=AskForm, response=obj({"id": INTEGER, "state": STRING, "reason": nullable(STRING)},
                                          optional=("reason",)),
            status=201, errors=(401, 403, 409, 429))
@idempotent
def ask_question(interview_id: int):
    """A citizen's question: ``{"body"}`` → 201 ``{"id", "state"}`` (``"rejected"`` + ``reason`` if screened out)."""
    payload = json_body()
    question = services.ask_question(_interview(interview_id), require_str(payload, "body"),
                                     actor=_user())
    db.session.commit()
    body = {"id": question.id, "state": question.state}
    if question.state == QuestionState.rejected:
        body["reason"] = question.reject_reason
    return jsonify(body), 201


@bp.post("/interviews/questions/<int:question_id>/approve")
@documented(request=ApproveForm, body_optional=True, response=QUESTION_SCHEMA, errors=(401, 403, 409))
def approve_question(question_id: int):
    """Approve a pending question (moderators), ``{"body"?}`` correcting typos; it becomes public."""
    payload = optional_json_body()
    question = services.approve_question(_question(question_id), actor=_user(), body=optional_str(payload, "body"))
    return _commit_then(live.question_payload(question))


@bp.post("/interviews/questions/<int:question_id>/reject")
@documented(request=RejectForm, body_optional=True, response=QUESTION_SCHEMA, errors=(401, 403, 409))
def reject_question(question_id: int):
    """Reject a pending question (moderators) with ``{"reason"?}`` that the asker sees."""
    payload = optional_json_body()
    question = services.reject_question(_question(question_id), actor=_user(), reason=optional_str(payload, "reason"))
    return _commit_then(live.question_payload(question))


@bp.post("/interviews/questions/<int:question_id>/pick")
@documented(request=NO_BODY, body_optional=True, response=INTERVIEW_SCHEMA, errors=(401, 403, 409))
def pick_question(question_id: int):
    """Pick an approved question for the guests to answer next (moderators)."""
    interview = services.pick_question(_question(question_id), actor=_user())
    db.session.commit()
    return jsonify(serialize_interview(interview))


@bp.post("/interviews/questions/<int:question_id>/vote")
@documented(request=NO_BODY, body_optional=True, response=obj({"id": INTEGER, "upvotes": INTEGER}),
            errors=(401, 403, 409, 429))
def vote_question(question_id: int):
    """Upvote (同问) an approved question still waiting; once per person."""
    question = services.vote_question(_question(question_id), actor=_user())
    return _commit_then({"id": question.id, "upvotes": question.upvotes})


@bp.post("/interviews/<int:interview_id>/answers")
@documented(request=form_schema(AnswerForm, question=_ID, guest=_ID), response=ENTRY_SCHEMA, status=201,
            errors=(401, 403, 409))
def answer(interview_id: int):
    """``{"question"?: id, "body", "guest"?: id}`` (guests, hosts) → 201 the new transcript entry."""
    payload = json_body()
    interview = services.lock_interview(interview_id)  # answering takes this lock anyway: one read for both
    question_id = optional_id(payload, "question")
    question = _question(question_id) if question_id is not None else None
    entry = services.answer(interview, require_str(payload, "body"), actor=_user(), question=question,
                            guest_id=optional_id(payload, "guest"))
    return _commit_then(live.entry_payload(entry), 201)


@bp.post("/interviews/<int:interview_id>/remarks")
@documented(request=form_schema(AnswerForm, question=None, guest=None), response=ENTRY_SCHEMA, status=201,
            errors=(401, 403, 409))
def remark(interview_id: int):
    """``{"body"}`` (hosts) → 201 a transcript entry of kind ``host``."""
    payload = json_body()
    entry = services.post_remark(_interview(interview_id), require_str(payload, "body"), actor=_user())
    return _commit_then(live.entry_payload(entry), 201)
