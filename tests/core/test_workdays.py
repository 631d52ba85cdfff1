"""Tests of the working-day calendar and deadline arithmetic (interaction.core.workdays)."""

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from interaction.core.workdays import (
    SHANGHAI,
    WorkCalendar,
    YearSchedule,
    package_schedule,
    package_supports,
    to_local_date,
)

ADMIN_2027 = YearSchedule.from_dict(2027, {"holidays": ["2027-01-01"], "workdays": []})


def admin_lookup(schedules):
    """Return a lookup over a dict, recording the years asked for."""
    asked = []

    def lookup(year):
        asked.append(year)
        return schedules.get(year)

    lookup.asked = asked
    return lookup


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def days_of(year):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


# --- what the package knows -------------------------------------------------------------------------


def test_package_knows_2026_but_not_2027():
    assert package_supports(2026)
    assert not package_supports(2027)
    assert package_schedule(2027) is None
    assert WorkCalendar().schedule(2027) == YearSchedule.weekends_only(2027)


def test_2026_national_day_schedule_as_published_in_the_package():
    schedule = package_schedule(2026)
    assert schedule.source == "package"
    # Mid-Autumn (Sep 25-27) and National Day (Oct 1-7) are separate periods in 2026.
    national_day = {date(2026, 10, d) for d in range(1, 8)}
    assert national_day <= schedule.holidays
    assert date(2026, 10, 8) not in schedule.holidays
    assert {date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)} <= schedule.holidays
    assert date(2026, 9, 20) in schedule.workdays  # Sunday
    assert date(2026, 10, 10) in schedule.workdays  # Saturday
    assert schedule.workdays == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }


@pytest.mark.parametrize("year", range(2004, 2027))
def test_is_workday_agrees_with_the_package_on_every_day(year):
    calendar = WorkCalendar()
    for day in days_of(year):
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day


# --- YearSchedule and its API shape -------------------------------------------------------------------


def test_to_dict_and_from_dict_round_trip():
    data = package_schedule(2026).to_dict()
    assert data["year"] == 2026 and data["source"] == "package"
    assert data["workdays"][0] == "2026-01-04"
    assert data["holidays"] == sorted(data["holidays"])
    again = YearSchedule.from_dict(2026, data, source="package")
    assert again == package_schedule(2026)


def test_from_dict_defaults_to_admin_and_empty_lists():
    schedule = YearSchedule.from_dict(2027, {})
    assert schedule == YearSchedule(2027, frozenset(), frozenset(), "admin")


def test_a_holiday_on_a_weekend_is_allowed():
    schedule = YearSchedule.from_dict(2027, {"holidays": ["2027-10-02"]})  # a Saturday
    assert date(2027, 10, 2) in schedule.holidays


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"holidays": ["2026-12-31"]}, "holiday 2026-12-31 is not in 2027"),
        ({"workdays": ["2028-01-01"]}, "workday 2028-01-01 is not in 2027"),
        ({"holidays": ["2027-01-02"], "workdays": ["2027-01-02"]}, "both as a holiday and as a workday"),
        ({"workdays": ["2027-01-04"]}, "2027-01-04 is not a Saturday or Sunday"),
        ({"holidays": ["2027-13-01"]}, "'2027-13-01' is not a real date"),
        ({"holidays": ["2027-02-29"]}, "'2027-02-29' is not a real date"),
        ({"holidays": ["20270101"]}, "'20270101' is not a date written YYYY-MM-DD"),
        ({"holidays": ["2027-1-1"]}, "is not a date written YYYY-MM-DD"),
        ({"holidays": [20270101]}, "20270101 is not a date written YYYY-MM-DD"),
        ({"holidays": "2027-01-01"}, "holidays must be a list"),
        ({"year": 2026}, "says year 2026 but is stored for 2027"),
        (["2027-01-01"], "must be an object"),
    ],
)
def test_from_dict_rejects_bad_schedules_with_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        YearSchedule.from_dict(2027, data)


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="unknown schedule source"):
        YearSchedule(2027, frozenset(), frozenset(), "guess")


# --- WorkCalendar: lookup priority and caching ----------------------------------------------------------


def test_admin_schedule_takes_priority_over_the_package():
    admin_2026 = YearSchedule.from_dict(2026, {"holidays": ["2026-03-02"]})
    calendar = WorkCalendar(admin_lookup({2026: admin_2026}))
    assert calendar.schedule(2026).source == "admin"
    assert not calendar.is_workday(date(2026, 3, 2))
    # The admin schedule replaces the package's entirely: Oct 1 2026 is now an ordinary Thursday.
    assert calendar.is_workday(date(2026, 10, 1))


def test_each_year_is_looked_up_once_until_forgotten():
    lookup = admin_lookup({2027: ADMIN_2027})
    calendar = WorkCalendar(lookup)
    for _ in range(3):
        calendar.is_workday(date(2027, 1, 1))
        calendar.is_workday(date(2026, 5, 5))
    assert lookup.asked == [2027, 2026]
    calendar.forget(2027)
    calendar.schedule(2027)
    calendar.forget()
    calendar.schedule(2026)
    assert lookup.asked == [2027, 2026, 2027, 2026]


def test_a_lookup_returning_another_year_is_an_error():
    calendar = WorkCalendar(lambda year: ADMIN_2027)
    with pytest.raises(ValueError, match="returned the schedule of 2027"):
        calendar.schedule(2026)


# --- add_workdays and workdays_between ------------------------------------------------------------------


def test_add_workdays_counts_working_days_after_the_day():
    calendar = WorkCalendar()
    friday = date(2026, 3, 6)
    assert calendar.add_workdays(friday, 0) == friday
    assert calendar.add_workdays(friday, 1) == date(2026, 3, 9)
    assert calendar.add_workdays(date(2026, 3, 7), 1) == date(2026, 3, 9)  # from a Saturday
    assert calendar.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)  # make-up Saturday


def test_add_workdays_refuses_negative_n():
    with pytest.raises(ValueError, match="n must be 0 or more"):
        WorkCalendar().add_workdays(date(2026, 1, 5), -1)


def test_add_200_workdays_spans_years():
    calendar = WorkCalendar()
    end = calendar.add_workdays(date(2026, 6, 1), 200)
    assert end.year == 2027
    assert calendar.workdays_between(date(2026, 6, 1), end) == 200


def test_workdays_between():
    calendar = WorkCalendar()
    assert calendar.workdays_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert calendar.workdays_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    assert calendar.workdays_between(date(2026, 10, 1), date(2026, 10, 1)) == 0
    # The whole of 2026 holds exactly as many working days as the package says.
    expected = sum(chinese_calendar.is_workday(day) for day in days_of(2026))
    assert calendar.workdays_between(date(2025, 12, 31), date(2026, 12, 31)) == expected


# --- deadlines ------------------------------------------------------------------------------------------


def test_deadline_across_the_2026_national_day_holiday():
    calendar = WorkCalendar()
    due = calendar.due_at(shanghai(2026, 9, 30, 10, 0), 15)
    # Oct 1-7 off; Oct 8, 9, 10 (make-up Saturday), 12-16, 19-23, 26, 27 are the 15 working days.
    assert due == datetime(2026, 10, 27, 15, 59, 59, tzinfo=UTC)
    assert due.tzinfo is UTC
    assert due.astimezone(SHANGHAI) == shanghai(2026, 10, 27, 23, 59, 59)


def test_deadline_depends_on_the_shanghai_day_of_receipt():
    calendar = WorkCalendar()
    last_second = datetime(2026, 9, 29, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    midnight = datetime(2026, 9, 29, 16, 0, 0, tzinfo=UTC)  # 00:00:00 on Sep 30 in Shanghai
    assert to_local_date(last_second) == date(2026, 9, 29)
    assert to_local_date(midnight) == date(2026, 9, 30)
    assert calendar.due_at(last_second, 1) == datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC)
    assert calendar.due_at(midnight, 1) == datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC)


def test_deadline_with_n_zero_is_the_end_of_the_day_of_receipt():
    due = WorkCalendar().due_at(shanghai(2026, 10, 3, 9, 30), 0)
    assert due == datetime(2026, 10, 3, 15, 59, 59, tzinfo=UTC)
    assert due.microsecond == 0


def test_deadline_across_the_year_boundary_with_and_without_an_admin_schedule():
    received = shanghai(2026, 12, 25, 9, 0)  # a Friday
    # Weekends only in 2027: Dec 28-31 and Jan 1 (a Friday), then Jan 4-8.
    assert WorkCalendar().due_at(received, 10) == datetime(2027, 1, 8, 15, 59, 59, tzinfo=UTC)
    # With New Year's Day entered by an administrator, the deadline moves to Monday Jan 11.
    admin = WorkCalendar(admin_lookup({2027: ADMIN_2027}))
    assert admin.due_at(received, 10) == datetime(2027, 1, 11, 15, 59, 59, tzinfo=UTC)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        WorkCalendar().due_at(datetime(2026, 9, 30, 10, 0), 15)
    with pytest.raises(ValueError, match="naive"):
        to_local_date(datetime(2026, 9, 30))


# --- properties -----------------------------------------------------------------------------------------

CALENDAR = WorkCalendar(admin_lookup({2027: ADMIN_2027}))
days = st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31))
counts = st.integers(min_value=0, max_value=300)


@given(days, st.integers(min_value=1, max_value=300))
def test_add_workdays_lands_on_a_working_day(day, n):
    assert CALENDAR.is_workday(CALENDAR.add_workdays(day, n))


@given(days, counts, counts)
def test_add_workdays_is_monotonic_in_n(day, n, m):
    low, high = sorted((n, m))
    assert CALENDAR.add_workdays(day, low) <= CALENDAR.add_workdays(day, high)
    if low < high:
        assert CALENDAR.add_workdays(day, low) < CALENDAR.add_workdays(day, high)


@given(days, counts)
def test_workdays_between_inverts_add_workdays(day, n):
    assert CALENDAR.workdays_between(day, CALENDAR.add_workdays(day, n)) == n


@given(days, days)
def test_workdays_between_agrees_with_counting_day_by_day(start, end):
    low, high = sorted((start, end))
    counted = sum(CALENDAR.is_workday(low + timedelta(days=i)) for i in range(1, (high - low).days + 1))
    sign = 1 if start <= end else -1
    assert CALENDAR.workdays_between(start, end) == sign * counted


def test_workdays_between_is_remembered_until_the_schedule_is_forgotten():
    entered = {}
    calendar = WorkCalendar(entered.get)
    start, end = date(2031, 1, 1), date(2031, 1, 31)  # a year neither the package nor anyone has entered
    before = calendar.workdays_between(start, end)
    entered[2031] = YearSchedule.from_dict(2031, {"holidays": ["2031-01-15"], "workdays": []}, source="admin")
    assert calendar.workdays_between(start, end) == before  # the schedule in force was read once
    calendar.forget(2031)
    assert calendar.workdays_between(start, end) == before - 1  # the entered holiday (a Wednesday) counts
    assert calendar.workdays_between(end, start) == -(before - 1)


def test_add_workdays_is_remembered_until_the_schedule_is_forgotten():
    entered = {}
    calendar = WorkCalendar(entered.get)
    start = date(2031, 1, 13)  # a Monday of a year neither the package nor anyone has entered
    assert calendar.add_workdays(start, 3) == date(2031, 1, 16)
    entered[2031] = YearSchedule.from_dict(2031, {"holidays": ["2031-01-15"], "workdays": []}, source="admin")
    assert calendar.add_workdays(start, 3) == date(2031, 1, 16)  # the schedule in force was read once
    calendar.forget(2031)
    assert calendar.add_workdays(start, 3) == date(2031, 1, 17)  # the entered holiday (a Wednesday) is skipped
    assert calendar.add_workdays(start, 0) == start
