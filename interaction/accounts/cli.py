"""``flask departments ...`` and ``flask users ...`` commands."""

from flask.cli import AppGroup

departments_cli = AppGroup("departments", help="Manage departments.")
users_cli = AppGroup("users", help="Manage users.")
