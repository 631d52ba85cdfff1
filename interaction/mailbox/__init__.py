"""Leader mailbox (领导信箱): mailboxes, letters, deadlines, supervision, publication."""

from flask import Flask


def init_app(app: Flask) -> None:
    from interaction.mailbox import cli

    app.cli.add_command(cli.mailboxes_cli)
