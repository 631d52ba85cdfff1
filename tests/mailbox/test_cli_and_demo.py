"""``flask mailboxes create`` and the demo letters."""

from sqlalchemy import func, select

from interaction.core.db import db
from interaction.mailbox import demo
from interaction.mailbox.models import Letter, Mailbox
from tests.factories import make_department, make_user


def test_mailboxes_create(runner, app):
    make_department(code="edu")
    db.session.commit()
    result = runner.invoke(args=["mailboxes", "create", "--code", "edu-head", "--name", "教育厅厅长信箱",
                                 "--department", "edu", "--reply-days", "10"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    mailbox = db.session.scalar(select(Mailbox).filter_by(code="edu-head"))
    assert mailbox.reply_days == 10 and mailbox.department.code == "edu"
    again = runner.invoke(args=["mailboxes", "create", "--code", "edu-head", "--name", "x", "--department", "edu"])
    assert again.exit_code != 0 and "exists" in again.output
    unknown = runner.invoke(args=["mailboxes", "create", "--code", "y", "--name", "y", "--department", "nope"])
    assert unknown.exit_code != 0


def test_demo_letters_are_idempotent(app, clock, request_context):
    for code in ("office", "edu", "police"):
        make_department(code=code)
    from interaction.accounts.models import Department

    for code, dept in (("governor", "office"), ("edu-head", "edu"), ("police-head", "police")):
        db.session.add(Mailbox(code=code, name=code, department=db.session.scalar(
            select(Department).filter_by(code=dept))))
    admin = make_user("admin")
    demo.seed(admin)
    db.session.commit()
    seeded = db.session.scalar(select(func.count()).select_from(Letter))
    published = db.session.scalar(select(func.count()).select_from(Letter).filter_by(is_published=True))
    demo.seed(admin)
    db.session.commit()
    # The hand-written letters and demo_letters' (those whose mailboxes exist here); nothing twice.
    assert db.session.scalar(select(func.count()).select_from(Letter)) == seeded > len(demo.LETTERS)
    assert db.session.scalar(select(func.count()).select_from(Letter).filter_by(is_published=True)) == published >= 1
    for letter in demo.LETTERS:
        assert db.session.scalar(select(Letter.id).filter_by(subject=letter[2])) is not None
    assert demo.seed in app.extensions["interaction.demo_seeders"]
