"""Socket.IO refusals carry a message in the person's language, like the pages (issue 18, item 8).

Every refusal has a ``message`` (not only a code the room would show as it is): a refused question,
a failure on the server, too many events; in English for an English browser, in Chinese otherwise.
"""

import pytest
from flask_socketio import SocketIOTestClient

from interaction.core.extensions import socketio
from interaction.interviews import services
from tests.interviews.helpers import NS, emit


def _client(app, user, lang):
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    if lang:
        http.set_cookie("lang", lang)
    with app.app_context():
        return SocketIOTestClient(app, socketio, namespace=NS, flask_test_client=http)


@pytest.mark.parametrize("lang, expected", [("en", "This could not be done just now"), (None, "暂时无法处理")])
def test_a_server_failure_is_told_in_the_persons_language(app, people, interview, monkeypatch, lang, expected):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "ask_question", broken)
    client = _client(app, people["citizen"], lang)
    try:
        ack = emit(client, "ask", {"interview": interview.id, "body": "课后服务几点结束？"})
    finally:
        client.disconnect(namespace=NS)
    assert ack["ok"] is False and ack["error"] == "server_error"
    assert expected in ack["message"]


@pytest.mark.parametrize("lang", ["en", None])
def test_a_refusal_and_its_fields_follow_the_language(app, people, interview, lang):
    client = _client(app, people["citizen"], lang)
    try:
        ack = emit(client, "ask", {"interview": interview.id, "body": "   "})
    finally:
        client.disconnect(namespace=NS)
    assert ack["ok"] is False
    texts = [ack.get("message") or "", *(ack.get("fields") or {}).values()]
    assert any(texts)
    for text in filter(None, texts):
        assert text.isascii() == (lang == "en"), texts
