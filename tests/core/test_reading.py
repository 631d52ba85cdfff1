"""core.db's transactions: a GET reads without one (SQLAlchemy's AUTOCOMMIT), writers in one (SQLite: BEGIN IMMEDIATE).

Nothing refuses a write: a GET that writes an audit entry needs no call, and the entry is stored.
"""

import threading
import time

import pytest
from sqlalchemy import func, insert, select

from interaction.accounts.models import Department
from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.core.time import now_utc
from tests import factories
from tests.statements import traced


@pytest.fixture
def sent(app, monkeypatch):
    yield from traced(monkeypatch)


def _transaction_statements(sent: list[str]) -> list[str]:
    return [statement for statement in sent if statement.split(" ")[0] in {"BEGIN", "COMMIT", "ROLLBACK"}]


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def test_a_get_reads_without_begin_commit_or_rollback(client, login, sent):
    login(factories.make_user("citizen", email="reader@example.com"))
    db.session.commit()  # the test's session (the requests share it) holds no transaction
    sent.clear()
    assert client.get("/mailbox/").status_code == 200
    assert any(statement.startswith("SELECT") for statement in sent), sent  # the user, the mailboxes...
    assert _transaction_statements(sent) == [], sent


def test_a_get_that_writes_an_audit_entry_needs_no_call_and_the_entry_is_stored(client, login, sent):
    """A staff member reading a letter's personal data is audited on a GET: the insert commits as it runs."""
    office = factories.make_department(code="office", name="省政府办公厅")
    letter, _code = factories.make_letter(factories.make_mailbox(office))
    login(factories.make_user("staff", department=office, email="clerk@example.com"))
    url = f"/mailbox/staff/letters/{letter.number}"
    db.session.commit()
    sent.clear()
    assert client.get(url).status_code == 200
    assert "INSERT INTO audit_entries" in sent, sent
    assert _transaction_statements(sent) == [], sent
    db.session.rollback()  # were the entry not committed, this would drop it
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "mailbox.view_personal_data")) == 1


def test_a_write_outside_a_get_is_one_transaction_begun_immediately_on_sqlite(app, sent):
    db.session.add(Department(code="written", name="写入处", kind="department"))
    db.session.execute(insert(AuditEntry).values(at_dt=now_utc(), action="test.write", detail={}))
    db.session.commit()
    assert _transaction_statements(sent) == ["BEGIN IMMEDIATE" if _is_sqlite() else "BEGIN", "COMMIT"], sent
    assert sent[0].startswith("BEGIN") and sent[-1] == "COMMIT", sent


def test_a_post_that_fails_stores_nothing(app, client):
    """A POST's writes are in its transaction: an error after them rolls them all back (under /api/: no CSRF
    token needed without a cookie session)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.post("/api/test-fails-after-writing")
    def fails_after_writing():
        db.session.add(Department(code="half-written", name="不应保存", kind="department"))
        db.session.flush()
        raise RuntimeError("broken after its first write")

    db.session.commit()
    assert client.post("/api/test-fails-after-writing").status_code == 500
    db.session.rollback()  # as a server does: this test's session outlives the request
    assert db.session.scalar(select(Department.id).where(Department.code == "half-written")) is None


def test_two_sqlite_writers_queue_instead_of_failing(app):
    """The second writer waits at BEGIN IMMEDIATE for the first to commit (busy_timeout), then writes: no
    "database is locked", even though both read before writing (a deferred BEGIN would fail the second)."""
    if not _is_sqlite():
        pytest.skip("SQLite's write lock (this suite also runs on PostgreSQL)")
    db.session.add(Department(code="counter", name="0", kind="department"))
    db.session.commit()
    engine, first_holds, errors = db.engine, threading.Event(), []

    def write(delay: float) -> None:
        try:
            with engine.connect() as connection, connection.begin():
                name = connection.scalar(select(Department.name).where(Department.code == "counter"))
                first_holds.set()
                time.sleep(delay)  # the first writer holds the lock a while
                connection.execute(Department.__table__.update().where(Department.code == "counter")
                                   .values(name=str(int(name) + 1)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    first = threading.Thread(target=write, args=(0.3,))
    first.start()
    first_holds.wait(5)
    write(0)
    first.join()
    assert errors == []
    db.session.rollback()
    assert db.session.scalar(select(Department.name).where(Department.code == "counter")) == "2"  # no lost update


def test_a_get_leaves_the_session_in_transactions_after_it(app, client):
    """The GET's autocommit ends with the request: code after it (here the test's) writes in a transaction."""
    db.session.commit()
    assert client.get("/mailbox/").status_code == 200
    db.session.add(Department(code="after-get", name="不应保存", kind="department"))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(Department.id).where(Department.code == "after-get")) is None


def test_a_request_that_reads_nothing_is_given_no_session(app):
    """A request context that never touches the database (a live viewer's connect event) ends without a session."""
    db.session.remove()
    with app.test_request_context("/socket.io/", query_string={"EIO": "4", "transport": "websocket"}):
        pass
    assert not db.session.registry.has()


def test_a_get_makes_no_session_until_it_reads_and_then_reads_without_a_transaction(app, sent):
    """The GET's mark waits on ``g`` for the session the request makes: a page reading nothing makes none."""
    db.session.remove()
    with app.test_request_context("/mailbox/"):
        app.preprocess_request()
        assert not db.session.registry.has()
        sent.clear()
        assert db.session.scalar(select(func.count()).select_from(Department)) >= 0
        assert _transaction_statements(sent) == [], sent
    db.session.remove()
