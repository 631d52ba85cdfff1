"""The Q&A pages tests/test_i18n.py renders in English (``QA_ENGLISH_PAGES``): ASCII names and texts."""

from interaction.core.db import db
from tests import factories


def _question(app, *, kind="question", answer=True):
    """An approved (and answered) question with ASCII texts in a department with an ASCII name."""
    from sqlalchemy import select

    from interaction.moderation.models import ModerationCase
    from interaction.moderation.services import decide_case
    from interaction.qa import services

    department = factories.make_department(code="qa-en", name="Education Dept")
    staff = factories.make_user("staff", department, name="Sam Staff")
    asker = factories.make_user(name="Ann Example")
    with app.test_request_context():
        question = services.ask_question(department, kind=kind, title="School transfer papers",
                                         body="Which papers do I need?", topic="education", actor=asker)
        case = db.session.scalar(select(ModerationCase).where(ModerationCase.target_id == str(question.id)))
        decide_case(case, "approve", actor=factories.make_user("moderator", name="Max Moderator"))
        if answer:
            services.answer_question(question, "Bring the household register.", actor=staff)
        db.session.commit()
    return question, staff, asker


def qa_detail_page(app, client, login):
    question, _staff, _asker = _question(app)
    return f"/questions/{question.id}"


def qa_ask_page(app, client, login):
    login(factories.make_user(name="Ann Example"))
    return "/questions/ask"


def qa_mine_page(app, client, login):
    _made, _staff, asker = _question(app, kind="consultation")
    login(asker)
    return "/questions/mine"


def qa_staff_queue_page(app, client, login):
    _question_, staff, _asker = _question(app, answer=False)
    login(staff)
    return "/questions/work"


def qa_answer_page(app, client, login):
    question, staff, _asker = _question(app)
    login(staff)
    return f"/questions/{question.id}/answer"


def qa_faq_page(app, client, login):
    question, staff, _asker = _question(app)
    login(staff)
    return "/questions/faq/qa-en"


def qa_settings_page(app, client, login):
    factories.make_department(code="qa-en", name="Education Dept")
    login(factories.make_user("admin", name="Ada Admin"))
    return "/questions/admin/settings"


QA_ENGLISH_PAGES = ["/questions", "/questions/faq", qa_detail_page, qa_ask_page, qa_mine_page, qa_staff_queue_page,
                    qa_answer_page, qa_faq_page, qa_settings_page]
