"""Periodic jobs: work that runs by itself, once per period however many processes start it.

A feature registers its jobs in ``init_app`` (``jobs.register(app, Job("mailbox.sweep",
every=timedelta(minutes=10), run=sweep))``). Something then runs the due ones:

- under ``python wsgi.py`` (``make run``), a background task of the server (:func:`run_forever`);
- in production, one process ``flask --app wsgi jobs run`` (``deploy/README.md``), or
  ``flask --app wsgi jobs run --once`` from a timer.

Each run first takes the job's **lease** for one period: a row per job in ``job_leases``, taken by one
``UPDATE … WHERE leased_until <= now``. The database applies such updates one at a time, so of the
processes that try at once exactly one changes the row, and only that one runs the job; the others
see zero rows changed and skip it. A job that fails keeps its lease (it runs again next period) and
records its error, which ``flask jobs list`` shows.

A job's ``run`` does its work and commits (it is the caller that starts a unit of work); it returns a
line for the log.
"""

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import String, Text, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core.db import db
from interaction.core.time import now_utc

log = logging.getLogger(__name__)

JOBS_KEY = "interaction.jobs"
#: Seconds between two looks for due jobs in :func:`run_forever`.
POLL_SECONDS = 30
#: A lease row's ``leased_until`` before its job first ran: long past.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], str | None]


class JobLease(db.Model):
    """Which process runs a job in its current period, and how its last run went."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    leased_until: Mapped[datetime]
    holder: Mapped[str] = mapped_column(String(128), default="")
    last_started: Mapped[datetime | None]
    last_finished: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


def register(app: Flask, job: Job) -> None:
    """Make *job* one of the app's periodic jobs (a feature's ``init_app`` calls it)."""
    app.extensions.setdefault(JOBS_KEY, {})[job.name] = job


def registered(app: Flask | None = None) -> list[Job]:
    app = app or current_app
    return sorted(app.extensions.get(JOBS_KEY, {}).values(), key=lambda job: job.name)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take_lease(job: Job, holder: str, now: datetime) -> bool:
    """Whether this caller got *job*'s lease for the period starting *now* (committed either way)."""
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(JobLease).values(name=job.name, leased_until=NEVER, holder="")
                       .on_conflict_do_nothing(index_elements=["name"]))
    taken = db.session.execute(
        update(JobLease).where(JobLease.name == job.name, JobLease.leased_until <= now)
        .values(leased_until=now + job.every, holder=holder, last_started=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return taken.rowcount == 1


def run_due(app: Flask | None = None, *, holder: str | None = None) -> list[tuple[str, str]]:
    """Run each registered job whose lease this process takes now; ``(name, outcome)`` for each one run."""
    holder = holder or this_process()
    ran = []
    for job in registered(app):
        if not take_lease(job, holder, now_utc()):
            continue
        error = None
        try:
            outcome = job.run() or "done"
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            db.session.rollback()
            log.exception("periodic job %s failed", job.name)
            error = outcome = f"{type(exc).__name__}: {exc}"
        else:
            log.info("periodic job %s: %s", job.name, outcome)
        db.session.execute(update(JobLease).where(JobLease.name == job.name)
                           .values(last_finished=now_utc(), last_error=error)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        ran.append((job.name, outcome))
    return ran


def run_forever(app: Flask, sleep: Callable[[float], None], poll: float = POLL_SECONDS) -> None:
    """Run due jobs every *poll* seconds until the process ends; a failure to reach the database waits."""
    while True:
        try:
            with app.app_context():
                run_due(app)
        except Exception:  # noqa: BLE001 - the database may be away: try again next time
            log.exception("periodic jobs could not run")
        sleep(poll)


def leases() -> dict[str, JobLease]:
    return {lease.name: lease for lease in db.session.scalars(select(JobLease))}


jobs_cli = AppGroup("jobs", help="Periodic jobs: reminders, overdue marks, figures.")


@jobs_cli.command("run")
@click.option("--once", is_flag=True, help="Run the due jobs once and stop (for a timer or cron).")
def run_command(once: bool) -> None:
    """Run the periodic jobs when they are due, every 30 seconds (one such process is enough)."""
    if once:
        for name, outcome in run_due():
            click.echo(f"{name}: {outcome}")
        return
    click.echo(f"running periodic jobs every {POLL_SECONDS} s: {', '.join(j.name for j in registered())}")
    try:
        run_forever(current_app._get_current_object(), time.sleep)
    except KeyboardInterrupt:
        click.echo("stopped")


@jobs_cli.command("list")
def list_command() -> None:
    """Each job: how often it runs, when it last ran, and its last error."""
    found = leases()
    for job in registered():
        lease = found.get(job.name)
        last = lease.last_finished.isoformat(timespec="seconds") if lease and lease.last_finished else "never"
        error = f"  error: {lease.last_error}" if lease and lease.last_error else ""
        click.echo(f"{job.name:<24} every {job.every}  last run {last}{error}")


def init_app(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
