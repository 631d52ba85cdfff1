"""Questions a live interview did not answer reach the department as letters (``question_handed_over``).

The interviews feature sends the signal when an interview ends; the mailbox turns each question into
a letter in the department's first active mailbox, due in 5 working days on the official calendar,
and tells the interview where it went, so the asker can follow it.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from interaction.core.db import db
from interaction.core.time import isoformat
from interaction.interviews import services as interviews
from interaction.interviews.models import LiveQuestion, QuestionState
from interaction.mailbox import services
from interaction.mailbox.models import Letter, LetterEvent
from tests.factories import make_interview, make_mailbox, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
TITLE = "义务教育课后服务在线访谈"


@pytest.fixture(autouse=True)
def _request(request_context):
    """The interviews' services translate their texts: a request context, as in their own tests."""


def _end_with_unanswered(department, asker, moderator, body="课后服务能延长到六点吗？"):
    """End a live interview of *department* where *asker*'s approved question was not answered live.

    Another citizen's question was answered live (it must not become a letter).
    """
    interview = make_interview(department, status="live", actor=moderator, title=TITLE)
    answered = interviews.ask_question(interview, "已经当场回答的问题", actor=make_user("citizen"))
    interviews.approve_question(answered, actor=moderator)
    interviews.answer(interview, "当场答复", actor=moderator, question=answered)
    waiting = interviews.ask_question(interview, body, actor=asker)
    interviews.approve_question(waiting, actor=moderator)
    interviews.end_interview(interview, actor=moderator)
    db.session.commit()
    return interview, waiting


def _letters_of(user) -> list[Letter]:
    return list(db.session.scalars(select(Letter).where(Letter.author_id == user.id)))


def test_unanswered_question_becomes_a_letter_with_a_five_workday_deadline(world, clock, client, login):
    # Tuesday before National Day 2026: Oct 1-7 off, Saturday Oct 10 a make-up working day.
    clock.set(datetime(2026, 9, 29, 10, tzinfo=SHANGHAI))
    asker = world.citizen
    interview, question = _end_with_unanswered(world.edu, asker, world.moderator)

    [letter] = _letters_of(asker)
    assert letter.mailbox_id == world.edu_box.id and letter.department_id == world.edu.id
    assert letter.channel == "live" and letter.status == "submitted" and letter.category == "consultation"
    assert letter.public_consent is False
    assert (letter.name, letter.phone) == (asker.name, asker.phone)
    assert "在线访谈" in letter.subject and TITLE in letter.subject
    assert "课后服务能延长到六点吗？" in letter.body and str(question.id) in letter.body and TITLE in letter.body
    # Sep 30, Oct 8, 9, 10 (make-up Saturday), 12: not the mailbox's 15 days.
    assert isoformat(letter.due_dt) == "2026-10-12T23:59:59+08:00"
    assert isoformat(letter.received_dt) == "2026-09-29T10:00:00+08:00"
    [event] = db.session.scalars(select(LetterEvent).where(LetterEvent.letter_id == letter.id))
    assert event.action == "handed_over" and "在线访谈" in event.note and not event.is_internal
    assert event.data == {"channel": "live", "source": "interviews.question", "source_ref": str(question.id)}
    # The question answered live is not a letter.
    assert db.session.scalar(select(Letter).where(Letter.body.contains("已经当场回答的问题"))) is None

    db.session.expire_all()
    handed = db.session.get(LiveQuestion, question.id)
    assert handed.state == QuestionState.handed_over
    url = f"/mailbox/letters/{letter.number}"
    assert handed.handed_to == [{"kind": "letter", "number": letter.number, "url": url}]

    # The asker follows it signed in: 我的来信, the letter page, and the link in the interview's pages.
    login(asker)
    mine = client.get("/mailbox/mine").get_data(as_text=True)
    assert letter.number in mine and f'href="{url}"' in mine
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "课后服务能延长到六点吗？" in text and "由在线访谈转来" in text and "2026-10-12" in text
    assert f'href="{url}"' in client.get("/interviews/mine").get_data(as_text=True)
    assert f'href="{url}"' in client.get(f"/interviews/{interview.id}/transcript").get_data(as_text=True)
    # ...and nobody else can open the citizen's page.
    login(make_user("citizen", email="nosy@example.com"))
    assert client.get(url).status_code == 404

    # The department's staff see the handover record's link, which takes them to their letter page.
    login(world.edu_staff)
    assert f'href="{url}"' in client.get("/interviews/handovers").get_data(as_text=True)
    follow = client.get(url)
    assert follow.status_code == 302 and follow.headers["Location"].endswith(f"/mailbox/staff/letters/{letter.number}")
    assert letter.number in client.get("/mailbox/inbox").get_data(as_text=True)
    staff_page = client.get(f"/mailbox/staff/letters/{letter.number}").get_data(as_text=True)
    assert "在线访谈转来" in staff_page and asker.phone in staff_page
    login(world.police_staff)
    assert client.get(url).status_code == 404


def test_department_without_mailbox_keeps_the_question_on_the_interview(world, clock, client, login):
    before = db.session.scalar(select(db.func.count(Letter.id)))
    asker = world.citizen
    _interview, question = _end_with_unanswered(world.police, asker, world.moderator)

    assert _letters_of(asker) == []
    assert db.session.scalar(select(db.func.count(Letter.id))) == before
    db.session.expire_all()
    kept = db.session.get(LiveQuestion, question.id)
    assert kept.state == QuestionState.handed_over and kept.handed_to == []
    assert isoformat(kept.handover_due_dt) == "2026-11-09T23:59:59+08:00"
    login(world.police_staff)
    assert "课后服务能延长到六点吗？" in client.get("/interviews/handovers").get_data(as_text=True)


def test_asker_without_phone_still_gets_a_letter(world, clock, client, login, outbox):
    interview = make_interview(world.edu, status="live", actor=world.moderator, title=TITLE)
    asker = make_user("citizen", email="nophone@example.com", name="钱七", phone=None)
    question = interviews.ask_question(interview, "没有留电话的提问", actor=asker)
    interviews.approve_question(question, actor=world.moderator)
    interviews.end_interview(interview, actor=world.moderator)
    db.session.commit()

    [letter] = _letters_of(asker)
    assert letter.phone == "" and letter.name == "钱七" and letter.email is None
    assert any(world.edu_staff.email in m.to and letter.number in m.subject for m in outbox), \
        "the department is told of the new letter"
    login(world.edu_staff)
    assert "未填写" in client.get(f"/mailbox/staff/letters/{letter.number}").get_data(as_text=True)
    # Staff can handle it through to the reply like any letter.
    for action, kwargs in (("accept", {}), ("assign", {"department": world.edu}), ("reply", {"body": "答复"})):
        services.act_on_letter(letter, action, actor=world.edu_staff, **kwargs)
    db.session.commit()
    assert letter.status == "replied" and letter.publication_state is None  # no consent: never published


def test_first_active_mailbox_by_sort_order(world, clock):
    closed = make_mailbox(world.police, code="police-old", name="旧信箱")
    closed.is_active, closed.sort_order = False, 0
    second = make_mailbox(world.police, code="police-b", name="公安厅信箱乙")
    second.sort_order = 2
    first = make_mailbox(world.police, code="police-a", name="公安厅信箱甲")
    first.sort_order = 1
    db.session.commit()
    _end_with_unanswered(world.police, world.citizen, world.moderator)
    [letter] = _letters_of(world.citizen)
    assert letter.mailbox_id == first.id


def test_a_failing_handover_does_not_stop_the_interview(world, clock, monkeypatch):
    def broken(*args, **kwargs):
        db.session.add(Letter())  # half-written, then it fails: the savepoint drops it
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "hand_over_question", broken)
    interview, question = _end_with_unanswered(world.edu, world.citizen, world.moderator)
    db.session.expire_all()
    assert interview.status == "ended"
    assert _letters_of(world.citizen) == []
    assert db.session.scalar(select(db.func.count(Letter.id))) == 0
    assert db.session.get(LiveQuestion, question.id).handed_to == []


def test_a_question_another_receiver_took_is_left_alone(world, clock):
    from interaction.mailbox.receivers import on_question_handed_over

    handed_to = [{"kind": "question", "url": "/qa/1"}]  # e.g. Q&A, once it exists, got there first
    on_question_handed_over("interviews", department_id=world.edu.id, author_id=world.citizen.id, subject="s",
                            body="b", source="interviews.question", source_ref="1", reply_workdays=5,
                            handed_to=handed_to)
    assert handed_to == [{"kind": "question", "url": "/qa/1"}]
    assert _letters_of(world.citizen) == []
