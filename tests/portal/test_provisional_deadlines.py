"""Issue 18 item 5: deadlines in a year without a calendar are provisional, and recomputed when it is entered.

2027 is not in chinese_calendar (the package's newest year is 2026): until an administrator enters it,
1 January 2027 counts as a working day, so a letter received on Friday 11 December 2026 in a
15-working-day mailbox is due that day.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from interaction.core.audit import AuditEntry
from interaction.core.calendar import CalendarYear, is_provisional, set_year_schedule
from interaction.core.db import db
from interaction.core.time import to_local
from interaction.core.workdays import YearSchedule
from interaction.mailbox import services
from interaction.mailbox.services.deadlines import computed_due
from tests.factories import make_department, make_letter, make_mailbox, make_user
from tests.qa.conftest import ask

FRIDAY_11_DEC = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NEW_YEAR_2027 = YearSchedule.from_dict(2027, {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
                                              "workdays": []})


def local_day(moment) -> str:
    return to_local(moment).date().isoformat()


@pytest.fixture
def office(app, clock):
    clock.set(FRIDAY_11_DEC)
    with app.test_request_context():
        department = make_department(code="office", name="省政府办公厅")
        other = make_department(code="edu", name="教育厅")
        yield {"department": department, "other": other, "mailbox": make_mailbox(department, reply_days=15),
               "staff": make_user("staff", department, email="clerk@example.com"),
               "admin": make_user("admin", email="admin@example.com")}


def test_letter_due_on_new_year_is_provisional(office):
    letter, _code = make_letter(office["mailbox"])
    assert local_day(letter.due_dt) == "2027-01-01"
    assert letter.due_provisional is True
    assert letter.due_basis == {"from": "2026-12-11", "workdays": 15, "extended": 0}
    assert is_provisional(datetime(2026, 12, 20, tzinfo=UTC)) is False  # 2026 is in the package


def test_entering_the_year_recomputes_open_letters_as_their_history_gives(office, clock):
    admin, staff, mailbox = office["admin"], office["staff"], office["mailbox"]
    plain, _ = make_letter(mailbox)
    extended, _ = make_letter(mailbox)
    for letter in (extended,):
        services.accept_letter(letter, actor=staff)
        services.extend_letter(letter, 3, "需要现场核实", actor=staff)
    assert local_day(extended.due_dt) == "2027-01-06"  # 1 Jan + 3 weekdays
    transferred, _ = make_letter(mailbox)
    services.accept_letter(transferred, actor=staff)
    services.assign_letter(transferred, office["department"], actor=staff)
    services.transfer_letter(transferred, office["other"], "属教育厅职责", actor=staff)
    replied, _ = make_letter(mailbox)
    services.accept_letter(replied, actor=staff)
    services.assign_letter(replied, office["department"], actor=staff)
    services.reply_letter(replied, "已答复。", actor=staff)
    legacy, _ = make_letter(mailbox)  # stored before due_basis existed: read from its history
    legacy.due_basis = None
    db.session.commit()
    replied_due = replied.due_dt

    set_year_schedule(NEW_YEAR_2027, admin)
    db.session.commit()

    assert local_day(plain.due_dt) == "2027-01-04"  # 1–3 January are days off now
    assert local_day(extended.due_dt) == "2027-01-07"  # the extension counts on from the new day
    assert local_day(transferred.due_dt) == "2027-01-04"  # a transfer keeps the deadline
    assert local_day(legacy.due_dt) == "2027-01-04"
    assert replied.due_dt == replied_due  # replied: nothing to recompute
    for letter in (plain, extended, transferred, legacy):
        assert letter.due_provisional is False
        assert letter.due_dt == computed_due(letter)
        line = letter.events[-1]
        assert line.action == "rescheduled" and local_day(letter.due_dt) in line.note
    audited = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.reschedule")).all()
    assert len(audited) == 4
    assert "rescheduled" not in [e.action for e in replied.events]

    # Entering the same year again moves nothing and writes nothing.
    set_year_schedule(NEW_YEAR_2027, admin)
    db.session.commit()
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.reschedule")).all()) == 4


def test_acceptance_deadline_recomputed_while_submitted(office, clock):
    clock.set(datetime(2026, 12, 30, 2, 0, tzinfo=UTC))  # Wednesday: accept by Thursday 31, then Friday 1 Jan
    letter, _ = make_letter(office["mailbox"])
    assert local_day(letter.accept_due_dt) == "2027-01-01"
    set_year_schedule(NEW_YEAR_2027, office["admin"])
    assert local_day(letter.accept_due_dt) == "2027-01-04"


def test_rehandled_letter_counts_from_the_rehandle(office, clock):
    staff = office["staff"]
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    letter, _ = make_letter(office["mailbox"])
    services.accept_letter(letter, actor=staff)
    services.assign_letter(letter, office["department"], actor=staff)
    services.reply_letter(letter, "已答复。", actor=staff)
    services.rate_letter(letter, 1, actor=None)
    clock.set(FRIDAY_11_DEC)
    services.request_rehandle(letter, "没有解决", actor=None)
    assert local_day(letter.due_dt) == "2027-01-01" and letter.due_basis["from"] == "2026-12-11"
    set_year_schedule(NEW_YEAR_2027, office["admin"])
    assert local_day(letter.due_dt) == "2027-01-04"


def test_questions_recomputed(app, qa, clock):
    clock.set(datetime(2026, 12, 25, 2, 0, tzinfo=UTC))  # Friday: 5 working days end on 1 January
    with app.test_request_context():
        question = ask(qa)
        assert local_day(question.due_dt) == "2027-01-01" and question.due_provisional
        set_year_schedule(NEW_YEAR_2027, qa.admin)
        db.session.commit()
        assert local_day(question.due_dt) == "2027-01-04" and not question.due_provisional
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "qa.reschedule")) is not None


def test_provisional_in_api_and_pages(office, client, login):
    letter, code = make_letter(office["mailbox"])
    db.session.commit()
    body = client.get(f"/api/v1/letters/{letter.number}", query_string={"query_code": code}).get_json()
    assert body["due_provisional"] is True
    login(office["staff"])
    staff_page = client.get(f"/mailbox/staff/letters/{letter.number}").get_data(as_text=True)
    assert "暂定" in staff_page and "尚未录入" in staff_page
    inbox = client.get("/mailbox/inbox").get_data(as_text=True)
    assert "暂定" in inbox
    # Staff (not only administrators) are warned that 2027 is missing; the link to enter it is the admin's.
    assert "2027 年的节假日安排尚未录入" in inbox and "/admin/calendar/2027" not in inbox
    login(office["admin"])
    assert "/admin/calendar/2027" in client.get("/mailbox/inbox").get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get(f"/mailbox/staff/letters/{letter.number}").get_data(as_text=True)
    assert "The official holidays of 2027 have not been entered yet" in english
    assert "provisional" in english and "Enter the working-day calendar" in english


def test_calendar_form_errors_translated_under_their_field(office, client, login, post_form):
    login(office["admin"])
    client.set_cookie("lang", "en")
    bad = post_form("/admin/calendar/2027", {"holidays": "2027-02-30", "workdays": "2027-01-05"},
                    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "2027-02-30 is not a real date" in html
    assert "not a Saturday or Sunday" in html
    holidays_at, workdays_at = html.index('name="holidays"'), html.index('name="workdays"')
    assert holidays_at < html.index("2027-02-30 is not a real date") < workdays_at
    assert workdays_at < html.index("not a Saturday or Sunday")
    assert db.session.get(CalendarYear, 2027) is None
