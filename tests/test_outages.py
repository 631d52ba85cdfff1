"""Outages (issue 13, items 5 and 6): the desk keeps serving without Redis, and answers 503 without its database.

Redis: a real ``redis-server`` on a free port (:class:`tests.redis_server.RedisServer`), killed with
``kill -9`` during the test and started again on the same port. Database: an address nobody
listens on (PostgreSQL), a directory where the SQLite file should be, and a connection that
``pg_terminate_backend`` closes from the server side.
"""

import logging

import pytest
from sqlalchemy import text

from interaction.core.db import db
from tests.factories import PASSWORD, make_letter, make_mailbox, make_user
from tests.helpers import csrf_token, make_test_app
from tests.redis_server import RedisServer


@pytest.fixture
def redis_server(monkeypatch):
    from interaction.core.extensions import limiter

    # One Flask-Limiter object serves every app a test builds: its "storage is down" mark (no public
    # way to clear it) must not outlive this test and send the next one's Redis limits to memory.
    monkeypatch.setattr(limiter, "_storage_dead", False)
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _redis_app(database_url, redis_url, **config):
    return make_test_app(database_url, REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url,
                         RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
                         **config)


def _sign_in_everywhere(client, email, number, query_code) -> list[int]:
    """Token, registration, the HTML sign-in and letter tracking (page and API): their statuses."""
    statuses = [
        client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).status_code,
        client.post("/api/v1/auth/register", json={"email": f"new-{len(email)}-{id(client)}@example.com",
                                                   "password": "a long enough password", "name": "李四",
                                                   "phone": "13900139000"}).status_code,
        client.get(f"/api/v1/letters/{number}?query_code={query_code}").status_code,
    ]
    login = client.post("/login", data={"email": email, "password": PASSWORD,
                                        "csrf_token": csrf_token(client, "/login")})
    track = client.post("/mailbox/track", data={"number": number, "query_code": query_code,
                                                "csrf_token": csrf_token(client, "/mailbox/track")})
    return statuses + [login.status_code, track.status_code]


@pytest.mark.redis
def test_sign_in_and_tracking_keep_working_while_redis_is_down(app, database_url, redis_server, caplog):
    user = make_user(email="outage@example.com")
    letter, code = make_letter(make_mailbox())
    number, email = letter.number, user.email
    db.session.commit()  # and read nothing after it: a read here would hold SQLite's lock
    desk = _redis_app(database_url, redis_server.url, SIGN_IN_RATE_LIMIT="100/minute")
    from interaction.core.extensions import limiter

    assert type(limiter.storage).__name__ == "RedisStorage"
    assert _sign_in_everywhere(desk.test_client(), email, number, code) == [200, 201, 200, 302, 302]

    redis_server.kill()
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            statuses = _sign_in_everywhere(desk.test_client(), email, number, code)
            assert 500 not in statuses and statuses[0] == 200 and statuses[2] == 200, statuses
    fallbacks = [r for r in caplog.records if "falling back to in-memory" in r.getMessage()]
    assert len(fallbacks) == 1, "the switch to memory is logged once, not per request"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no error per request"

    health = desk.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "degraded",
                                 "checks": {"database": "ok", "redis": "down", "realtime": "fast"}}

    redis_server.start()
    health = desk.test_client().get("/healthz")
    assert health.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "realtime": "fast"}}


@pytest.mark.redis
def test_rate_limits_still_hold_in_memory_while_redis_is_down(app, database_url, redis_server):
    make_user(email="limited@example.com")
    db.session.commit()
    desk = _redis_app(database_url, redis_server.url, SIGN_IN_RATE_LIMIT="3/minute")
    redis_server.kill()
    client = desk.test_client()
    statuses = [client.post("/api/v1/auth/token", json={"email": "limited@example.com", "password": "wrong"})
                .status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_healthz_without_redis_configured(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "realtime": "fast"}}


# -- the database ---------------------------------------------------------------------------------------------

def _unreachable_database_url(database_url: str, tmp_path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}"  # a directory: "unable to open database file"
    return "postgresql+psycopg://postgres@127.0.0.1:1/unreachable?connect_timeout=2"


def test_database_outage_answers_503_with_one_traceback(app, database_url, tmp_path, caplog):
    desk = make_test_app(_unreachable_database_url(database_url, tmp_path))
    client = desk.test_client()
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            response = client.get("/api/v1/mailboxes")
            assert response.status_code == 503
            assert response.headers["Retry-After"].isdigit()
            assert response.get_json()["error"]["code"] == "database_unavailable"
        page = client.get("/mailbox/public")
        client.set_cookie("lang", "en")
        page_en = client.get("/mailbox/public")
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert page.mimetype == "text/html" and "系统暂时无法访问数据库" in page.get_data(as_text=True)
    assert page_en.status_code == 503 and "database" in page_en.get_data(as_text=True).lower()
    failures = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(failures) == 7, "one line per request"
    assert len([r for r in failures if r.exc_info]) == 1, "one traceback per outage"

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "error", "checks": {"database": "down"}}


def test_a_connection_closed_by_the_server_answers_503_then_the_desk_recovers(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    desk = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    client = desk.test_client()
    assert client.get("/api/v1/mailboxes").status_code == 200
    with app.app_context():
        db.session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        db.session.commit()
    response = client.get("/api/v1/mailboxes")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert client.get("/api/v1/mailboxes").status_code == 200  # a new connection: served again
    with desk.app_context():
        db.engine.dispose()


def test_a_statement_error_is_not_an_outage(app):
    from sqlalchemy.exc import DBAPIError

    from interaction.core.errors import is_database_unavailable

    with pytest.raises(DBAPIError) as raised:
        db.session.execute(text("SELECT * FROM no_such_table"))
    db.session.rollback()
    assert not is_database_unavailable(raised.value)  # SQLite: an OperationalError too, yet a bug, not an outage
