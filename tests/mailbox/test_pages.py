"""The pages: writing, confirmation, tracking, rating, the staff inbox and letter page, supervision, admin."""

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.core.time import SHANGHAI
from interaction.mailbox import services
from interaction.mailbox.models import Letter, Mailbox
from tests.factories import make_letter

FORM = {"mailbox": "governor", "category": "suggestion", "subject": "建议增加公交线路",
        "body": "希望增加到新区的公交线路。", "name": "赵六", "phone": "13700137000", "email": "",
        "submission_token": "token-one"}


def count_letters():
    return db.session.scalar(select(func.count()).select_from(Letter))


def text(response):
    return response.get_data(as_text=True)


def test_write_page_prefills_signed_in_citizen(client, world, login):
    login(world.citizen)
    page = text(client.get("/mailbox/write?mailbox=edu-head"))
    assert 'value="李四"' in page and 'value="13900139000"' in page and 'value="citizen@example.com"' in page
    assert re.search(r'<option selected value="edu-head"|<option value="edu-head" selected', page)
    assert 'name="public_consent"' in page and 'checked' not in page.split('name="public_consent"')[1][:80]
    assert 'data-counter="5000"' in page


def test_submit_shows_number_and_code_once(client, world, post_form, outbox):
    response = post_form("/mailbox/write", FORM)
    assert response.status_code == 302
    confirmation = text(client.get(response.headers["Location"]))
    letter = db.session.scalar(select(Letter))
    assert letter.number in confirmation
    code = re.search(r'id="query-code">([^<]+)<', confirmation).group(1)
    assert services.letter_by_code(letter.number, code) is letter
    again = text(client.get(response.headers["Location"]))
    assert letter.number in again and code not in again
    assert outbox == []  # no address given


def test_double_submit_makes_one_letter(client, world, post_form):
    first = post_form("/mailbox/write", FORM)
    second = post_form("/mailbox/write", FORM)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count_letters() == 1
    # The repeat still shows the query code (sealed with the form's token).
    assert 'id="query-code"' in text(client.get(second.headers["Location"]))


@pytest.mark.parametrize(("change", "message"), [
    ({"body": "字" * 5001}, "来信内容不能超过 5000 个字"),
    ({"phone": "1234"}, "请填写正确的手机号码或固定电话"),
    ({"mailbox": "nowhere"}, "请选择一个存在的信箱"),
    ({"subject": ""}, "请填写标题"),
])
def test_invalid_form_comes_back_with_message_and_text(client, world, post_form, change, message):
    response = post_form("/mailbox/write", dict(FORM, **change))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "希望增加到新区的公交线路" in page or "字" * 100 in page
    assert count_letters() == 0


def test_track_page_and_writer_view(client, world, post_form, request_context):
    letter, code = make_letter(world.governor, name="钱七")
    db.session.commit()
    wrong = post_form("/mailbox/track", {"number": letter.number, "query_code": "WRONG234"})
    unknown = post_form("/mailbox/track", {"number": "2611-ZZZZZ", "query_code": code})
    assert wrong.status_code == unknown.status_code == 404
    assert "信件编号或查询码不正确" in text(wrong) and "信件编号或查询码不正确" in text(unknown)
    assert client.get(f"/mailbox/letters/{letter.number}").status_code == 404  # not granted yet
    response = post_form("/mailbox/track", {"number": letter.number.lower(), "query_code": code.lower()})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "来信已收到" in page and "待受理" in page and "测试来信" in page


def test_track_page_rate_limits_wrong_codes(client, world, post_form, request_context):
    letter, _code = make_letter(world.governor)
    db.session.commit()
    statuses = [post_form("/mailbox/track", {"number": letter.number, "query_code": "WRONG234"}).status_code
                for _ in range(11)]
    assert statuses[-1] == 429 and statuses[:10] == [404] * 10


def test_rating_on_the_page_and_rehandle(client, world, post_form, login, request_context):
    login(world.citizen)
    letter, _code = make_letter(world.governor, actor=world.citizen)
    services.accept_letter(letter, actor=world.admin)
    services.assign_letter(letter, world.edu, actor=world.admin)
    services.reply_letter(letter, "已安排处理。\n请关注。", actor=world.admin)
    db.session.commit()
    page = text(client.get(f"/mailbox/letters/{letter.number}"))
    assert "已安排处理。<br>" in page or "已安排处理。<br />" in page or "已安排处理。" in page
    assert "解决程度" in page and "办理态度" in page and "办理速度" in page
    incomplete = post_form(f"/mailbox/letters/{letter.number}/rating", {"resolution": "2"})
    assert incomplete.status_code == 422 and "请为办理态度打分" in text(incomplete)
    response = post_form(f"/mailbox/letters/{letter.number}/rating",
                         {"resolution": "1", "attitude": "2", "speed": "2", "comment": "没解决"})
    assert response.status_code == 302
    db.session.expire_all()
    assert letter.rating_score == 2 and letter.status == "rated"
    assert "申请再办理" in text(client.get(f"/mailbox/letters/{letter.number}"))
    post_form(f"/mailbox/letters/{letter.number}/rehandle", {"reason": "希望再核实"})
    db.session.expire_all()
    assert letter.status == "assigned" and letter.is_rehandled
    mine = text(client.get("/mailbox/mine"))
    assert letter.number in mine


def test_staff_inbox_and_letter_page(client, world, login, post_form, request_context):
    own, _ = make_letter(world.governor, subject="办公厅的信")
    other, _ = make_letter(world.edu_box, subject="教育厅的信")
    db.session.commit()
    login(world.office_staff)
    inbox = text(client.get("/mailbox/inbox"))
    assert "办公厅的信" in inbox and "教育厅的信" not in inbox
    assert "15 个工作日" in inbox
    page = client.get(f"/mailbox/staff/letters/{own.number}")
    assert page.status_code == 200 and "13800138000" in text(page) and "张三" in text(page)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .filter_by(action="mailbox.view_personal_data")) == 1
    assert client.get(f"/mailbox/staff/letters/{other.number}").status_code == 404  # as an unknown number
    assert post_form(f"/mailbox/staff/letters/{other.number}/accept", {}).status_code == 404
    response = post_form(f"/mailbox/staff/letters/{own.number}/accept", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert own.status == "accepted"
    # Wrong state: a clear message, nothing changed.
    response = post_form(f"/mailbox/staff/letters/{own.number}/accept", {}, follow_redirects=True)
    assert "当前状态下不能执行此操作" in text(response)
    # Missing reason: the form again with the message next to the field.
    response = post_form(f"/mailbox/staff/letters/{own.number}/extend", {"extend-workdays": "3"})
    assert response.status_code == 422 and "请填写延期理由" in text(response)
    response = post_form(f"/mailbox/staff/letters/{own.number}/assign", {"assign-department": "edu"})
    assert response.headers["Location"].endswith("/mailbox/inbox")
    db.session.expire_all()
    assert own.department_id == world.edu.id and own.status == "assigned"


def test_inbox_filters(client, world, login, clock, request_context):
    make_letter(world.governor, subject="早到的信", category="help")
    clock.set(datetime(2026, 11, 20, 10, tzinfo=SHANGHAI))
    make_letter(world.governor, subject="晚到的信", category="report")
    db.session.commit()
    login(world.office_staff)
    clock.set(datetime(2026, 11, 24, 10, tzinfo=SHANGHAI))
    overdue = text(client.get("/mailbox/inbox?due=overdue"))
    assert "早到的信" in overdue and "晚到的信" not in overdue
    assert "晚到的信" in text(client.get("/mailbox/inbox?category=report"))
    assert "早到的信" not in text(client.get("/mailbox/inbox?category=report"))


def test_register_letter_page(client, world, login, post_form):
    login(world.office_staff)
    page = text(client.get("/mailbox/register"))
    assert "省长信箱" in page and "教育厅厅长信箱" not in page
    data = dict(FORM, channel="phone", received_at="2026-10-30T09:00", submission_token="reg-1")
    response = post_form("/mailbox/register", data)
    assert response.status_code == 302
    letter = db.session.scalar(select(Letter))
    assert letter.channel == "phone" and letter.registered_by_id == world.office_staff.id
    assert letter.received_dt == datetime(2026, 10, 30, 9, tzinfo=SHANGHAI)
    future = post_form("/mailbox/register", dict(data, received_at="2026-11-05T09:00", submission_token="reg-2"))
    assert future.status_code == 200 and "收信时间不能晚于现在" in text(future)
    assert count_letters() == 1


def test_supervision_board_and_supervise(client, world, login, post_form, clock, outbox, request_context):
    old, _ = make_letter(world.governor, subject="三个月前的信")
    db.session.commit()
    clock.set(datetime(2027, 2, 10, 10, tzinfo=SHANGHAI))
    login(world.office_staff)
    assert client.get("/mailbox/supervision").status_code == 403
    login(world.admin)
    board = text(client.get("/mailbox/supervision"))
    assert "超过三个月未答复" in board and "三个月前的信" in board
    assert board.index("三个月前的信") < board.index("已超期（")
    assert f'<a href="/mailbox/staff/letters/{old.number}">{old.number}</a>' in board
    section = text(client.get("/mailbox/supervision/long_unanswered"))
    assert f'<a href="/mailbox/staff/letters/{old.number}">{old.number}</a>' in section
    response = post_form(f"/mailbox/staff/letters/{old.number}/supervise", {"supervise-note": "请尽快答复"})
    assert response.status_code == 302
    db.session.expire_all()
    assert old.events[-1].action == "supervised" and old.events[-1].note == "请尽快答复"
    assert any("office@example.com" in m.to and "督办" in m.subject for m in outbox)


def test_mailbox_admin_pages(client, world, login, post_form):
    login(world.admin)
    response = post_form("/mailbox/admin/mailboxes/new", {"code": "police-head", "name": "公安厅厅长信箱",
                                                         "department": "police", "reply_days": "10", "is_active": "y"})
    assert response.status_code == 302
    mailbox = db.session.scalar(select(Mailbox).filter_by(code="police-head"))
    assert mailbox.reply_days == 10 and mailbox.department_id == world.police.id
    duplicate = post_form("/mailbox/admin/mailboxes/new", {"code": "governor", "name": "x", "department": "office",
                                                          "reply_days": "15"})
    assert "该代码已被使用" in text(duplicate)
    assert "公安厅厅长信箱" in text(client.get("/mailbox/admin/mailboxes"))


def test_home_page_lists_the_channel_and_statistics(client, world):
    assert "领导信箱" in text(client.get("/"))
    page = text(client.get("/mailbox/"))
    assert "本月收到来信" in page and "省长信箱" in page


def _count_renderings(monkeypatch):
    """The templates rendered by core.pages.render_page from now on (it renders only on a memo miss)."""
    from interaction.core import pages

    rendered = []
    real = pages.render_template

    def counting(template, **context):
        rendered.append(template)
        return real(template, **context)

    monkeypatch.setattr(pages, "render_template", counting)
    return rendered


def test_signed_in_lists_are_rendered_again_whenever_what_they_show_changes(app, client, world, login, post_form,
                                                                          monkeypatch, request_context):
    """core.pages.render_page: a reload showing the same is not rendered again; any change is; flashes show once."""
    first, _ = make_letter(world.governor, subject="第一封信")
    db.session.commit()
    login(world.office_staff)
    rendered = _count_renderings(monkeypatch)
    page = text(client.get("/mailbox/inbox"))
    assert "第一封信" in page and text(client.get("/mailbox/inbox")) == page
    assert rendered == ["mailbox/letter_inbox.html"]  # the reload came from the memo

    make_letter(world.governor, subject="第二封信")
    db.session.commit()
    assert "第二封信" in text(client.get("/mailbox/inbox")) and len(rendered) == 2  # new rows: rendered

    post_form(f"/mailbox/staff/letters/{first.number}/accept", {})
    client.get(f"/mailbox/staff/letters/{first.number}")  # where accepting leads (and shows its message)
    post_form(f"/mailbox/staff/letters/{first.number}/assign", {"assign-department": "edu"})
    shown = text(client.get("/mailbox/inbox"))  # redirected here: the flashed message is shown once
    assert "已办理：交办。" in shown and "第一封信" not in shown
    again = text(client.get("/mailbox/inbox"))
    assert "已办理：交办。" not in again and "第二封信" in again

    world.office_staff.name = "改名的办理人"  # the layout's user is part of the key
    db.session.commit()
    assert "我的（改名的办理人）" in text(client.get("/mailbox/inbox"))
    client.set_cookie("lang", "en")
    assert 'lang="en"' in text(client.get("/mailbox/inbox"))


def test_a_signed_in_rendering_goes_to_no_other_session(app, client, world, login, monkeypatch, request_context):
    """Two clerks of one department see the same rows, each with their own name and token."""
    from tests.factories import make_user

    make_letter(world.governor, subject="同一部门的信")
    colleague = make_user("staff", world.office, email="colleague@example.com", name="同事")
    db.session.commit()
    login(world.office_staff)
    mine = text(client.get("/mailbox/inbox"))
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = colleague.get_id()
    theirs = text(other.get("/mailbox/inbox"))
    assert "同一部门的信" in mine and "同一部门的信" in theirs
    assert "我的（同事）" in theirs and "我的（同事）" not in mine
    token = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
    assert token.search(mine).group(1) != token.search(theirs).group(1)
    assert text(client.get("/mailbox/inbox")) == mine


def test_the_board_is_rendered_again_after_supervision(client, world, login, post_form, clock, monkeypatch,
                                                       request_context):
    old, _ = make_letter(world.governor, subject="三个月前的信")
    db.session.commit()
    clock.set(datetime(2027, 2, 10, 10, tzinfo=SHANGHAI))
    login(world.admin)
    rendered = _count_renderings(monkeypatch)
    board = text(client.get("/mailbox/supervision"))
    assert text(client.get("/mailbox/supervision")) == board and len(rendered) == 1
    row = board[board.index(old.number):]
    assert row[:row.index("</tr>")].count("—") == 1  # not supervised yet
    post_form(f"/mailbox/staff/letters/{old.number}/supervise", {"supervise-note": "请尽快答复"})
    board = text(client.get("/mailbox/supervision"))
    row = board[board.index(f">{old.number}<"):]
    assert "已督办来信" in board and "—" not in row[:row.index("</tr>")] and "2027-02-10" in row[:row.index("</tr>")]
    assert "已督办来信" not in text(client.get("/mailbox/supervision"))
