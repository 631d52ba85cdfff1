"""The Q&A pages through the test client: ask, my questions, the board, detail, staff queue, answer, FAQ, board."""

import re

from sqlalchemy import func, select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.qa import services
from interaction.qa.models import MeToo, Question
from tests.qa.conftest import answered, ask


def _html(response) -> str:
    return response.get_data(as_text=True)


def _in_request(app, fn):
    with app.test_request_context():
        result = fn()
        db.session.commit()
    return result


def test_a_citizen_asks_and_sees_awaiting_review_then_the_outcome(app, client, login, post_form, qa):
    login(qa.citizen)
    page = client.get("/questions/ask")
    assert page.status_code == 200 and "data-similar-url" in _html(page) and "js/qa.js" in _html(page)
    assert "<script>" not in _html(page)  # no inline script (CSP)
    response = post_form("/questions/ask", {"department": "edu", "kind": "question", "title": "外省转学要什么材料",
                                            "body": "请问需要准备哪些材料？"})
    assert response.status_code == 302 and response.location.endswith("/questions/mine")
    mine = _html(client.get("/questions/mine"))
    assert "外省转学要什么材料" in mine and "待审核" in mine
    question_id = db.session.scalar(select(Question.id))
    from interaction.moderation.models import ModerationCase
    from interaction.moderation.services import decide_case

    def reject():
        case = db.session.scalar(select(ModerationCase).where(ModerationCase.target_id == str(question_id)))
        decide_case(case, "reject", reason="请补充具体情况", actor=qa.moderator)
    _in_request(app, reject)
    mine = _html(client.get("/questions/mine"))
    assert "未通过审核" in mine and "请补充具体情况" in mine


def test_ask_page_shows_field_errors(client, login, post_form, qa):
    login(qa.citizen)
    response = post_form("/questions/ask", {"department": "nope", "kind": "question", "title": "", "body": ""})
    assert response.status_code == 200
    html = _html(response)
    assert "请选择一个有效的部门。" in html and "请填写问题标题。" in html
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_anonymous_visitors_are_sent_to_sign_in_to_ask(client, qa):
    response = client.get("/questions/ask")
    assert response.status_code == 302 and "/login" in response.location


def test_the_public_board_lists_filters_and_searches(app, client, qa):
    first = _in_request(app, lambda: answered(qa, title="外省转入小学需要哪些材料", topic="education"))
    second = _in_request(app, lambda: ask(qa, department=qa.police, title="身份证异地换领", topic="household"))
    private = _in_request(app, lambda: ask(qa, kind="consultation", title="私密的养老保险咨询"))
    html = _html(client.get("/questions"))
    assert "外省转入小学需要哪些材料" in html and "身份证异地换领" in html and "私密的养老保险咨询" not in html
    assert "身份证异地换领" not in _html(client.get("/questions?department=edu"))
    assert "外省转入小学" not in _html(client.get("/questions?topic=household"))
    answered_only = _html(client.get("/questions?state=answered"))
    assert "外省转入小学" in answered_only and "身份证异地换领" not in answered_only
    waiting = _html(client.get("/questions?state=waiting"))
    assert "身份证异地换领" in waiting and "外省转入小学" not in waiting
    found = _html(client.get("/questions?q=身份证"))
    assert "身份证异地换领" in found and "外省转入小学" not in found
    assert "私密的养老保险咨询" not in _html(client.get("/questions?q=养老保险"))
    assert client.get(f"/questions/{private.id}").status_code == 404
    assert client.get(f"/questions/{second.id}").status_code == 200
    assert "请携带户口簿" in _html(client.get(f"/questions/{first.id}"))


def test_orders_by_most_asked_and_most_helpful(app, client, qa):
    less = _in_request(app, lambda: answered(qa, title="较少同问的问题"))
    more = _in_request(app, lambda: answered(qa, title="同问较多的问题"))

    def press():
        services.me_too(db.session.get(Question, more.id), actor=qa.other)
        services.mark_helpful(db.session.get(Question, less.id), actor=qa.other)
    _in_request(app, press)
    asked = _html(client.get("/questions?order=most_asked"))
    assert asked.index("同问较多的问题") < asked.index("较少同问的问题")
    helpful = _html(client.get("/questions?order=most_helpful"))
    assert helpful.index("较少同问的问题") < helpful.index("同问较多的问题")


def test_me_too_on_the_page_once_with_a_clear_message(app, client, login, post_form, qa):
    question = _in_request(app, lambda: ask(qa))
    login(qa.other)
    first = post_form(f"/questions/{question.id}/me-too", follow_redirects=True)
    assert "已同问" in _html(first)
    second = post_form(f"/questions/{question.id}/me-too", follow_redirects=True)
    assert "您已经同问过这个问题。" in _html(second)
    assert db.session.scalar(select(func.count()).select_from(MeToo)) == 1


def test_a_consultation_page_is_404_but_for_its_asker_and_department(app, client, login, qa):
    question = _in_request(app, lambda: ask(qa, kind="consultation", title="灵活就业养老保险"))
    for user in (None, qa.other, qa.police_staff, qa.moderator):
        if user is not None:
            login(user)
        assert client.get(f"/questions/{question.id}").status_code == 404
        assert client.get(f"/questions/{question.id}/answer").status_code == (302 if user is None else 403 if
                                                                             user.role != "staff" else 404)
    for user in (qa.citizen, qa.edu_staff, qa.admin):
        login(user)
        assert client.get(f"/questions/{question.id}").status_code == 200


def test_staff_see_their_queue_oldest_first_and_answer(app, client, clock, login, post_form, qa):
    older = _in_request(app, lambda: ask(qa, title="较早的问题"))
    clock.advance(days=1)
    _in_request(app, lambda: ask(qa, title="较新的问题"))
    _in_request(app, lambda: ask(qa, department=qa.police, title="公安厅的问题"))
    clock.advance(days=1)
    login(qa.edu_staff)
    html = _html(client.get("/questions/work"))
    assert html.index("较早的问题") < html.index("较新的问题") and "公安厅的问题" not in html
    assert "2 个工作日" in html and "1 个工作日" in html
    response = post_form(f"/questions/{older.id}/answer", {"body": "请到区教育局办理。"})
    assert response.status_code == 302
    assert db.session.get(Question, older.id).status == "answered"
    edited = post_form(f"/questions/{older.id}/answer", {"body": "更正：请到区教育局一楼办理。"})
    assert edited.status_code == 302
    detail = _html(client.get(f"/questions/{older.id}"))
    assert "修改记录" in detail and "请到区教育局办理。" in detail and "更正：请到区教育局一楼办理。" in detail


def test_another_departments_staff_get_403_on_the_answer_page(app, client, login, post_form, qa):
    question = _in_request(app, lambda: ask(qa))
    login(qa.police_staff)
    assert client.get(f"/questions/{question.id}/answer").status_code == 403
    assert post_form(f"/questions/{question.id}/answer", {"body": "我来答"}).status_code == 403


def test_answering_a_pending_question_on_the_page_is_refused(app, client, login, post_form, qa):
    question = _in_request(app, lambda: ask(qa, approve=False))
    login(qa.edu_staff)
    response = post_form(f"/questions/{question.id}/answer", {"body": "答复"})
    assert response.status_code == 409
    assert db.session.get(Question, question.id).status == "pending"


def test_the_admin_reroutes_on_the_answer_page(app, client, clock, login, post_form, qa):
    question = _in_request(app, lambda: ask(qa))
    clock.advance(days=2)
    login(qa.admin)
    page = client.get(f"/questions/{question.id}/answer")
    assert "改派" in _html(page)
    response = post_form(f"/questions/{question.id}/reroute", {"department": "police", "reason": "公安厅职责"})
    assert response.status_code == 302
    moved = db.session.get(Question, question.id)
    assert moved.department_id == qa.police.id and moved.clock_start_dt == clock.now
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).filter_by(action="qa.reroute")) == 1


def test_the_faq_page_and_its_management(app, client, login, post_form, qa):
    question = _in_request(app, lambda: answered(qa, title="外省转入小学需要哪些材料"))
    assert "该部门暂无常见问题。" in _html(client.get("/questions/faq/edu"))
    login(qa.edu_staff)
    assert "外省转入小学需要哪些材料" in _html(client.get("/questions/faq/edu"))  # a candidate to add
    assert post_form(f"/questions/{question.id}/faq").status_code == 302
    client.get("/logout")
    html = _html(client.get("/questions/faq/edu"))
    assert "外省转入小学需要哪些材料" in html and "请携带户口簿" in html
    assert client.get("/questions/faq/nope").status_code == 404


def test_the_review_setting_page(client, login, post_form, qa):
    login(qa.admin)
    assert "教育厅" in _html(client.get("/questions/admin/settings"))
    assert post_form("/questions/admin/settings/edu", {"answers_need_review": "y"}).status_code == 302
    assert services.answers_need_review(qa.edu.id)
    login(qa.edu_staff)
    assert client.get("/questions/admin/settings").status_code == 403


def test_similar_fragment_lists_answered_questions(app, client, qa):
    done = _in_request(app, lambda: answered(qa, title="外省转入小学需要哪些材料"))
    _in_request(app, lambda: ask(qa, title="外省转入小学报名时间"))
    html = _html(client.get("/questions/similar?text=外省转入小学"))
    assert f"/questions/{done.id}" in html and "报名时间" not in html
    assert len(re.findall(r"<li>", html)) <= 5
    assert _html(client.get("/questions/similar?text=")).strip() == ""


def test_overdue_questions_on_the_supervision_board(app, client, clock, login, qa):
    _in_request(app, lambda: ask(qa, title="超期未答复的问题"))
    clock.advance(days=10)
    login(qa.admin)
    html = _html(client.get("/mailbox/supervision"))
    assert "公众问答已超期（1）" in html and "超期未答复的问题" in html


def test_the_similar_fragment_in_english(app, client, qa):
    from tests.test_i18n import CJK

    _in_request(app, lambda: answered(qa, title="外省转入小学需要哪些材料"))
    client.set_cookie("lang", "en")
    html = _html(client.get("/questions/similar?text=外省转入小学"))
    assert "These answered questions" in html and "me too 0" in html
    visible = re.sub(r"<[^>]+>", " ", html).replace("外省转入小学需要哪些材料", "").replace("教育厅", "")
    assert not CJK.search(visible), visible
