"""core.sessions: a session cookie verified once is read from memory, with Flask's rules kept."""

import pytest
from flask import session

from interaction.core import sessions


@pytest.fixture
def counting_app(app):
    @app.get("/test-session/visit")
    def visit():
        session["visits"] = session.get("visits", []) + ["x"]  # a mutable value, changed in place below
        session["visits"].append("y")
        return str(len(session["visits"]))

    @app.get("/test-session/read")
    def read():
        return str(len(session.get("visits", [])))

    return app


def _cookie(client):
    return client.get_cookie("session").value


def test_the_same_cookie_reads_the_same_session_every_time(counting_app):
    client = counting_app.test_client()
    assert client.get("/test-session/visit").get_data(as_text=True) == "2"
    cookie = _cookie(client)
    other = counting_app.test_client(use_cookies=False)
    for _ in range(3):  # each request gets its own copy: changing it changes nothing in the memo
        response = other.get("/test-session/visit", headers={"Cookie": f"session={cookie}"})
        assert response.get_data(as_text=True) == "4"
    assert other.get("/test-session/read", headers={"Cookie": f"session={cookie}"}).get_data(as_text=True) == "2"
    assert cookie in counting_app.extensions[sessions.SESSION_MEMO_KEY]


def test_a_tampered_or_expired_cookie_is_a_new_session(counting_app, monkeypatch):
    client = counting_app.test_client()
    client.get("/test-session/visit")
    cookie = _cookie(client)
    other = counting_app.test_client(use_cookies=False)
    tampered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    assert other.get("/test-session/read", headers={"Cookie": f"session={tampered}"}).get_data(as_text=True) == "0"
    assert other.get("/test-session/read", headers={"Cookie": f"session={cookie}"}).get_data(as_text=True) == "2"

    lifetime = counting_app.permanent_session_lifetime.total_seconds()
    now = sessions.time.time()
    monkeypatch.setattr(sessions.time, "time", lambda: now + lifetime + 5)  # memoized, then too old
    assert other.get("/test-session/read", headers={"Cookie": f"session={cookie}"}).get_data(as_text=True) == "0"
    assert cookie not in counting_app.extensions[sessions.SESSION_MEMO_KEY]
