"""Fixtures of the accounts tests: one committed user per role, page sign-in helper."""

import pytest

from interaction.core.db import db
from tests.factories import PASSWORD, make_department, make_user


@pytest.fixture
def people(app):
    """A department and one user per role, committed (views commit, and may see a rollback)."""
    department = make_department(code="edu", name="教育厅")
    users = {
        "citizen": make_user(role="citizen", email="citizen@example.com", name="公众甲"),
        "staff": make_user(role="staff", department=department, email="staff@example.com", name="工作人员乙"),
        "moderator": make_user(role="moderator", email="moderator@example.com", name="审核员丙"),
        "admin": make_user(role="admin", email="admin@example.com", name="管理员丁"),
    }
    db.session.commit()
    return {"department": department, **users}


@pytest.fixture
def sign_in(client, post_form):
    """``sign_in(email, password)`` posts the sign-in form; returns the response."""

    def _sign_in(email, password=PASSWORD, **kwargs):
        return post_form("/login", {"email": email, "password": password}, **kwargs)

    return _sign_in


def is_signed_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200


def main_content(response) -> str:
    """The page's <main> without CSRF tokens (which differ on every page): what the visitor reads."""
    import re

    page = response.get_data(as_text=True)
    main = page[page.index("<main"):page.index("</main>")]
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", main)
