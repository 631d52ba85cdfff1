"""Demonstration questions for ``flask seed-demo``: answered public questions, an FAQ, an open one, a consultation.

Idempotent: questions are recognised by their title, so a second run adds nothing. They are asked
by the demo citizen and go the real way: moderation approves them, the department answers.
"""

from sqlalchemy import select

from interaction.accounts.models import Department, User
from interaction.core.db import db
from interaction.qa import services
from interaction.qa.models import Question

#: (department code, kind, topic, title, body, answer or None, in the FAQ)
QUESTIONS = [
    ("edu", "question", "education", "外省转入的孩子怎样办理小学入学？",
     "我们一家今年从外省搬到长沙，孩子今年九月上小学，需要准备哪些材料，什么时候报名？",
     "您好！随迁子女入学请在每年6月通过所在区教育局的义务教育入学服务平台报名，准备户口簿、"
     "居住证（或居住登记凭证）、房产或租赁证明和孩子的出生证明。具体时间以各区公告为准。", True),
    ("edu", "question", "education", "课后服务收费标准是多少？",
     "学校通知参加课后服务，想了解收费标准和能否自愿参加。",
     "您好！课后服务坚持学生自愿参加，收费标准由各市州按成本补偿原则核定并公示，"
     "家庭经济困难学生减免。请以学校公示为准。", True),
    ("police", "question", "household", "身份证快到期了，可以异地换领吗？",
     "我户籍在衡阳，现在在长沙工作，身份证下个月到期，能不能在长沙直接换？",
     "您好！居民身份证已实现全国异地受理，您可携带原身份证到长沙任一户政窗口办理，"
     "办理时现场采集人像和指纹，制证约需20个工作日，可选择邮寄。", True),
    ("police", "question", "transport", "驾驶证满分学习可以网上办理吗？",
     "驾驶证记满12分，想了解满分学习是否可以在网上完成。", None, False),
    ("hrss", "consultation", "social_security", "灵活就业人员如何缴纳养老保险？",
     "我目前自由职业，想咨询以灵活就业人员身份缴纳养老保险的流程。",
     "您好！可携带身份证到户籍或居住地社保经办机构办理参保登记，也可通过“湘税社保”小程序办理，"
     "缴费基数在全省上年度平均工资的60%至300%之间自选。", False),
]


def seed(admin: User) -> None:
    """Add the demo questions that do not exist yet (called by ``flask seed-demo`` with its administrator)."""
    from interaction.moderation.models import ModerationCase
    from interaction.moderation.services import decide_case

    citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.gov.cn"))
    if citizen is None:
        return
    for code, kind, topic, title, body, answer, in_faq in QUESTIONS:
        if db.session.scalar(select(Question.id).where(Question.title == title)) is not None:
            continue
        department = db.session.scalar(select(Department).where(Department.code == code))
        if department is None:
            continue
        question = services.ask_question(department, kind=kind, title=title, body=body, topic=topic,
                                         publication_consent=kind == "consultation", actor=citizen)
        case = db.session.scalar(select(ModerationCase).where(
            ModerationCase.kind == services.QUESTION_KIND, ModerationCase.target_id == str(question.id),
            ModerationCase.state == "pending"))
        if case is not None:
            decide_case(case, "approve", actor=admin)
        if answer and question.status == "open":
            services.answer_question(question, answer, actor=admin)
        if in_faq and question.status == "answered":
            services.add_to_faq(question, actor=admin)
        if kind == "consultation" and question.status == "answered":
            services.publish_consultation(question, actor=admin)
