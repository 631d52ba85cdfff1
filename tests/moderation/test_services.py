"""Human decisions, bulk decisions and the word-list services."""

import threading
import time

import pytest
from sqlalchemy import func, select, update

from interaction.accounts.models import User
from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.core.errors import Conflict, InvalidTransition, ValidationFailed
from interaction.moderation import services
from interaction.moderation.models import CaseState, ModerationCase, SensitiveWord
from tests.factories import make_user
from tests.moderation.conftest import NOTE


@pytest.fixture
def moderator(app):
    return make_user(role="moderator")


def _pending(n=1, author=None):
    return [services.submit_for_moderation(NOTE, str(i), text="请修路灯", author=author) for i in range(n)]


def test_rejection_is_audited_with_who_when_why_and_signalled(app, test_kinds, moderator, decisions, clock):
    (case,) = _pending()
    services.decide_case(case, "reject", reason="  含有他人电话号码  ", actor=moderator)
    assert case.state == CaseState.rejected and not case.is_automatic
    assert case.reason == "含有他人电话号码"
    assert case.decided_by_id == moderator.id and case.decided_dt == clock.now
    entry = db.session.scalar(select(AuditEntry).filter_by(action="moderation.decide"))
    assert entry.actor_id == moderator.id and entry.at_dt == clock.now and entry.target_id == str(case.id)
    assert entry.detail["verdict"] == "reject" and entry.detail["reason"] == "含有他人电话号码"
    assert decisions == [(NOTE, case.id, "rejected", moderator)]


def test_approval_needs_no_reason(app, test_kinds, moderator, decisions):
    (case,) = _pending()
    services.decide_case(case, "approve", actor=moderator)
    assert case.state == CaseState.approved and case.reason is None
    assert decisions == [(NOTE, case.id, "approved", moderator)]


@pytest.mark.parametrize(("verdict", "reason", "field"), [
    ("reject", None, "reason"), ("reject", "   ", "reason"), ("maybe", "x", "verdict"),
    ("reject", "长" * 501, "reason"),
])
def test_invalid_decisions_are_refused(app, test_kinds, moderator, decisions, verdict, reason, field):
    (case,) = _pending()
    with pytest.raises(ValidationFailed) as error:
        services.decide_case(case, verdict, reason=reason, actor=moderator)
    assert field in error.value.fields
    assert case.state == CaseState.pending and decisions == []


def test_deciding_twice_is_a_conflict(app, test_kinds, moderator, decisions):
    (case,) = _pending()
    services.decide_case(case, "approve", actor=moderator)
    with pytest.raises(InvalidTransition) as error:
        services.decide_case(case, "reject", reason="晚了", actor=moderator)
    assert error.value.status == 409
    assert case.state == CaseState.approved and len(decisions) == 1


def test_a_case_decided_elsewhere_is_a_conflict_with_nothing_written(app, test_kinds, moderator, decisions):
    """The object in hand still says pending; the row says approved (another moderator, another process)."""
    (case,) = _pending()
    db.session.execute(update(ModerationCase.__table__).where(ModerationCase.__table__.c.id == case.id)
                       .values(state=CaseState.approved.value))
    assert case.state == CaseState.pending
    with pytest.raises(InvalidTransition):
        services.decide_case(case, "reject", reason="晚了", actor=moderator)
    assert decisions == []
    assert db.session.scalar(select(AuditEntry).filter_by(action="moderation.decide")) is None
    db.session.refresh(case)
    assert case.state == CaseState.approved and case.reason is None


def test_two_moderators_deciding_at_once_make_one_decision(app, test_kinds, moderator, decisions):
    """Real concurrency: the second decision waits for the first's row lock, then finds the case decided."""
    (case,) = _pending()
    other_id = make_user(role="moderator").id
    db.session.commit()
    case_id, first_wrote, outcome = case.id, threading.Event(), {}

    def second_moderator():
        with app.app_context():
            first_wrote.wait(10)
            try:
                services.decide_case(case_id, "reject", reason="晚了", actor=db.session.get(User, other_id))
                db.session.commit()
                outcome["second"] = "decided"
            except InvalidTransition:
                db.session.rollback()
                outcome["second"] = "conflict"
            finally:
                db.session.remove()

    thread = threading.Thread(target=second_moderator)
    thread.start()
    services.decide_case(case_id, "approve", actor=moderator)
    first_wrote.set()
    time.sleep(0.3)  # the second is now waiting on the row (PostgreSQL) or the write lock (SQLite)
    db.session.commit()
    thread.join(10)
    assert outcome == {"second": "conflict"}
    assert db.session.scalar(select(ModerationCase.state).where(ModerationCase.id == case_id)) == "approved"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).filter_by(action="moderation.decide")) == 1
    assert [d[2] for d in decisions] == ["approved"]


def test_a_case_may_be_decided_by_its_id_alone(app, test_kinds, moderator, decisions):
    (case,) = _pending()
    decided = services.decide_case(case.id, "approve", actor=moderator)
    assert decided is case and case.state == CaseState.approved and case.decided_by_id == moderator.id
    assert decisions == [(NOTE, case.id, "approved", moderator)]


def test_bulk_decision_skips_cases_decided_already(app, test_kinds, moderator, decisions):
    cases = _pending(3)
    services.decide_case(cases[1], "approve", actor=moderator)
    decided, skipped = services.decide_cases(cases, "reject", "重复内容", actor=moderator)
    assert [c.id for c in decided] == [cases[0].id, cases[2].id] and skipped == [cases[1]]
    assert [c.state for c in cases] == ["rejected", "approved", "rejected"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .filter_by(action="moderation.decide")) == 3
    with pytest.raises(ValidationFailed):
        services.decide_cases(_pending(1), "reject", "", actor=moderator)


def test_unknown_kind_is_a_programming_error(app):
    with pytest.raises(LookupError):
        services.submit_for_moderation("nobody.registered", "1", text="x")


def test_word_lists_add_move_refuse_duplicates_and_remove(app):
    admin = make_user(role="admin")
    entry = services.add_sensitive_word(" ＡＢＣ ", "review", actor=admin)
    assert (entry.word, entry.list, entry.created_by_id) == ("abc", "review", admin.id)
    with pytest.raises(Conflict):
        services.add_sensitive_word("abc", "review", actor=admin)
    assert services.add_sensitive_word("abc", "block", actor=admin) is entry and entry.list == "block"
    for bad in ("", "  ", "…！", "x" * 101):
        with pytest.raises(ValidationFailed):
            services.add_sensitive_word(bad, "block", actor=admin)
    with pytest.raises(ValidationFailed):
        services.add_sensitive_word("好", "grey", actor=admin)
    added, skipped = services.add_sensitive_words("甲\n\n乙\nabc\n甲\n", "block", actor=admin)
    assert [w.word for w in added] == ["甲", "乙"] and skipped == ["abc"]
    services.remove_sensitive_word(entry, actor=admin)
    assert db.session.scalars(select(SensitiveWord.word).order_by(SensitiveWord.word)).all() == ["乙", "甲"]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["moderation.word_add", "moderation.word_move", "moderation.word_add",
                       "moderation.word_add", "moderation.word_remove"]
