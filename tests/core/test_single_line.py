"""One-line text (names, subjects, titles): invisible-only text refused, bidirectional controls taken out.

core.forms.SingleLineField is the one definition; every form and, through them, the API use it.
"""

import pytest
from sqlalchemy import select

from interaction.accounts.models import User
from interaction.core.db import db
from interaction.core.text import single_line
from interaction.mailbox.models import Letter
from tests.factories import PASSWORD, make_department, make_mailbox, make_user

INVISIBLE_ONLY = ["\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", "\u3000\u3000", " \t ", "\u00a0",
                  "\u202e", "\u2066\u2069", "\u3164", "\u200b \u3000\ufeff", "\x7f"]
MESSAGE = "不能只填写空格或不可见的字符。"
REGISTRATION = {"email": "li.si@example.com", "password": "a-long-password", "name": "李四", "phone": "13800138000"}
LETTER = {"mailbox": "governor", "category": "complaint", "subject": "小区噪音问题", "body": "工地夜间施工。",
          "name": "王小明", "phone": "13812345678", "public_consent": False}


@pytest.mark.parametrize(("raw", "clean"), [
    ("\u202e李四\u202c", "李四"), ("abc\u2066def\u2069", "abcdef"), ("\u200b 张三 \u3000", "张三"),
    ("王\u200d小明", "王\u200d小明"),  # inside the text a joiner may belong to it (emoji sequences)
    ("  正常标题  ", "正常标题"), (None, None),
])
def test_single_line_takes_out_bidi_controls_and_trims_invisible_ends(raw, clean):
    assert single_line(raw) == clean


@pytest.mark.parametrize("name", INVISIBLE_ONLY)
def test_registration_api_refuses_an_invisible_name(client, name):
    response = client.post("/api/v1/auth/register", json={**REGISTRATION, "name": name})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"name": MESSAGE}


def test_registration_api_stores_the_name_without_bidi_controls(client):
    response = client.post("/api/v1/auth/register", json={**REGISTRATION, "name": "\u202e四李\u202c"})
    assert response.status_code == 201 and response.get_json()["name"] == "四李"
    assert db.session.scalar(select(User.name).filter_by(email="li.si@example.com")) == "四李"


@pytest.fixture
def governor(app):
    make_mailbox(make_department(code="office", name="省政府办公厅"), code="governor", name="省长信箱")
    db.session.commit()


@pytest.mark.parametrize("field", ["subject", "name"])
@pytest.mark.parametrize("value", ["\u200b\u200b", "\u3000", "\ufeff\u2060"])
def test_letter_api_refuses_invisible_subject_and_name(client, governor, field, value):
    response = client.post("/api/v1/letters", json={**LETTER, field: value})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"][field] == MESSAGE


def test_letter_api_strips_bidi_controls_from_the_subject(client, governor):
    letter = {**LETTER, "subject": "噪音\u202e问题\u2069", "name": "\u2067王小明"}
    response = client.post("/api/v1/letters", json=letter)
    assert response.status_code == 201
    letter = db.session.scalar(select(Letter))
    assert (letter.subject, letter.name) == ("噪音问题", "王小明")


@pytest.mark.parametrize(("change", "field"), [({"title": "\u200b\u3000"}, "title"), ({"topic": "\u2060"}, "topic"),
                                               ({"guests": [{"name": "\u3164", "title": "主任"}]}, "guests")])
def test_interview_api_refuses_an_invisible_title_topic_or_guest(client, app, api_token, change, field):
    make_department(code="dev", name="发展改革委")
    make_user(role="moderator", email="moderator@example.com")
    db.session.commit()
    headers = api_token("moderator@example.com", PASSWORD)
    interview = {"title": "营商环境访谈", "scheduled_at": "2026-11-10T10:00:00+08:00", "department": "dev",
                 "guests": [{"name": "李明", "title": "主任"}], **change}
    response = client.post("/api/v1/interviews", json=interview, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {field: MESSAGE}


def test_the_registration_page_shows_the_message_next_to_the_name(client, post_form):
    response = post_form("/register", {**REGISTRATION, "password_confirm": REGISTRATION["password"],
                                       "name": "\u200b\u200b\u200b"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and MESSAGE in page
    assert db.session.scalar(select(User.id)) is None


def test_the_letter_page_refuses_an_invisible_subject(client, governor, post_form):
    response = post_form("/mailbox/write", {**LETTER, "subject": "\u3000\u200b", "email": "",
                                            "submission_token": "token-one"})
    assert MESSAGE in response.get_data(as_text=True)
    assert db.session.scalar(select(Letter.id)) is None
