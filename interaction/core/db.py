"""The database layer: declarative base, the shared ``db`` object and commit hooks.

SQLite is the embedded default and PostgreSQL the production database; the code
here keeps both behaving alike: timezone-aware UTC datetimes, foreign keys on,
WAL, and ``BEGIN IMMEDIATE`` for requests that write so that two writers queue
instead of failing with "database is locked" half-way through a transaction.
"""

import functools
import itertools
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import psycopg
from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, MetaData, bindparam, event, select
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, joinedload, lazyload, registry
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and always returned timezone-aware.

    SQLite has no time zones and hands back naive values; this type makes both
    databases give the same aware UTC datetimes to the application.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use interaction.core.time.now_utc()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect, coltype):
        """On SQLite, the stored text to an aware UTC datetime in one step (lists read hundreds of them)."""
        if dialect.name == "sqlite":
            return _from_sqlite_text
        return super().result_processor(dialect, coltype)


def _from_sqlite_text(value: str | None) -> datetime | None:
    """What SQLite's ``DATETIME`` and :meth:`UTCDateTime.process_result_value` give, without their two steps."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names that Alembic can diff and drop."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


#: Past any real list; larger page numbers would overflow the databases' integers in OFFSET.
MAX_PAGE = 1_000_000

#: The largest id every supported database holds (PostgreSQL's ``integer``; SQLite's reaches 2**63 - 1):
#: an id past it names nothing, and comparing it with an integer column fails on PostgreSQL.
MAX_ID = 2**31 - 1


class _SQLiteCompiler(SQLiteCompiler):
    """SQLite's compiler, rendering table hints: ``select(...).with_hint(Letter, "INDEXED BY ix_name", "sqlite")``.

    SQLAlchemy's renders none for SQLite. SQLite's planner picks an index from the statistics that
    ``ANALYZE`` left, which may be none, or stale: for a list that must stay fast at any size (the
    supervision board) the statement names its index, as the PostgreSQL plans use it.
    """

    def get_from_hint_text(self, table, text):
        return text


class Database(SQLAlchemy):
    """Flask-SQLAlchemy with page numbers kept in range for every paginated page, and SQLite's table hints."""

    def _make_engine(self, bind_key, options, app):
        engine = super()._make_engine(bind_key, options, app)
        if engine.dialect.name == "sqlite":
            engine.dialect.statement_compiler = _SQLiteCompiler
        return engine

    def paginate(self, select, *, page=None, **kwargs):
        if page is None and has_request_context():
            page = request.args.get("page", 1, type=int)
        if page is not None:
            page = min(max(page, 1), MAX_PAGE)
        return super().paginate(select, page=page, **kwargs)


db = Database(model_class=Base)

#: False while a request is only reading: it then runs without a transaction on both databases (below).
#: A request that reads must not write: see :func:`refuse_writes_when_reading`.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


READING_KEY = "interaction.reading"


def _is_psycopg(dbapi_connection) -> bool:
    return isinstance(dbapi_connection, psycopg.Connection)


#: A pooled PostgreSQL connection that rested longer than this (seconds) is pinged before it is used.
PING_AFTER_RESTING = 5.0
RESTING_SINCE_KEY = "interaction.resting_since"


@event.listens_for(Pool, "connect")
@event.listens_for(Pool, "checkin")
def _rest_without_transaction(dbapi_connection, record):
    """Connections wait in the pool from now (:func:`_ping_after_resting`), PostgreSQL's in autocommit mode.

    See :func:`_begin_when_writing` for the mode.
    """
    record.info[RESTING_SINCE_KEY] = time.monotonic()
    record.info.pop(READING_KEY, None)  # a read ends when its connection comes back
    if dbapi_connection is not None and _is_psycopg(dbapi_connection) and not dbapi_connection.autocommit:
        if dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            dbapi_connection.autocommit = True


@event.listens_for(Pool, "checkout")
def _ping_after_resting(dbapi_connection, record, _proxy):
    """Ping a PostgreSQL connection before use only when it rested in the pool (instead of ``pool_pre_ping``).

    A server restart, a proxy's idle time-out or a failover closes connections while they rest;
    a failed ping makes the pool open a new one (``DisconnectionError``), and the request never
    sees it. ``pool_pre_ping`` pings at every checkout: one round trip of the four a page makes,
    for connections that a busy worker used milliseconds ago. A connection lost within the last
    seconds fails its request's first statement instead, and SQLAlchemy then renews the whole pool.
    SQLite's connections are files: never pinged.
    """
    if not _is_psycopg(dbapi_connection):
        return
    resting_since = record.info.get(RESTING_SINCE_KEY)
    if resting_since is not None and time.monotonic() - resting_since < PING_AFTER_RESTING:
        return
    try:
        dbapi_connection.execute("SELECT 1")
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()
    except psycopg.Error as error:
        raise DisconnectionError("the pooled connection did not answer its ping") from error


@event.listens_for(Engine, "begin")
def _begin_when_writing(conn):
    """A request that only reads runs on PostgreSQL without a transaction: no BEGIN, no COMMIT.

    Each is a round trip (psycopg sends BEGIN on its own before the first statement), two of the
    four or five a page makes, and a ROLLBACK would drop psycopg's prepared statements. Under
    PostgreSQL's READ COMMITTED every statement sees the rows committed when it starts, inside a
    transaction or not, so a page reads the same. Writers (``write_intent``: unsafe methods, views
    that declare it, CLI and background work) get psycopg's transactions as before. Decided when
    SQLAlchemy begins (the driver has sent nothing yet); connections wait in the pool without a
    transaction, so the pool's ping needs none either.
    """
    dbapi_connection = conn.connection.dbapi_connection
    if _is_psycopg(dbapi_connection):
        reading = not write_intent.get()
        if dbapi_connection.autocommit != reading:
            dbapi_connection.autocommit = reading
        if reading:
            conn.info[READING_KEY] = True
        else:
            conn.info.pop(READING_KEY, None)


@event.listens_for(Session, "after_begin")
def _note_reading(session, _transaction, connection):
    if connection.info.get(READING_KEY):
        session.info[READING_KEY] = connection.info  # reading while its connection says so (begin_writing)


@event.listens_for(Session, "after_transaction_end")
def _forget_reading(session, transaction):
    if transaction.parent is None:
        session.info.pop(READING_KEY, None)


def _in_read(session: Session) -> bool:
    """Whether *session* is in a read: its connection has begun no database transaction (yet)."""
    info = session.info.get(READING_KEY)
    return info is not None and READING_KEY in info


def begin_writing(connection_info: dict, dbapi_connection) -> None:
    """Before a statement: a read whose request now writes becomes a write, on the same connection.

    A request that reads first and writes after (a submission: :func:`reading`; a staff read that
    writes the audit log: :func:`declare_writes`) keeps its connection and its session: SQLite's
    write lock is taken (``BEGIN IMMEDIATE``) or PostgreSQL's transaction begun (psycopg leaves
    autocommit and sends ``BEGIN``) just before its first statement under ``write_intent``. The read
    held no transaction, so there is no snapshot to upgrade (SQLite refuses that when another
    writer came first). Ending the read and checking a connection out again cost a submission
    a tenth of its time. Every statement passes here: SQLAlchemy's (:func:`_write_from_here`) and
    those run at the driver (``core.prepared``).
    """
    if connection_info.get(READING_KEY) and write_intent.get():
        del connection_info[READING_KEY]
        if _is_psycopg(dbapi_connection):
            dbapi_connection.autocommit = False
        else:
            begin_immediate(dbapi_connection)


@event.listens_for(Engine, "before_cursor_execute")
def _write_from_here(conn, _cursor, _statement, _parameters, _context, _executemany):
    begin_writing(conn.info, conn.connection.dbapi_connection)


def declare_writes(writes: bool = True):
    """Set ``write_intent`` to *writes* for what follows; returns the token to reset it with.

    A session in a read goes on as a write from its next statement (:func:`begin_writing`): on
    SQLite that statement takes the write lock first, so a request that declares its writes
    up front never has to upgrade a read.
    """
    return write_intent.set(writes)


@contextmanager
def reading() -> Iterator[None]:
    """Run the block as a read, in a request that writes afterwards: for the reads before a short write.

    A request that writes holds SQLite's write lock from its first statement to its commit
    (``BEGIN IMMEDIATE``; on PostgreSQL it holds a transaction). A submission reads first (the
    mailbox, while its form is validated) and writes three rows at the end: read in this block, its
    reads run without the lock (PostgreSQL: without a transaction), and the write lock is taken
    just before the first statement after it, on the same connection (:func:`begin_writing`), so
    other writers wait for the inserts only, not for the validation. Nothing loaded is expired.

    A session already writing (the signed-in user was loaded by a writing request) stays in its
    transaction: the block then changes nothing. A session still in a read (a block before this
    one) reads on. The block must not write (``ReadOnlyRequestWrote``); an error in it rolls back.
    """
    session = db.session()
    if session.in_transaction() and not _in_read(session):
        yield
        return
    token = write_intent.set(False)
    try:
        yield
    except BaseException:
        write_intent.reset(token)
        session.rollback()
        raise
    write_intent.reset(token)


class ReadOnlyRequestWrote(RuntimeError):
    """A request that declared it only reads (``write_intent`` False) tried to write."""


def refuse_writes_when_reading() -> None:
    """Writes need ``write_intent``: a read-only request has no transaction to roll them back."""
    if not write_intent.get():
        raise ReadOnlyRequestWrote("a read-only request (write_intent False) tried to write; declare it first")


@event.listens_for(Session, "before_flush")
def _refuse_flushes_when_reading(session, _flush_context, _instances):
    if session.new or session.dirty or session.deleted:
        refuse_writes_when_reading()


@event.listens_for(Session, "do_orm_execute")
def _refuse_statements_when_reading(orm_execute_state):
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        refuse_writes_when_reading()


#: How long a statement waits for SQLite's locks before "database is locked" (the connections' busy_timeout).
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: The naps between two tries of SQLite's write lock (:func:`begin_immediate`), in seconds; the last repeats.
WRITE_LOCK_NAPS = (0.0001, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005)


def begin_immediate(dbapi_connection: sqlite3.Connection) -> None:
    """Take SQLite's write lock (``BEGIN IMMEDIATE``), waiting for another writer in naps of a tenth of a ms.

    SQLite's own busy handler sleeps 1, 2, 5, 10... ms between its tries, while a writer here holds
    the lock for well under a millisecond: with two workers submitting letters, 28 % of the
    submissions met the other's lock (counted under bench/mailbox.py's load), and each then slept
    a whole millisecond, most of it after the lock was free. The lock is tried with no busy timeout
    and again after each of :data:`WRITE_LOCK_NAPS`, for up to :data:`SQLITE_BUSY_TIMEOUT_MS` in
    all, then "database is locked" as before.
    """
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        deadline = None
        for attempt in itertools.count():
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + SQLITE_BUSY_TIMEOUT_MS / 1000
                elif now >= deadline:
                    raise
                time.sleep(WRITE_LOCK_NAPS[min(attempt, len(WRITE_LOCK_NAPS) - 1)])
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Take transaction control from pysqlite so that "begin" below decides the kind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    """A writer takes SQLite's write lock at its first statement; a reader begins no transaction.

    As on PostgreSQL (:func:`_begin_when_writing`), a request that only reads runs each statement
    in its own implicit transaction (pysqlite's ``isolation_level`` is None: no ``BEGIN`` is sent),
    reading what was committed when the statement started; there is then no ``COMMIT`` or
    ``ROLLBACK`` to send either. Its session is marked as reading, so that a write declared later
    begins a real transaction (:func:`declare_writes`).
    """
    if conn.dialect.name == "sqlite":
        if write_intent.get():
            conn.info.pop(READING_KEY, None)
            begin_immediate(conn.connection.dbapi_connection)
        else:
            conn.info[READING_KEY] = True


def after_commit(fn: Callable[[], None]) -> None:
    """Run *fn* once the current transaction commits; drop it if it rolls back.

    Broadcasts and e-mails go through here so that nothing that rolled back is
    ever shown to anyone.
    """
    db.session.info.setdefault("after_commit", []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session):
    callbacks = session.info.pop("after_commit", [])
    for fn in callbacks:
        fn()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session):
    session.info.pop("after_commit", None)


def lock_row(model, ident, *, joined=None):
    """The row *ident* of *model* under a row lock (``SELECT ... FOR UPDATE OF`` its table), or None.

    Read once per transaction: a row this transaction already locked cannot have changed under
    it, so asking again (a service locking what its caller locked) costs no statement. The
    object is refreshed from the database when it is first locked (``populate_existing``); its
    relationships are not joined into the locking statement (they load if used), except the one
    collection named by *joined* (its rows are read in the same statement, not locked).
    SQLite has no row locks; its writing requests hold the database (``BEGIN IMMEDIATE``).
    """
    locked = db.session.info.setdefault("locked_rows", set())
    if (model, ident) in locked:
        row = db.session.get(model, ident)  # the identity map: no statement
        if row is not None:
            return row
    db.session.flush()
    result = db.session.execute(_locking_select(model, joined), {"ident": ident})
    row = (result.unique() if joined is not None else result).scalar_one_or_none()
    if row is not None:
        locked.add((model, ident))
    return row


@functools.cache
def _locking_select(model, joined):
    """The locking statement of *model* (and *joined*), built once (SQLAlchemy then finds its compiled form at once)."""
    options = [lazyload("*")] if joined is None else [joinedload(joined), lazyload("*")]
    return (select(model).where(model.id == bindparam("ident")).with_for_update(of=model)
            .options(*options).execution_options(populate_existing=True))


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended: its locks are released
        session.info.pop("locked_rows", None)
