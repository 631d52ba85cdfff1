"""``flask mailboxes ...`` commands."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.mailbox.models import Mailbox

mailboxes_cli = AppGroup("mailboxes", help="Manage mailboxes.")


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
    db.session.add(Mailbox(code=code, name=name, department=department, reply_days=reply_days))
    db.session.commit()
    click.echo(f"created mailbox {code}")
