"""The OpenAPI document: complete enough to test against (issue 13 item 7)."""

import re

import schemathesis
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from interaction.core.apidoc import form_schema
from interaction.mailbox.forms import ApiLetterForm

BODY_METHODS = {"post", "put", "patch"}


def _document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_openapi_lists_every_api_route(app, client):
    document = _document(client)
    assert document["openapi"].startswith("3.")
    routes = {(rule.rule.removeprefix("/api/v1"), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(path.replace("{", "<").replace("}", ">"), method)
              for path, ops in document["paths"].items() for method in ops}
    normalized = {(re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", path), method) for path, method in routes}
    assert normalized == listed
    assert ("/mailboxes", "get") in listed


def test_document_is_valid_openapi_3(client):
    schema = schemathesis.openapi.from_dict(_document(client))
    schema.validate()  # the OpenAPI 3.0 meta-schema
    assert len(list(schema.get_all_operations())) == sum(1 for _ in _operations(schema.raw_schema))


def test_every_body_method_describes_its_request_body(client):
    missing = [(method, path) for path, method, operation in _operations(_document(client))
               if method in BODY_METHODS and "content" not in operation.get("requestBody", {})]
    assert missing == []


def test_every_operation_describes_its_success_response(client):
    undescribed = []
    for path, method, operation in _operations(_document(client)):
        success = {status: r for status, r in operation["responses"].items() if status.startswith("2")}
        described = success and all(status == "204" or "schema" in r.get("content", {}).get("application/json", {})
                                    for status, r in success.items())
        if not described:
            undescribed.append((method, path))
    assert undescribed == []


def test_error_responses_use_the_error_schema(client):
    document = _document(client)
    operation = document["paths"]["/moderation/cases/{case_id}/decision"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422", "503"} <= set(operation["responses"])
    assert operation["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert "default" not in operation["responses"]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_integer_path_parameters_are_bounded(client):
    document = _document(client)
    parameter = document["paths"]["/interviews/{interview_id}"]["get"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": 2147483647}


def test_request_bodies_come_from_the_forms(client):
    document = _document(client)
    letter = document["paths"]["/letters"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    expected = form_schema(ApiLetterForm)
    assert letter["required"] == expected["required"]
    assert letter["properties"].keys() == expected["properties"].keys()
    assert letter["properties"]["subject"] == expected["properties"]["subject"]  # required: no null
    assert letter["properties"]["subject"]["maxLength"] == 100
    # Optional fields also take null, which the JSON body reader takes for a field not sent.
    assert letter["properties"]["public_consent"] == {"type": "boolean", "nullable": True}
    assert letter["properties"]["channel"]["enum"] == ["web", "post", "phone", "visit", None]
    assert letter["properties"]["category"]["enum"] == ["consultation", "suggestion", "complaint", "help", "report",
                                                        "other"]  # required (Required marker): no null
    assert "submission_token" not in letter["properties"]  # a page's hidden field, not part of the API
    decision = document["paths"]["/moderation/cases/{case_id}/decision"]["post"]["requestBody"]
    assert decision["content"]["application/json"]["schema"]["properties"]["reason"]["maxLength"] == 500
    ask = document["paths"]["/interviews/{interview_id}/questions"]["post"]["requestBody"]
    assert ask["content"]["application/json"]["schema"]["required"] == ["body"]


class _Sample(FlaskForm):
    title = StringField("t", validators=[DataRequired(), Length(min=2, max=20)])
    note = StringField("n", validators=[Optional(), Length(max=5)])
    agree = BooleanField("a")
    count = IntegerField("c", validators=[InputRequired(), NumberRange(min=1, max=9)])
    colour = SelectField("s", choices=[("", "-"), ("red", "Red"), ("blue", "Blue")])
    level = SelectField("l", choices=[(1, "one"), (2, "two")], coerce=int)
    tags = FieldList(StringField("tag", validators=[Length(max=3)]))


def test_form_schema_follows_the_field_types_and_validators():
    assert form_schema(_Sample) == {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 2, "maxLength": 20, "pattern": r"\S"},
            "note": {"type": "string", "maxLength": 5},
            "agree": {"type": "boolean"},
            "count": {"type": "integer", "minimum": 1, "maximum": 9},
            "colour": {"type": "string", "enum": ["red", "blue"]},
            "level": {"type": "integer", "enum": [1, 2]},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}},
        },
        "required": ["title", "count"],
    }


def test_form_schema_overrides_replace_and_remove_fields():
    schema = form_schema(_Sample, colour={"type": "string", "enum": ["green"]}, tags=None)
    assert schema["properties"]["colour"] == {"type": "string", "enum": ["green"]}
    assert "tags" not in schema["properties"]


def test_options_on_an_api_path_is_204_with_allow(client):
    response = client.options("/api/v1/mailboxes")
    assert response.status_code == 204
    assert response.data == b""
    assert "text/html" not in (response.headers.get("Content-Type") or "")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "OPTIONS"}
    response = client.options("/api/v1/letters")
    assert response.status_code == 204
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))


def test_idempotent_creates_list_the_idempotency_key_header(client):
    document = _document(client)
    for path in ("/letters", "/auth/register", "/interviews"):
        parameters = document["paths"][path]["post"]["parameters"]
        assert {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}} \
            in parameters
    assert "parameters" not in document["paths"]["/auth/token"]["post"]
