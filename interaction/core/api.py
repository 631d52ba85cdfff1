"""Helpers every feature's JSON API uses: body parsing, validation, lists, idempotency.

The API and the HTML pages validate with the same WTForms classes: :func:`validate`
feeds a JSON object to a form and turns its errors into a 422 with per-field messages.
"""

import hashlib
import json
import re
from datetime import datetime, timedelta
from functools import cache, wraps

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from wtforms import (BooleanField, DecimalField, FloatField, IntegerField, SelectFieldBase,
                     SelectMultipleField)
from wtforms.fields.core import UnboundField

from interaction.core.db import MAX_ID, MAX_PAGE, db
from interaction.core.errors import Conflict, ValidationFailed
from interaction.core.time import now_utc

MAX_PER_PAGE = 100


def json_body() -> dict:
    """The request's JSON object, or a 400 for anything else (malformed, not an object)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest()
    return data


def optional_json_body() -> dict:
    """:func:`json_body` for actions whose fields are all optional: no body (or ``null``) is ``{}``.

    A body that is there is read as :func:`json_body` reads it: ``false``, ``0``, ``""`` or
    malformed JSON are a 400, not an empty object.
    """
    raw = request.get_data(cache=True).strip()
    if not raw or raw == b"null":
        return {}
    return json_body()


def _scalar_schema(field: UnboundField) -> dict:
    """A choice's type: an integer when the field coerces its choices to ``int``, else a string."""
    return {"type": "integer"} if field.kwargs.get("coerce") is int else {"type": "string"}


def field_json_schema(field: UnboundField) -> dict:
    """The one JSON type (a JSON Schema fragment) a WTForms field takes in an API body.

    Derived from the field's class so that every form the API validates with follows one rule:
    a BooleanField takes ``true``/``false``, an IntegerField an integer, a multiple choice a list
    of its choices' type, a single choice its choice's type, and every other field a string
    (text, e-mail, password, dates and times are written as strings in JSON).
    """
    cls = field.field_class
    if issubclass(cls, BooleanField):
        return {"type": "boolean"}
    if issubclass(cls, IntegerField):
        return {"type": "integer"}
    if issubclass(cls, (DecimalField, FloatField)):
        return {"type": "number"}
    if issubclass(cls, SelectMultipleField):
        return {"type": "array", "items": _scalar_schema(field)}
    if issubclass(cls, SelectFieldBase):
        return _scalar_schema(field)
    return {"type": "string"}


@cache
def form_json_schemas(form_class) -> dict[str, dict]:
    """Each field of *form_class* (by name) with its JSON type (:func:`field_json_schema`)."""
    return {name: field_json_schema(value) for name in dir(form_class)
            if isinstance(value := getattr(form_class, name), UnboundField)}


def is_json_type(value, schema: dict) -> bool:
    """Whether a parsed JSON *value* has the type *schema* names (a bool is no integer or number)."""
    kind = schema["type"]
    if kind == "array":
        return isinstance(value, list) and all(is_json_type(item, schema["items"]) for item in value)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, (int, float))
    return isinstance(value, str)


def wrong_type_message(schema: dict) -> str:
    """What a 422 says of a field sent with another JSON type than *schema*."""
    return {
        "boolean": _("应为 true 或 false。"),
        "integer": _("应为整数。"),
        "number": _("应为数字。"),
        "array": _("应为列表。"),
    }.get(schema["type"], _("应为字符串。"))


def _as_formdata(payload: dict, form_class) -> tuple[MultiDict, dict]:
    """The form data of the payload's fields of *form_class*, and the fields sent with a wrong type.

    Keys the form does not have are left out; ``null`` is a field not sent. Nothing is coerced:
    ``"no"`` is not a boolean, ``true`` not a string, ``["a", "b"]`` not one string.
    """
    items, type_errors = [], {}
    for name, schema in form_json_schemas(form_class).items():
        value = payload.get(name)
        if value is None:
            continue
        if not is_json_type(value, schema):
            type_errors[name] = wrong_type_message(schema)
        elif isinstance(value, bool):
            if value:
                items.append((name, "y"))
        elif isinstance(value, list):
            items.extend((name, str(item)) for item in value)
        else:
            items.append((name, str(value)))
    return MultiDict(items), type_errors


def validate(form_class, payload: dict, **kwargs):
    """Validate *payload* with *form_class*; return the form or raise 422 with field messages.

    Each field must come with its one JSON type (:func:`field_json_schema`); a value of another
    type is refused by name, never coerced, and the form's validators check the rest.
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


def _typed(data: dict, name: str, schema: dict, required: bool, message: str | None):
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationFailed({name: message or _("请填写内容。")})
        return None
    if not is_json_type(value, schema):
        raise ValidationFailed({name: wrong_type_message(schema)})
    return value


def require_str(data: dict, name: str, *, message: str | None = None) -> str:
    """``data[name]`` for endpoints that read a JSON body by hand: a string, else 422 naming the field."""
    return _typed(data, name, {"type": "string"}, True, message)


def optional_str(data: dict, name: str) -> str | None:
    """``data[name]`` if sent (``null`` is not sent): a string, else 422 naming the field."""
    return _typed(data, name, {"type": "string"}, False, None)


def optional_int(data: dict, name: str) -> int | None:
    """``data[name]`` if sent: an integer (not ``true``, not ``"5"``, not ``5.0``), else 422."""
    return _typed(data, name, {"type": "integer"}, False, None)


def optional_id(data: dict, name: str) -> int | None:
    """``data[name]`` if sent: an integer id, 1 to :data:`~interaction.core.db.MAX_ID`, else 422."""
    value = optional_int(data, name)
    if value is not None and not 1 <= value <= MAX_ID:
        raise ValidationFailed({name: _("编号无效。")})
    return value


def optional_list(data: dict, name: str, item_type: str = "string") -> list | None:
    """``data[name]`` if sent: a list whose items are all of *item_type* (``"string"``, ``"integer"``)."""
    return _typed(data, name, {"type": "array", "items": {"type": item_type}}, False, None)


#: An integer in a query string: ASCII digits, perhaps a minus (Python's ``int()`` also takes " 7", "1_000", "٣").
_QUERY_INTEGER = re.compile(r"-?[0-9]{1,18}")


def query_int(name: str, default: int) -> int:
    """``?name=`` as an integer, *default* if absent; ``ValueError`` for anything but digits (the caller says 422)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _QUERY_INTEGER.fullmatch(raw):
        raise ValueError(f"{name} is not an integer")
    return int(raw)


def page_args() -> tuple[int, int]:
    try:
        page = max(1, query_int("page", 1))
        per_page = min(MAX_PER_PAGE, max(1, query_int("per_page", 20)))
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

    wrapped.takes_idempotency_key = True  # the OpenAPI document lists the header (interaction.api.openapi)
    return wrapped


def dumps(data) -> str:
    """JSON with Chinese as UTF-8, not escaped code points (half the bytes on the wire)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
