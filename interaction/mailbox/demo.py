"""Demonstration letters for ``flask seed-demo``: a few hand-written letters, then about 150 more (demo_letters).

Idempotent: letters are recognised by their subject, so a second run adds nothing.
"""

from datetime import timedelta

from sqlalchemy import select

from interaction.accounts.models import Department, User
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.mailbox import services
from interaction.mailbox.models import Letter, Mailbox

LETTERS = [
    # (mailbox, category, subject, body, name, phone, consent, days ago, steps)
    ("edu-head", "consultation", "孩子转学需要准备哪些材料？",
     "我家孩子今年随我们从外省搬到长沙，想咨询转入公办小学需要准备哪些材料，到哪里办理。我的电话是13912345678。",
     "王小明", "13912345678", True, 20, ("accept", "assign", "reply", "rate", "publish")),
    ("edu-head", "suggestion", "建议延长学校课后服务时间",
     "双职工家庭下班较晚，建议课后服务延长到18点。", "李华", "13700001111", True, 6, ("accept", "assign")),
    ("police-head", "help", "身份证丢失后如何补办",
     "出差途中身份证丢失，想了解异地补办流程。", "赵强", "0731-84567890", False, 1, ()),
    ("governor", "complaint", "小区附近工地夜间施工噪音扰民",
     "小区旁工地连续多晚施工到凌晨，影响休息。", "陈静", "13600002222", False, 30, ("accept",)),
]

REPLY = "您好！转学请携带户口簿、居住证明和原学校学籍信息，到拟就读学校所在区教育局学位服务窗口办理。"


def seed(admin: User) -> None:
    """Add the demo letters that do not exist yet (called by ``flask seed-demo`` with its administrator)."""
    from interaction.mailbox import demo_letters

    _seed_hand_written(admin)
    demo_letters.seed(admin)


def _seed_hand_written(admin: User) -> None:
    for mailbox_code, category, subject, body, name, phone, consent, days_ago, steps in LETTERS:
        if db.session.scalar(select(Letter.id).where(Letter.subject == subject)) is not None:
            continue
        mailbox = db.session.scalar(select(Mailbox).where(Mailbox.code == mailbox_code))
        if mailbox is None:
            continue
        data = {"category": category, "subject": subject, "body": body, "name": name, "phone": phone,
                "public_consent": consent}
        letter, _code, _created = services.submit_letter(
            mailbox, data, actor=admin, channel="post", received_dt=now_utc() - timedelta(days=days_ago))
        department = db.session.get(Department, mailbox.department_id)
        for step in steps:
            if step == "accept":
                services.accept_letter(letter, actor=admin)
            elif step == "assign":
                services.assign_letter(letter, department, actor=admin)
            elif step == "reply":
                services.reply_letter(letter, REPLY, actor=admin)
            elif step == "rate":
                services.rate_letter(letter, 5, resolution=5, attitude=5, speed=4, comment="答复清楚，谢谢。")
            elif step == "publish":
                _approve_publication(letter, admin)


def _approve_publication(letter: Letter, admin: User) -> None:
    from interaction.moderation.models import ModerationCase
    from interaction.moderation.services import decide_case

    case = db.session.scalar(select(ModerationCase).where(ModerationCase.kind == services.MODERATION_KIND,
                                                          ModerationCase.target_id == str(letter.id),
                                                          ModerationCase.state == "pending"))
    if case is not None:
        decide_case(case, "approve", actor=admin)
