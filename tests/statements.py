"""What reaches the database, as the driver sends it: for tests of core.db's transactions.

A test module makes it a fixture::

    @pytest.fixture
    def sent(app, monkeypatch):
        yield from statements.traced(monkeypatch)
"""

from sqlalchemy import event

from interaction.core.db import db


def traced(monkeypatch):
    """What reaches the database, in order, as the statements' first words, with ``BEGIN`` where a
    transaction begins and ``COMMIT`` where it ends.

    SQLite: its own trace of each connection checked out from now on. PostgreSQL: psycopg's executes,
    with ``BEGIN`` where one first runs in a transaction (psycopg sends the BEGIN itself), and its
    commits. The pool's ping (``SELECT 1``, after a rest) and SQLite's lock wait set around ``BEGIN
    IMMEDIATE`` (``PRAGMA busy_timeout``, :func:`interaction.core.db.take_sqlite_write_lock`) are left out.
    """
    seen: list[str] = []
    if db.engine.dialect.name == "sqlite":
        connections = []

        def trace(dbapi_connection, _record, _proxy):
            dbapi_connection.set_trace_callback(
                lambda statement: None if statement.startswith("PRAGMA busy_timeout")
                else seen.append(statement.split(" (")[0]))
            connections.append(dbapi_connection)

        event.listen(db.engine, "checkout", trace)
        yield seen
        event.remove(db.engine, "checkout", trace)
        for connection in connections:
            connection.set_trace_callback(None)
        return
    import psycopg

    execute, commit = psycopg.Cursor.execute, psycopg.Connection.commit

    def traced_execute(cursor, query, *args, **kwargs):
        if not cursor.connection.autocommit and cursor.connection.info.transaction_status.name == "IDLE":
            seen.append("BEGIN")
        text = query if isinstance(query, str) else query.as_string(cursor.connection)
        if text != "SELECT 1":
            seen.append(" ".join(text.split()).split(" (")[0])
        return execute(cursor, query, *args, **kwargs)

    def traced_commit(connection):
        if connection.info.transaction_status.name != "IDLE":
            seen.append("COMMIT")
        return commit(connection)

    monkeypatch.setattr(psycopg.Cursor, "execute", traced_execute)
    monkeypatch.setattr(psycopg.Connection, "commit", traced_commit)
    yield seen
