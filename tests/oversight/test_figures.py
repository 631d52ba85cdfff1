"""The performance figures on fixed scenarios with known answers (conftest's ``world``), live and from the summary."""

from datetime import date

from interaction.core.db import db
from interaction.mailbox import services
from interaction.mailbox.services import get_letter_or_404
from interaction.oversight import figures, summary
from interaction.oversight.models import DayFigures
from tests.factories import make_letter, make_mailbox

NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))

EDU = {"letters_received": 4, "letters_accepted": 3, "letters_replied": 2, "reply_rate": 0.6667,
       "on_time_rate": 0.6667, "avg_reply_workdays": 10.0, "transfers": 0, "extensions": 1, "overdue_open": 1,
       "satisfaction_rate": 1.0, "satisfaction_resolution": 1.0, "satisfaction_attitude": 0.0,
       "satisfaction_speed": 1.0, "rehandle_rate": 0.0, "questions_received": 2, "questions_answered": 1,
       "questions_on_time_rate": 0.5, "avg_answer_workdays": 1.0, "interviews_held": 0, "transcripts_published": 0,
       "polls_run": 0, "poll_reports_published": 0}
POLICE = {"letters_received": 1, "letters_accepted": 1, "letters_replied": 1, "reply_rate": 1.0,
          "on_time_rate": 1.0, "avg_reply_workdays": 2.0, "transfers": 1, "extensions": 0, "overdue_open": 0,
          "satisfaction_rate": 0.0, "satisfaction_resolution": None, "satisfaction_attitude": None,
          "satisfaction_speed": None, "rehandle_rate": 0.0, "questions_received": 1, "questions_answered": 1,
          "questions_on_time_rate": 0.0, "avg_answer_workdays": 7.0, "interviews_held": 0,
          "transcripts_published": 0, "polls_run": 0, "poll_reports_published": 0}
NOTHING = {f.key: (None if f.kind != "count" else 0) for f in figures.FIGURES}


def _rows(perf):
    return {row.department.code: row for row in perf.rows}


def test_each_figure_of_each_department(world):
    rows = _rows(figures.performance(*NOVEMBER))
    assert rows["edu"].own == EDU
    assert rows["police"].own == POLICE
    assert rows["cs"].own == NOTHING  # a department without anything: counts 0, rates null
    assert rows["edu"].rollup is None


def test_open_letter_past_its_deadline_counts_late_and_not_before(world, clock):
    from tests.oversight.conftest import at

    clock.set(at(20))  # before L2's deadline (11-23): not late yet, so only the replied letters (L1, L5) count
    edu = _rows(figures.performance(*NOVEMBER))["edu"].own
    assert edu["overdue_open"] == 0
    assert edu["on_time_rate"] == 1.0
    clock.set(at(24))  # L2 open past its deadline: late, 2 on time of 3
    edu = _rows(figures.performance(*NOVEMBER))["edu"].own
    assert edu["overdue_open"] == 1 and edu["on_time_rate"] == 0.6667


def test_transfer_counts_for_the_receiving_department(world):
    rows = _rows(figures.performance(*NOVEMBER))
    assert rows["police"].own["letters_received"] == 1 and rows["police"].own["transfers"] == 1
    assert rows["edu"].own["transfers"] == 0


def test_rollup_and_province(world):
    perf = figures.performance(*NOVEMBER)
    province = _rows(perf)["hn"]
    assert province.own["letters_received"] == 0
    assert province.rollup["letters_received"] == 5
    assert province.rollup["reply_rate"] == 0.75
    assert province.rollup["on_time_rate"] == 0.75
    assert province.rollup["avg_reply_workdays"] == 7.33
    assert perf.province == province.rollup


def test_empty_period_gives_null_rates_not_zero(world):
    perf = figures.performance(date(2026, 1, 1), date(2026, 2, 1))
    for row in perf.rows:
        assert row.own == NOTHING
    assert perf.province == NOTHING
    assert perf.ranking == [] and perf.unranked == []


def test_ranking_leaves_out_departments_with_fewer_than_five_letters(world, app, clock):
    perf = figures.performance(*NOVEMBER)
    assert perf.ranking == []
    assert {r.department.code for r in perf.unranked} == {"edu", "police"}
    from tests.oversight.conftest import at

    with app.test_request_context():
        clock.set(at(25))
        make_letter(make_mailbox(world.edu))  # the fifth letter of 教育厅
        db.session.commit()
    clock.set(at(1, month=12))
    perf = figures.performance(*NOVEMBER)
    assert [(n, r.department.code) for n, r in perf.ranking] == [(1, "edu")]
    assert [r.department.code for r in perf.unranked] == ["police"]


def test_staff_scope_is_one_department(world):
    perf = figures.performance(*NOVEMBER, department_id=world.police.id)
    assert [r.department.code for r in perf.rows] == ["police"]
    assert perf.ranking == []


def test_summary_gives_the_same_figures_and_follows_changes(world, app):
    live = figures.performance(*NOVEMBER)
    summary.refresh()
    db.session.commit()
    assert db.session.query(DayFigures).count() > 0
    assert summary.dirty_days(summary.mark()) == set()
    cached = figures.performance(*NOVEMBER)
    assert [r.own for r in cached.rows] == [r.own for r in live.rows]
    assert cached.province == live.province

    # A change after the summary: 公安厅's rated-2 letter taken back for re-handling (open again).
    with app.test_request_context():
        services.request_rehandle(get_letter_or_404(world.numbers["L4"]), "不满意")
        db.session.commit()
    police = _rows(figures.performance(*NOVEMBER))["police"].own
    assert police["letters_replied"] == 0 and police["reply_rate"] == 0.0 and police["rehandle_rate"] == 1.0
    assert police["satisfaction_rate"] is None
    line = summary.refresh()
    db.session.commit()
    assert line.endswith("day(s) recounted")  # the changed day, and a few before it (the slack)
    assert _rows(figures.performance(*NOVEMBER))["police"].own == police


def test_months_and_departments_agree(world):
    perf = figures.performance(date(2026, 10, 1), date(2027, 1, 1), months=True)
    assert [m["month"] for m in perf.months] == ["2026-10", "2026-11", "2026-12"]
    november = perf.months[1]
    assert november["letters_received"] == 5 and november["on_time_rate"] == 0.75
    assert perf.months[0]["letters_received"] == 0 and perf.months[0]["reply_rate"] is None
    summary.refresh()
    db.session.commit()
    assert figures.performance(date(2026, 10, 1), date(2027, 1, 1), months=True).months == perf.months


def test_overdue_heat(world, clock):
    from interaction.oversight import charts
    from tests.oversight.conftest import at

    heat = charts.overdue_heat()
    # L2 (deadline 11-23) 8 days late on 12-01; the open question (due 11-17) 14 days late: both in 8–30
    assert heat == {world.edu.id: [0, 2, 0, 0]}
    clock.set(at(24))
    assert charts.overdue_heat() == {world.edu.id: [2, 0, 0, 0]}  # L2 a day late, the question under 7 days
    assert charts.overdue_heat(department_id=world.police.id) == {}


def test_local_date_of_stored_times():
    from datetime import UTC, datetime, timedelta, timezone

    from interaction.oversight.counting import local_date

    assert local_date(datetime(2026, 11, 1, 15, 59, tzinfo=UTC)) == date(2026, 11, 1)
    assert local_date(datetime(2026, 11, 1, 16, 0, tzinfo=UTC)) == date(2026, 11, 2)  # midnight in Shanghai
    assert local_date(datetime(2026, 11, 2, 0, 30, tzinfo=timezone(timedelta(hours=8)))) == date(2026, 11, 2)
