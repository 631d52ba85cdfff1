"""queries.active_mailbox: the API's look-up of a mailbox by code, with its department."""

from sqlalchemy import event

from interaction.core.db import db
from interaction.mailbox import queries
from tests.factories import make_department, make_mailbox


def test_an_active_mailbox_comes_with_its_department_in_one_statement(app):
    department = make_department(code="edu", name="省教育厅")
    make_mailbox(department, code="edu-box", name="厅长信箱")
    closed = make_mailbox(department, code="closed-box", name="已停用信箱")
    closed.is_active = False
    db.session.commit()
    db.session.expunge_all()

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        mailbox = queries.active_mailbox("edu-box")
        assert (mailbox.code, mailbox.name, mailbox.department.code, mailbox.department.name) == (
            "edu-box", "厅长信箱", "edu", "省教育厅")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 1 and "JOIN departments" in selects[0]  # the department came with it
    assert not db.session.dirty and not db.session.new
    assert queries.active_mailbox("edu-box") is mailbox  # one object per row in a session
    assert queries.active_mailbox("closed-box") is None and queries.active_mailbox("nothing") is None
