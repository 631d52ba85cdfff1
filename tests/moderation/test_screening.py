"""Automatic screening: sensitive words, links, submission rate, and the per-process word-screen cache."""

import pytest
from sqlalchemy import select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.moderation import screening, services
from interaction.moderation.models import CaseState
from tests.helpers import make_test_app
from tests.factories import make_user
from tests.moderation.conftest import COMMENT, NOTE


@pytest.fixture
def word_lists(app):
    admin = make_user(role="admin")
    services.add_sensitive_word("法轮功", "block", actor=admin)
    services.add_sensitive_word("上访", "review", actor=admin)
    db.session.commit()
    return admin


def test_blocked_word_rejects_automatically_with_reason_and_signal(app, test_kinds, word_lists, decisions):
    author = make_user()
    case = services.submit_for_moderation(NOTE, "1", text="我要说说法轮功的事", author=author)
    assert case.state == CaseState.rejected
    assert case.is_automatic and case.decided_by_id is None and case.decided_dt is not None
    assert case.reason and "未能通过审核" in case.reason
    assert case.screening["verdict"] == "block"
    assert case.screening["blocked"] == ["法轮功"]
    assert case.screening["reasons"] == ["含有禁止发布的词语"]
    assert decisions == [(NOTE, case.id, "rejected", None)]
    entry = db.session.scalar(select(AuditEntry).filter_by(action="moderation.auto_decide"))
    assert entry.actor_id is None and entry.target_id == str(case.id)
    assert entry.detail["verdict"] == "reject" and entry.detail["reason"] == case.reason


@pytest.mark.parametrize("text", [
    "说说法轮功", "说说法 轮 功", "说说法*轮-功", "说说法\u200b轮功", "说说法輪功",  # spaced, punctuated, traditional
])
def test_disguised_blocked_words_are_caught(app, test_kinds, word_lists, text):
    case = services.submit_for_moderation(COMMENT, "1", text=text)
    assert case.state == CaseState.rejected
    assert case.screening["blocked"] == ["法轮功"]


def test_full_width_latin_words_are_caught(app, test_kinds):
    admin = make_user(role="admin")
    services.add_sensitive_word("VPN", "review", actor=admin)
    case = services.submit_for_moderation(COMMENT, "1", text="教你用ｖｐｎ翻墙")
    assert case.state == CaseState.pending
    assert case.screening["review"] == ["vpn"]  # stored in normal form


def test_review_word_holds_even_an_auto_approved_kind(app, test_kinds, word_lists, decisions):
    case = services.submit_for_moderation(COMMENT, "1", text="我想去上访")
    assert case.state == CaseState.pending
    assert case.screening["verdict"] == "review"
    assert case.screening["review"] == ["上访"]
    assert decisions == []


def test_clean_text_is_approved_only_for_auto_approve_kinds(app, test_kinds, word_lists, decisions):
    comment = services.submit_for_moderation(COMMENT, "1", text="路灯坏了，请修一下")
    note = services.submit_for_moderation(NOTE, "2", text="路灯坏了，请修一下")
    assert comment.state == CaseState.approved and comment.is_automatic
    assert note.state == CaseState.pending
    assert comment.screening == {"verdict": "pass", "blocked": [], "review": [], "links": 0,
                                 "recent_by_author": 0, "reasons": [], "codes": []}
    assert decisions == [(COMMENT, comment.id, "approved", None)]
    audited = db.session.scalars(select(AuditEntry.target_id).filter_by(action="moderation.auto_decide")).all()
    assert audited == [str(comment.id)]


@pytest.mark.parametrize(("text", "links", "state"), [
    ("见 http://a.cn/x 和 https://b.com", 2, CaseState.approved),
    ("见 http://a.cn/x、https://b.com 和 www.c.net", 3, CaseState.pending),
    ("ｈｔｔｐ：／／ａ．ｃｎ http://b.cn example.org/page", 3, CaseState.pending),  # full-width too
])
def test_more_than_two_links_hold_for_a_person(app, test_kinds, text, links, state):
    case = services.submit_for_moderation(COMMENT, "1", text=text)
    assert case.screening["links"] == links
    assert case.state == state
    assert ("too_many_links" in case.screening["codes"]) is (state == CaseState.pending)


def test_too_many_submissions_in_ten_minutes_hold_for_a_person(app, test_kinds, clock):
    app.config["MODERATION_RATE_LIMIT"] = 3
    author, other = make_user(), make_user()
    states = [services.submit_for_moderation(COMMENT, str(i), text="好", author=author).state for i in range(4)]
    assert states == ["approved"] * 3 + ["pending"]
    last = services.submit_for_moderation(COMMENT, "9", text="好", author=author)
    assert last.screening["recent_by_author"] == 5 and last.screening["reasons"] == ["短时间内提交过多"]
    assert services.submit_for_moderation(COMMENT, "x", text="好", author=other).state == "approved"
    clock.advance(minutes=10, seconds=1)
    assert services.submit_for_moderation(COMMENT, "10", text="好", author=author).state == "approved"


def test_anonymous_submissions_are_not_rate_counted(app, test_kinds):
    app.config["MODERATION_RATE_LIMIT"] = 1
    cases = [services.submit_for_moderation(COMMENT, str(i), text="好") for i in range(3)]
    assert [c.state for c in cases] == ["approved"] * 3


def test_word_screen_is_built_once_per_list_version(app, monkeypatch):
    admin = make_user(role="admin")
    services.add_sensitive_word("甲乙", "block", actor=admin)
    builds = []
    real_build = screening._build_screen
    monkeypatch.setattr(screening, "_build_screen", lambda: builds.append(1) or real_build())
    first = screening.word_screen()
    assert screening.word_screen() is first and len(builds) == 1
    entry = services.add_sensitive_word("丙丁", "review", actor=admin)
    second = screening.word_screen()
    assert second is not first and len(builds) == 2
    assert second.scan("丙丁").verdict == "review"
    services.remove_sensitive_word(entry, actor=admin)
    assert screening.word_screen().scan("丙丁").verdict == "pass"
    assert len(builds) == 3


def test_an_edit_in_another_process_reaches_this_ones_screen(app, database_url, test_kinds):
    assert services.submit_for_moderation(COMMENT, "1", text="丙丁").state == "approved"
    db.session.commit()
    other = make_test_app(database_url)  # another process: its own app, its own cache
    with other.app_context():
        services.add_sensitive_word("丙丁", "block", actor=None)
        db.session.commit()
        db.session.remove()
    assert services.submit_for_moderation(COMMENT, "2", text="丙丁").state == "rejected"


def test_rate_window_counts_only_the_last_ten_minutes(app, clock, test_kinds):
    author = make_user()
    services.submit_for_moderation(NOTE, "1", text="好", author=author)
    clock.advance(minutes=9)
    assert screening.recent_by_author(author.id) == 1
    clock.advance(minutes=2)
    assert screening.recent_by_author(author.id) == 0
