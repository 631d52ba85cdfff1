"""Deadline arithmetic on the official calendar, the calendar API, and the due-soon/overdue rules."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from interaction.core.calendar import CalendarYear, get_calendar
from interaction.core.db import db
from interaction.core.time import SHANGHAI, isoformat
from interaction.mailbox.models import Letter
from tests.factories import make_letter


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.usefixtures("request_context")
def test_national_day_2026_and_make_up_days(world, clock):
    clock.set(shanghai(2026, 11, 1, 12))
    letter, _code = make_letter(world.governor, received_dt=shanghai(2026, 9, 29, 10), channel="post")
    # Sep 30 (1), Oct 1-7 off, Oct 8 (2), Oct 9 (3), Sat Oct 10 make-up day (4), Oct 12.. -> Oct 26 (15).
    assert isoformat(letter.accept_due_dt) == "2026-10-08T23:59:59+08:00"
    assert isoformat(letter.due_dt) == "2026-10-26T23:59:59+08:00"
    # Received on the Sunday make-up working day Sep 20: counting starts the day after.
    early, _code = make_letter(world.governor, received_dt=shanghai(2026, 9, 20, 9), channel="post")
    # Sep 21-24 (4), Sep 25 Mid-Autumn off, Sep 28-30 (7), Oct 8, 9, 10 (10), Oct 12-16 (15).
    assert isoformat(early.due_dt) == "2026-10-16T23:59:59+08:00"


@pytest.mark.usefixtures("request_context")
def test_end_of_day_boundary_in_shanghai(world, clock):
    # 2026-11-02 15:59:59 UTC is Monday 23:59:59 in Shanghai; one second later it is Tuesday.
    clock.set(datetime(2026, 11, 2, 15, 59, 59, tzinfo=UTC))
    monday, _ = make_letter(world.governor)
    assert isoformat(monday.due_dt) == "2026-11-23T23:59:59+08:00"
    clock.set(datetime(2026, 11, 2, 16, 0, 0, tzinfo=UTC))
    tuesday, _ = make_letter(world.governor)
    assert isoformat(tuesday.received_dt) == "2026-11-03T00:00:00+08:00"
    assert isoformat(tuesday.due_dt) == "2026-11-24T23:59:59+08:00"
    # A registered letter received late on Monday evening counts from Monday.
    registered, _ = make_letter(world.governor, received_dt=shanghai(2026, 11, 2, 23, 59, 59), channel="visit")
    assert isoformat(registered.due_dt) == "2026-11-23T23:59:59+08:00"
    # Overdue from the first second after the deadline, not before.
    clock.set(shanghai(2026, 11, 23, 23, 59, 59))
    assert monday.is_overdue is False
    assert db.session.scalar(select(Letter.id).where(Letter.id == monday.id, Letter.is_overdue)) is None
    clock.set(shanghai(2026, 11, 24, 0, 0, 0))
    assert monday.is_overdue is True
    assert db.session.scalar(select(Letter.id).where(Letter.id == monday.id, Letter.is_overdue)) == monday.id


@pytest.mark.usefixtures("request_context")
def test_year_boundary_with_administrator_schedule(world, clock, client, headers):
    clock.set(shanghai(2026, 12, 24, 10))
    weekends_only, _ = make_letter(world.governor)
    # 2027 is not in the package: weekends only, Jan 1 counts as a working day.
    assert isoformat(weekends_only.due_dt) == "2027-01-14T23:59:59+08:00"
    assert client.get("/api/v1/calendar/2027").get_json() == {
        "year": 2027, "holidays": [], "workdays": [], "source": "weekends-only"}
    schedule = {"holidays": ["2027-01-01"], "workdays": []}
    assert client.put("/api/v1/calendar/2027", json=schedule, headers=headers(world.office_staff)).status_code == 403
    response = client.put("/api/v1/calendar/2027", json=schedule, headers=headers(world.admin))
    assert response.status_code == 200
    assert response.get_json() == {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "admin"}
    assert db.session.get(CalendarYear, 2027).updated_by_id == world.admin.id
    # The cached calendar forgot 2027: a new letter counts the holiday.
    with_holiday, _ = make_letter(world.governor)
    assert isoformat(with_holiday.due_dt) == "2027-01-15T23:59:59+08:00"
    # A make-up working day on Saturday Jan 9 brings it back by one.
    client.put("/api/v1/calendar/2027", json={"holidays": ["2027-01-01"], "workdays": ["2027-01-09"]},
               headers=headers(world.admin))
    make_up, _ = make_letter(world.governor)
    assert isoformat(make_up.due_dt) == "2027-01-14T23:59:59+08:00"


def test_calendar_api_for_a_package_year_and_bad_input(client, world, headers):
    data = client.get("/api/v1/calendar/2026").get_json()
    assert data["source"] == "package"
    assert "2026-10-01" in data["holidays"] and "2026-10-10" in data["workdays"]
    admin = headers(world.admin)
    for bad in ({"holidays": ["2027-13-01"]}, {"holidays": "2027-01-01"}, {"workdays": ["2027-01-04"]},
                {"holidays": ["2026-01-01"]}, {"holidays": ["2027-01-02"], "workdays": ["2027-01-02"]}):
        response = client.put("/api/v1/calendar/2027", json=bad, headers=admin)
        assert response.status_code == 422, bad
    assert db.session.get(CalendarYear, 2027) is None
    assert client.put("/api/v1/calendar/2027", json={"holidays": []}).status_code == 401
    assert client.get("/api/v1/calendar/1800").status_code == 404


@pytest.mark.usefixtures("request_context")
def test_due_soon_is_two_working_days_in_python_and_sql(world, clock):
    letter, _ = make_letter(world.governor)  # due Monday 2026-11-23

    def due_soon_in_sql():
        return db.session.scalar(select(Letter.id).where(Letter.id == letter.id, Letter.is_due_soon)) is not None

    clock.set(shanghai(2026, 11, 18, 23, 0))  # Wednesday: Thu, Fri, Mon = 3 working days left
    assert letter.workdays_left() == 3
    assert letter.is_due_soon is False and not due_soon_in_sql()
    clock.set(shanghai(2026, 11, 19, 8, 0))  # Thursday: 2 left
    assert letter.workdays_left() == 2
    assert letter.is_due_soon is True and due_soon_in_sql()
    clock.set(shanghai(2026, 11, 23, 12, 0))  # the day itself
    assert letter.workdays_left() == 0 and letter.is_due_soon is True
    clock.set(shanghai(2026, 11, 25, 12, 0))
    assert letter.is_due_soon is False and letter.is_overdue is True and letter.workdays_left() == -2


@pytest.mark.usefixtures("request_context")
def test_three_months_line(world, clock):
    letter, _ = make_letter(world.governor)  # received 2026-11-02 10:00 Shanghai
    clock.set(shanghai(2027, 2, 2, 10, 0))
    assert letter.is_long_unanswered is False
    clock.set(shanghai(2027, 2, 2, 10, 1))
    assert letter.is_long_unanswered is True
    assert db.session.scalar(select(Letter.id).where(Letter.is_long_unanswered)) == letter.id


def test_calendar_is_cached_per_app(app, world):
    calendar = get_calendar()
    assert get_calendar() is calendar
