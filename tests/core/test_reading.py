"""core.db.reading: the reads before a short write hold no write lock (SQLite) and no transaction (PostgreSQL)."""

import sqlite3

import pytest
from sqlalchemy import event, select

from interaction.accounts.models import Department
from interaction.core.audit import INSERT_ENTRY, AuditEntry
from interaction.core.db import ReadOnlyRequestWrote, db, reading, write_intent
from interaction.core.time import now_utc
from tests.factories import make_department


@pytest.fixture
def office(app):
    make_department(code="office", name="省政府办公厅")
    db.session.commit()


@pytest.fixture
def statements(app):
    sent = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


def _another_writer_can_write() -> bool:
    """Whether another connection gets SQLite's write lock at once."""
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        other.close()


def _connection_state() -> tuple[bool, str]:
    dbapi_connection = db.session.connection().connection.dbapi_connection
    return dbapi_connection.autocommit, dbapi_connection.info.transaction_status.name


def test_the_block_reads_without_the_write_lock_or_a_transaction(office):
    sqlite = db.engine.dialect.name == "sqlite"
    with reading():
        found = db.session.scalar(select(Department).where(Department.code == "office"))
        if sqlite:
            assert _another_writer_can_write()
        else:
            assert _connection_state() == (True, "IDLE")  # psycopg's autocommit: no transaction open
    assert found.name == "省政府办公厅"
    assert write_intent.get()
    connection = db.session.connection()
    if sqlite:
        assert _another_writer_can_write()  # the block ended; nothing written yet: still no lock
    db.session.execute(select(Department.id))  # what follows writes: it takes the lock (begins a transaction)
    assert db.session.connection() is connection  # on the same connection: the read became the write
    if sqlite:
        assert not _another_writer_can_write()
    else:
        assert _connection_state() == (False, "INTRANS")
    db.session.rollback()
    if sqlite:
        assert _another_writer_can_write()


def test_a_write_at_the_driver_after_the_block_takes_the_lock_first(office):
    """core.prepared's statements bypass SQLAlchemy's events: they begin the write themselves."""
    with reading():
        db.session.scalar(select(Department).where(Department.code == "office"))
    INSERT_ENTRY.run(**_audit_values())
    if db.engine.dialect.name == "sqlite":
        assert not _another_writer_can_write()
    else:
        assert _connection_state() == (False, "INTRANS")
    db.session.rollback()  # the insert was in the transaction: nothing stays
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "test.reading")) is None


def _audit_values() -> dict:
    return {"action": "test.reading", "actor_id": None, "target_type": None, "target_id": None,
            "detail": {}, "ip": None, "at_dt": now_utc()}


def test_what_the_block_loaded_stays_loaded(office, statements):
    with reading():
        found = db.session.scalar(select(Department).where(Department.code == "office"))
    statements.clear()
    assert (found.code, found.name) == ("office", "省政府办公厅")
    assert statements == []  # not expired by the end of the read: no reload


def test_a_session_already_in_a_transaction_stays_in_it(office):
    db.session.add(Department(code="pending", name="未提交", kind="department"))
    db.session.flush()
    with reading():
        assert db.session.scalar(select(Department.name).where(Department.code == "pending")) == "未提交"
    assert db.session().in_transaction()  # not committed by the block
    db.session.rollback()
    assert db.session.scalar(select(Department.id).where(Department.code == "pending")) is None


def test_the_block_may_not_write(office):
    with pytest.raises(ReadOnlyRequestWrote):
        with reading():
            db.session.add(Department(code="refused", name="不应保存", kind="department"))
            db.session.flush()
    assert write_intent.get()
    assert not db.session().in_transaction()  # rolled back
    assert db.session.scalar(select(Department.id).where(Department.code == "refused")) is None


def test_a_writer_waits_for_the_write_lock_in_short_naps_and_gives_up_at_the_busy_timeout(app, monkeypatch):
    """core.db.begin_immediate: tries again after each nap (SQLite's own handler off meanwhile) until the other
    writer lets go; "database is locked" past the busy timeout, with the connection's timeout restored."""
    from interaction.core import db as core_db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock (this suite also runs on SQLite)")
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    waiter = sqlite3.connect(db.engine.url.database, isolation_level=None)
    naps = []

    def nap(seconds):  # instead of sleeping: note the nap and SQLite's own wait, let go after three
        naps.append((seconds, waiter.execute("PRAGMA busy_timeout").fetchone()[0]))
        if len(naps) == 3:
            holder.execute("ROLLBACK")

    try:
        holder.execute("BEGIN IMMEDIATE")
        monkeypatch.setattr(core_db.time, "sleep", nap)
        core_db.begin_immediate(waiter)
        assert waiter.in_transaction
        assert naps == [(seconds, 0) for seconds in core_db.WRITE_LOCK_NAPS[:3]]
        waiter.execute("ROLLBACK")

        holder.execute("BEGIN IMMEDIATE")
        monkeypatch.setattr(core_db.time, "sleep", lambda _seconds: None)
        monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 1)  # tries without naps for 1 ms
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            core_db.begin_immediate(waiter)
        assert not waiter.in_transaction
        assert waiter.execute("PRAGMA busy_timeout").fetchone() == (1,)  # the connection's setting is back
    finally:
        holder.close()
        waiter.close()
