"""core.db.lock_row: a row lock is read once per transaction, and again in the next one."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from interaction.accounts.models import Department
from interaction.core.db import db, lock_row
from tests.factories import make_department


@contextmanager
def statements():
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def selects(seen):
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


def test_a_row_locked_twice_in_one_transaction_is_read_once(app):
    department_id = make_department(code="lock-1").id
    db.session.commit()
    with statements() as seen:
        first = lock_row(Department, department_id)
        second = lock_row(Department, department_id)
    assert first is second
    assert len(selects(seen)) == 1
    if db.engine.dialect.name == "postgresql":
        assert "FOR UPDATE" in selects(seen)[0]


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_next_transaction_locks_and_rereads_the_row(app, end):
    department_id = make_department(code=f"lock-{end}").id
    db.session.commit()
    lock_row(Department, department_id)
    getattr(db.session, end)()  # either way the locks are released and forgotten
    with statements() as seen:
        assert lock_row(Department, department_id).id == department_id
    assert selects(seen)


def test_a_savepoint_ending_keeps_the_outer_transactions_locks(app):
    department_id = make_department(code="lock-3").id
    db.session.commit()
    lock_row(Department, department_id)
    with db.session.begin_nested():
        pass
    with statements() as seen:
        lock_row(Department, department_id)
    assert not [s for s in seen if "FOR UPDATE" in s.upper()]  # at most the object's reload, not a new lock
    assert ("locked_rows" in db.session.info) and (Department, department_id) in db.session.info["locked_rows"]


def test_a_missing_row_is_none(app):
    assert lock_row(Department, 987654) is None


def test_a_joined_collection_comes_in_the_locking_statement(app):
    parent = make_department(code="lock-parent")
    children = [make_department(code=f"lock-child-{n}", parent=parent) for n in range(3)]
    db.session.commit()
    parent_id, child_ids = parent.id, sorted(c.id for c in children)
    db.session.expire_all()
    with statements() as seen:
        locked = lock_row(Department, parent_id, joined=Department.children)
        assert sorted(c.id for c in locked.children) == child_ids
    assert len(selects(seen)) == 1
    if db.engine.dialect.name == "postgresql":
        assert "FOR UPDATE OF departments" in selects(seen)[0]
