"""The website self-check: each check red with its items, green without, and one e-mail when a check turns red."""

from datetime import UTC, datetime, timedelta

from interaction.core.db import db
from interaction.core.mail import outbox
from interaction.core.time import now_utc
from interaction.oversight import compliance
from interaction.polls.models import Poll
from tests.factories import make_interview, make_letter, make_mailbox
from tests.oversight.conftest import _question, at


def _codes(checks):
    return {check.code: check for check in checks}


def test_red_checks_name_their_items(app, world):
    with app.test_request_context():
        old, _code = make_letter(make_mailbox(world.edu), received_dt=at(20, month=8))
        question = _question(world.police, at(1, month=8), status="open", due=at(8, month=8))
        interview = make_interview(world.edu, status="ended", actor=world.moderator)
        poll = Poll(department_id=world.edu.id, title="图书馆开放时间调查", opens_dt=now_utc() - timedelta(days=10),
                    closes_dt=now_utc() - timedelta(days=1), state="published", published_dt=now_utc())
        db.session.add(poll)
        db.session.commit()
        checks = compliance.run_checks()
    assert [c.code for c in checks][0] == "unanswered_3_months"
    by_code = _codes(checks)
    veto = by_code["unanswered_3_months"]
    assert not veto.ok
    assert {(i["kind"], i.get("number") or i.get("id")) for i in veto.items} == {("letter", old.number),
                                                                                 ("question", question.id)}
    assert all(i["url"] for i in veto.items)
    assert not by_code["transcript_missing"].ok and by_code["transcript_missing"].items[0]["id"] == interview.id
    assert not by_code["poll_report_missing"].ok and by_code["poll_report_missing"].items[0]["id"] == poll.id
    # the newest public answer of the world is of 11-20: within two months now, not on 2027-01-21
    assert by_code["no_reply_published_2_months"].ok
    with app.test_request_context():
        later = _codes(compliance.run_checks(datetime(2027, 1, 21, 2, tzinfo=UTC)))
    assert not later["no_reply_published_2_months"].ok
    assert later["no_reply_published_2_months"].detail["last_published"].startswith("2026-11-20")


def test_green_when_nothing_is_behind_a_check(app, world):
    with app.test_request_context():
        by_code = _codes(compliance.run_checks())
    assert by_code["unanswered_3_months"].ok and by_code["unanswered_3_months"].items == []
    assert by_code["transcript_missing"].ok and by_code["poll_report_missing"].ok
    # the questions of the world are public and one was answered on 11-20: a reply published within two months
    assert by_code["no_reply_published_2_months"].ok


def test_three_months_is_the_line(app, world, clock):
    with app.test_request_context():
        make_letter(make_mailbox(world.edu), received_dt=at(2, month=9))
        db.session.commit()
        clock.set(at(1, month=12))
        assert _codes(compliance.run_checks())["unanswered_3_months"].ok  # less than three months
        clock.set(at(3, month=12))
        assert not _codes(compliance.run_checks())["unanswered_3_months"].ok


def test_administrators_get_one_mail_when_a_check_turns_red(app, world, clock):
    with app.test_request_context():
        outbox(app).clear()  # the world's notices to departments
        assert compliance.check_and_notify() == []
        db.session.commit()
        assert outbox(app) == []
        make_letter(make_mailbox(world.edu), received_dt=at(20, month=8))
        db.session.commit()
        assert compliance.check_and_notify() == ["unanswered_3_months"]
        db.session.commit()
        mails = list(outbox(app))
        assert len(mails) == 1 and "admin@example.com" in mails[0].to  # every administrator
        assert "超过三个月未答复" in mails[0].body and "/oversight/compliance" in mails[0].body
        clock.advance(hours=1)
        assert compliance.check_and_notify() == []  # still red: nothing more
        db.session.commit()
        assert len(outbox(app)) == 1


def test_jobs_are_registered_and_run(app, world):
    from interaction import oversight
    from interaction.core import jobs

    names = {job.name for job in jobs.registered(app)}
    assert {"oversight.summary", "oversight.compliance"} <= names
    with app.test_request_context():
        assert oversight.run_summary().startswith("oversight summary:")
        assert oversight.run_compliance() == "self-check: nothing turned red"
