"""``flask mailboxes ...`` (set-up) and the mailbox's periodic job (``flask mailbox sweep`` runs it now)."""

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.mailbox import queries, services
from interaction.mailbox.models import Mailbox

mailboxes_cli = AppGroup("mailboxes", help="Manage mailboxes.")
mailbox_cli = AppGroup("mailbox", help="Scheduled work of the leader mailbox.")

#: How often the sweep runs by itself: reminders go out within this of their moment.
SWEEP_EVERY = timedelta(minutes=10)


@mailboxes_cli.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--department", "department_code", required=True)
@click.option("--reply-days", default=15, show_default=True, type=click.IntRange(1, 60))
def create_mailbox(code, name, department_code, reply_days):
    """Create a mailbox belonging to a department."""
    department = db.session.scalar(select(Department).filter_by(code=department_code))
    if department is None:
        raise click.ClickException(f"unknown department {department_code!r}")
    if db.session.scalar(select(Mailbox).filter_by(code=code)):
        raise click.ClickException(f"mailbox {code!r} exists already")
    services.save_mailbox(None, {"code": code, "name": name, "department_id": department.id,
                                 "reply_days": reply_days}, actor=None)
    db.session.commit()
    click.echo(f"created mailbox {code}")


def run_sweep() -> str:
    """The mailbox's periodic job (core.jobs, every :data:`SWEEP_EVERY`): reminders, closing, public figures.

    Safe at any rate: each reminder is sent once (marked in the transaction that queues it).
    """
    counts = services.send_reminders()
    db.session.commit()
    figures = queries.refresh_public_snapshot()
    db.session.commit()
    return (f"reminders: {counts['due_soon']} due soon, {counts['due']} due; closed: {counts['closed']}; "
            f"public figures: {figures['published']} published")


@mailbox_cli.command("sweep")
def sweep():
    """Run the mailbox's periodic job now (it also runs by itself: ``flask jobs``)."""
    click.echo(run_sweep())
