"""Hot reads at the driver: a SELECT written with SQLAlchemy, compiled once, run by the database driver.

A page that every signed-in request or every visitor asks for (the user of a session, the inbox,
the supervision board, the public list) spends most of its database time not in the database but
in the layers above the driver: building the statement's cache key, the ORM's compile state, the
execution context and the result's metadata (measured: bench/README.md). :class:`PreparedSelect`
keeps the statement in SQLAlchemy (same columns, same clauses, compiled by the dialect) and pays
that once per process and database instead of once per request.

What it gives up, on purpose: rows are plain named tuples (no ORM objects, no identity map), the
statement's parameters are fixed when it is built (values are passed by name at each call), and
statements that need SQLAlchemy at execution time are refused (expanding ``IN``, literal-execute
parameters). It runs in the session's transaction, on the session's connection, so it sees what
the session flushed and the request still ends its transaction once (``core.web``).
"""

import copy
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import psycopg

from sqlalchemy import Insert, Select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from interaction.core.db import begin_writing, db, refuse_writes_when_reading


class _Plan:
    """One statement compiled for one dialect: its SQL, how to pass its parameters and read its rows."""

    __slots__ = ("sql", "positions", "fixed", "required", "renamed", "bind_processors", "row", "columns",
                 "dialect", "result_processors", "prepare")

    def __init__(self, stmt: Select | Insert, dialect) -> None:
        self.prepare = dialect.driver == "psycopg"  # a server-side prepared statement from the first call
        compiled = stmt.compile(dialect=_with_dollar_placeholders(dialect) if self.prepare else dialect)
        self.sql = compiled.string
        if "__[POSTCOMPILE" in self.sql:
            raise ValueError("a PreparedSelect cannot expand parameters at execution (IN lists, literal_execute)")
        self.positions = compiled.positiontup  # None for named parameter styles
        # The statement's own values (a LIMIT, a constant) are read once; the caller's are given by name.
        self.fixed, self.required, self.renamed, self.bind_processors = {}, set(), {}, {}
        for bind, name in compiled.bind_names.items():
            if bind.callable:
                raise ValueError("a PreparedSelect cannot call a parameter's value function at execution")
            sent_as = compiled.escaped_bind_names.get(name, name)
            if sent_as != name:
                self.renamed[name] = sent_as
            if bind.required:
                self.required.add(name)
            else:
                self.fixed[sent_as] = bind.value
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None:
                self.bind_processors[sent_as] = processor
        if compiled.implicit_returning:
            raise ValueError("a PreparedInsert without RETURNING must be inline(): see PreparedInsert")
        self.row = namedtuple("Row", stmt.exported_columns.keys())  # a select's columns, an insert's RETURNING
        self.columns, self.dialect = list(stmt.exported_columns), dialect
        self.result_processors = None  # from the first result's column types (numbers need them)

    def parameters(self, values: dict[str, Any]):
        """The driver's parameters for *values* (by the statements' parameter names), converted by their types."""
        if not self.required <= values.keys():
            raise ValueError(f"values missing for the parameters {sorted(self.required - values.keys())}")
        params = dict(self.fixed)
        if self.renamed:
            values = {self.renamed.get(name, name): value for name, value in values.items()}
        params.update(values)
        for name, processor in self.bind_processors.items():
            params[name] = processor(params[name])
        if self.positions is not None:
            return tuple(params[name] for name in self.positions)
        return params

    def rows(self, fetched, description) -> list:
        """*fetched* processed into rows; *description* (the cursor's) is read for the first result only."""
        if not self.columns:  # a statement that returns nothing
            return []
        if self.result_processors is None:
            dialect = self.dialect
            self.result_processors = tuple(
                (index, processor) for index, (column, described) in enumerate(zip(self.columns, description,
                                                                                    strict=True))
                if (processor := column.type.dialect_impl(dialect).result_processor(dialect, described[1]))
                is not None)
        make = self.row._make
        if not self.result_processors:
            return [make(values) for values in fetched]
        rows = []
        for values in fetched:
            values = list(values)
            for index, processor in self.result_processors:
                values[index] = processor(values[index])
            rows.append(make(values))
        return rows


def _with_dollar_placeholders(dialect):
    """*dialect* (psycopg's) compiling PostgreSQL's own placeholders, ``$1``, for psycopg's ``RawCursor``.

    psycopg turns ``%(name)s`` into ``$1`` by parsing the query at every execution, and remembers
    the result only for queries under 4 KB: the supervision board's (6 KB) was parsed on every
    request. A ``RawCursor`` sends the query as it is.
    """
    raw = copy.copy(dialect)
    raw.paramstyle, raw.positional = "numeric_dollar", True
    raw.identifier_preparer = raw.preparer(raw)  # no doubled % in literals: nothing parses the query
    return raw


FORCE_GENERIC_PLAN = "SET plan_cache_mode = force_generic_plan"
RESET_PLAN_MODE = "RESET plan_cache_mode"


class PreparedSelect:
    """*stmt* run at the driver on the session's connection; its rows are named tuples of its columns.

    Build it once (module level): ``USER_ROW = PreparedSelect(select(...).where(User.id ==
    bindparam("user_id")))``, then ``USER_ROW.first(user_id=7)``. The rows equal what
    ``session.execute(stmt).all()`` returns, values processed by the columns' types (aware UTC
    datetimes on both databases); ``tests/core/test_prepared.py`` holds them to that.

    *generic_plan* (PostgreSQL): plan the statement once for any parameters. PostgreSQL plans a
    prepared statement again on every run while that looks cheaper than its generic plan; for the
    supervision board at a million letters it did so every time, and planning its ten-part query
    cost more than running it. Only for statements shaped for their indexes whatever the
    parameters: the public list's generic plan was much slower than its custom one (figures:
    bench/README.md).
    """

    def __init__(self, stmt: Select, *, generic_plan: bool = False) -> None:
        self.statement = stmt
        self.generic_plan = generic_plan
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect)
        return plan

    def all(self, session: Session | None = None, /, **params) -> list:
        """The rows of the statement run with *params*, as named tuples."""
        return self.fetch(session, **params).processed()

    def fetch(self, session: Session | None = None, /, **params) -> "Rows":
        """The rows as the driver gave them, processed only if read (:class:`Rows`)."""
        connection = (session or db.session).connection()  # begins the session's transaction if needed
        plan = self._plan(connection.dialect)
        dbapi_connection = connection.connection.dbapi_connection
        begin_writing(connection.info, dbapi_connection)  # SQLAlchemy's event does not see this statement
        cursor = psycopg.RawCursor(dbapi_connection) if plan.prepare else dbapi_connection.cursor()
        try:
            if plan.prepare and self.generic_plan:
                # One round trip (a pipeline): the setting holds for this statement only, and an error
                # anywhere in it undoes the SET with the statement (they share one implicit transaction,
                # or the request's own).
                with dbapi_connection.pipeline():
                    dbapi_connection.execute(FORCE_GENERIC_PLAN)
                    cursor.execute(plan.sql, plan.parameters(params), prepare=True)
                    dbapi_connection.execute(RESET_PLAN_MODE)
            elif plan.prepare:
                cursor.execute(plan.sql, plan.parameters(params), prepare=True)
            else:
                cursor.execute(plan.sql, plan.parameters(params))
            # psycopg builds the description's columns anew at each call: only the first result needs them
            description = cursor.description if plan.result_processors is None else None
            fetched = cursor.fetchall() if plan.columns else ()
        finally:
            cursor.close()
        return Rows(tuple(fetched), plan, description)

    def first(self, session: Session | None = None, /, **params):
        rows = self.all(session, **params)
        return rows[0] if rows else None


class Rows(Sequence):
    """A :class:`PreparedSelect`'s rows as the driver gave them (``raw``), processed when first read.

    ``raw`` is a tuple of plain tuples: hashable, and the cheapest key for a rendering memoized by
    what it shows (``core.web.memo``); when the rendering is remembered, the rows are never
    processed (aware datetimes, named tuples: on SQLite that is most of reading a hundred rows).
    Reading the sequence (iteration, ``len``, indexing) processes them all once.
    """

    __slots__ = ("raw", "_plan", "_description", "_rows")

    def __init__(self, raw: tuple, plan: _Plan, description) -> None:
        self.raw, self._plan, self._description, self._rows = raw, plan, description, None

    def processed(self) -> list:
        if self._rows is None:
            self._rows = self._plan.rows(self.raw, self._description)
        return self._rows

    def position(self, name: str) -> int:
        """The index of column *name* in each raw row."""
        return self._plan.row._fields.index(name)

    def subset(self, raw) -> "Rows":
        """Other raw rows of the same statement (some of these, regrouped) as :class:`Rows`."""
        return Rows(tuple(raw), self._plan, self._description)

    def __getitem__(self, index):
        return self.processed()[index]

    def __len__(self) -> int:
        return len(self.raw)

    def __iter__(self):
        return iter(self.processed())

    def __bool__(self) -> bool:
        return bool(self.raw)

    def __eq__(self, other) -> bool:
        if isinstance(other, Rows):
            return self.raw == other.raw
        if isinstance(other, list | tuple):
            return self.processed() == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.raw)


class PreparedInsert(PreparedSelect):
    """An ``INSERT`` (with or without ``RETURNING``) run at the driver like :class:`PreparedSelect`.

    Without ``RETURNING``, build it ``inline()``: else SQLAlchemy compiles PostgreSQL's insert with
    an implicit ``RETURNING id`` for the ORM, which is refused here (its rows have no columns).

    For a hot write whose rows no one reads back in the same request as ORM objects (a letter's
    first timeline entry, an audit entry): no unit of work, no flush. It runs in the session's
    transaction, which must be a writing one (``core.db.write_intent``), and commits with it.
    """

    def run(self, session: Session | None = None, /, **params) -> list:
        """Insert a row of *params*; the ``RETURNING`` rows, if the statement has any."""
        refuse_writes_when_reading()
        return self.all(session, **params)


def as_loaded(model, row, session: Session | None = None):
    """The *model* object of *row*, in the session as if a query had loaded it.

    *row*: a :class:`PreparedSelect` row of all of *model*'s table's columns, or a dict of them.
    Nothing to flush; relationships load when used. The object the session already holds for
    that key, if any, is returned instead (one object per row).
    """
    session = session or db.session
    values = row if isinstance(row, dict) else row._asdict()
    existing = session.identity_map.get(identity_key(model, values["id"]))
    if existing is not None:
        return existing
    obj = as_detached(model, values)
    session.add(obj)
    return obj


def as_detached(model, row):
    """The *model* object of *row* (as :func:`as_loaded`), detached: a snapshot no session tracks.

    For reference data a request only reads (the mailbox a letter is sent to): nothing to flush,
    nothing for the commit to expire. Its relationships do not load; set those it needs with
    ``set_committed_value``. Given to the ORM (``letter.mailbox = obj``) it joins the session as
    loaded, not as new.
    """
    values = row if isinstance(row, dict) else row._asdict()
    # As the ORM's loading does: the values go into the new object's state as loaded (its constructor
    # would set them one by one as changes, firing each attribute's events).
    obj = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    return obj
