"""Text and ids over the socket are refused as they are over HTTP (issue 13, items 3 and 4).

A NUL or a lone surrogate in any string, an id past the databases' integer range or of the wrong
type: a refusal acknowledgement with a translated message, nothing stored, never ``server_error``
(a NUL was stored on SQLite and crashed PostgreSQL; a surrogate crashed both).
"""

import pytest
from sqlalchemy import func, select

from interaction.core.db import db
from interaction.interviews import services
from interaction.interviews.models import LiveQuestion, QuestionState, TranscriptEntry
from tests.interviews.helpers import NS, emit, join


def _counts():
    return (db.session.scalar(select(func.count(LiveQuestion.id))),
            db.session.scalar(select(func.count(TranscriptEntry.id))))


def _assert_refused(ack, error="invalid_payload"):
    assert isinstance(ack, dict) and ack["ok"] is False, ack
    assert ack["error"] == error, ack
    assert ack["message"] and ack["message"] != "server_error", ack


@pytest.mark.parametrize("body", ["有\x00空字符", "\x00", "问题\ud800", "\udfff结尾"])
def test_unstorable_characters_in_a_question_are_refused_and_nothing_is_stored(people, interview, sio, body):
    citizen = sio(people["citizen"])
    before = _counts()
    ack = emit(citizen, "ask", {"interview": interview.id, "body": body})
    _assert_refused(ack)
    assert set(ack["fields"]) == {"body"}
    assert _counts() == before
    assert citizen.is_connected(NS)
    assert emit(citizen, "ask", {"interview": interview.id, "body": "正常的问题"})["ok"]  # still served


@pytest.mark.parametrize("event, payload", [
    ("answer", {"body": "回答\ud800"}),
    ("answer", {"body": "回答\x00"}),
    ("remark", {"body": "\ud800"}),
    ("approve", {"body": "改正\ud800"}),
    ("reject", {"reason": "理由\x00"}),
    ("join", {"since": 0, "\ud800": 1}),
    ("join", {"since": 0, "x\x00": "y"}),
])
def test_unstorable_characters_in_any_event_are_refused(people, interview, sio, event, payload):
    question = services.ask_question(interview, "待审核的问题", actor=people["citizen"])
    db.session.commit()
    key = "question" if event in {"approve", "reject"} else "interview"
    payload = {key: question.id if key == "question" else interview.id, **payload}
    moderator = sio(people["moderator"])
    before = _counts()
    _assert_refused(emit(moderator, event, payload))
    assert _counts() == before
    assert db.session.get(LiveQuestion, question.id).state == QuestionState.pending


def test_the_reply_names_no_key_it_could_not_encode(people, interview, sio):
    ack = emit(sio(), "join", {"interview": interview.id, "\ud800": 1})
    _assert_refused(ack)
    assert "fields" not in ack or all("\ud800" not in name for name in ack["fields"])


def test_a_token_holding_a_surrogate_is_refused_at_connect(people, sio):
    client = sio(auth={"token": "tok\ud800"})
    assert not client.is_connected(NS)


@pytest.mark.parametrize("value", [2**31, 2**31 + 5, 2**53, 2**63, 2**64, -1, 0, "1", [1], {"id": 1}, True, 1.0])
@pytest.mark.parametrize("event, name", [
    ("join", "interview"), ("ask", "interview"), ("approve", "question"), ("reject", "question"),
    ("pick", "question"), ("upvote", "question"), ("answer", "question"), ("answer", "guest"), ("leave", "interview"),
])
def test_ids_past_the_database_range_or_of_the_wrong_type_are_refused(people, interview, sio, event, name, value):
    moderator = sio(people["moderator"])
    payload = {"interview": interview.id, "body": "内容", name: value}
    before = _counts()
    ack = emit(moderator, event, payload)
    _assert_refused(ack)
    assert set(ack["fields"]) == {name}
    assert _counts() == before


@pytest.mark.parametrize("since", [2**31, 2**63, "0", [0], True])
def test_since_past_the_database_range_is_refused(people, interview, sio, since):
    ack = emit(sio(), "join", {"interview": interview.id, "since": since})
    _assert_refused(ack)
    assert set(ack["fields"]) == {"since"}


def test_an_overlong_question_gets_the_message_the_page_gives(client, login, post_form, people, interview, sio):
    """The socket validates with the page's form: same refusal, same words."""
    login(people["citizen"])
    response = post_form(f"/interviews/{interview.id}/questions", {"body": "问" * 501})
    assert response.status_code == 302
    with client.session_transaction() as session:
        page_messages = [message for _category, message in session.get("_flashes", [])]
    ack = emit(sio(people["citizen"]), "ask", {"interview": interview.id, "body": "问" * 501})
    _assert_refused(ack, error="invalid_fields")
    assert page_messages == [ack["fields"]["body"]]
    assert _counts() == (0, 0)


def test_blank_text_gets_the_message_the_page_gives(people, interview, sio):
    citizen = sio(people["citizen"])
    ack = emit(citizen, "ask", {"interview": interview.id, "body": "  "})
    _assert_refused(ack, error="invalid_fields")
    assert ack["fields"]["body"] == "请填写问题。"
    official = sio(people["official"])
    ack = emit(official, "answer", {"interview": interview.id, "body": "  "})
    _assert_refused(ack, error="invalid_fields")
    assert ack["fields"]["body"] == "请填写内容。"


def test_messages_follow_the_language(people, interview, sio, app):
    """A refusal's message is translated like the page's (English for an English browser)."""
    from flask_socketio import SocketIOTestClient

    from interaction.core.extensions import socketio

    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = people["citizen"].get_id()
    http.set_cookie("lang", "en")
    client = SocketIOTestClient(app, socketio, namespace=NS, flask_test_client=http)
    try:
        ack = emit(client, "ask", {"interview": interview.id, "body": "x\x00"})
        _assert_refused(ack)
        assert ack["message"].isascii(), ack
    finally:
        client.disconnect(namespace=NS)
    assert join(sio(), interview.id)["ok"]


@pytest.mark.parametrize("event, payload", [
    ("join", {"interview": 2**31 - 1, "since": 2**31 - 1}),
    ("approve", {"question": 2**31 - 1}),
    ("answer", {"interview": 2**31 - 1, "body": "答"}),
])
def test_the_largest_id_the_databases_hold_is_looked_up(people, interview, sio, event, payload):
    """The bound is the databases' own (core.db.MAX_ID): the largest id is a plain "not found"."""
    _assert_refused(emit(sio(people["moderator"]), event, payload), error="not_found")
