"""Demonstration interviews for ``flask seed-demo``: one ended two weeks ago with its transcript, one scheduled.

The ended one is replayed through the services at its real moments (the app's clock set to each
in turn and given back after): citizens' pre-questions, a moderator approving them, the host's
opening, the guests' answers, the end (which publishes the transcript). The scheduled one, next
week, has an approved pre-question and one awaiting review. Idempotent: recognised by title.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select

from interaction.accounts.models import Department, User
from interaction.core import time as core_time
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.interviews import services
from interaction.interviews.models import Interview
from interaction.interviews.services import GuestData

ENDED = "优化营商环境 服务企业发展——省发展改革委负责人在线访谈"
SCHEDULED = "2027年义务教育招生入学政策解读"

#: (question asked before the interview, the guest's answer)
ENDED_QUESTIONS = [
    ("小微企业办理开办手续现在最快要几天？",
     "目前全省企业开办已实现一网通办，营业执照、公章刻制、发票申领和社保登记一天内办结，长沙等地可当天领取营业执照。"),
    ("今年对民营企业有哪些新的减税降费政策？",
     "今年延续实施小规模纳税人增值税减免等政策，并对科技型中小企业研发费用加计扣除比例提高到100%，"
     "具体可咨询当地税务部门或拨打12366。"),
    ("企业反映的问题找哪个部门？多久能答复？",
     "企业可通过12345热线和省政府门户网站“政民互动”反映问题，我们承诺15个工作日内答复，办理情况全程可查。"),
]
HOST_OPENING = ("各位网友大家好！欢迎来到在线访谈，今天我们邀请到省发展改革委负责同志，"
                "就优化营商环境回答大家关心的问题。")
HOST_CLOSING = "今天的访谈到这里就结束了，没有来得及回答的问题我们将转交相关部门办理。感谢各位网友的参与！"


@contextmanager
def replaying(moment: datetime) -> Iterator[None]:
    """Run a step as if at *moment* (the app's clock, given back afterwards)."""
    before = core_time.clock.frozen
    core_time.clock.frozen = moment
    try:
        yield
    finally:
        core_time.clock.frozen = before


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def seed(admin: User) -> None:
    """Add the two demo interviews if they do not exist yet."""
    moderator = _user("moderator@demo.gov.cn") or admin
    citizen = _user("citizen@demo.gov.cn")
    existing = set(db.session.scalars(select(Interview.title).where(Interview.title.in_([ENDED, SCHEDULED]))))
    if ENDED not in existing:
        _seed_ended(moderator, citizen)
    if SCHEDULED not in existing:
        _seed_scheduled(moderator, citizen)


def _department(code: str) -> Department | None:
    return db.session.scalar(select(Department).where(Department.code == code))


def _seed_ended(moderator: User, citizen: User | None) -> None:
    start = (now_utc() - timedelta(days=14)).replace(hour=7, minute=0, second=0, microsecond=0)  # 15:00 Shanghai
    with replaying(start - timedelta(days=7)):
        interview = services.create_interview(
            title=ENDED, topic="营商环境", department=_department("fgw"), scheduled_dt=start,
            description="围绕企业开办、减税降费、涉企问题办理等网民关心的问题在线交流。",
            guests=[GuestData("刘建国", "省发展改革委副主任"), GuestData("陈晓", "主持人", role="host")],
            actor=moderator)
    questions = []
    for n, (asked, _answer) in enumerate(ENDED_QUESTIONS):
        if citizen is None:
            break
        with replaying(start - timedelta(days=5 - n, minutes=n)):
            question = services.ask_question(interview, asked, actor=citizen)
            services.approve_question(question, actor=moderator)
            questions.append(question)
    guest, host = interview.guests[0], interview.guests[1]
    with replaying(start):
        services.start_interview(interview, actor=moderator)
        services.answer(interview, HOST_OPENING, actor=moderator, guest_id=host.id)
    for n, question in enumerate(questions):
        with replaying(start + timedelta(minutes=5 + 12 * n)):
            services.answer(interview, ENDED_QUESTIONS[n][1], actor=moderator, question=question, guest_id=guest.id)
    with replaying(start + timedelta(minutes=55)):
        services.answer(interview, HOST_CLOSING, actor=moderator, guest_id=host.id)
        services.end_interview(interview, actor=moderator)


def _seed_scheduled(moderator: User, citizen: User | None) -> None:
    start = (now_utc() + timedelta(days=7)).replace(hour=2, minute=0, second=0, microsecond=0)  # 10:00 Shanghai
    interview = services.create_interview(
        title=SCHEDULED, topic="教育", department=_department("edu"), scheduled_dt=start,
        description="省教育厅负责人解读2027年义务教育招生入学政策，欢迎网友提前留言提问。",
        guests=[GuestData("周敏", "省教育厅基础教育处处长"), GuestData("陈晓", "主持人", role="host")],
        actor=moderator)
    if citizen is None:
        return
    with replaying(now_utc() - timedelta(hours=3)):
        question = services.ask_question(interview, "随迁子女入学需要积分吗？积分怎么计算？", actor=citizen)
        services.approve_question(question, actor=moderator)
    with replaying(now_utc() - timedelta(hours=1)):
        services.ask_question(interview, "民办学校摇号什么时候开始？", actor=citizen)
