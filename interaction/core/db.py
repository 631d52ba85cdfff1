"""The database layer: declarative base, the shared ``db`` object, how requests use transactions, commit hooks.

SQLite is the embedded default and PostgreSQL the production database; the code here keeps both
behaving alike: timezone-aware UTC datetimes, foreign keys on, WAL.

Transactions are SQLAlchemy's, as its documentation describes them: a view or service that writes
adds, flushes and commits; nothing here allows or refuses a write. Two settings, both through
SQLAlchemy's documented means:

- a request by GET, HEAD or OPTIONS runs without a transaction (SQLAlchemy's per-connection
  ``AUTOCOMMIT`` isolation level, set by one ``before_request`` hook: :func:`read_without_transaction`);
  a GET that writes (an audit entry) just writes, each statement committed as it runs;
- SQLite's transactions begin with ``BEGIN IMMEDIATE`` (SQLAlchemy's pysqlite recipe:
  :func:`_begin_immediate_on_sqlite`), so that two writers queue instead of one failing with
  "database is locked" half-way through; a writer waits for the lock in Python
  (:func:`take_sqlite_write_lock`), so that under gevent the process's other requests go on meanwhile.
"""

import functools
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

import flask_sqlalchemy.session
import psycopg
from flask import g, has_app_context, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, MetaData, bindparam, event, select
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.exc import DisconnectionError, OperationalError
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
    supervision board) the statement names its index, as the PostgreSQL plans use it. Set as the
    dialect's ``statement_compiler`` (a documented attribute of SQLAlchemy's ``Dialect``) when the
    engine is made (:meth:`Database.init_app`).
    """

    def get_from_hint_text(self, table, text):
        return text


#: The HTTP methods that do not change anything by HTTP's rules: their requests read without a transaction.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: SQLAlchemy's per-connection autocommit (``Connection.execution_options``): each statement commits by itself.
AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


class ReadingSession(flask_sqlalchemy.session.Session):
    """The session of a request or event: it reads without a transaction if they asked before it was made.

    :func:`read_without_transaction` (*lazily*) marks the session, or, when the request or event has
    made none yet, ``g``: a request that never touches the database then makes no session at all.
    """

    def __init__(self, db, **kwargs):
        super().__init__(db, **kwargs)
        if has_app_context() and g.get(READING_KEY):
            self.info[READING_KEY] = True


class Database(SQLAlchemy):
    """Flask-SQLAlchemy with page numbers kept in range, SQLite's table hints, and reads without a transaction."""

    def init_app(self, app) -> None:
        super().init_app(app)
        with app.app_context():
            for engine in self.engines.values():
                if engine.dialect.name == "sqlite":
                    engine.dialect.statement_compiler = _SQLiteCompiler
        app.before_request(_read_without_transaction)
        app.teardown_request(_end_read_without_transaction)

    def paginate(self, select, *, page=None, **kwargs):
        if page is None and has_request_context():
            page = request.args.get("page", 1, type=int)
        if page is not None:
            page = min(max(page, 1), MAX_PAGE)
        return super().paginate(select, page=page, **kwargs)


db = Database(model_class=Base, session_options={"class_": ReadingSession})


def read_without_transaction(*, lazily: bool = False) -> None:
    """From here, the session's statements run without a transaction: SQLAlchemy's ``AUTOCOMMIT`` isolation level.

    No ``BEGIN``, ``COMMIT`` or ``ROLLBACK`` is sent: on PostgreSQL those are round trips, and a
    ``ROLLBACK`` makes psycopg drop the statements it prepared on that connection (psycopg's
    ``PrepareManager`` clears them on every ``ROLLBACK``). Each statement reads what was committed
    when it started (PostgreSQL's READ COMMITTED reads the same inside a transaction); a statement
    that writes (an audit entry) is committed as it runs. For the session's first statements:
    call it before anything is read (SQLAlchemy applies it to the connection it then checks out).
    A ``db.session.commit()`` ends it: what runs after it runs in a transaction as usual.
    A session already in a transaction (a caller that began one, as a test holding one session across
    socket events does) keeps it: SQLAlchemy cannot change a connection it has already begun on.

    *lazily*: for a request or socket event that only reads. No connection is checked out now: the
    session is marked, as a GET request's is (:func:`_read_without_transaction`), and each of its
    transactions begins in ``AUTOCOMMIT`` until the request or event ends, a commit included. An
    event that reads nothing (a viewer's join of a room whose status is known) then costs no
    connection, nor even a session: without one yet, the mark waits on ``g`` for the session the
    request or event makes (:class:`ReadingSession`).
    """
    if lazily and not db.session.registry.has():
        g.setdefault(READING_KEY, True)  # no session yet: the one this request or event makes reads (ReadingSession)
        return
    if db.session().in_transaction():
        return
    if lazily:
        db.session.info[READING_KEY] = True
    else:
        db.session.connection(execution_options=AUTOCOMMIT)


def end_reading() -> None:
    """A read-only request or event is done with the database: its connection goes back to the pool.

    Ends the session's transaction as ``db.session.rollback()`` does (with :func:`read_without_transaction`
    there is none to roll back), without making a session for it when nothing was read.
    """
    if db.session.registry.has():
        db.session.rollback()


#: In a session's ``info``: its transactions begin in ``AUTOCOMMIT`` (a GET's: :func:`_read_without_transaction`).
READING_KEY = "interaction.reading_without_transaction"


def _read_without_transaction():
    """Requests by GET, HEAD and OPTIONS read without a transaction (:func:`read_without_transaction`).

    Marked on the request's session, and applied when the session begins (:func:`_begin_reading`):
    a page that never reads the database checks out no connection. The other methods' sessions are
    plain SQLAlchemy transactions (on SQLite taking the write lock at once:
    :func:`_begin_immediate_on_sqlite`). A GET that writes (an audit entry) needs nothing: its
    insert commits as it runs. A session already in a transaction (a test's, spanning requests) is
    left in it.
    """
    if request.method in SAFE_METHODS:
        read_without_transaction(lazily=True)


@event.listens_for(Session, "after_transaction_create")
def _begin_reading(session, transaction):
    """A session marked for reading begins each of its transactions in ``AUTOCOMMIT`` (after a commit too)."""
    if transaction.parent is None and session.info.get(READING_KEY):
        session.connection(execution_options=AUTOCOMMIT)


def _end_read_without_transaction(_exc):
    """The request's session leaves autocommit with the request (its app context may outlive it: tests).

    A request or socket event that made no session (a viewer's connect) is not given one here to look at.
    """
    g.pop(READING_KEY, None)
    if not db.session.registry.has():
        return
    if db.session.info.pop(READING_KEY, False) and db.session().in_transaction():
        db.session.rollback()  # nothing to roll back: no statement is sent, the connection goes back to the pool


#: A pooled PostgreSQL connection that rested longer than this (seconds) is pinged before it is used.
PING_AFTER_RESTING = 5.0
RESTING_SINCE_KEY = "interaction.resting_since"


@event.listens_for(Pool, "connect")
@event.listens_for(Pool, "checkin")
def _rest(_dbapi_connection, record):
    """Connections wait in the pool from now (:func:`_ping_after_resting`)."""
    record.info[RESTING_SINCE_KEY] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_after_resting(dbapi_connection, record, _proxy):
    """Ping a PostgreSQL connection before use only when it rested in the pool (instead of ``pool_pre_ping``).

    A server restart, a proxy's idle time-out or a failover closes connections while they rest;
    a failed ping makes the pool open a new one (``DisconnectionError``, SQLAlchemy's documented
    answer from a checkout event), and the request never sees it. ``pool_pre_ping`` pings at every
    checkout: one more round trip for connections that a busy worker used milliseconds ago. A
    connection lost within the last seconds fails its request's first statement instead, and
    SQLAlchemy then renews the whole pool. The ping runs in psycopg's autocommit mode, as
    SQLAlchemy's own ping does: no ``ROLLBACK`` after it (see :func:`read_without_transaction`).
    SQLite's connections are files: never pinged.
    """
    if not isinstance(dbapi_connection, psycopg.Connection):
        return
    resting_since = record.info.get(RESTING_SINCE_KEY)
    if resting_since is not None and time.monotonic() - resting_since < PING_AFTER_RESTING:
        return
    try:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except psycopg.Error as error:
        raise DisconnectionError("the pooled connection did not answer its ping") from error


#: How long a statement waits for SQLite's locks before "database is locked" (the connections' busy_timeout).
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: The first and the longest pause between two tries for SQLite's write lock (:func:`take_sqlite_write_lock`).
SQLITE_LOCK_FIRST_PAUSE = 0.0005
SQLITE_LOCK_LONGEST_PAUSE = 0.005


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """SQLite: foreign keys on, WAL, a busy timeout, and transactions begun by SQLAlchemy (the recipe below)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # pysqlite sends no BEGIN of its own
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate_on_sqlite(conn):
    """SQLite's transactions take the write lock when they begin: ``BEGIN IMMEDIATE``.

    SQLAlchemy's documented recipe for pysqlite ("Enabling Non-Legacy SQLite Transactional
    Modes": ``isolation_level = None`` on connect, the ``BEGIN`` emitted here). A deferred
    ``BEGIN`` would take the lock at the first write, and fail at once ("database is locked") when
    another writer committed since this transaction read; taken up front, a second writer waits
    for the first (:func:`take_sqlite_write_lock`). Not on a connection in ``AUTOCOMMIT``
    (:func:`read_without_transaction`): that one begins nothing. SQLAlchemy sets pysqlite's
    ``isolation_level`` back to its default when such a connection returns to the pool; it is
    set to None again here, as on connect.
    """
    if conn.dialect.name != "sqlite" or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    conn.connection.dbapi_connection.isolation_level = None
    take_sqlite_write_lock(conn)


def take_sqlite_write_lock(conn) -> None:
    """``BEGIN IMMEDIATE`` on *conn*, waiting for another writer between tries rather than in SQLite.

    SQLite's own wait (``busy_timeout``) sleeps inside the C library: under gevent (the deployment)
    the whole process stops meanwhile, every other request in it with it, including one of its own
    greenlets that holds the lock and would release it. Here SQLite is asked not to wait
    (``busy_timeout`` 0 for the ``BEGIN``) and the pauses between tries are ``time.sleep``, which
    gevent makes cooperative (and a thread's releases the interpreter). After
    :data:`SQLITE_BUSY_TIMEOUT_MS` the last "database is locked" is raised, as SQLite would.
    """
    dbapi_connection = conn.connection.dbapi_connection
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        pause, deadline = SQLITE_LOCK_FIRST_PAUSE, time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")  # a refusal costs no SQLAlchemy error handling
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from None
            time.sleep(pause)
            pause = min(pause * 2, SQLITE_LOCK_LONGEST_PAUSE)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


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
