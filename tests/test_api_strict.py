"""Every JSON field has one type; a value of another type is 422 naming the field (issue 13 item 2).

API.md, Conventions: a boolean is ``true``/``false``, a string a JSON string, a number a number;
nothing is coerced (``"no"`` is not consent, ``true`` not the text "y", ``["a", "b"]`` not "a").
One table walks every JSON endpoint and field: each wrong type of each field is refused by name,
whether the endpoint validates with a WTForms form (``core.api.validate``) or reads the body by hand.
"""

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from interaction.accounts.models import User
from interaction.accounts.services import issue_token
from interaction.core.db import db
from interaction.interviews import services as interviews
from interaction.interviews.models import Interview, TranscriptEntry
from interaction.interviews.services import GuestData
from interaction.mailbox.models import Letter
from interaction.moderation.models import SensitiveWord
from interaction.polls.models import Poll
from interaction.qa.models import Answer, Question
from tests.factories import PASSWORD, make_department, make_interview, make_letter, make_mailbox, make_user

STRING = [True, 5, 1.5, ["a", "b"], {"a": "b"}]
BOOLEAN = ["no", "true", "", 1, 0, ["y"], {"y": True}]
INTEGER = ["5", True, 5.5, [5], {"n": 5}]
STRINGS = ["2027-01-01", [1], [True], [["2027-01-01"]], {"a": "b"}]
INTEGERS = [1, "1", [True], ["1"], [1.0], [[1]]]

LETTER = {"mailbox": "governor", "category": "complaint", "subject": "小区噪音问题", "body": "工地夜间施工。",
          "name": "王小明", "phone": "13812345678", "email": "wang@example.com", "public_consent": False}


@dataclass
class Desk:
    number: str
    query_code: str
    interview: int
    question: int
    case: int
    tokens: dict
    qa_question: int = 0


@pytest.fixture
def desk(app, client, clock):
    """A mailbox with a letter, a live interview with a pending question and a transcript entry; tokens per role."""
    with app.test_request_context():
        office = make_department(code="office", name="省政府办公厅")
        mailbox = make_mailbox(office, code="governor", name="省长信箱")
        people = {"staff": make_user("staff", office, email="staff@example.com"),
                  "admin": make_user("admin", email="admin@example.com"),
                  "moderator": make_user("moderator", email="mod@example.com"),
                  "citizen": make_user("citizen", email="citizen@example.com"),
                  "guest": make_user("staff", office, email="guest@example.com"),
                  "host": make_user("staff", office, email="host@example.com")}
        letter, code = make_letter(mailbox)
        interview = make_interview(office, status="live", actor=people["moderator"], guests=[
            GuestData("李明", "主任", user_email="guest@example.com"),
            GuestData("王芳", "主持人", role="host", user_email="host@example.com")])
        question = interviews.ask_question(interview, "什么时候开通？", actor=people["citizen"])
        interviews.post_remark(interview, "欢迎各位网友。", actor=people["host"])
        qa_question = _approved_qa_question(office, people)
        db.session.commit()
        tokens = {role: {"Authorization": f"Bearer {issue_token(user)[0]}"} for role, user in people.items()}
        db.session.commit()
        return Desk(letter.number, code, interview.id, question.id, question.moderation_case_id, tokens, qa_question)


def _approved_qa_question(department, people) -> int:
    """A public Q&A question of *department*, approved by the moderator (open for its answer)."""
    from interaction.moderation.models import ModerationCase
    from interaction.moderation.services import decide_case
    from interaction.qa import services as qa

    question = qa.ask_question(department, kind="question", title="办事指南在哪里", body="请问在哪里查？",
                               actor=people["citizen"])
    case = db.session.scalar(select(ModerationCase).filter_by(kind=qa.QUESTION_KIND, target_id=str(question.id)))
    decide_case(case, "approve", actor=people["moderator"])
    return question.id


@dataclass
class Endpoint:
    method: str
    url: str  # formatted with the Desk's fields
    role: str | None
    valid: dict  # a body the endpoint accepts, apart from the field under test

    def call(self, client, desk: Desk, body: dict):
        headers = desk.tokens[self.role] if self.role else {}
        url = self.url.format(**vars(desk))
        return client.open(url, method=self.method, json=body, headers=headers)


LETTERS = Endpoint("POST", "/api/v1/letters", None, LETTER)
ACCEPT = Endpoint("POST", "/api/v1/letters/{number}/actions", "staff", {"action": "accept"})
REJECT = Endpoint("POST", "/api/v1/letters/{number}/actions", "staff", {"action": "reject", "reason": "不属于受理范围"})
EXTEND = Endpoint("POST", "/api/v1/letters/{number}/actions", "staff",
                  {"action": "extend", "workdays": 5, "reason": "需要调查"})
ASSIGN = Endpoint("POST", "/api/v1/letters/{number}/actions", "staff", {"action": "assign", "department": "office"})
REPLY = Endpoint("POST", "/api/v1/letters/{number}/actions", "staff", {"action": "reply", "body": "已处理。"})
RATING = Endpoint("POST", "/api/v1/letters/{number}/rating", None, {"query_code": "{query_code}", "score": 5})
REHANDLE = Endpoint("POST", "/api/v1/letters/{number}/rehandle", None, {"query_code": "{query_code}"})
SUPERVISE = Endpoint("POST", "/api/v1/letters/{number}/supervise", "admin", {"note": "请加快办理。"})
TOKEN = Endpoint("POST", "/api/v1/auth/token", None, {"email": "citizen@example.com", "password": PASSWORD})
REGISTER = Endpoint("POST", "/api/v1/auth/register", None,
                    {"email": "new@example.com", "password": "a-long-password-1", "name": "新用户",
                     "phone": "13700137000"})
CALENDAR = Endpoint("PUT", "/api/v1/calendar/2027", "admin", {"holidays": ["2027-01-01"], "workdays": []})
PHONE_CODES = Endpoint("POST", "/api/v1/phone-codes", None, {"phone": "13812345678"})
INTERVIEWS = Endpoint("POST", "/api/v1/interviews", "moderator",
                      {"title": "访谈", "scheduled_at": "2027-01-05T10:00:00+08:00", "department": "office",
                       "guests": [{"name": "李明", "title": "主任"}]})
CORRECT = Endpoint("PATCH", "/api/v1/interviews/{interview}/transcript/1", "moderator",
                   {"body": "欢迎各位网友！", "reason": "标点"})
APPROVE = Endpoint("POST", "/api/v1/interviews/questions/{question}/approve", "moderator", {})
REJECT_QUESTION = Endpoint("POST", "/api/v1/interviews/questions/{question}/reject", "moderator", {})
ASK = Endpoint("POST", "/api/v1/interviews/{interview}/questions", "citizen", {"body": "请问？"})
ANSWERS = Endpoint("POST", "/api/v1/interviews/{interview}/answers", "guest", {"body": "我来回答。"})
REMARKS = Endpoint("POST", "/api/v1/interviews/{interview}/remarks", "host", {"body": "下一个问题。"})
DECISION = Endpoint("POST", "/api/v1/moderation/cases/{case}/decision", "moderator", {"verdict": "approve"})
DECISIONS = Endpoint("POST", "/api/v1/moderation/cases/decision", "moderator", {"ids": [1], "verdict": "approve"})
WORD = Endpoint("POST", "/api/v1/moderation/words", "admin", {"word": "词", "list": "review"})
WORDS = Endpoint("POST", "/api/v1/moderation/words", "admin", {"words": ["词"], "list": "review"})
QUESTIONS = Endpoint("POST", "/api/v1/questions", "citizen",
                     {"department": "office", "kind": "question", "title": "问题", "body": "内容"})
QA_ANSWER = Endpoint("POST", "/api/v1/questions/{qa_question}/answer", "staff", {"body": "答复。"})
QA_EDIT = Endpoint("PUT", "/api/v1/questions/{qa_question}/answer", "staff", {"body": "修改。"})
QA_REROUTE = Endpoint("POST", "/api/v1/questions/{qa_question}/reroute", "admin",
                      {"department": "office", "reason": "改派"})
QA_CONSENT = Endpoint("POST", "/api/v1/questions/{qa_question}/consent", "citizen", {"publication_consent": True})
QA_SETTING = Endpoint("PUT", "/api/v1/questions/settings/office", "admin", {"answers_need_review": False})
POLLS = Endpoint("POST", "/api/v1/polls", "staff", {
    "title": "调查", "opens_at": "2027-01-05T10:00:00+08:00", "closes_at": "2027-01-20T18:00:00+08:00",
    "questions": [{"kind": "single", "prompt": "选哪个？", "options": ["甲", "乙"]}]})

CASES = [
    *[(LETTERS, name, STRING) for name in ("mailbox", "category", "subject", "body", "name", "phone", "email",
                                           "received_at", "channel", "phone_code")],
    (LETTERS, "public_consent", BOOLEAN),
    (PHONE_CODES, "phone", STRING),
    (ACCEPT, "action", STRING),
    (REJECT, "reason", STRING),
    (EXTEND, "workdays", INTEGER),
    (EXTEND, "reason", STRING),
    (ASSIGN, "department", STRING),
    (REPLY, "body", STRING),
    (RATING, "query_code", STRING),
    (RATING, "score", INTEGER),
    (RATING, "resolution", INTEGER),
    (RATING, "comment", STRING),
    (REHANDLE, "query_code", STRING),
    (REHANDLE, "reason", STRING),
    (SUPERVISE, "note", STRING),
    (TOKEN, "email", STRING),
    (TOKEN, "password", STRING),
    *[(REGISTER, name, STRING) for name in ("email", "password", "name", "phone")],
    (CALENDAR, "holidays", STRINGS),
    (CALENDAR, "workdays", STRINGS),
    (CALENDAR, "year", INTEGER),
    *[(INTERVIEWS, name, STRING) for name in ("title", "scheduled_at", "department", "topic", "description")],
    (INTERVIEWS, "expected_minutes", INTEGER),
    (CORRECT, "body", STRING),
    (CORRECT, "reason", STRING),
    (APPROVE, "body", STRING),
    (REJECT_QUESTION, "reason", STRING),
    (ASK, "body", STRING),
    (ANSWERS, "body", STRING),
    (ANSWERS, "question", INTEGER),
    (ANSWERS, "guest", INTEGER),
    (REMARKS, "body", STRING),
    (DECISION, "verdict", STRING),
    (DECISION, "reason", STRING),
    (DECISIONS, "ids", INTEGERS),
    (DECISIONS, "verdict", STRING),
    (WORD, "word", STRING),
    (WORD, "list", STRING),
    (WORDS, "words", STRINGS),
    *[(QUESTIONS, name, STRING) for name in ("department", "kind", "title", "body", "topic")],
    (QUESTIONS, "publication_consent", BOOLEAN),
    (QA_ANSWER, "body", STRING),
    (QA_EDIT, "body", STRING),
    (QA_REROUTE, "department", STRING),
    (QA_REROUTE, "reason", STRING),
    (QA_CONSENT, "publication_consent", BOOLEAN),
    (QA_SETTING, "answers_need_review", BOOLEAN),
    *[(POLLS, name, STRING) for name in ("title", "description", "opens_at", "closes_at", "results_visibility",
                                         "department")],
    (POLLS, "questions", ["x", 5, True, {"a": "b"}]),
]


def _body(endpoint: Endpoint, desk: Desk, **change) -> dict:
    body = {k: v.format(**vars(desk)) if isinstance(v, str) else v for k, v in endpoint.valid.items()}
    return {**body, **change}


def _stored(app) -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Letter, User, Interview, TranscriptEntry, SensitiveWord, Question, Answer, Poll)}


@pytest.mark.parametrize(("endpoint", "field", "wrong"), CASES,
                         ids=[f"{e.method} {e.url} {field}" for e, field, _w in CASES])
def test_a_field_of_another_json_type_is_422_naming_it(app, client, desk, endpoint, field, wrong):
    before = _stored(app)
    for value in wrong:
        response = endpoint.call(client, desk, _body(endpoint, desk, **{field: value}))
        assert response.status_code == 422, (value, response.get_data(as_text=True)[:300])
        error = response.get_json()["error"]
        assert field in error.get("fields", {}), (value, error)
    assert _stored(app) == before


@pytest.mark.parametrize("endpoint", [LETTERS, TOKEN, REGISTER, EXTEND, RATING, INTERVIEWS, WORD, DECISIONS,
                                      QUESTIONS, QA_ANSWER, QA_SETTING, POLLS],
                         ids=lambda e: f"{e.method} {e.url}")
def test_the_tables_valid_bodies_are_accepted(client, desk, endpoint):
    """The bodies the table changes one field of are themselves valid (so each 422 is the field's)."""
    response = endpoint.call(client, desk, _body(endpoint, desk))
    assert response.status_code < 300 or response.status_code in (404, 409), response.get_json()


def test_public_consent_no_is_refused_and_nothing_stored(client, desk):
    response = client.post("/api/v1/letters", json={**LETTER, "public_consent": "no"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"public_consent"}
    assert db.session.scalar(select(func.count()).select_from(Letter)) == 1  # the desk's own letter


@pytest.mark.parametrize("consent", [True, False])
def test_public_consent_takes_json_booleans(client, desk, consent):
    response = client.post("/api/v1/letters", json={**LETTER, "public_consent": consent})
    assert response.status_code == 201
    letter = db.session.scalar(select(Letter).filter_by(number=response.get_json()["number"]))
    assert letter.public_consent is consent


@pytest.mark.parametrize(("field", "value"), [("body", True), ("subject", ["a", "b"]), ("mailbox", ["governor"])])
def test_letter_fields_are_not_coerced(client, desk, field, value):
    response = client.post("/api/v1/letters", json={**LETTER, field: value})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_an_object_as_action_is_422_not_500(client, desk):
    response = ACCEPT.call(client, desk, {"action": {}})
    assert response.status_code == 422
    assert "action" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("ids", [[2**31], [0], [2**63]])
def test_case_ids_past_the_databases_range_are_refused(client, desk, ids):
    response = DECISIONS.call(client, desk, {"ids": ids, "verdict": "approve"})
    assert response.status_code == 422


@pytest.mark.parametrize("field", ["question", "guest"])
@pytest.mark.parametrize("value", [2**31, 2**63, 0])
def test_answer_ids_past_the_databases_range_are_refused(client, desk, field, value):
    response = ANSWERS.call(client, desk, {"body": "回答", field: value})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


# Lone UTF-16 surrogates (issue 13 item 3): JSON allows the escape "\ud800", but no database can store
# the character it decodes to. The one JSON body reader refuses it, like a NUL, on every endpoint.

SURROGATE_BODIES = [
    (LETTERS, "subject"), (LETTERS, "name"), (TOKEN, "password"), (TOKEN, "email"), (REGISTER, "name"),
    (REGISTER, "password"), (REPLY, "body"), (ASK, "body"), (APPROVE, "body"), (WORD, "word"),
    (DECISION, "reason"), (CALENDAR, "holidays"), (PHONE_CODES, "phone"),
]


def _raw(endpoint: Endpoint, desk: Desk, field: str, escaped: str) -> bytes:
    """The endpoint's valid body as JSON text, with *field*'s string value holding *escaped* (a JSON escape)."""
    body = _body(endpoint, desk, **{field: "MARK"})
    return json.dumps(body).replace('"MARK"', f'"a{escaped}b"').encode()


@pytest.mark.parametrize(("endpoint", "field"), SURROGATE_BODIES, ids=[f"{e.url} {f}" for e, f in SURROGATE_BODIES])
@pytest.mark.parametrize("escaped", ["\\ud800", "\\uDFFF", "\\udc00\\ud800"])
def test_lone_surrogates_in_a_json_string_are_refused(app, client, desk, endpoint, field, escaped):
    before = _stored(app)
    headers = desk.tokens[endpoint.role] if endpoint.role else {}
    response = client.open(endpoint.url.format(**vars(desk)), method=endpoint.method,
                           data=_raw(endpoint, desk, field, escaped), content_type="application/json",
                           headers=headers)
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    assert _stored(app) == before


def test_a_surrogate_pair_is_a_character_and_accepted(client, desk):
    body = json.dumps({**LETTER, "subject": "MARK"}).replace('"MARK"', '"\\ud83d\\ude00 问题"').encode()
    response = client.post("/api/v1/letters", data=body, content_type="application/json")
    assert response.status_code == 201
    letter = db.session.scalar(select(Letter).filter_by(number=response.get_json()["number"]))
    assert letter.subject == "\U0001f600 问题"


@pytest.mark.parametrize("raw", [b'{"email": "a@example.com", "password": "\xed\xa0\x80"}',
                                 b'{"email": "a@example.com", "\\ud800": "x", "password": "x"}',
                                 '{"email": "a@example.com", "password": "\ud800"}'.encode("utf-16-le",
                                                                                         "surrogatepass")])
def test_surrogates_in_keys_or_encoded_in_the_bytes_are_refused(client, raw):
    response = client.post("/api/v1/auth/token", data=raw, content_type="application/json")
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
