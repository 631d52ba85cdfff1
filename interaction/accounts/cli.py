"""``flask departments ...`` and ``flask users ...`` commands."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from interaction.accounts import services
from interaction.accounts.models import Department, DepartmentKind
from interaction.accounts.permissions import Role
from interaction.core.db import db
from interaction.core.errors import DomainError

departments_cli = AppGroup("departments", help="Manage departments.")
users_cli = AppGroup("users", help="Manage users.")


def _department(code: str | None) -> Department | None:
    if not code:
        return None
    department = db.session.scalar(select(Department).filter_by(code=code))
    if department is None:
        raise click.ClickException(f"unknown department {code!r}")
    return department


def _fail(exc: DomainError):
    db.session.rollback()
    details = "; ".join(f"{field}: {why}" for field, why in (exc.fields or {}).items())
    return click.ClickException(f"{exc.message} {details}".strip())


@departments_cli.command("create")
@click.option("--code", required=True, help="Short ASCII code, e.g. edu.")
@click.option("--name", required=True)
@click.option("--parent", "parent_code", default=None, help="Code of the parent department.")
@click.option("--kind", type=click.Choice(DepartmentKind.ALL), default=DepartmentKind.department, show_default=True)
def create_department(code, name, parent_code, kind):
    """Create a department, optionally under a parent."""
    parent = _department(parent_code)
    try:
        services.create_department(code, name, kind, parent, actor=None)
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    click.echo(f"created department {code}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--department", "department_code", default=None, help="Department code (required for staff).")
@click.option("--name", default="", help="Display name (default: the e-mail's local part).")
@click.option("--phone", default=None)
def create_user(email, password, role, department_code, name, phone):
    """Create an account of any role."""
    department = _department(department_code)
    try:
        user = services.create_user(email, password, role, department, name, phone, actor=None)
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    click.echo(f"created {role} {user.email}")
