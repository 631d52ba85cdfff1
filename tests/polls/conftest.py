"""Fixtures of the poll tests: a department with its staff, citizens, a moderator and an administrator."""

from types import SimpleNamespace

import pytest

from interaction.core.db import db
from tests.factories import make_department, make_user


@pytest.fixture
def request_context(app):
    """Services translate their messages; the locale selector needs a request for that."""
    with app.test_request_context():
        yield


@pytest.fixture
def people(app):
    department = make_department(code="edu", name="教育厅")
    other = make_department(code="police", name="公安厅")
    people = SimpleNamespace(
        department=department, other_department=other,
        staff=make_user("staff", department, email="staff@example.com", name="Staff One"),
        other_staff=make_user("staff", other, email="other@example.com", name="Other Staff"),
        citizen=make_user("citizen", email="citizen@example.com", name="Citizen One"),
        citizen2=make_user("citizen", email="citizen2@example.com", name="Citizen Two"),
        moderator=make_user("moderator", email="mod@example.com", name="Moderator"),
        admin=make_user("admin", email="admin@example.com", name="Admin"),
    )
    db.session.commit()
    return people


@pytest.fixture
def login(login):
    """The shared ``login``, then the test's own session ends its transaction.

    Reading the user (``get_id``) began one, and on SQLite a transaction holds the write lock
    (``BEGIN IMMEDIATE``): a request that reads on a connection of its own would wait for it.
    """

    def _login(user):
        signed_in = login(user)
        db.session.commit()
        return signed_in

    return _login
