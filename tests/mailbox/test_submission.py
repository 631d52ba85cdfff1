"""Storing a submission: a fresh number, one letter per submission token, nothing half-done (SQLite and PostgreSQL)."""

import pytest
from sqlalchemy import event, func, select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.mailbox import services
from interaction.mailbox.services import submission
from interaction.mailbox.models import Letter, LetterEvent
from tests.helpers import csrf_token
from tests.statements import traced

DATA = {"category": "consultation", "subject": "公交站点", "body": "能否恢复小区门口的公交站？", "name": "张三",
        "phone": "13800138000", "email": None, "public_consent": False}


def counts() -> tuple[int, int, int]:
    """Letters, timeline events, submission audit entries."""
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "mailbox.submit")
    return (db.session.scalar(select(func.count()).select_from(Letter)),
            db.session.scalar(select(func.count()).select_from(LetterEvent)), db.session.scalar(audited))


@pytest.fixture
def statements():
    """The SQL the session sends while the test runs."""
    sent = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_a_taken_number_is_passed_over_in_the_same_transaction(world, monkeypatch, statements, request_context):
    first, _code, _created = services.submit_letter(world.governor, DATA)
    db.session.commit()
    fresh = "2611-FRESH"
    numbers = iter([first.number, fresh])
    monkeypatch.setattr(submission, "new_number", lambda _at: next(numbers))

    letter, code, created = services.submit_letter(world.governor, dict(DATA, subject="第二封"))
    db.session.commit()

    assert created and code and letter.number == fresh
    assert db.session.scalar(select(Letter.subject).where(Letter.number == first.number)) == "公交站点"
    assert counts() == (2, 2, 2)
    assert not [s for s in statements if "SAVEPOINT" in s.upper()], "the retry needs no savepoint"


def test_a_repeated_token_returns_the_first_letter_and_its_code(world, request_context):
    first, code, created = services.submit_letter(world.governor, DATA, submission_token="double-click")
    db.session.commit()
    again, code_again, created_again = services.submit_letter(world.governor, DATA, submission_token="double-click")
    db.session.commit()
    assert created and not created_again
    assert again.id == first.id and code_again == code
    assert counts() == (1, 1, 1)


def test_a_token_stored_meanwhile_answers_as_a_repeat(world, monkeypatch, request_context):
    """The other request's letter committed between this one's look-up and its insert (a race)."""
    first, code, _created = services.submit_letter(world.governor, DATA, submission_token="retried")
    db.session.commit()
    real_lookup = submission._letter_for_token
    lookups = []

    def late_lookup(token, now):  # the look-up before the insert still missed the other letter
        lookups.append(token)
        return None if len(lookups) == 1 else real_lookup(token, now)

    monkeypatch.setattr(submission, "_letter_for_token", late_lookup)
    letter, code_again, created = services.submit_letter(world.governor, DATA, submission_token="retried")
    db.session.commit()

    assert len(lookups) == 2, "the insert met the token and looked the letter up again"
    assert not created and letter.id == first.id and code_again == code
    assert counts() == (1, 1, 1), "no second letter, event or audit entry"


def test_a_failure_after_the_insert_leaves_nothing(world, monkeypatch, request_context):
    def fail(*_args, **_kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(submission.audit, "record", fail)
    with pytest.raises(RuntimeError):
        services.submit_letter(world.governor, DATA, submission_token="fails")
    db.session.rollback()
    assert counts() == (0, 0, 0)


@pytest.fixture
def sent(app, monkeypatch):
    yield from traced(monkeypatch)


@pytest.mark.parametrize("how", ["api", "page"])
def test_a_submission_is_one_transaction_writing_its_three_rows(world, client, letter_payload, sent, how):
    """A submission is one plain transaction: it begins (SQLite: ``BEGIN IMMEDIATE``, the write lock taken at
    once, core.db), reads what it checks, writes the letter, its first timeline line and its audit entry, and
    commits them together; nothing runs after the commit."""
    payload = dict(letter_payload, mailbox=world.governor.code)
    db.session.commit()  # the test's session (the requests share it) holds no transaction
    if how == "page":
        payload["csrf_token"] = csrf_token(client, "/mailbox/write")
    sent.clear()
    response = client.post("/api/v1/letters" if how == "api" else "/mailbox/write",
                           **({"json": payload} if how == "api" else {"data": payload}))
    assert response.status_code == (201 if how == "api" else 302)
    assert [statement for statement in sent if statement.startswith("BEGIN")] == [
        "BEGIN IMMEDIATE" if db.engine.dialect.name == "sqlite" else "BEGIN"], sent
    assert sent[0].startswith("BEGIN"), sent
    assert any("FROM mailboxes" in statement for statement in sent), sent
    writes = [statement for statement in sent if not statement.startswith("SELECT")]
    assert writes[1:] == ["INSERT INTO letters", "INSERT INTO letter_events", "INSERT INTO audit_entries",
                          "COMMIT"], sent
    assert sent[-1] == "COMMIT", sent
    assert counts() == (1, 1, 1)
