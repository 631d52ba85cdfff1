"""Helpers every feature's JSON API uses: body parsing, validation, lists, idempotency.

The API and the HTML pages validate with the same WTForms classes: :func:`validate`
feeds a JSON object to a form and turns its errors into a 422 with per-field messages.
"""

import hashlib
import json
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from interaction.core.db import MAX_PAGE, db
from interaction.core.errors import Conflict, ValidationFailed
from interaction.core.time import now_utc

MAX_PER_PAGE = 100


def json_body() -> dict:
    """The request's JSON object, or a 400 for anything else (malformed, not an object)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest()
    return data


def _as_formdata(payload: dict, form_class) -> MultiDict:
    """Flatten JSON into form data, refusing values of the wrong type field by field."""
    items, type_errors = [], {}
    for name, value in payload.items():
        if isinstance(value, bool):
            if value:
                items.append((name, "y"))
        elif isinstance(value, (str, int, float)):
            items.append((name, str(value)))
        elif isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            items.extend((name, str(v)) for v in value)
        elif value is None:
            continue
        else:
            type_errors[name] = _("类型不正确。")
    return MultiDict(items), type_errors


def validate(form_class, payload: dict, **kwargs):
    """Validate *payload* with *form_class*; return the form or raise 422 with field messages.

    Strings where a boolean is expected and the like are caught by the form's own
    validators; objects and nested lists are refused here with "wrong type".
    """
    formdata, type_errors = _as_formdata(payload, form_class)
    form = form_class(formdata=formdata, meta={"csrf": False}, **kwargs)
    ok = form.validate()
    if type_errors or not ok:
        fields = {name: errs[0] if isinstance(errs, list) else str(errs)
                  for name, errs in form.errors.items()}
        fields.update(type_errors)
        raise ValidationFailed(fields)
    return form


def page_args() -> tuple[int, int]:
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", 20))))
    except ValueError:
        raise ValidationFailed({"page": _("页码必须是正整数。")}) from None
    if page > MAX_PAGE:
        raise ValidationFailed({"page": _("页码超出范围。")})
    return page, per_page


def paginated(stmt, serialize) -> Response:
    """Answer a list in the contract's shape: ``{"items", "page", "per_page", "total"}``."""
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return jsonify(items=[serialize(row) for row in rows], page=page, per_page=per_page, total=total)


class IdempotencyRecord(db.Model):
    """The first response to a create request sent with an ``Idempotency-Key`` header.

    ``scope`` names the operation and its caller, ``key`` the caller's key (see :func:`idempotent`);
    ``fingerprint`` is the request's (method, path, body), so a repeat with another body is told apart.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)


IDEMPOTENCY_TTL = timedelta(hours=24)


class IdempotencyKeyReused(ValidationFailed):
    """The caller sent a key it already used, with another request: 422, nothing replayed."""

    code = "idempotency_key_reused"


def request_fingerprint() -> str:
    """The sha256 of the request's method, path and body: what makes a repeat the same request."""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data(cache=True)):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no two requests hash alike
        digest.update(part)
    return digest.hexdigest()


def _record_identity(raw_key: str, fingerprint: str) -> tuple[str, str]:
    """The (scope, key) a request's record is stored under: a key belongs to its caller.

    A signed-in caller owns its keys: one key is one request of that user, and a repeat with
    another body is refused. An anonymous caller cannot be told from another, so its key counts
    only together with the request's fingerprint: another body with the same key is another
    request, and nobody is given a response to a request they did not send.
    """
    operation = f"{request.method} {request.path}"
    if current_user.is_authenticated:
        return f"{operation} user:{current_user.id}", hashlib.sha256(raw_key.encode()).hexdigest()
    return f"{operation} anonymous", hashlib.sha256(f"{fingerprint}:{raw_key}".encode()).hexdigest()


def _replay(scope: str, key: str, fingerprint: str) -> Response:
    """The stored answer to the caller's earlier request with this key (422 if that was another request)."""
    first = db.session.scalar(select(IdempotencyRecord).filter_by(scope=scope, key=key))
    if first is not None and first.fingerprint != fingerprint:
        raise IdempotencyKeyReused({"Idempotency-Key": _("该幂等键已用于另一个请求，请换一个新的键。")},
                                   message=_("该幂等键已用于另一个请求。"))
    if first is None or first.status is None:
        raise Conflict(_("相同的请求正在处理中，请稍后再试。"), code="request_in_progress")
    return current_app.response_class(first.body, status=first.status, mimetype="application/json")


def idempotent(view):
    """Honour ``Idempotency-Key``: the caller's repeat within 24 hours gets the first response again.

    The key is reserved in its own transaction before the view runs, so two
    concurrent requests with one key cannot both create; the second gets 409
    while the first is still running, and the first's response afterwards.
    Keys are scoped to their caller (:func:`_record_identity`).
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        raw_key = request.headers.get("Idempotency-Key")
        if not raw_key:
            return view(*args, **kwargs)
        fingerprint = request_fingerprint()
        scope, key = _record_identity(raw_key, fingerprint)
        now = now_utc()
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_dt < now - IDEMPOTENCY_TTL))
        record = IdempotencyRecord(scope=scope, key=key, fingerprint=fingerprint, created_dt=now,
                                   user_id=current_user.id if current_user.is_authenticated else None)
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return _replay(scope, key, fingerprint)
        record_id = record.id
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Exception:
            db.session.rollback()
            db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
            db.session.commit()
            raise
        if 200 <= response.status_code < 300:
            stored = db.session.get(IdempotencyRecord, record_id)
            stored.status, stored.body = response.status_code, response.get_data(as_text=True)
        else:
            db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
        db.session.commit()
        return response

    return wrapped


def dumps(data) -> str:
    """JSON with Chinese as UTF-8, not escaped code points (half the bytes on the wire)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
