"""core.jobs: periodic work runs by itself, once per period however many processes try (issue 18, item 4)."""

import threading
from datetime import timedelta

import pytest

from interaction.core import jobs
from interaction.core.db import db
from tests.helpers import make_test_app

EVERY = timedelta(minutes=10)


@pytest.fixture
def runs(app):
    """A job that counts its runs, registered on the test app."""
    counted = []
    jobs.register(app, jobs.Job("test.count", EVERY, lambda: counted.append(1) or f"run {len(counted)}"))
    return counted


def test_a_due_job_runs_once_per_period(app, clock, runs):
    assert ("test.count", "run 1") in jobs.run_due(app, holder="a")
    assert len(runs) == 1
    assert ("test.count", "run 2") not in jobs.run_due(app, holder="a")  # same period: not again
    clock.advance(minutes=9)
    jobs.run_due(app, holder="b")
    assert len(runs) == 1
    clock.advance(minutes=1)  # the period has passed: due again, whoever asks
    jobs.run_due(app, holder="b")
    assert len(runs) == 2
    lease = jobs.leases()["test.count"]
    assert lease.holder == "b" and lease.last_error is None and lease.last_finished is not None


def test_processes_trying_at_once_run_it_once(app, database_url, clock, runs):
    """Several apps (as several processes) against one database: exactly one takes each period's lease."""
    others = [make_test_app(database_url) for _ in range(4)]
    outcomes, start = [], threading.Barrier(len(others))

    def process(other, number):
        jobs.register(other, jobs.Job("test.count", EVERY, lambda: runs.append(number)))
        start.wait()
        with other.app_context():
            outcomes.append(jobs.run_due(other, holder=f"process {number}"))
            db.session.remove()

    threads = [threading.Thread(target=process, args=(other, n)) for n, other in enumerate(others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for other in others:
        with other.app_context():
            db.engine.dispose()
    assert len(outcomes) == len(others)  # nobody failed ("database is locked" would have raised)
    assert len(runs) == 1
    assert sum(1 for ran in outcomes if any(name == "test.count" for name, _ in ran)) == 1


def test_a_failing_job_records_its_error_and_does_not_stop_the_others(app, clock, runs, caplog):
    def broken():
        raise RuntimeError("mail server away")

    jobs.register(app, jobs.Job("test.broken", EVERY, broken))
    ran = dict(jobs.run_due(app))
    assert ran["test.broken"] == "RuntimeError: mail server away" and "test.count" in ran
    assert "periodic job test.broken failed" in caplog.text
    assert jobs.leases()["test.broken"].last_error == "RuntimeError: mail server away"
    assert "test.broken" not in dict(jobs.run_due(app))  # it keeps its lease: next period, not in a loop
    clock.advance(minutes=10)
    assert "test.broken" in dict(jobs.run_due(app))


def test_the_mailbox_sweep_is_registered_and_the_cli_runs_and_lists_jobs(app, runner, clock):
    assert "mailbox.sweep" in {job.name for job in jobs.registered(app)}
    result = runner.invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0 and "mailbox.sweep: reminders: 0 due soon, 0 due" in result.output
    assert runner.invoke(args=["jobs", "run", "--once"]).output == ""  # not due again yet
    listed = runner.invoke(args=["jobs", "list"]).output
    assert "mailbox.sweep" in listed and "last run 2026-11-02T02:00:00+00:00" in listed


def test_run_forever_survives_an_unreachable_database(app, caplog):
    """The loop logs and waits when a run fails as a whole (the database away), then tries again."""
    broken = make_test_app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    jobs.register(broken, jobs.Job("test.count", EVERY, lambda: None))
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt  # the test's way out of the loop

    with pytest.raises(KeyboardInterrupt):
        jobs.run_forever(broken, sleep, poll=5)
    assert sleeps == [5, 5] and caplog.text.count("periodic jobs could not run") == 2
