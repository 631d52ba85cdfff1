"""Q&A rules at the service level: moderation, the clock, answering, history, review, reroute, 同问, FAQ, search."""

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from interaction.core import search
from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from interaction.moderation.models import SensitiveWord
from interaction.moderation.services import decide_case
from interaction.qa import queries, services
from interaction.qa.models import Answer, MeToo, Question
from tests.qa.conftest import answered, ask, case_of

pytestmark = pytest.mark.usefixtures("request_context")


def _search_keys(q, **kwargs):
    return {hit.key for hit in search.search(q, types=("question",), **kwargs).items}


def test_a_new_question_awaits_moderation_and_is_nowhere_public(qa):
    question = ask(qa, approve=False)
    assert question.status == "pending" and not question.is_public
    case = case_of(services.QUESTION_KIND, question.id)
    assert case is not None and case.state == "pending" and "孩子转学" in case.text
    assert db.session.scalars(queries.public_questions()).all() == []
    assert str(question.id) not in _search_keys("转学")


def test_approval_starts_the_five_working_day_clock_and_indexes_it(qa, clock):
    question = ask(qa)  # Monday 2026-11-02 10:00 Shanghai
    assert question.status == "open" and question.is_public
    assert question.clock_start_dt == clock.now
    # the 5th working day after Monday 2 November is Monday 9 November, end of day in Shanghai
    assert question.due_dt == datetime(2026, 11, 9, 15, 59, 59, tzinfo=UTC)
    assert str(question.id) in _search_keys("转学")
    assert str(question.id) in _search_keys("转学", department_id=qa.edu.id)
    assert str(question.id) not in _search_keys("转学", department_id=qa.police.id)


def test_rejection_gives_the_asker_the_reason(qa):
    question = ask(qa, approve=False)
    decide_case(case_of(services.QUESTION_KIND, question.id), "reject", reason="与部门职责无关", actor=qa.moderator)
    assert question.status == "rejected" and question.moderation_reason == "与部门职责无关"
    assert not question.is_public and str(question.id) not in _search_keys("转学")


def test_blocked_words_reject_at_once(qa):
    db.session.add(SensitiveWord(word="赌博", list="block"))
    db.session.flush()
    question = ask(qa, title="赌博网站", approve=False)
    assert question.status == "rejected" and question.moderation_reason


def test_working_days_waiting_count_the_official_calendar(qa, clock):
    question = ask(qa)
    assert question.workdays_waiting() == 0
    clock.advance(days=5)  # Saturday 7 November: one working day... through Friday 6 November
    assert question.workdays_waiting() == 4
    clock.advance(days=3)  # Tuesday 10 November
    assert question.workdays_waiting() == 6
    assert question.is_overdue


def test_the_private_consultation_stays_private(qa):
    question = ask(qa, kind="consultation", title="灵活就业养老保险怎么缴", body="自由职业者想咨询缴费流程")
    assert question.status == "open" and not question.is_public
    assert db.session.scalars(queries.public_questions()).all() == []
    assert str(question.id) not in _search_keys("养老保险")
    assert all(h.key != str(question.id) for h in search.similar("养老保险怎么缴"))
    services.answer_question(question, "可到社保经办机构办理。", actor=qa.edu_staff)
    assert question.status == "answered" and not question.is_public
    assert str(question.id) not in _search_keys("养老保险")


def test_publishing_a_consultation_needs_consent_and_masks(qa):
    question = ask(qa, kind="consultation", title="王小明的社保咨询", body="我叫王小明，电话13912345678，想咨询社保。")
    services.answer_question(question, "王小明您好，请到窗口办理。", actor=qa.edu_staff)
    with pytest.raises(InvalidTransition) as refused:
        services.publish_consultation(question, actor=qa.edu_staff)
    assert refused.value.code == "no_consent"
    with pytest.raises(Forbidden):
        services.set_publication_consent(question, True, actor=qa.other)
    services.set_publication_consent(question, True, actor=qa.citizen)
    with pytest.raises(Forbidden):
        services.publish_consultation(question, actor=qa.police_staff)
    services.publish_consultation(question, actor=qa.edu_staff)
    assert question.is_public and question.is_published
    assert "王小明" not in question.published_title + question.published_body + question.published_answer
    assert "13912345678" not in question.published_body
    assert str(question.id) in _search_keys("社保咨询")
    services.set_publication_consent(question, False, actor=qa.citizen)  # consent taken back: off the board
    assert not question.is_public and str(question.id) not in _search_keys("社保咨询")


def test_another_departments_staff_cannot_answer(qa):
    question = ask(qa)
    with pytest.raises(Forbidden):
        services.answer_question(question, "我来答。", actor=qa.police_staff)
    with pytest.raises(Forbidden):
        services.answer_question(question, "我来答。", actor=qa.citizen)
    assert question.status == "open"


@pytest.mark.parametrize("state", ["pending", "rejected", "withdrawn", "answered"])
def test_answering_a_question_not_open_is_a_conflict(qa, state):
    question = ask(qa, approve=state != "pending")
    if state == "rejected":
        question = ask(qa, approve=False, title="另一个问题")
        decide_case(case_of(services.QUESTION_KIND, question.id), "reject", reason="重复", actor=qa.moderator)
    elif state == "withdrawn":
        services.withdraw_question(question, actor=qa.citizen)
    elif state == "answered":
        services.answer_question(question, "第一次答复。", actor=qa.edu_staff)
    with pytest.raises(InvalidTransition):
        services.answer_question(question, "答复。", actor=qa.edu_staff)


def test_the_answer_is_public_and_indexed_with_its_text(qa):
    question = ask(qa)
    services.answer_question(question, "请携带户口簿到区教育局学位窗口办理。", actor=qa.edu_staff)
    assert question.status == "answered" and question.answered_on_time
    assert question.answer_html.startswith("<p>")
    assert str(question.id) in _search_keys("学位窗口")  # the answer's words find the question


def test_edits_keep_the_history(qa, clock):
    question = answered(qa)
    clock.advance(hours=2)
    services.edit_answer(question, "更正：请到区教育局政务服务窗口办理。", actor=qa.edu_staff)
    history = queries.answer_history(question.id)
    assert [a.body for a in history] == ["请携带户口簿和学籍证明到区教育局办理。",
                                         "更正：请到区教育局政务服务窗口办理。"]
    assert question.answer_body.startswith("更正") and question.answer_edited_dt == clock.now
    assert str(question.id) in _search_keys("政务服务窗口")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).filter_by(action="qa.edit_answer")) == 1
    with pytest.raises(Forbidden):
        services.edit_answer(question, "别的部门改。", actor=qa.police_staff)


def test_editing_before_an_answer_is_a_conflict(qa):
    with pytest.raises(InvalidTransition):
        services.edit_answer(ask(qa), "改。", actor=qa.edu_staff)


def test_answers_needing_review_wait_for_the_moderator(qa):
    services.set_answers_need_review(qa.edu, True, actor=qa.admin)
    question = ask(qa)
    answer = services.answer_question(question, "审核中的答复。", actor=qa.edu_staff)
    assert answer.state == "pending" and question.status == "reviewing" and question.answer_body is None
    case = case_of(services.ANSWER_KIND, answer.id)
    decide_case(case, "reject", reason="请写明办理地点", actor=qa.moderator)
    assert answer.state == "rejected" and answer.review_reason == "请写明办理地点" and question.status == "open"
    second = services.answer_question(question, "请到区教育局办理。", actor=qa.edu_staff)
    decide_case(case_of(services.ANSWER_KIND, second.id), "approve", actor=qa.moderator)
    assert question.status == "answered" and question.answer_body == "请到区教育局办理。"
    edit = services.edit_answer(question, "请到区教育局一楼办理。", actor=qa.edu_staff)
    assert question.answer_body == "请到区教育局办理。"  # the public keeps the approved version meanwhile
    decide_case(case_of(services.ANSWER_KIND, edit.id), "approve", actor=qa.moderator)
    assert question.answer_body == "请到区教育局一楼办理。"
    with pytest.raises(Forbidden):
        services.set_answers_need_review(qa.edu, False, actor=qa.edu_staff)


def test_reroute_is_audited_and_restarts_the_clock(qa, clock):
    question = ask(qa)
    first_due = question.due_dt
    clock.advance(days=3)  # Thursday 5 November
    with pytest.raises(Forbidden):
        services.reroute_question(question, qa.police, "属于公安厅职责", actor=qa.edu_staff)
    with pytest.raises(ValidationFailed):
        services.reroute_question(question, qa.edu, "同一部门", actor=qa.admin)
    services.reroute_question(question, qa.police, "属于公安厅职责", actor=qa.admin)
    assert question.department_id == qa.police.id and question.reroute_count == 1
    assert question.clock_start_dt == clock.now and question.due_dt > first_due
    assert question.due_dt == datetime(2026, 11, 12, 15, 59, 59, tzinfo=UTC)  # 5 working days from Thursday
    entry = db.session.scalar(select(AuditEntry).filter_by(action="qa.reroute"))
    assert entry.detail["from_department"] == "edu" and entry.detail["to_department"] == "police"
    assert entry.detail["reason"] == "属于公安厅职责" and entry.actor_id == qa.admin.id
    with pytest.raises(Forbidden):
        services.answer_question(question, "教育厅答。", actor=qa.edu_staff)
    services.answer_question(question, "公安厅答复。", actor=qa.police_staff)
    with pytest.raises(InvalidTransition):
        services.reroute_question(question, qa.edu, "再改", actor=qa.admin)


def test_me_too_once_per_citizen(qa):
    question = ask(qa)
    services.me_too(question, actor=qa.other)
    assert question.me_too_count == 1
    with pytest.raises(Conflict) as second:
        services.me_too(question, actor=qa.other)
    assert second.value.code == "already_me_too" and question.me_too_count == 1
    with pytest.raises(Conflict):
        services.me_too(question, actor=qa.citizen)  # the asker
    private = ask(qa, kind="consultation", title="私密咨询")
    with pytest.raises(NotFound):
        services.me_too(private, actor=qa.other)


def test_helpful_needs_an_answer_and_counts_once(qa):
    question = ask(qa)
    with pytest.raises(InvalidTransition):
        services.mark_helpful(question, actor=qa.other)
    services.answer_question(question, "答复。", actor=qa.edu_staff)
    services.mark_helpful(question, actor=qa.other)
    services.mark_helpful(question, actor=qa.citizen)
    assert question.helpful_count == 2
    with pytest.raises(Conflict):
        services.mark_helpful(question, actor=qa.other)


def test_the_me_too_constraint_holds_under_a_race(app, qa):
    """Two requests by one citizen at once: one 同问 stored, the other refused by the unique constraint."""
    question = ask(qa)
    question_id, other_id, user_class = question.id, qa.other.id, type(qa.other)
    db.session.commit()  # nothing is read after this in this thread until the presses are done (SQLite's lock)
    outcomes, start = [], threading.Barrier(2)

    def press():
        with app.app_context(), app.test_request_context():
            try:
                start.wait(5)
                services.me_too(db.session.get(Question, question_id),
                                actor=db.session.get(user_class, other_id))
                time.sleep(0.1)
                db.session.commit()
                outcomes.append("stored")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(outcomes) == ["conflict", "stored"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(MeToo)) == 1
    assert db.session.get(Question, question_id).me_too_count == 1


def test_the_faq_is_assembled_by_the_department(qa):
    first, second = answered(qa), answered(qa, title="课后服务收费标准")
    waiting = ask(qa, title="还没答复的问题")
    entry_a = services.add_to_faq(first, actor=qa.edu_staff)
    entry_b = services.add_to_faq(second, actor=qa.edu_staff)
    with pytest.raises(Conflict):
        services.add_to_faq(first, actor=qa.edu_staff)
    with pytest.raises(InvalidTransition):
        services.add_to_faq(waiting, actor=qa.edu_staff)
    with pytest.raises(Forbidden):
        services.add_to_faq(first, actor=qa.police_staff)
    assert [e.question_id for e in queries.faq_entries(qa.edu.id)] == [first.id, second.id]
    services.move_faq_entry(entry_b, "up", actor=qa.edu_staff)
    assert [e.question_id for e in queries.faq_entries(qa.edu.id)] == [second.id, first.id]
    services.remove_from_faq(entry_a, actor=qa.edu_staff)
    assert [e.question_id for e in queries.faq_entries(qa.edu.id)] == [second.id]


def test_withdrawal_takes_it_off_the_board_and_the_index(qa):
    question = ask(qa)
    with pytest.raises(Forbidden):
        services.withdraw_question(question, actor=qa.other)
    services.withdraw_question(question, actor=qa.citizen)
    assert question.status == "withdrawn" and not question.is_public
    assert str(question.id) not in _search_keys("转学")


def test_overdue_questions_reach_the_board_and_the_queue_is_oldest_first(qa, clock):
    first = ask(qa, title="第一个问题")
    clock.advance(days=1)
    second = ask(qa, title="第二个问题")
    assert [q.id for q in db.session.scalars(queries.staff_queue(qa.edu.id))] == [first.id, second.id]
    assert queries.overdue_board()["total"] == 0
    clock.advance(days=7)  # Tuesday 10 November: the first is past Monday 9 November's deadline
    board = queries.overdue_board()
    assert board["total"] == 1 and [row.id for row in board["questions"]] == [first.id]
    assert board["questions"][0].department_name == "教育厅"


def test_similar_questions_come_from_the_index(qa):
    question = answered(qa, title="外省转入小学需要哪些材料")
    hits = search.similar("转入小学要什么材料")
    assert str(question.id) in {h.key for h in hits}
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 1


def test_the_department_and_the_asker_are_told_after_commit(app, qa):
    from interaction.core.mail import outbox

    box = outbox(app)
    box.clear()
    question = ask(qa)
    db.session.commit()
    assert [m.to for m in box] == [("edu@example.com",)] and "5 个工作日" in box[0].body
    services.answer_question(question, "请到区教育局办理。", actor=qa.edu_staff)
    db.session.commit()
    assert box[-1].to == ("citizen@example.com",) and "已答复" in box[-1].subject
    refused = ask(qa, approve=False, title="另一个问题")
    decide_case(case_of(services.QUESTION_KIND, refused.id), "reject", reason="重复提问", actor=qa.moderator)
    db.session.rollback()  # nothing committed: nothing sent
    assert box[-1].to == ("citizen@example.com",) and "重复提问" not in box[-1].body
    refused = ask(qa, approve=False, title="第三个问题")
    decide_case(case_of(services.QUESTION_KIND, refused.id), "reject", reason="重复提问", actor=qa.moderator)
    db.session.commit()
    assert box[-1].to == ("citizen@example.com",) and "重复提问" in box[-1].body


def test_a_reindex_rebuilds_the_public_questions_only(qa):
    public = answered(qa, title="外省转入小学需要哪些材料")
    private = ask(qa, kind="consultation", title="转入小学的私密咨询")
    withdrawn = ask(qa, title="转入小学又撤回的问题")
    services.withdraw_question(withdrawn, actor=qa.citizen)
    search.rebuild()
    assert _search_keys("转入小学") == {str(public.id)}
    assert str(private.id) not in {h.key for h in search.similar("转入小学的私密咨询")}
