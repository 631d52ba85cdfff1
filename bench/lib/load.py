"""The benchmark's database: schema from the real models, departments, mailboxes, users, and bulk letters.

The schema is made with ``db.create_all()`` in an app context (the same schema as the migrations:
``tests/test_migrations.py`` checks it). Departments, mailboxes and the two signed-in users (an
administrator, a clerk of the busiest department) go through the real services; the letters and
their timeline events are bulk-loaded: ``COPY`` (psycopg) for PostgreSQL, ``executemany`` in large
transactions with loading PRAGMAs for SQLite. Secondary indexes are dropped during a load and built
again after it, then the planner statistics are refreshed (``VACUUM ANALYZE`` / ``ANALYZE``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.lib import textgen

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-Password-2026"
ADMIN_EMAIL = "admin@bench.local"
STAFF_EMAIL = "clerk@bench.local"
STAFF_DEPARTMENT = "hrss"
BATCH = 10_000


def sqlalchemy_url(kind: str, target: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{target}" if kind == "postgres" else f"sqlite:///{target}"


def plain_pg_url(target: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{target}"


def make_app(url: str):
    from interaction import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def recreate_database(kind: str, target: str) -> None:
    if kind == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
        Path(target).parent.mkdir(parents=True, exist_ok=True)


def database_exists(kind: str, target: str) -> bool:
    if kind == "sqlite":
        return Path(target).exists()
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,)).fetchone() is not None


def create_schema_and_seed(app) -> None:
    """Tables (create_all), departments, one mailbox per department, an administrator and a clerk."""
    from interaction.accounts import services as accounts
    from interaction.accounts.permissions import Role
    from interaction.core.db import db
    from interaction.mailbox import services as mailbox

    with app.app_context():
        db.create_all()
        root = None
        departments = {}
        for order, (code, name, kind, _weight) in enumerate(textgen.DEPARTMENTS):
            department = accounts.create_department(code, name, kind, None if root is None else root, actor=None,
                                                    sort_order=order)
            root = root or department
            departments[code] = department
        for order, (code, name, _kind, _weight) in enumerate(textgen.DEPARTMENTS):
            title = "省长信箱" if code == "gov-office" else f"{name}厅（局）长信箱".replace("厅厅", "厅")
            mailbox.save_mailbox(None, {"code": f"mb-{code}", "name": title, "department_id": departments[code].id,
                                        "reply_days": 15 if order % 5 else 10, "sort_order": order,
                                        "is_active": True}, actor=None)
        accounts.create_user(ADMIN_EMAIL, PASSWORD, Role.admin.value, None, "管理员", actor=None)
        accounts.create_user(STAFF_EMAIL, PASSWORD, Role.staff.value, departments[STAFF_DEPARTMENT], "李办理",
                             actor=None)
        db.session.commit()


def lookups(app) -> tuple[dict, dict, str, list[str]]:
    """Department ids, mailboxes by department code, a query-code hash, mailbox codes."""
    from sqlalchemy import select

    from interaction.accounts.models import Department
    from interaction.core.db import db
    from interaction.mailbox.models import Mailbox
    from interaction.mailbox.services import hash_code

    with app.app_context():
        departments = {d.code: d.id for d in db.session.scalars(select(Department))}
        by_id = {v: k for k, v in departments.items()}
        mailboxes = {by_id[m.department_id]: (m.id, m.department_id, m.reply_days)
                     for m in db.session.scalars(select(Mailbox))}
        codes = [m.code for m in db.session.scalars(select(Mailbox))]
        return departments, mailboxes, hash_code("BENCH234"), codes


# -- generation in worker processes ----------------------------------------------------------------------

_FACTORY: textgen.LetterFactory | None = None


def _init_worker(args):
    global _FACTORY
    _FACTORY = textgen.LetterFactory(*args)


def _pg_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f+00")
    if isinstance(value, int):
        return str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if value is True:
        return 1
    if value is False:
        return 0
    return value


def _generate(job):
    kind, start, stop, letter_cols, event_cols = job
    rows = _FACTORY.chunk(start, stop)
    if kind == "postgres":
        letters = "".join("\t".join(_pg_text(r[c]) for c in letter_cols) + "\n" for r, _e in rows).encode()
        events = "".join("\t".join(_pg_text(e[c]) for c in event_cols) + "\n" for _r, es in rows for e in es)
        return letters, events.encode(), len(rows)
    letters = [tuple(_sqlite_value(r[c]) for c in letter_cols) for r, _e in rows]
    events = [tuple(_sqlite_value(e[c]) for c in event_cols) for _r, es in rows for e in es]
    return letters, events, len(rows)


def _jobs(kind, start, stop, letter_cols, event_cols):
    for begin in range(start, stop, BATCH):
        yield kind, begin, min(begin + BATCH, stop), letter_cols, event_cols


class Loader:
    """Adds letters to one database (kind "postgres" or "sqlite"; target = database name or file)."""

    def __init__(self, kind: str, target: str, app, now: datetime, log=print, copy_from_pg: str | None = None):
        from interaction.mailbox.models import Letter, LetterEvent

        self.kind, self.target, self.app, self.log = kind, target, app, log
        self.copy_from_pg = copy_from_pg
        self.letter_cols = [c.name for c in Letter.__table__.columns]
        self.event_cols = [c.name for c in LetterEvent.__table__.columns if c.name not in ("id", "actor_id")]
        self.indexes = list(Letter.__table__.indexes) + list(LetterEvent.__table__.indexes)
        departments, mailboxes, code_hash, self.mailbox_codes = lookups(app)
        self.factory_args = (now, departments, mailboxes, code_hash)
        sample, events = textgen.LetterFactory(*self.factory_args).chunk(0, 1)[0]
        missing = set(self.letter_cols) ^ set(sample)
        assert not missing, f"generator and schema disagree on {missing}"
        assert set(self.event_cols) <= set(events[0]), events[0]

    # -- counts and clean-up --------------------------------------------------------------------------

    def _connect(self):
        if self.kind == "postgres":
            import psycopg

            return psycopg.connect(plain_pg_url(self.target))
        conn = sqlite3.connect(self.target, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    def scalar(self, sql: str):
        conn = self._connect()
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()

    def scalar_rows(self, sql: str) -> list:
        """The first column of every row of *sql*."""
        conn = self._connect()
        try:
            return [row[0] for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    def count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM letters"))

    def high_water(self) -> dict:
        """Highest ids of the tables a measurement writes to (letters, events, audit, idempotency)."""
        tables = ("letters", "letter_events", "audit_entries", "idempotency_records")
        return {t: int(self.scalar(f"SELECT coalesce(max(id), 0) FROM {t}")) for t in tables}

    def remove_above(self, marks: dict) -> int:
        """Delete what the measurements added (rows above *marks*), so every size holds exactly its letters."""
        conn = self._connect()
        removed = 0
        try:
            if self.kind == "sqlite":
                conn.execute("BEGIN IMMEDIATE")
            for table in ("letter_events", "audit_entries", "idempotency_records", "letters"):
                cur = conn.execute(f"DELETE FROM {table} WHERE id > {int(marks[table])}")
                if table == "letters":
                    removed = cur.rowcount
            conn.execute(f"DELETE FROM letter_events WHERE letter_id > {int(marks['letters'])}")
            conn.commit() if self.kind == "postgres" else conn.execute("COMMIT")
            if self.kind == "postgres":
                self._reset_sequences(conn)
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE letters")
                conn.execute("VACUUM ANALYZE letter_events")
        finally:
            conn.close()
        return removed

    def _reset_sequences(self, conn) -> None:
        for table in ("letters", "letter_events", "audit_entries", "idempotency_records"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        conn.commit()

    # -- loading ------------------------------------------------------------------------------------------

    def load(self, stop: int) -> float:
        """Add letters until the table holds *stop* of them; returns seconds spent."""
        start = self.count()
        if start >= stop:
            return 0.0
        if start % textgen.CHUNK:
            raise SystemExit(f"letters table holds {start} rows, not a multiple of {textgen.CHUNK}: use a fresh run")
        started = time.perf_counter()
        self.log(f"  loading letters {start:,} → {stop:,} into {self.kind} …")
        conn = self._connect()
        try:
            self._drop_indexes(conn)
            if self.kind == "sqlite" and self.copy_from_pg and self._pg_holds(stop):
                self.log(f"    copying the same rows from PostgreSQL database {self.copy_from_pg}")
                self._insert_sqlite(conn, self._rows_from_pg(start, stop), start, stop, started)
                self.log(f"  rows in {time.perf_counter() - started:.0f} s; building indexes …")
                self._create_indexes(conn)
                self._analyze(conn)
                elapsed = time.perf_counter() - started
                self.log(f"  loaded {stop - start:,} letters in {elapsed:.0f} s")
                return elapsed
            jobs = _jobs(self.kind, start, stop, self.letter_cols, self.event_cols)
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(max(1, (os.cpu_count() or 2)), initializer=_init_worker,
                          initargs=(self.factory_args,)) as pool:
                done = start
                if self.kind == "postgres":
                    done = self._copy_pg(conn, pool.imap(_generate, jobs), done, stop, started)
                else:
                    done = self._insert_sqlite(conn, pool.imap(_generate, jobs), done, stop, started)
            self.log(f"  rows in {time.perf_counter() - started:.0f} s; building indexes …")
            self._create_indexes(conn)
            self._analyze(conn)
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        self.log(f"  loaded {stop - start:,} letters in {elapsed:.0f} s")
        return elapsed

    def _pg_holds(self, stop: int) -> bool:
        import psycopg

        try:
            with psycopg.connect(plain_pg_url(self.copy_from_pg)) as conn:
                return conn.execute("SELECT coalesce(max(id), 0) FROM letters").fetchone()[0] >= stop
        except psycopg.OperationalError:
            return False

    def _rows_from_pg(self, start: int, stop: int):
        """The generated rows, read back from a PostgreSQL database of this benchmark (same seed, same now)."""
        import psycopg

        with psycopg.connect(plain_pg_url(self.copy_from_pg)) as conn:
            for begin in range(start, stop, BATCH):
                end = min(begin + BATCH, stop)
                letters = conn.execute(f"SELECT {', '.join(self.letter_cols)} FROM letters "
                                       f"WHERE id > {begin} AND id <= {end} ORDER BY id").fetchall()
                events = conn.execute(f"SELECT {', '.join(self.event_cols)} FROM letter_events "
                                      f"WHERE letter_id > {begin} AND letter_id <= {end} ORDER BY id").fetchall()
                yield ([tuple(_sqlite_value(v) for v in row) for row in letters],
                       [tuple(json.dumps(v) if isinstance(v, dict) else _sqlite_value(v) for v in row)
                        for row in events], end - begin)

    def _progress(self, done, stop, started):
        if done % 100_000 == 0 or done == stop:
            self.log(f"    {done:,} / {stop:,} ({time.perf_counter() - started:.0f} s)")

    def _copy_pg(self, conn, batches, done, stop, started):
        cur = conn.cursor()
        cur.execute("SET synchronous_commit = off")
        letters_sql = f"COPY letters ({', '.join(self.letter_cols)}) FROM STDIN"
        events_sql = f"COPY letter_events ({', '.join(self.event_cols)}) FROM STDIN"
        for letters, events, n in batches:
            with cur.copy(letters_sql) as copy:
                copy.write(letters)
            with cur.copy(events_sql) as copy:
                copy.write(events)
            conn.commit()
            done += n
            self._progress(done, stop, started)
        self._reset_sequences(conn)
        return done

    def _insert_sqlite(self, conn, batches, done, stop, started):
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        letters_sql = (f"INSERT INTO letters ({', '.join(self.letter_cols)}) "
                       f"VALUES ({', '.join('?' for _ in self.letter_cols)})")
        events_sql = (f"INSERT INTO letter_events ({', '.join(self.event_cols)}) "
                      f"VALUES ({', '.join('?' for _ in self.event_cols)})")
        for letters, events, n in batches:
            conn.execute("BEGIN")
            conn.executemany(letters_sql, letters)
            conn.executemany(events_sql, events)
            conn.execute("COMMIT")
            done += n
            self._progress(done, stop, started)
        return done

    def _drop_indexes(self, conn) -> None:
        for index in self.indexes:
            conn.execute(f"DROP INDEX IF EXISTS {index.name}")
        if self.kind == "postgres":
            conn.commit()

    def _create_indexes(self, conn) -> None:
        from sqlalchemy.schema import CreateIndex

        from interaction.core.db import db

        with self.app.app_context():
            dialect = db.engine.dialect
        if self.kind == "postgres":
            conn.execute("SET maintenance_work_mem = '1GB'")
        for index in self.indexes:
            conn.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))
        if self.kind == "postgres":
            conn.commit()

    def _analyze(self, conn) -> None:
        if self.kind == "postgres":
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        else:
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("ANALYZE")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def describe(loader: Loader) -> dict:
    """What the loaded data looks like (for the results file and the README)."""
    q = loader.scalar
    return {
        "letters": loader.count(),
        "events": int(q("SELECT count(*) FROM letter_events")),
        "open": int(q("SELECT count(*) FROM letters WHERE status IN ('submitted','accepted','assigned')")),
        "published": int(q("SELECT count(*) FROM letters WHERE is_published")),
        "staff_department_open": int(q(
            "SELECT count(*) FROM letters l JOIN departments d ON d.id = l.department_id "
            f"WHERE d.code = '{STAFF_DEPARTMENT}' AND status IN ('submitted','accepted','assigned')")),
    }


def dump_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def run(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
