"""Fixtures of the leader mailbox tests: a small province and letters (the query-code hash is the app's
``PASSWORD_HASH_METHOD``, which tests/helpers.py make_test_app sets cheap)."""

from dataclasses import dataclass

import pytest

from interaction.accounts.models import Department, User
from interaction.core.db import db
from interaction.mailbox.models import Mailbox
from tests.factories import PASSWORD, make_department, make_mailbox, make_user


@pytest.fixture
def request_context(app):
    """Services translate their messages, which needs a request (core.web.select_locale)."""
    with app.test_request_context():
        yield


@dataclass
class World:
    office: Department
    edu: Department
    police: Department
    governor: Mailbox
    edu_box: Mailbox
    office_staff: User
    edu_staff: User
    police_staff: User
    admin: User
    citizen: User
    moderator: User

    password: str = PASSWORD


@pytest.fixture
def world(app, clock):
    office = make_department(code="office", name="省政府办公厅")
    edu = make_department(code="edu", name="教育厅")
    police = make_department(code="police", name="公安厅")
    world = World(
        office=office, edu=edu, police=police,
        governor=make_mailbox(office, code="governor", name="省长信箱"),
        edu_box=make_mailbox(edu, code="edu-head", name="教育厅厅长信箱", reply_days=15),
        office_staff=make_user("staff", office, email="office@example.com"),
        edu_staff=make_user("staff", edu, email="edu@example.com"),
        police_staff=make_user("staff", police, email="police@example.com"),
        admin=make_user("admin", email="admin@example.com"),
        citizen=make_user("citizen", email="citizen@example.com", name="李四", phone="13900139000"),
        moderator=make_user("moderator", email="mod@example.com"),
    )
    db.session.commit()
    return world


LETTER = {
    "mailbox": "governor",
    "category": "complaint",
    "subject": "小区噪音问题",
    "body": "我是王小明，电话13812345678，小区旁工地夜间施工。",
    "name": "王小明",
    "phone": "13812345678",
    "email": "wang@example.com",
    "public_consent": True,
}


@pytest.fixture
def letter_payload():
    return dict(LETTER)


@pytest.fixture
def headers(api_token):
    """``headers(user)``: bearer headers for a world user."""
    cache = {}

    def _headers(user):
        if user.email not in cache:
            cache[user.email] = api_token(user.email, PASSWORD)
        return cache[user.email]

    return _headers


@pytest.fixture
def outbox(app):
    from interaction.core.mail import outbox as app_outbox

    box = app_outbox(app)
    box.clear()
    return box
