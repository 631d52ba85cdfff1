"""Fixtures of the Q&A tests: departments with staff, citizens, and questions taken through moderation."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from interaction.accounts.models import Department, User
from interaction.core.db import db
from interaction.moderation.models import ModerationCase
from interaction.moderation.services import decide_case
from interaction.qa import services
from interaction.qa.models import Question
from tests.factories import PASSWORD, make_department, make_user


@dataclass
class Qa:
    edu: Department
    police: Department
    edu_staff: User
    police_staff: User
    admin: User
    moderator: User
    citizen: User
    other: User

    password: str = PASSWORD


@pytest.fixture
def qa(app, clock):
    """Two departments with a clerk each, an administrator, a moderator and two citizens (committed)."""
    with app.test_request_context():
        edu = make_department(code="edu", name="教育厅")
        police = make_department(code="police", name="公安厅")
        world = Qa(edu=edu, police=police,
                   edu_staff=make_user("staff", edu, email="edu@example.com"),
                   police_staff=make_user("staff", police, email="police@example.com"),
                   admin=make_user("admin", email="admin@example.com"),
                   moderator=make_user("moderator", email="mod@example.com"),
                   citizen=make_user("citizen", email="citizen@example.com", name="王小明"),
                   other=make_user("citizen", email="other@example.com", name="赵六"))
        db.session.commit()
    return world


@pytest.fixture
def request_context(app):
    """Services translate their messages and build URLs, which needs a request."""
    with app.test_request_context():
        yield


def case_of(kind: str, target_id) -> ModerationCase | None:
    return db.session.scalar(select(ModerationCase).where(ModerationCase.kind == kind,
                                                          ModerationCase.target_id == str(target_id)))


def ask(qa: Qa, *, department=None, kind="question", title="孩子转学需要什么材料",
        body="从外省转入长沙，需要准备哪些材料？", author=None, approve=True, topic=None, consent=False) -> Question:
    """A question asked through the service and (by default) approved by the moderator, flushed."""
    question = services.ask_question(department or qa.edu, kind=kind, title=title, body=body, topic=topic,
                                     publication_consent=consent, actor=author or qa.citizen)
    if approve:
        decide_case(case_of(services.QUESTION_KIND, question.id), "approve", actor=qa.moderator)
    return question


def answered(qa: Qa, **kwargs) -> Question:
    question = ask(qa, **kwargs)
    services.answer_question(question, "请携带户口簿和学籍证明到区教育局办理。", actor=qa.edu_staff
                             if question.department_id == qa.edu.id else qa.admin)
    return question
