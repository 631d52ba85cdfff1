"""Demonstration polls for ``flask seed-demo``: a closed poll with ballots and its report, and an open one.

Idempotent: polls are recognised by their title, so a second run adds nothing. The demo accounts
(citizen, staff, moderator, administrator) cast the ballots of the closed poll.
"""

from datetime import timedelta

from sqlalchemy import select

from interaction.accounts.models import Department, User
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.polls import services
from interaction.polls.models import Poll

CLOSED_TITLE = "课后服务时间安排意见征集"
OPEN_TITLE = "中小学午休“躺睡”改造满意度调查"


def _questions_closed():
    return [
        services.QuestionData("single", "您希望课后服务结束时间是？", ["17:30", "18:00", "18:30"]),
        services.QuestionData("multiple", "您希望课后服务提供哪些内容？（可多选）",
                              ["作业辅导", "体育活动", "艺术兴趣", "科技创新"], min_choices=1, max_choices=3),
        services.QuestionData("rating", "您对目前课后服务的总体满意度（1–5 分）"),
        services.QuestionData("text", "其他意见和建议", required=False),
    ]


def _questions_open():
    return [
        services.QuestionData("single", "您孩子所在学校是否已完成午休改造？",
                              ["已完成", "正在进行", "尚未开始", "不清楚"]),
        services.QuestionData("rating", "您对午休条件的满意度（1–5 分）"),
        services.QuestionData("text", "您对午休安排的建议", required=False),
    ]


BALLOTS = [  # option positions for the first two questions, the rating, an optional text
    (1, [0, 1], 4, "希望增加阅读活动。"), (2, [1, 2], 5, None), (1, [0], 3, None), (0, [1, 3], 4, None),
    (1, [0, 1, 2], 5, "课后服务收费标准希望公开。"),
]


def seed(admin: User) -> None:
    """Add the demo polls that do not exist yet (called by ``flask seed-demo`` with its administrator)."""
    edu = db.session.scalar(select(Department).where(Department.code == "edu"))
    if edu is None:
        return
    now = now_utc()
    if db.session.scalar(select(Poll.id).where(Poll.title == CLOSED_TITLE)) is None:
        _seed_closed(edu, admin, now)
    if db.session.scalar(select(Poll.id).where(Poll.title == OPEN_TITLE)) is None:
        poll = services.create_poll(edu, services.PollData(
            title=OPEN_TITLE, description="教育厅就中小学午休“躺睡”改造听取家长和学生的意见。",
            opens_dt=now - timedelta(days=2), closes_dt=now + timedelta(days=28), results_visibility="live"),
            _questions_open(), actor=admin)
        services.publish_poll(poll, actor=admin)


def _seed_closed(edu: Department, admin: User, now) -> None:
    poll = services.create_poll(edu, services.PollData(
        title=CLOSED_TITLE, description="为做好义务教育阶段课后服务，教育厅面向家长征集意见。",
        opens_dt=now - timedelta(days=30), closes_dt=now + timedelta(days=1)), _questions_closed(), actor=admin)
    services.publish_poll(poll, actor=admin)
    voters = db.session.scalars(select(User).where(User.email.like("%@demo.gov.cn")).order_by(User.id)).all()
    single, multiple, rating, text = poll.questions
    for voter, (choice, choices, value, comment) in zip(voters, BALLOTS, strict=False):
        answers = [{"question": single.id, "options": [single.options[choice].id]},
                   {"question": multiple.id, "options": [multiple.options[i].id for i in choices]},
                   {"question": rating.id, "value": value}]
        if comment:
            answers.append({"question": text.id, "text": comment})
        services.cast_ballot(poll, answers, actor=voter)
    services.close_poll(poll, actor=admin)
    voted = len(voters[:len(BALLOTS)])
    services.publish_report(
        poll, f"共收到有效答卷 {voted} 份。多数家长希望课后服务延长到 18:00，并增加体育和艺术类活动。",
        "采纳：自下学期起课后服务结束时间统一延长至 18:00，每周安排不少于两次体育活动。\n"
        "暂不采纳：收费标准已由物价部门统一公布，将在学校公示栏和网站同步公开。", actor=admin)
