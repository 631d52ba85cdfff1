"""Oversight's pages tests/test_i18n.py renders in English (``OVERSIGHT_ENGLISH_PAGES``): ASCII names only."""

from interaction.core.db import db
from tests import factories


def _department_with_letter(app):
    """A department with an ASCII name, its mailbox and one letter (the figures have something to show)."""
    department = factories.make_department(code="ov-en", name="Education Dept")
    with app.test_request_context():
        factories.make_letter(factories.make_mailbox(department, name="Education Mailbox"), name="Ann Example",
                              subject="Noise at night", body="Builders work at night.")
    db.session.commit()
    return department


def performance_page(app, client, login):
    _department_with_letter(app)
    login(factories.make_user("admin", name="Ada Admin"))
    db.session.commit()
    return "/oversight/performance"


def performance_page_bad_period(app, client, login):
    login(factories.make_user("admin", name="Ada Admin"))
    db.session.commit()
    return "/oversight/performance?from=2026-11-30&to=2026-11-01"


def staff_performance_page(app, client, login):
    department = _department_with_letter(app)
    login(factories.make_user("staff", department, name="Sam Staff"))
    db.session.commit()
    return "/oversight/performance?period=month"


def compliance_page(app, client, login):
    _department_with_letter(app)
    login(factories.make_user("admin", name="Ada Admin"))
    db.session.commit()
    return "/oversight/compliance"


OVERSIGHT_ENGLISH_PAGES = [performance_page, performance_page_bad_period, staff_performance_page, compliance_page,
                           "/oversight/public"]
