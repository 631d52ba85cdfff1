"""A province with two departments and a city, letters and questions of November 2026 with known figures.

``world`` (committed, the clock at 2026-12-01 10:00 Shanghai):

* 教育厅 (``edu``, mailbox reply in 15 working days) received L1 (replied on 11-04, 2 working days, rated 4:
  resolution 4, attitude 2, speed 5), L2 (still open, past its deadline of 11-23), L3 (rejected) and L5
  (extended by 5 working days, replied on 11-30: 18 working days, on time);
* L4, received by 教育厅 on 11-03, was transferred to 公安厅 (``police``) and replied there on 11-05 (2 working
  days), rated 2;
* 长沙市 (``cs``, a city under the province) has nothing; questions: two to 教育厅 (one answered on time in
  1 working day, one open and overdue) and one to 公安厅 answered late in 7 working days.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from interaction.accounts.models import Department, User
from interaction.core.db import db
from interaction.mailbox import services
from interaction.qa.models import Question
from tests.factories import make_department, make_letter, make_mailbox, make_user


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    """2026-<month>-<day> <hour>:00 in Shanghai, as UTC."""
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


@dataclass
class World:
    province: Department
    edu: Department
    police: Department
    city: Department
    admin: User
    edu_staff: User
    police_staff: User
    moderator: User
    numbers: dict


def _question(department, created, *, status, due, answered=None, on_time=None, clock_start=None):
    question = Question(kind="question", department_id=department.id, title="关于办事指南的问题", body="请问如何办理？",
                        status=status, is_public=True, created_dt=created, decided_dt=created,
                        clock_start_dt=clock_start or created, due_dt=due, first_answered_dt=answered,
                        answered_dt=answered, answered_on_time=on_time,
                        answer_body="答复" if answered else None, answer_html="<p>答复</p>" if answered else None)
    db.session.add(question)
    db.session.flush()
    return question


@pytest.fixture
def world(app, clock):
    with app.test_request_context():
        province = make_department(code="hn", name="湖南省人民政府", kind="province")
        edu = make_department(code="edu", name="教育厅", parent=province)
        police = make_department(code="police", name="公安厅", parent=province)
        city = make_department(code="cs", name="长沙市", parent=province, kind="city")
        mailbox = make_mailbox(edu, code="edu-box", reply_days=15)
        admin = make_user("admin", email="admin@example.com")
        edu_staff = make_user("staff", edu, email="edu@example.com")
        police_staff = make_user("staff", police, email="police@example.com")
        moderator = make_user("moderator", email="mod@example.com")
        numbers = {}

        clock.set(at(2))
        l1, _ = make_letter(mailbox)
        l2, _ = make_letter(mailbox)
        clock.set(at(3))
        l3, _ = make_letter(mailbox)
        l4, _ = make_letter(mailbox)
        clock.set(at(4))
        l5, _ = make_letter(mailbox)
        for name, letter in (("L1", l1), ("L2", l2), ("L3", l3), ("L4", l4), ("L5", l5)):
            numbers[name] = letter.number
        for letter in (l1, l2, l4, l5):
            services.accept_letter(letter, actor=admin)
            services.assign_letter(letter, edu, actor=admin)
        services.reject_letter(l3, "不属于受理范围", actor=admin)
        services.transfer_letter(l4, police, "属公安厅职责", actor=admin)
        services.extend_letter(l5, 5, "需要调查", actor=admin)
        services.reply_letter(l1, "已答复。", actor=admin)
        clock.set(at(5))
        services.reply_letter(l4, "已答复。", actor=admin)
        clock.set(at(6))
        services.rate_letter(l1, 4, resolution=4, attitude=2, speed=5)
        services.rate_letter(l4, 2)
        clock.set(at(30))
        services.reply_letter(l5, "已答复。", actor=admin)

        _question(edu, at(9), status="answered", due=at(16, 18), answered=at(10), on_time=True)
        _question(edu, at(10), status="open", due=at(17, 18))
        _question(police, at(11), status="answered", due=at(18, 18), answered=at(20), on_time=False)
        _question(edu, at(12), status="pending", due=None)
        db.session.commit()
        clock.set(at(1, month=12))
        return World(province, edu, police, city, admin, edu_staff, police_staff, moderator, numbers)
