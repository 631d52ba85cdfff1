"""PostgreSQL connections are pinged after resting in the pool, not at every checkout (core.db)."""

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from interaction.core import db as core_db
from interaction.core.db import db


@pytest.fixture
def pooled_pid(app):
    """The backend of the pool's only connection, which is resting in the pool."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pings of server connections: PostgreSQL only (this suite also runs on PostgreSQL)")
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    yield pid  # back in the pool, resting
    db.engine.dispose()


def _end_backend(pid: int) -> None:
    """End the server side of connection *pid*, as a server restart or a proxy's idle time-out would."""
    conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]


def _backend_pid() -> int:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def test_a_rested_connection_whose_server_went_away_is_replaced_unseen(pooled_pid, monkeypatch):
    monkeypatch.setattr(core_db, "PING_AFTER_RESTING", 0.0)
    _end_backend(pooled_pid)
    assert _backend_pid() != pooled_pid  # the ping failed, the pool opened a new connection


def test_a_connection_used_moments_ago_is_not_pinged(pooled_pid, monkeypatch):
    monkeypatch.setattr(core_db, "PING_AFTER_RESTING", 3600.0)
    _end_backend(pooled_pid)
    with pytest.raises(OperationalError):  # no ping: the statement itself meets the closed connection
        _backend_pid()
    assert _backend_pid() != pooled_pid  # and SQLAlchemy renewed the pool after that disconnect
