"""The poll pages through the test client: staff build a poll without JavaScript, citizens vote, results, exports."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from interaction.core.db import db
from interaction.polls.models import Ballot, Poll
from tests.polls.helpers import make_poll


def _make(app, people, **kwargs):
    """A poll; the test's session then holds no transaction (see conftest's ``login``)."""
    with app.test_request_context():
        poll = make_poll(people.department, people.staff, **kwargs)
        poll.questions  # noqa: B018 - read now, with the options, for the test's own use
        db.session.commit()
    return poll


def test_staff_build_preview_and_publish_a_poll_with_forms(client, login, post_form, people, clock):
    login(people.staff)
    assert client.get("/polls/manage").status_code == 200
    response = post_form("/polls/new", {"title": "图书馆开放时间调查", "description": "请选择。",
                                        "opens_at": "2026-11-02T08:00", "closes_at": "2026-11-30T18:00",
                                        "results_visibility": "after_close"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    poll = db.session.scalar(select(Poll))
    edit = f"/polls/{poll.id}/edit"
    assert response.headers["Location"].endswith(edit)
    response = post_form(f"/polls/{poll.id}/questions", {
        "question-kind": "single", "question-prompt": "您希望几点闭馆？", "question-options": "20:00\n21:00\n22:00",
        "question-required": "y"})
    assert response.status_code == 302
    bad = post_form(f"/polls/{poll.id}/questions", {"question-kind": "single", "question-prompt": "只有一个选项",
                                                    "question-options": "唯一"})
    assert bad.status_code == 422 and "选项" in bad.get_data(as_text=True)
    post_form(f"/polls/{poll.id}/questions", {"question-kind": "rating", "question-prompt": "满意度",
                                              "question-required": "y"})
    page = client.get(edit).get_data(as_text=True)
    assert "您希望几点闭馆？" in page and "满意度" in page
    preview = client.get(f"/polls/{poll.id}/preview").get_data(as_text=True)
    assert "<fieldset" in preview and "<legend>" in preview and "21:00" in preview and "disabled" in preview
    assert post_form(f"/polls/{poll.id}/publish").status_code == 302
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).state == "published"
    assert client.get(edit).status_code == 302  # published: the questions are fixed


def test_other_departments_staff_cannot_edit(client, login, app, people, clock):
    poll = _make(app, people, publish=False)
    login(people.other_staff)
    assert client.get(f"/polls/{poll.id}/edit").status_code == 403
    assert client.get(f"/polls/{poll.id}").status_code == 404  # a draft is not shown outside its department


def test_a_citizen_votes_and_sees_their_answers(client, login, post_form, app, people, clock):
    poll = _make(app, people)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "登录后参加调查" in page
    login(people.citizen)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert page.count("<fieldset") == 4 and 'type="radio"' in page and 'type="checkbox"' in page
    single, multiple, rating, text = poll.questions
    incomplete = post_form(f"/polls/{poll.id}/vote", {f"q{single.id}": str(single.options[0].id)})
    assert incomplete.status_code == 422
    html = incomplete.get_data(as_text=True)
    assert f'id="q{multiple.id}-error"' in html and 'checked' in html  # the choice made is kept
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    data = {f"q{single.id}": str(single.options[1].id), f"q{rating.id}": "4", f"q{text.id}": "多设便民点",
            f"q{multiple.id}": [str(multiple.options[0].id), str(multiple.options[2].id)]}
    response = post_form(f"/polls/{poll.id}/vote", data)
    assert response.status_code == 302
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "您已参加这次调查" in page and "多设便民点" in page and single.options[1].label in page
    again = post_form(f"/polls/{poll.id}/vote", data, follow_redirects=True)
    assert "每人只能提交一次" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_results_are_sealed_then_shown_with_charts_tables_and_the_report(client, login, post_form, app, people,
                                                                         clock):
    poll = _make(app, people)
    sealed = client.get(f"/polls/{poll.id}/results")
    assert sealed.status_code == 403 and "调查结束后公布结果" in sealed.get_data(as_text=True)
    login(people.staff)
    post_form(f"/polls/{poll.id}/close")
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "结果反馈待发布" in page and "<canvas" in page and "<table" in page
    assert "vendor/chartjs/chart.umd.min.js" in page and 'id="poll-results-data"' in page
    assert post_form(f"/polls/{poll.id}/report", {"summary": "答卷不多。", "adoption": "已采纳。"}).status_code == 302
    client.get("/logout")
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "已采纳。" in page and "结果反馈待发布" not in page


def test_exports_carry_no_identity(client, login, post_form, app, people, clock):
    from interaction.polls import services
    from tests.polls.helpers import answers_for

    poll = _make(app, people)
    with app.test_request_context():
        services.cast_ballot(poll, answers_for(poll, text="=HYPERLINK(\"x\")"), actor=people.citizen)
        services.cast_ballot(poll, answers_for(poll, single=2), actor=people.citizen2)
        db.session.commit()
    login(people.staff)
    rows = list(csv.reader(io.StringIO(client.get(f"/polls/{poll.id}/export/answers.csv").data.decode("utf-8-sig"))))
    assert rows[0] == [q.prompt for q in poll.questions] and len(rows) == 3
    flat = " ".join(" ".join(row) for row in rows)
    assert "Citizen" not in flat and "citizen" not in flat and not re.search(r"\d{4}-\d{2}-\d{2}", flat)
    assert "'=HYPERLINK" in flat  # a formula is written as text
    results = client.get(f"/polls/{poll.id}/export/results.csv").data.decode("utf-8-sig")
    assert "答卷数,2" in results
    workbook = load_workbook(io.BytesIO(client.get(f"/polls/{poll.id}/export/answers.xlsx").data))
    assert workbook.active.max_row == 3
    assert load_workbook(io.BytesIO(client.get(f"/polls/{poll.id}/export/results.xlsx").data)).active["B2"].value == 2
    login(people.other_staff)
    assert client.get(f"/polls/{poll.id}/export/answers.csv").status_code == 403


def test_moderators_withdraw_with_a_reason(client, login, post_form, app, people, clock):
    poll = _make(app, people)
    login(people.staff)
    assert client.get(f"/polls/{poll.id}/withdraw").status_code == 403
    login(people.moderator)
    assert post_form(f"/polls/{poll.id}/withdraw", {"reason": ""}).status_code == 422
    assert post_form(f"/polls/{poll.id}/withdraw", {"reason": "题目有误导性"}).status_code == 302
    assert "题目有误导性" in client.get(f"/polls/{poll.id}").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/polls/", "/polls/999", "/polls/999/results"])
def test_public_pages_answer(client, path):
    assert client.get(path).status_code in (200, 404)


def test_the_list_shows_open_and_closed_polls(client, app, people, clock):
    open_poll = _make(app, people, title="正在进行的调查一")
    closed = _make(app, people, title="已经结束的调查二")
    with app.test_request_context():
        from interaction.polls import services

        services.close_poll(db.session.get(Poll, closed.id), actor=people.staff)
        db.session.commit()
    page = client.get("/polls/").get_data(as_text=True)
    assert open_poll.title in page and closed.title in page and "结果反馈待发布" in page
