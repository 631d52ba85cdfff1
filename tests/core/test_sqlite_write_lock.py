"""core.db's wait for SQLite's write lock: in Python, between tries, so that a gevent process goes on meanwhile.

SQLite's own wait (``busy_timeout``) sleeps inside the C library and stops every greenlet of the
process, the one holding the lock included. These tests use a database file of their own (SQLite
whichever database the suite runs on).
"""

import json
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from interaction.core import db as core_db
from tests.helpers import ROOT


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'lock.db'}")  # core.db's listeners: WAL, BEGIN IMMEDIATE
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE marks (n INTEGER)"))
    yield engine
    engine.dispose()


def test_a_second_writer_waits_for_the_first_then_writes(engine):
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO marks VALUES (1)"))
    waited = []

    def second():
        started = time.monotonic()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO marks VALUES (2)"))
        waited.append(time.monotonic() - started)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive()  # waiting for the lock
    holder.commit()
    holder.close()
    thread.join(5)
    assert waited and waited[0] >= 0.2
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM marks ORDER BY n")).scalars().all() == [1, 2]
        # SQLite's own wait is back on the connection for what follows (the one the second writer used).
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == core_db.SQLITE_BUSY_TIMEOUT_MS


def test_a_writer_gives_up_after_the_busy_timeout_with_database_is_locked(engine, monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO marks VALUES (1)"))
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"), engine.begin() as connection:
        connection.execute(text("INSERT INTO marks VALUES (2)"))
    assert 0.3 <= time.monotonic() - started < 2
    holder.rollback()
    holder.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM marks")).scalar() == 0


def test_an_error_other_than_busy_is_raised_at_once(engine, tmp_path):
    """Only "database is locked" is waited out: a read-only file's failure is not retried for 10 s."""
    reader = create_engine(f"sqlite:///file:{tmp_path / 'lock.db'}?mode=ro&uri=true")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="readonly"), reader.begin() as connection:
        connection.execute(text("INSERT INTO marks VALUES (1)"))
    assert time.monotonic() - started < 1
    reader.dispose()


GEVENT_WRITER = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()

    import json, sys
    import gevent
    from sqlalchemy import create_engine, text
    import interaction.core.db  # noqa: F401 - its listeners: WAL, BEGIN IMMEDIATE and the wait for the lock

    engine = create_engine(f"sqlite:///{sys.argv[1]}")
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO marks VALUES (1)"))
    ticks = 0

    def tick():
        global ticks
        while True:
            gevent.sleep(0.001)
            ticks += 1

    def write():
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO marks VALUES (2)"))

    ticker, writer = gevent.spawn(tick), gevent.spawn(write)
    gevent.sleep(0.3)  # the writer waits for the lock meanwhile
    ticks_while_waiting = ticks
    holder.commit()
    writer.join(5)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT n FROM marks ORDER BY n")).scalars().all()
    print(json.dumps({"ticks": ticks_while_waiting, "writer_ok": writer.successful(), "stored": stored}))
""")


def test_under_gevent_the_process_goes_on_while_a_writer_waits(engine, tmp_path):
    """The holder of the lock and the writer waiting for it are greenlets of one process (as two requests of one
    gevent worker): with SQLite's own wait, the process stopped, the holder could not commit and the writer
    failed after 10 s; now the other greenlets run meanwhile and the writer gets the lock once it is released."""
    result = subprocess.run([sys.executable, "-c", GEVENT_WRITER, str(tmp_path / "lock.db")], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["writer_ok"] and outcome["stored"] == [1, 2], outcome
    assert outcome["ticks"] >= 100, outcome  # ~300 one-millisecond ticks in 0.3 s; none while stopped
