"""Fixtures shared by every test (CONVENTIONS 14).

The database is chosen by ``INTERACTION_TEST_DATABASE_URL`` (default: a SQLite
file in a temporary folder). The schema is created once per run; each test
starts from empty tables. ``INTERACTION_TEST_REQUIRE_SERVERS=1`` (set by
``.ci/run``) turns "server unreachable" from a skip into a failure.
"""

import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings

# No deadlines: a loaded 2-core CI machine makes timings noisy, and speed lives in bench/.
# In CI the examples are derived from the test itself, so a run is repeatable.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

os.environ.setdefault("INTERACTION_SECRET_KEY", "test-secret-key")

from tests.helpers import (  # noqa: E402,F401 - re-exported for older imports
    REQUIRE_SERVERS,
    TEST_HASH_METHOD,
    csrf_token,
    make_test_app,
    server_unavailable,
)
from interaction.core import time as core_time  # noqa: E402
from interaction.core.db import db  # noqa: E402

_schema_ready: set[str] = set()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("INTERACTION_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


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
            db.engine.dispose()  # each test builds an app with its own pool: close it, or PostgreSQL runs out


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
