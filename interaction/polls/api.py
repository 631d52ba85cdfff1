"""Polls API (routes relative to ``/api/v1``; contract: API.md "Polls and surveys").

The same services and forms as the pages. Ballot errors name what is wrong: ``answers``,
``answers[i]`` or ``q<question id>`` (see ``services.voting.check_answers``).
"""

from functools import wraps

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.accounts.permissions import Permission, permission_required
from interaction.core.api import idempotent, json_body, optional_str, paginated, validate
from interaction.core.apidoc import (BOOLEAN, DATETIME, INTEGER, NO_BODY, STRING, documented, form_schema, nullable,
                                     obj, page_of, query_choice)
from interaction.core.db import MAX_ID, db, read_without_transaction
from interaction.core.errors import Forbidden, NotFound, ValidationFailed
from interaction.core.time import isoformat
from interaction.polls import queries, services
from interaction.polls.forms import PollForm, ReportForm, WithdrawForm, parse_local_datetime
from interaction.polls.models import Poll

bp = Blueprint("polls", __name__)


class ResultsSealed(Forbidden):
    """Results the caller may not see now (sealed until closing, or for staff only): 403 with the reason."""

    code = "results_sealed"

_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
OPTION_SCHEMA = obj({"id": INTEGER, "label": STRING})
QUESTION_SCHEMA = obj({"id": INTEGER, "kind": STRING, "prompt": STRING, "required": BOOLEAN,
                       "options": {"type": "array", "items": OPTION_SCHEMA},
                       "min_choices": nullable(INTEGER), "max_choices": nullable(INTEGER)})
POLL_SCHEMA = obj({
    "id": INTEGER, "title": STRING, "description": STRING, "department": STRING, "department_name": STRING,
    "opens_at": DATETIME, "closes_at": DATETIME, "status": STRING, "results_visibility": STRING,
    "questions": {"type": "array", "items": QUESTION_SCHEMA}, "withdraw_reason": nullable(STRING),
    "report": nullable(obj({"summary": STRING, "adoption": STRING, "published_at": DATETIME})), "url": STRING})
QUESTION_REQUEST = {"type": "object", "required": ["kind", "prompt"], "properties": {
    "kind": {"type": "string", "enum": ["single", "multiple", "rating", "text"]},
    "prompt": {"type": "string", "maxLength": 500},
    "options": {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 200}},
    "min_choices": nullable(_ID), "max_choices": nullable(_ID), "required": nullable(BOOLEAN)}}
POLL_REQUEST = form_schema(PollForm, opens_at=DATETIME, closes_at=DATETIME,
                           questions={"type": "array", "maxItems": 50, "items": QUESTION_REQUEST},
                           department=nullable(STRING))
BALLOT_REQUEST = obj({"answers": {"type": "array", "items": {"type": "object", "required": ["question"], "properties": {
    "question": _ID, "options": {"type": "array", "items": _ID}, "value": {"type": "integer", "minimum": 1,
                                                                           "maximum": 5},
    "text": {"type": "string", "maxLength": 2000}}}}})
RESULTS_SCHEMA = obj({"poll": INTEGER, "ballots": INTEGER, "questions": {"type": "array", "items": obj(
    {"id": INTEGER, "kind": STRING, "prompt": STRING, "respondents": INTEGER,
     "options": {"type": "array", "items": obj({"id": INTEGER, "label": STRING, "votes": INTEGER,
                                                 "percent": {"type": "number"}})}})}})
MINE_SCHEMA = obj({"poll": INTEGER, "voted": BOOLEAN, "answers": {"type": "array", "items": {"type": "object"}}})


def serialize_poll(poll: Poll) -> dict:
    return {
        "id": poll.id, "title": poll.title, "description": poll.description,
        "department": poll.department.code, "department_name": poll.department.name,
        "opens_at": isoformat(poll.opens_dt), "closes_at": isoformat(poll.closes_dt),
        "status": poll.status.value, "results_visibility": poll.results_visibility,
        "questions": [{"id": q.id, "kind": q.kind, "prompt": q.prompt, "required": q.is_required,
                       "options": [{"id": o.id, "label": o.label} for o in q.options],
                       "min_choices": q.min_choices, "max_choices": q.max_choices} for q in poll.questions],
        "withdraw_reason": poll.withdraw_reason,
        "report": {"summary": poll.report_summary, "adoption": poll.report_adoption,
                   "published_at": isoformat(poll.report_published_dt)} if poll.has_report else None,
        "url": url_for("polls.show", poll_id=poll.id),
    }


def _user():
    return current_user if current_user.is_authenticated else None


def _poll(poll_id: int) -> Poll:
    """The poll; 404 if there is none, or if it is a draft the caller may not manage."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or not queries.is_visible(poll, _user()):
        raise NotFound()
    return poll


def _question_data(raw, i: int) -> services.QuestionData:
    prefix = f"questions[{i}]."
    if not isinstance(raw, dict):
        raise ValidationFailed({f"questions[{i}]": _("每道题应为一个对象。")})
    fields = {}
    for name in ("kind", "prompt"):
        if not isinstance(raw.get(name), str):
            fields[prefix + name] = _("应为字符串。")
    options = raw.get("options", [])
    if options is None:
        options = []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        fields[prefix + "options"] = _("应为字符串的列表。")
    for name in ("min_choices", "max_choices"):
        value = raw.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 50):
            fields[prefix + name] = _("应为 1 到 50 的整数。")
    if raw.get("required") is not None and not isinstance(raw["required"], bool):
        fields[prefix + "required"] = _("应为 true 或 false。")
    if fields:
        raise ValidationFailed(fields)
    return services.QuestionData(kind=raw["kind"], prompt=raw["prompt"], options=options,
                                 min_choices=raw.get("min_choices"), max_choices=raw.get("max_choices"),
                                 required=raw.get("required"))


@bp.get("/polls")
@documented(response=page_of(POLL_SCHEMA), query={
    "status": query_choice(["scheduled", "open", "closed"]), "page": INTEGER, "per_page": INTEGER})
def list_polls():
    """Published polls, open first (``?status=`` filters)."""
    status = request.args.get("status") or None
    if status and status not in ("scheduled", "open", "closed"):
        raise ValidationFailed({"status": _("状态只能是 scheduled、open 或 closed。")})
    return paginated(queries.query_public_polls(status), serialize_poll)


@bp.post("/polls")
@documented(request=POLL_REQUEST, response=POLL_SCHEMA, status=201, errors=(401, 403))
@permission_required(Permission.MANAGE_POLLS)
@idempotent
def create_poll():
    """A draft poll of the caller's department (administrators name ``department``) with its questions."""
    payload = json_body()
    form = validate(PollForm, payload)
    questions = payload.get("questions")
    if not isinstance(questions, list) or not questions:
        raise ValidationFailed({"questions": _("请至少添加一道题目。")})
    if len(questions) > services.authoring.MAX_QUESTIONS:
        raise ValidationFailed({"questions": _("一次调查最多 %(n)s 道题。", n=services.authoring.MAX_QUESTIONS)})
    data = [_question_data(raw, i) for i, raw in enumerate(questions)]
    code = optional_str(payload, "department")
    if code is not None:
        department = db.session.scalar(select(Department).where(Department.code == code))
        if department is None:
            raise ValidationFailed({"department": _("找不到该部门。")})
    elif current_user.department is not None:
        department = current_user.department
    else:
        raise ValidationFailed({"department": _("请指定部门。")})
    poll = services.create_poll(department, services.PollData(
        title=form.title.data, description=form.description.data or "",
        opens_dt=parse_local_datetime(form.opens_at.data), closes_dt=parse_local_datetime(form.closes_at.data),
        results_visibility=form.results_visibility.data or "after_close"), data, actor=current_user)
    db.session.commit()
    return jsonify(serialize_poll(poll)), 201


@bp.get("/polls/<int:poll_id>")
@documented(response=POLL_SCHEMA)
def get_poll(poll_id: int):
    """One poll with its questions and options (drafts: their department's staff only)."""
    return jsonify(serialize_poll(_poll(poll_id)))


def _action(poll_id: int, action, **kwargs):
    poll = _poll(poll_id)
    action(poll, actor=current_user, **kwargs)
    body = serialize_poll(poll)
    db.session.commit()
    return jsonify(body)


@bp.post("/polls/<int:poll_id>/publish")
@documented(request=NO_BODY, body_optional=True, response=POLL_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.MANAGE_POLLS)
def publish_poll(poll_id: int):
    """Draft → published: votable within its window; its questions are fixed from now on."""
    return _action(poll_id, services.publish_poll)


@bp.post("/polls/<int:poll_id>/close")
@documented(request=NO_BODY, body_optional=True, response=POLL_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.MANAGE_POLLS)
def close_poll(poll_id: int):
    """End a scheduled or open poll now."""
    return _action(poll_id, services.close_poll)


@bp.post("/polls/<int:poll_id>/withdraw")
@documented(request=WithdrawForm, response=POLL_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.WRITE)
def withdraw_poll(poll_id: int):
    """Moderators and administrators take a poll down: ``{"reason"}``."""
    if not services.can_withdraw(current_user):
        raise Forbidden()
    form = validate(WithdrawForm, json_body())
    return _action(poll_id, services.withdraw_poll, reason=form.reason.data)


@bp.post("/polls/<int:poll_id>/report")
@documented(request=ReportForm, response=POLL_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.MANAGE_POLLS)
def publish_report(poll_id: int):
    """The results report of a closed poll: ``{"summary", "adoption"}`` (结果反馈, 采纳情况), once."""
    poll = _poll(poll_id)
    services.require_manage(current_user, poll)
    form = validate(ReportForm, json_body())
    return _action(poll_id, services.publish_report, summary=form.summary.data, adoption=form.adoption.data)


def _reading_first(view):
    """What a ballot reads before it writes (the sign-in's token too) is read without a transaction.

    SQLite's write lock is the whole database's, and a POST's transaction takes it when it begins
    (``core.db``: ``BEGIN IMMEDIATE``), at its first statement: here the sign-in's token look-up.
    Reading in ``AUTOCOMMIT`` (``core.db.read_without_transaction``) takes no lock; the ballot is
    then written in a short transaction of its own (:func:`cast_ballot`), so voters queue for the
    lock only while their rows are written. On PostgreSQL the reads send no ``BEGIN``, and a ballot
    without text answers is written by one statement, atomic by itself
    (``services.stored_in_one_statement``). Once a process knows the poll's questions, the poll is not
    read: the insert checks that it is open (``services.check_ballot_by_id``).
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        read_without_transaction()
        return view(*args, **kwargs)

    return wrapped


@bp.post("/polls/<int:poll_id>/ballots")
@documented(request=BALLOT_REQUEST, response=obj({"poll": INTEGER, "voted": BOOLEAN}), status=201,
            errors=(401, 403, 409))
@_reading_first
@permission_required(Permission.WRITE)
@idempotent
def cast_ballot(poll_id: int):
    """The caller's ballot, whole or not at all: 201; a second → 409 ``already_voted``; outside the window → 409.

    Read, then written in a short transaction, or in one statement (:func:`_reading_first`).
    """
    payload = json_body()
    if "answers" not in payload:
        raise ValidationFailed({"answers": _("请填写答卷。")})
    if not db.session().in_transaction():  # an Idempotency-Key's record was committed meanwhile
        read_without_transaction()
    services.require_voter(current_user)
    user_id = current_user.id
    rows, rules = services.check_ballot_by_id(poll_id, payload["answers"], actor=current_user)
    if not services.stored_in_one_statement(rows):
        db.session.commit()  # leaves the reading: the ballot's statements below are one transaction
    services.store_ballot(poll_id, rows, user_id=user_id, live=rules.live)
    db.session.commit()
    return jsonify(poll=poll_id, voted=True), 201


@bp.get("/polls/<int:poll_id>/ballots/mine")
@documented(response=MINE_SCHEMA, errors=(401,))
@permission_required(Permission.WRITE)
def my_ballot(poll_id: int):
    """The caller's own answers (``voted: false`` and no answers if they did not vote)."""
    poll = _poll(poll_id)
    mine = queries.own_ballot(poll, current_user)
    answers = []
    for question_id, answer in (mine or {}).items():
        key = "options" if isinstance(answer, list) else "value" if isinstance(answer, int) else "text"
        answers.append({"question": question_id, key: answer})
    return jsonify(poll=poll.id, voted=mine is not None, answers=answers)


@bp.get("/polls/<int:poll_id>/results")
@documented(response=RESULTS_SCHEMA, errors=(403,))
def poll_results(poll_id: int):
    """Counts per option, rating means, approved texts; 403 ``results_sealed`` with the reason while sealed."""
    poll = _poll(poll_id)
    refusal = queries.results_refusal(poll, _user())
    if refusal is not None:
        raise ResultsSealed(refusal)
    return jsonify(queries.results(poll))


