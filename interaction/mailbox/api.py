"""Leader mailbox API (API.md "Leader mailbox"), mounted under ``/api/v1`` by ``interaction.api``.

Access to one letter (``GET /letters/{number}``): staff of its current department, oversight
staff and administrators (each such read of personal data is audited); the signed-in author;
anyone with the right query code. Everyone else, and a wrong or missing code, gets the 404 an
unknown number gets. Failed look-ups are rate-limited per address (``MAILBOX_LOOKUP_LIMIT``,
default 10 a minute, then 429), on every endpoint that takes a query code.
"""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.accounts.permissions import Permission, permission_required
from interaction.core.api import idempotent, json_body, optional_str, page_args, paginated, require_str, validate
from interaction.core.apidoc import (BOOLEAN, DATETIME, INTEGER, STRING, documented, form_schema, nullable, obj,
                                     page_of, query_choice)
from interaction.core.db import db
from interaction.core.errors import NotFound, ValidationFailed
from interaction.core.time import isoformat
from interaction.mailbox import queries, services
from interaction.mailbox.queries import public as public_queries
from interaction.mailbox.common import lookup_limited, perform_action
from interaction.mailbox.forms import ACTION_FORMS, ApiLetterForm, ApiRatingForm, RehandleForm, SuperviseForm
from interaction.mailbox.models import Letter, LetterState

bp = Blueprint("mailbox", __name__)


# -- what the OpenAPI document says (interaction.api.openapi): the serializers' shapes -------------------
#: A query flag: ``true``, ``1`` or ``yes`` turn it on, any other value leaves it off.
_FLAG = {"type": "string", "description": "true, 1 or yes: on; anything else: off"}
_SCORE = nullable({"type": "integer", "minimum": 1, "maximum": 5})
EVENT_SCHEMA = obj({"at": DATETIME, "action": STRING, "note": STRING, "department": STRING,
                    "department_name": STRING, "reply": STRING, "score": nullable(INTEGER)},
                   optional=("note", "department", "department_name", "reply", "score"))
LETTER_SCHEMA = obj({
    "number": STRING, "mailbox": STRING, "category": STRING, "subject": STRING, "body": STRING, "channel": STRING,
    "status": STRING, "submitted_at": DATETIME, "received_at": DATETIME, "accept_due_at": DATETIME,
    "due_at": DATETIME, "due_provisional": BOOLEAN, "overdue": BOOLEAN, "due_soon": BOOLEAN,
    "workdays_left": nullable(INTEGER), "department": nullable(STRING), "department_name": STRING,
    "rejection_reason": nullable(STRING),
    "extended_workdays": nullable(INTEGER), "transfer_count": nullable(INTEGER),
    "reply": nullable(obj({"body": STRING, "at": nullable(DATETIME), "department": nullable(STRING)})),
    "rating": nullable(obj({"score": _SCORE, "resolution": _SCORE, "attitude": _SCORE, "speed": _SCORE,
                            "comment": nullable(STRING), "at": nullable(DATETIME)})),
    "can_rehandle": BOOLEAN, "public_consent": BOOLEAN, "is_published": BOOLEAN,
    "writer": obj({"name": STRING, "phone": STRING, "email": nullable(STRING)}),
    "timeline": {"type": "array", "items": EVENT_SCHEMA},
    "flagged": BOOLEAN, "publication_state": nullable(STRING)}, optional=("flagged", "publication_state"))
CREATED_LETTER_SCHEMA = obj({
    "number": STRING, "query_code": STRING, "status": STRING, "submitted_at": DATETIME, "received_at": DATETIME,
    "accept_due_at": DATETIME, "due_at": DATETIME, "due_provisional": BOOLEAN, "mailbox": STRING, "department": STRING,
    "channel": STRING})
SUMMARY_SCHEMA = obj({
    "number": STRING, "mailbox": STRING, "category": STRING, "subject": STRING, "status": STRING,
    "received_at": DATETIME, "due_at": DATETIME, "due_provisional": BOOLEAN, "overdue": BOOLEAN, "due_soon": BOOLEAN,
    "workdays_left": nullable(INTEGER), "department": nullable(STRING), "transfer_count": nullable(INTEGER),
    "flagged": BOOLEAN})
PUBLIC_LETTER_SCHEMA = obj({
    "number": STRING, "category": STRING, "subject": nullable(STRING), "body": nullable(STRING),
    "reply": nullable(STRING), "received_at": DATETIME, "accepted_at": nullable(DATETIME),
    "replied_at": nullable(DATETIME), "reply_department": nullable(STRING), "mailbox": STRING,
    "department": STRING, "satisfaction": nullable({"type": "string", "enum": ["satisfied", "basic", "unsatisfied"]}),
    "rating_score": _SCORE})
MAILBOXES_SCHEMA = obj({"items": {"type": "array", "items": obj({
    "code": STRING, "name": STRING, "department": STRING, "reply_days": INTEGER,
    "write_rule": {"type": "string", "enum": ["anyone", "account", "phone"]}})}})
PAGE_QUERY = {"page": {"type": "integer"}, "per_page": {"type": "integer"}}
#: One body per action, each its action form's fields (``ACTION_FORMS``), told apart by ``action``.
ACTION_REQUEST = {"oneOf": [
    {**form_schema(form, action={"type": "string", "enum": [name]}),
     "required": ["action", *form_schema(form).get("required", [])]}
    for name, form in ACTION_FORMS.items()]}


# -- serialization ----------------------------------------------------------------------------------

def _department(dept):
    return dept.code if dept is not None else None


def serialize_event(event, *, staff: bool) -> dict:
    item = {"at": isoformat(event.at_dt), "action": event.action}
    if event.note and (staff or not event.is_internal):
        item["note"] = event.note
    if event.department is not None:
        item["department"] = event.department.code
        item["department_name"] = event.department.name
    if event.action == "replied" and event.data and event.data.get("body"):
        item["reply"] = event.data["body"]
    if event.action == "rated" and event.data:
        item["score"] = event.data.get("score")
    return item


def serialize_letter(letter: Letter, *, staff: bool = False) -> dict:
    """A letter for its writer (and, with ``staff``, its handlers: internal notes too)."""
    reply = None
    if letter.reply_body is not None and letter.status in ("replied", "rated", "closed"):
        reply = {"body": letter.reply_body, "at": isoformat(letter.replied_dt),
                 "department": _department(letter.reply_department)}
    rating = None
    if letter.rating_score is not None:
        rating = {"score": letter.rating_score, "resolution": letter.rating_resolution,
                  "attitude": letter.rating_attitude, "speed": letter.rating_speed,
                  "comment": letter.rating_comment, "at": isoformat(letter.rated_dt)}
    events = letter.events if staff else queries.public_events(letter)
    data = {
        "number": letter.number,
        "mailbox": letter.mailbox.code,
        "category": letter.category,
        "subject": letter.subject,
        "body": letter.body,
        "channel": letter.channel,
        "status": letter.status,
        "submitted_at": isoformat(letter.received_dt),
        "received_at": isoformat(letter.received_dt),
        "accept_due_at": isoformat(letter.accept_due_dt),
        "due_at": isoformat(letter.due_dt),
        "due_provisional": letter.due_provisional,
        "overdue": bool(letter.is_overdue),
        "due_soon": bool(letter.is_due_soon),
        "workdays_left": letter.workdays_left(),
        "department": _department(letter.department),
        "department_name": letter.department.name,
        "rejection_reason": letter.rejection_reason,
        "extended_workdays": letter.extended_workdays,
        "transfer_count": letter.transfer_count,
        "reply": reply,
        "rating": rating,
        "can_rehandle": letter.can_rehandle,
        "public_consent": letter.public_consent,
        "is_published": letter.is_published,
        "writer": {"name": letter.name, "phone": letter.phone, "email": letter.email},
        "timeline": [serialize_event(e, staff=staff) for e in events],
    }
    if staff:
        data["flagged"] = letter.is_flagged
        data["publication_state"] = letter.publication_state
    return data


def serialize_summary(letter: Letter) -> dict:
    return {"number": letter.number, "mailbox": letter.mailbox.code, "category": letter.category,
            "subject": letter.subject, "status": letter.status, "received_at": isoformat(letter.received_dt),
            "due_at": isoformat(letter.due_dt), "due_provisional": letter.due_provisional,
            "overdue": bool(letter.is_overdue),
            "due_soon": bool(letter.is_due_soon), "workdays_left": letter.workdays_left(),
            "department": _department(letter.department), "transfer_count": letter.transfer_count,
            "flagged": letter.is_flagged}


def serialize_public(letter: Letter) -> dict:
    """A published letter: masked texts only, with the fields the 发展指引 asks for."""
    return {"number": letter.number, "category": letter.category, "subject": letter.published_subject,
            "body": letter.published_body, "reply": letter.published_reply,
            "received_at": isoformat(letter.received_dt), "accepted_at": isoformat(letter.accepted_dt),
            "replied_at": isoformat(letter.replied_dt),
            "reply_department": letter.reply_department.name if letter.reply_department else None,
            "department": (letter.reply_department or letter.department).name,
            "satisfaction": public_queries.satisfaction(letter.rating_score), "rating_score": letter.rating_score,
            "mailbox": letter.mailbox.name}


# -- mailboxes ----------------------------------------------------------------------------------------

@bp.get("/mailboxes")
@documented(response=MAILBOXES_SCHEMA)
def list_mailboxes():
    """The active mailboxes: code, name, department code, reply_days and who may write (write_rule)."""
    mailboxes = db.session.scalars(queries.active_mailboxes())
    return jsonify(items=[{"code": m.code, "name": m.name, "department": m.department.code,
                           "reply_days": m.reply_days, "write_rule": m.write_rule} for m in mailboxes])


# -- letters ------------------------------------------------------------------------------------------

@bp.post("/letters")
@documented(request=ApiLetterForm, response=CREATED_LETTER_SCHEMA, status=201, errors=(409,))
@idempotent
def create_letter():
    """Send a letter (anyone); staff of the mailbox's department may register post/phone/visit letters.

    Body: mailbox, category, subject, body, name, phone, email?, public_consent, and for staff
    channel and received_at (a past time). 201 with number and query_code (shown only here).
    """
    payload = json_body()
    form = validate(ApiLetterForm, payload)
    mailbox = form.selected_mailbox
    department_code = mailbox.department.code
    channel = form.channel.data or "web"
    received = form.received_at.data
    actor = current_user if current_user.is_authenticated else None
    letter, code, _created = services.submit_letter(mailbox, form.letter_data(), actor=actor, channel=channel,
                                                    received_dt=received)
    # Built before the commit: afterwards the expired letter would be loaded again (another SELECT).
    body = {"number": letter.number, "query_code": code, "status": letter.status,
            "submitted_at": isoformat(letter.received_dt), "received_at": isoformat(letter.received_dt),
            "accept_due_at": isoformat(letter.accept_due_dt), "due_at": isoformat(letter.due_dt),
            "due_provisional": letter.due_provisional, "mailbox": mailbox.code, "department": department_code,
            "channel": letter.channel}
    db.session.commit()
    return jsonify(body), 201


def _may_read_as_staff(letter: Letter) -> bool:
    return current_user.is_authenticated and (services.can_handle(current_user, letter)
                                              or services.can_oversee(current_user))


def _load_for_reader(number: str, code: str | None) -> tuple[Letter, bool]:
    """The letter and whether the reader is staff; ``NotFound`` for anyone else (see module doc)."""
    letter = services.find_letter(number)
    if letter is not None and _may_read_as_staff(letter):
        return letter, True
    if letter is not None and current_user.is_authenticated and letter.author_id == current_user.id and not code:
        return letter, False
    return services.letter_by_code(number, code or ""), False


@bp.get("/letters/<number>")
@documented(response=LETTER_SCHEMA, errors=(404, 429), query={"query_code": STRING})
@lookup_limited
def get_letter(number):
    """One letter: for its writer (``?query_code=``) or staff of its department; else 404."""
    letter, staff = _load_for_reader(number, request.args.get("query_code"))
    if staff:
        services.view_personal_data(letter, actor=current_user)
    body = serialize_letter(letter, staff=staff)
    db.session.commit()  # after reading the letter: a commit expires it
    return jsonify(body)


@bp.post("/letters/<number>/actions")
@documented(request=ACTION_REQUEST, response=LETTER_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.HANDLE)
def act_on_letter(number):
    """Act on a letter (staff of its current department, admin); 409 in the wrong state.

    Actions: accept, reject (reason), assign (department), transfer (department, reason),
    extend (workdays, reason), reply (body), close.
    """
    payload = json_body()
    action = require_str(payload, "action", message=_("未知的办理操作。"))
    if action not in ACTION_FORMS:
        raise ValidationFailed({"action": _("未知的办理操作。")})
    letter = services.get_letter_for_staff_or_404(number, current_user)  # another department's: 404
    services.require_handle(current_user, letter)
    form = validate(ACTION_FORMS[action], {k: v for k, v in payload.items() if k != "action"})
    perform_action(letter, action, form, current_user)
    db.session.commit()
    return jsonify(serialize_letter(letter, staff=True))


@bp.post("/letters/<number>/rating")
@documented(request=ApiRatingForm, response=LETTER_SCHEMA, errors=(409, 429))
@lookup_limited
def rate_letter(number):
    """Rate the reply (the writer, with query_code): score 1..5 overall, optional dimensions and comment.

    409 before the reply and for a second rating.
    """
    payload = json_body()
    letter, _staff = _load_writer(number, optional_str(payload, "query_code"))
    form = validate(ApiRatingForm, payload)
    services.rate_letter(letter, form.score.data, resolution=form.resolution.data, attitude=form.attitude.data,
                         speed=form.speed.data, comment=form.comment.data, actor=_citizen())
    db.session.commit()
    return jsonify(serialize_letter(letter))


def _citizen():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _load_writer(number: str, code: str | None) -> tuple[Letter, bool]:
    """The letter for its writer: by query code, or the signed-in author; 404 otherwise."""
    if not code:
        letter = services.find_letter(number)
        if letter is not None and current_user.is_authenticated and letter.author_id == current_user.id:
            return letter, False
        code = ""
    return services.letter_by_code(number, code), False


@bp.post("/letters/<number>/rehandle")
@documented(request=form_schema(RehandleForm, query_code=STRING), response=LETTER_SCHEMA, errors=(409, 429))
@lookup_limited
def rehandle_letter(number):
    """Ask once for re-handling (再办理) after an overall rating of 1–2: ``{"query_code", "reason"?}``."""
    payload = json_body()
    letter, _staff = _load_writer(number, optional_str(payload, "query_code"))
    form = validate(RehandleForm, {k: v for k, v in payload.items() if k == "reason"})
    services.request_rehandle(letter, form.reason.data, actor=_citizen())
    db.session.commit()
    return jsonify(serialize_letter(letter))


@bp.post("/letters/<number>/supervise")
@documented(request=SuperviseForm, response=LETTER_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.OVERSEE)
def supervise_letter(number):
    """督办 an open letter (oversight staff, admin): ``{"note"}`` goes to its timeline and its department."""
    payload = json_body()
    letter = services.get_letter_or_404(number)
    form = validate(SuperviseForm, payload)
    services.supervise_letter(letter, form.note.data, actor=current_user)
    db.session.commit()
    return jsonify(serialize_letter(letter, staff=True))


@bp.get("/letters")
@documented(response=page_of(SUMMARY_SCHEMA), errors=(401, 403), query={
    "status": query_choice(s.value for s in LetterState), "overdue": _FLAG, "due_soon": _FLAG,
    "category": STRING, "department": STRING, **PAGE_QUERY})
@permission_required(Permission.HANDLE)
def list_letters():
    """Letters of the caller's department (admin: all), by deadline: ``?status=&overdue=true&due_soon=true``."""
    status = request.args.get("status") or None
    if status and status not in {s.value for s in LetterState}:
        raise ValidationFailed({"status": _("未知的状态。")})
    due = None
    if request.args.get("overdue", "").lower() in ("1", "true", "yes"):
        due = "overdue"
    elif request.args.get("due_soon", "").lower() in ("1", "true", "yes"):
        due = "soon"
    department_id = None
    if code := request.args.get("department"):
        department = db.session.scalar(select(Department).where(Department.code == code))
        if department is None:
            raise ValidationFailed({"department": _("请选择一个有效的部门。")})
        department_id = department.id
    stmt = queries.query_inbox(current_user, status=status, due=due, category=request.args.get("category") or None)
    if department_id is not None:
        stmt = stmt.where(Letter.department_id == department_id)
    return paginated(stmt, serialize_summary)


@bp.get("/public/letters")
@documented(response=page_of(PUBLIC_LETTER_SCHEMA), query={"q": STRING, "category": STRING, **PAGE_QUERY})
def list_public_letters():
    """Handled letters published with consent after moderation, personal data masked: ``?q=&page=``."""
    q, category = request.args.get("q") or None, request.args.get("category") or None
    stmt = queries.query_published(q, category)
    if q or category:
        return paginated(stmt, serialize_public)
    page, per_page = page_args()  # the plain list: a cached total keeps the cost flat as the archive grows
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify(items=[serialize_public(r) for r in rows], page=page, per_page=per_page,
                   total=queries.count_published())


@bp.get("/public/letters/<number>")
@documented(response=PUBLIC_LETTER_SCHEMA)
def get_public_letter(number):
    """One published letter (masked)."""
    letter = services.find_letter(number)
    if letter is None or not letter.is_published:
        raise NotFound()
    return jsonify(serialize_public(letter))


@bp.get("/public/letters/statistics")
@documented(response={"type": "object"})
def letter_statistics():
    """The public statistics strip: letters received, reply rate, on-time rate, satisfaction; month and year."""
    return jsonify(queries.statistics_strip())
