"""Fixtures shared by every test (CONVENTIONS 14).

The database is chosen by ``INTERACTION_TEST_DATABASE_URL`` (default: a SQLite
file in a temporary folder). The schema is created once per run; each test
starts from empty tables. ``INTERACTION_TEST_REQUIRE_SERVERS=1`` (set by
``.ci/run``) turns "server unreachable" from a skip into a failure.
"""

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import g

os.environ.setdefault("INTERACTION_SECRET_KEY", "test-secret-key")

from interaction import create_app  # noqa: E402
from interaction.core import time as core_time  # noqa: E402
from interaction.core.db import db  # noqa: E402

REQUIRE_SERVERS = os.environ.get("INTERACTION_TEST_REQUIRE_SERVERS") == "1"
_schema_ready: set[str] = set()


def server_unavailable(message: str):
    """Fail in CI, skip elsewhere, when a server a test needs cannot be reached."""
    if REQUIRE_SERVERS:
        pytest.fail(f"{message} (required in this run: INTERACTION_TEST_REQUIRE_SERVERS=1)")
    pytest.skip(f"{message}; start it, or set the URL, to run this test")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("INTERACTION_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_test_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    app = create_app(config)

    @app.before_request
    def _forget_cached_user():
        # Test requests reuse the fixture's app context, hence its ``g``: without this, Flask-Login
        # would keep the first request's user for every later client in the same test.
        g.pop("_login_user", None)

    return app


def _empty_tables():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(database_url):
    app = make_test_app(database_url)
    with app.app_context():
        if database_url not in _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready.add(database_url)
        try:
            yield app
        finally:
            db.session.remove()
            _empty_tables()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class FrozenClock:
    """The app's one clock, held still; ``advance`` moves it."""

    def __init__(self, start: datetime):
        self.set(start)

    def set(self, when: datetime):
        if when.tzinfo is None:
            raise ValueError("give the clock an aware datetime")
        core_time.clock.frozen = when.astimezone(UTC)

    def advance(self, **kwargs):
        core_time.clock.frozen = core_time.clock.frozen + timedelta(**kwargs)

    @property
    def now(self) -> datetime:
        return core_time.clock.frozen


@pytest.fixture
def clock():
    clock = FrozenClock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai
    try:
        yield clock
    finally:
        core_time.clock.frozen = None


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token a page would give the browser of this client's session."""
    response = client.get(path)
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, f"no csrf-token meta on {path}"
    return match.group(1)


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in as *user* (a cookie session, as the pages use)."""

    def _login(user):
        with client.session_transaction() as session:
            session.clear()
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return _login


@pytest.fixture
def post_form(client):
    """``post_form(url, data)`` posts a form with a valid CSRF token, as a browser would."""

    def _post(url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(client))
        return client.post(url, data=data, **kwargs)

    return _post


@pytest.fixture
def api_token(client):
    """``api_token(user, password)`` signs in through the API and returns request headers."""

    def _token(email, password):
        response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _token
