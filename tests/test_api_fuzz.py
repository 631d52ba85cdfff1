"""schemathesis over ``/api/v1/openapi.json``, in process, as anonymous and as each role (issue 13).

Every operation of the document is called with generated requests, valid and invalid, and
every response is checked against the document (status, content type, schema) and against
the server's own rules (never a 5xx, invalid data refused). The run is bounded (a few examples
per operation) so the whole module stays within a few minutes on SQLite and PostgreSQL.

Run it alone with ``pytest -m fuzz``.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.mailbox.models import Mailbox
from tests.factories import PASSWORD, make_department, make_interview, make_letter, make_mailbox, make_user

pytestmark = pytest.mark.fuzz

ROLES = ("anonymous", "citizen", "staff", "moderator", "admin")
#: Examples per operation and phase: 5 roles x 39 operations stay within a minute or two on SQLite and PostgreSQL.
MAX_EXAMPLES = 4

#: Operations not fuzzed, each with its reason.
EXCLUDED = {
    ("DELETE", "/auth/token"): "revokes the very token the run signs in with (tests/accounts test it)",
}

CONFIG = {
    # Request bodies are UTF-8 JSON: lone surrogates and NULs are refused with 400/422 by rule (API.md), so
    # valid data leaves them out (invalid data still carries whatever it likes).
    "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "codec": "utf-8", "allow-x00": False},
    "phases": {"stateful": {"enabled": False}},
    "checks": {
        # A form also checks what a JSON schema cannot say: that a mailbox or department code exists,
        # a phone number's shape, a time in the past, text that is not only invisible characters.
        # Valid-looking data may therefore get 422; everything else of the default list stands.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]},
    },
}


def _seed(role: str):
    """A department with a mailbox (so letters can be accepted), and a user of *role* (None: anonymous)."""
    department = make_department(code="fuzz")
    make_mailbox(department, code="fuzzbox")
    user = None if role == "anonymous" else make_user(role=role, department=department if role == "staff" else None)
    db.session.commit()
    return user


def _things() -> dict:
    """One of each thing a path names, so that the examples reach real objects and not only 404s."""
    from interaction.interviews import services as interviews
    from interaction.moderation import services as moderation

    department = db.session.scalar(select(Department).where(Department.code == "fuzz"))
    interview = make_interview(department, status="live")
    question = interviews.ask_question(interview, "营商环境如何优化？", actor=make_user())
    letter, _code = make_letter(db.session.scalar(select(Mailbox).where(Mailbox.code == "fuzzbox")))
    word = moderation.add_sensitive_word("测试词", "review", actor=make_user(role="admin"))
    db.session.commit()
    return {"interview_id": interview.id, "question_id": question.id, "case_id": question.moderation_case_id,
            "word_id": word.id, "number": letter.number, "seq": 1, "year": 2026}


@pytest.fixture(params=ROLES)
def auth_headers(request, app, client):
    """The request headers of the role: a bearer token from ``POST /auth/token``, none for anonymous."""
    user = _seed(request.param)
    if user is None:
        return {}
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def api_schema(app, client, auth_headers):
    """The served document, its path parameters given the seeded objects as examples."""
    document = client.get("/api/v1/openapi.json").get_json()
    examples = _things()
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in examples:
                    parameter["example"] = examples[parameter["name"]]
    api = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(CONFIG))
    api.app = app
    return api


schema = schemathesis.pytest.from_fixture("api_schema")
for _method, _path in EXCLUDED:
    schema = schema.exclude(method=_method, path=_path)


@schema.parametrize()
# The profile of tests/conftest.py (no deadline; derandomized in CI) with a bounded number of examples. Health
# checks are about the generator's speed and filtering, which a few examples of large bodies trip on a busy machine.
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, auth_headers):
    case.call_and_validate(headers=auth_headers)
