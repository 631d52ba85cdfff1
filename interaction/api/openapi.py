"""The machine-readable description of ``/api/v1``, built from the routes themselves.

Every rule under the API prefix is listed with its methods and the first
line of its view's docstring, so the document cannot drift from the server;
a view may add detail through an ``openapi`` attribute (a dict merged into its
operation, e.g. a requestBody schema).
"""

import inspect
import re

from flask import Blueprint, current_app, jsonify

bp = Blueprint("openapi", __name__)

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_TYPES = {"int": "integer", "float": "number"}

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


def _operation(view, method: str, params: list[dict]) -> dict:
    doc = inspect.getdoc(view) or ""
    summary, _, description = doc.partition("\n")
    operation = {
        "summary": summary.strip() or view.__name__.replace("_", " "),
        "operationId": f"{view.__name__}_{method}",
        "responses": {
            "default": {"description": "error", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Error"}}}},
            "2XX": {"description": "success", "content": {"application/json": {}}},
        },
    }
    if description.strip():
        operation["description"] = description.strip()
    if params:
        operation["parameters"] = params
    operation.update(getattr(view, "openapi", {}).get(method, {}))
    return operation


def build_document(app) -> dict:
    prefix = "/api/v1"
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(prefix + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule[len(prefix):])
        params = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": _TYPES.get(conv or "", "string")}}
                  for conv, name in _CONVERTER.findall(rule.rule)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(view, method.lower(), params)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Interaction desk API", "version": "1"},
        "servers": [{"url": prefix}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document: every /api/v1 route with its methods."""
    return jsonify(build_document(current_app))
