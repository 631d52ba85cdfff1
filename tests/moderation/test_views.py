"""The moderation pages: access, per-case and bulk decisions, "my submissions", the word-list page."""

import pytest
from sqlalchemy import select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.moderation import services
from interaction.moderation.models import SensitiveWord
from tests.factories import make_user
from tests.moderation.conftest import NOTE


def _case(text="请修路灯", author=None, target="1"):
    case = services.submit_for_moderation(NOTE, target, text=text, author=author)
    db.session.commit()
    return case


@pytest.mark.parametrize(("role", "path", "status"), [
    (None, "/moderation/", 302), ("citizen", "/moderation/", 403), ("staff", "/moderation/", 403),
    ("moderator", "/moderation/", 200), ("admin", "/moderation/", 200),
    (None, "/moderation/cases/{id}", 302), ("citizen", "/moderation/cases/{id}", 403),
    ("moderator", "/moderation/cases/{id}", 200),
    (None, "/moderation/words", 302), ("citizen", "/moderation/words", 403), ("staff", "/moderation/words", 403),
    ("moderator", "/moderation/words", 403), ("admin", "/moderation/words", 200),
    (None, "/moderation/mine", 302), ("citizen", "/moderation/mine", 200),
])
def test_who_may_open_which_page(client, login, test_kinds, role, path, status):
    case = _case()
    if role:
        login(make_user(role=role, department=None))
        db.session.commit()
    response = client.get(path.format(id=case.id))
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("role", "status"), [(None, 302), ("citizen", 403), ("staff", 403)])
def test_only_moderators_may_decide(client, login, post_form, test_kinds, role, status):
    case = _case()
    if role:
        login(make_user(role=role))
        db.session.commit()
    response = post_form(f"/moderation/cases/{case.id}/decision", {"verdict": "approve"})
    assert response.status_code == status
    db.session.refresh(case)
    assert case.state == "pending"


def test_queue_shows_kind_target_screening_and_author(client, login, test_kinds):
    admin = make_user(role="admin")
    services.add_sensitive_word("上访", "review", actor=admin)
    test_kinds["1"] = "我们想去上 访，路灯坏了"
    author = make_user(name="张三")
    _case(text="我们想去上 访，路灯坏了", author=author)
    test_kinds["2"] = "路灯坏了"
    other = _case(text="路灯坏了", target="2")
    services.decide_case(other, "approve", actor=admin)
    db.session.commit()
    login(make_user(role="moderator"))
    db.session.commit()
    html = client.get("/moderation/").get_data(as_text=True)
    assert "测试留言" in html and "标题1" in html and "张三" in html
    assert '<mark class="word-review">上 访</mark>' in html  # the disguised word, marked where it stands
    assert "含有需要人工审核的词语" in html
    assert "标题2" not in html  # decided: not in the pending queue
    assert "标题2" in client.get("/moderation/?state=approved").get_data(as_text=True)
    assert "标题1" not in client.get("/moderation/?kind=test.comment").get_data(as_text=True)
    assert 'nav' in html and "/moderation/" in html and ">审核<" in html


def test_queue_is_oldest_first_and_paginated(client, login, test_kinds, clock):
    for i in range(22):
        test_kinds[str(i)] = f"内容{i}"
        _case(text=f"内容{i}", target=str(i))
        clock.advance(minutes=11)
    login(make_user(role="moderator"))
    db.session.commit()
    first = client.get("/moderation/").get_data(as_text=True)
    assert first.index("标题0<") < first.index("标题1<") and "标题20<" not in first
    assert "标题21<" in client.get("/moderation/?page=2").get_data(as_text=True)


def test_reject_with_reason_reaches_the_author(client, login, post_form, test_kinds):
    author = make_user()
    case = _case(author=author)
    moderator = login(make_user(role="moderator"))
    db.session.commit()
    response = post_form(f"/moderation/cases/{case.id}/decision",
                         {"verdict": "reject", "reason": "涉及他人隐私", "next": "/moderation/?kind=test.note"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/moderation/?kind=test.note")
    db.session.refresh(case)
    assert (case.state, case.reason, case.decided_by_id) == ("rejected", "涉及他人隐私", moderator.id)
    entry = db.session.scalar(select(AuditEntry).filter_by(action="moderation.decide"))
    assert entry.actor_id == moderator.id and entry.detail["reason"] == "涉及他人隐私"
    login(author)

    mine = client.get("/moderation/mine").get_data(as_text=True)
    assert "涉及他人隐私" in mine and "未通过" in mine


def test_reject_without_reason_shows_the_error_next_to_the_field(client, login, post_form, test_kinds):
    case = _case()
    login(make_user(role="moderator"))
    db.session.commit()
    response = post_form(f"/moderation/cases/{case.id}/decision", {"verdict": "reject", "reason": " "})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "pending"


def test_deciding_a_decided_case_on_the_page_says_so(client, login, post_form, test_kinds):
    case = _case()
    login(make_user(role="moderator"))
    db.session.commit()
    post_form(f"/moderation/cases/{case.id}/decision", {"verdict": "approve"})
    response = post_form(f"/moderation/cases/{case.id}/decision", {"verdict": "reject", "reason": "x"},
                         follow_redirects=True)
    assert "当前状态下不能执行此操作" in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "approved"


def test_decisions_need_csrf(client, login, test_kinds):
    case = _case()
    login(make_user(role="moderator"))
    db.session.commit()
    assert client.post(f"/moderation/cases/{case.id}/decision", data={"verdict": "approve"}).status_code == 400


def test_bulk_decision_on_the_page(client, login, post_form, test_kinds):
    cases = [_case(target=str(i)) for i in range(3)]
    login(make_user(role="moderator"))
    db.session.commit()
    response = post_form("/moderation/cases/decision", {"case_ids": [cases[0].id, cases[2].id],
                                                        "verdict": "reject", "reason": "广告"})
    assert response.status_code == 302
    for case in cases:
        db.session.refresh(case)
    assert [c.state for c in cases] == ["rejected", "pending", "rejected"]
    assert post_form("/moderation/cases/decision", {"verdict": "approve"}).status_code == 422  # none checked
    response = post_form("/moderation/cases/decision", {"case_ids": [cases[1].id], "verdict": "reject"})
    assert response.status_code == 422 and "不通过时必须填写理由" in response.get_data(as_text=True)


def test_word_list_page_adds_pasted_words_and_removes_them(client, login, post_form):
    login(make_user(role="admin"))
    db.session.commit()
    response = post_form("/moderation/words", {"list": "block", "words": "甲乙\r\n丙丁\n\n甲乙\n"})
    assert response.status_code == 302
    assert db.session.scalars(select(SensitiveWord.word).order_by(SensitiveWord.id)).all() == ["甲乙", "丙丁"]
    html = client.get("/moderation/words").get_data(as_text=True)
    assert "甲乙" in html and "<strong>2</strong>" in html
    entry = db.session.scalar(select(SensitiveWord).filter_by(word="甲乙"))
    assert post_form(f"/moderation/words/{entry.id}/delete").status_code == 302
    assert db.session.scalars(select(SensitiveWord.word)).all() == ["丙丁"]
    assert post_form("/moderation/words", {"list": "grey", "words": "x"}).status_code == 422


def test_queue_in_english(client, login, test_kinds):
    _case()
    login(make_user(role="moderator"))
    db.session.commit()
    client.set_cookie("lang", "en", domain="localhost")
    html = client.get("/moderation/").get_data(as_text=True)
    assert "Moderation queue" in html and "Reject selected" in html and "审核队列" not in html
