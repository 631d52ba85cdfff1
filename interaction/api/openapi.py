"""The machine-readable description of ``/api/v1``, built from the routes themselves.

Every rule under the API prefix is listed with its methods and the first line of its
view's docstring, so the document cannot drift from the server. What a view accepts and
answers comes from its :func:`interaction.core.apidoc.documented` declaration: the request
body is generated from the WTForms class the view validates with, the success body is the
schema declared next to the view's serializer. Error responses are those the view declares
plus those every operation of its shape can give (a body: 400, 413, 422; a path parameter:
404; query parameters: 422; every operation: 503 when the database is unreachable).
"""

import inspect
import re
from dataclasses import replace

from flask import Blueprint, current_app, jsonify
from werkzeug.routing import IntegerConverter

from interaction.core.apidoc import ApiDoc, documented, form_schema
from interaction.core.db import MAX_ID, MAX_PAGE

bp = Blueprint("openapi", __name__)

PREFIX = "/api/v1"
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}

ERROR_DESCRIPTIONS = {
    400: "malformed request (not a JSON object, bad encoding)",
    401: "not signed in",
    403: "not allowed for this account",
    404: "unknown (or not visible to this caller)",
    409: "conflict with the current state",
    413: "request body too large",
    422: "invalid fields (``error.fields`` names them)",
    429: "rate-limited (see ``Retry-After``)",
    503: "database unavailable (``database_unavailable``, see ``Retry-After``)",
}

#: ``?page=`` and ``?per_page=`` of every list (core.api.page_args: per_page is clamped to 1..100).
PAGE_PARAMETERS = {"page": {"type": "integer", "maximum": MAX_PAGE}, "per_page": {"type": "integer"}}


def _path_parameters(app, rule) -> list[dict]:
    params = []
    for converter, name in _CONVERTER.findall(rule.rule):
        converter_class = app.url_map.converters.get(converter or "default")
        if converter_class is not None and issubclass(converter_class, IntegerConverter):
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}  # larger: 404 (core.web.IdConverter)
        else:
            schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _nullable(schema: dict) -> dict:
    schema = {**schema, "nullable": True}
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _null_is_absent(schema: dict) -> dict:
    """A body's optional fields also take ``null``: the JSON body reader takes null for a field not sent."""
    if "oneOf" in schema:
        return {**schema, "oneOf": [_null_is_absent(variant) for variant in schema["oneOf"]]}
    required = set(schema.get("required", ()))
    properties = {name: prop if name in required or "$ref" in prop else _nullable(prop)
                  for name, prop in schema.get("properties", {}).items()}
    return {**schema, "properties": properties} if properties else schema


def _request_body(doc: ApiDoc) -> dict | None:
    if doc.request is None:
        return None
    schema = _null_is_absent(doc.request if isinstance(doc.request, dict) else form_schema(doc.request))
    if doc.body_optional:  # no body, an empty one and ``null`` all read as ``{}``
        schema = {**schema, "nullable": True}
    return {"required": not doc.body_optional, "content": _json(schema)}


def _responses(doc: ApiDoc, *, has_path_params: bool) -> dict:
    success = {"description": "success"}
    if doc.response is not None:
        success["content"] = _json(doc.response)
    statuses = set(doc.errors) | {503}
    if doc.request is not None:
        statuses |= {400, 413, 422}
    if has_path_params:
        statuses.add(404)
    if doc.query:
        statuses.add(422)
    responses = {str(doc.status): success}
    for status in sorted(statuses):
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status],
                                  "content": _json({"$ref": "#/components/schemas/Error"})}
    return responses


#: The header of :func:`interaction.core.api.idempotent` views: a repeat gets the first response (API.md).
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}}


def _operation(view, method: str, params: list[dict]) -> dict:
    doc_string = inspect.getdoc(view) or ""
    summary, _, description = doc_string.partition("\n")
    doc = getattr(view, "api_doc", None) or ApiDoc()
    params = params + [{"name": name, "in": "query", "required": False, "schema": schema}
                       for name, schema in doc.query.items()]
    if getattr(view, "takes_idempotency_key", False):
        params.append(IDEMPOTENCY_KEY)
        doc = replace(doc, errors=(*doc.errors, 409, 422))  # a key in use (409) or reused for another body (422)
    operation = {
        "summary": summary.strip() or view.__name__.replace("_", " "),
        "operationId": f"{view.__name__}_{method}",
        "responses": _responses(doc, has_path_params=any(p["in"] == "path" for p in params)),
    }
    if description.strip():
        operation["description"] = description.strip()
    if params:
        operation["parameters"] = params
    body = _request_body(doc)
    if body is not None:
        operation["requestBody"] = body
    return operation


def build_document(app) -> dict:
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule[len(PREFIX):])
        params = _path_parameters(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(view, method.lower(), params)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Interaction desk API", "version": "1"},
        "servers": [{"url": PREFIX}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }


@bp.get("/openapi.json")
@documented(response={"type": "object", "required": ["openapi", "paths"]})
def openapi_document():
    """The OpenAPI document: every /api/v1 route with its methods, bodies and responses."""
    return jsonify(build_document(current_app))
