"""What an API view declares for the OpenAPI document: its request body and its success response.

The request body is described by the same WTForms class the view validates with
(:func:`form_schema` turns the class into a JSON schema), so the document cannot say
one thing while the endpoint checks another. Views declare it with :func:`documented`;
``interaction.api.openapi`` reads the declaration when it builds the document.
"""

import copy
import inspect
from dataclasses import dataclass, field

from wtforms import DateField, FieldList, HiddenField, SelectFieldBase
from wtforms.fields.core import UnboundField
from wtforms.validators import AnyOf, Length, NumberRange, Regexp

from interaction.core.api import field_json_schema


def nullable(schema: dict) -> dict:
    """*schema*, or null (OpenAPI 3.0's ``nullable``)."""
    return {**schema, "nullable": True}


def obj(properties: dict, *, optional: tuple[str, ...] = ()) -> dict:
    """An object whose properties are all present except those named in *optional*."""
    return {"type": "object", "properties": properties,
            "required": [name for name in properties if name not in optional]}


def query_choice(values) -> dict:
    """A query filter taking one of *values*; empty (``?status=``) is no filter, as ``args.get(x) or None`` reads."""
    return {"type": "string", "enum": [*values, ""]}


def page_of(item: dict) -> dict:
    """A list in the contract's shape: ``{"items", "page", "per_page", "total"}``."""
    return obj({"items": {"type": "array", "items": item}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}, "total": {"type": "integer"}})


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time"}
#: The body of an action that takes none: whatever is sent is not read.
NO_BODY = {"description": "not read: the action takes no fields"}


def _validators(unbound: UnboundField) -> list:
    if "validators" in unbound.kwargs:
        return list(unbound.kwargs["validators"] or [])
    return list(unbound.args[1]) if len(unbound.args) > 1 and unbound.args[1] else []


def _static_choices(unbound: UnboundField) -> list | None:
    """Values of choices given in the class (not those a form's ``__init__`` loads); placeholders left out."""
    choices = unbound.kwargs.get("choices")
    if not choices or callable(choices) or isinstance(choices, dict):
        return None
    values = [c[0] if isinstance(c, tuple) else c.value if hasattr(c, "value") else c for c in choices]
    return [v for v in values if v not in ("", None)]


def _base_schema(unbound: UnboundField) -> dict:
    """The JSON type of a field, before its validators narrow it.

    The type is the one :func:`interaction.core.api.validate` enforces (``field_json_schema``),
    so the document and the check cannot disagree; this adds what the type alone does not say:
    a select's static choices, a date's or an e-mail's format, a FieldList's items.
    """
    cls = unbound.field_class
    if issubclass(cls, FieldList):
        return {"type": "array", "items": field_schema(unbound.args[0])}
    schema = copy.deepcopy(field_json_schema(unbound))
    item = schema["items"] if schema["type"] == "array" else schema
    values = _static_choices(unbound) if issubclass(cls, SelectFieldBase) else None
    input_type = getattr(unbound.kwargs.get("widget") or getattr(cls, "widget", None), "input_type", None)
    if values is not None:
        item["enum"] = values
    elif issubclass(cls, DateField):
        item["format"] = "date"
    elif input_type == "datetime-local":
        item["format"] = "date-time"
    elif input_type == "email":
        item["format"] = "email"
    return schema


def field_schema(unbound: UnboundField) -> dict:
    """One form field as a JSON schema: its type narrowed by Length, NumberRange, AnyOf, Regexp, DataRequired."""
    schema = _base_schema(unbound)
    for validator in _validators(unbound):
        if isinstance(validator, Length) and schema["type"] == "string":
            if validator.min > 0:
                schema["minLength"] = validator.min
            if validator.max >= 0:
                schema["maxLength"] = validator.max
        elif isinstance(validator, NumberRange) and schema["type"] in ("integer", "number"):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max
        elif isinstance(validator, AnyOf):
            schema["enum"] = list(validator.values)
        elif isinstance(validator, Regexp) and schema["type"] == "string":
            schema["pattern"] = validator.regex.pattern
        elif type(validator).__name__ == "DataRequired" and schema["type"] == "string" and "pattern" not in schema:
            schema["pattern"] = r"\S"  # DataRequired refuses text that is only spaces
    return schema


def _is_required(unbound: UnboundField) -> bool:
    return any(getattr(v, "field_flags", {}).get("required") for v in _validators(unbound))


def form_schema(form_class, **overrides) -> dict:
    """The JSON object a WTForms *form_class* accepts, field by field.

    StringField and its kin → string (Length → min/maxLength), BooleanField → boolean,
    IntegerField → integer (NumberRange → minimum/maximum), a select with choices written
    in the class → enum of them, FieldList → array; DataRequired/InputRequired → required,
    Optional or no such validator → not required. Hidden fields are the pages' mechanics
    (CSRF, submission tokens) and are left out. *overrides* replace or add properties, for
    rules a form checks in a ``validate_<field>`` method (``None`` removes a property).
    """
    members = inspect.getmembers(form_class, lambda v: isinstance(v, UnboundField))
    properties, required = {}, []
    for name, unbound in sorted(members, key=lambda m: m[1].creation_counter):
        if issubclass(unbound.field_class, HiddenField) or name in overrides:
            continue
        properties[name] = field_schema(unbound)
        if _is_required(unbound):
            required.append(name)
    for name, schema in overrides.items():
        if schema is not None:
            properties[name] = schema
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


@dataclass(frozen=True)
class ApiDoc:
    """A view's declaration: request body (form class or JSON schema), success status and body, errors."""

    request: object = None
    response: dict | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    query: dict = field(default_factory=dict)
    body_optional: bool = False


def documented(*, request=None, response=None, status: int = 200, errors=(), query=None, body_optional=False):
    """Declare what the OpenAPI document says of a view; put it right under the route decorator.

    *request*: the WTForms class the view validates its JSON with (or a JSON schema, e.g. from
    :func:`form_schema`); *response*: the JSON schema of the success body (``None``: no body, as
    for 204); *errors*: the error statuses the view answers beyond those the document adds by
    itself (400/413/422 for a body, 404 for a path parameter, 422 for query parameters, 503 for
    every operation); *query*: query parameters as ``{name: schema}``.
    """

    def decorate(view):
        view.api_doc = ApiDoc(request=request, response=response, status=status, errors=tuple(errors),
                              query=dict(query or {}), body_optional=body_optional)
        return view

    return decorate
