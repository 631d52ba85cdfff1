"""Oversight (电子监察): read-only views across departments, starting with the mailbox's supervision board.

Oversight reads the features only through their ``queries`` modules and changes nothing itself:
督办 (supervising a letter) is the mailbox's own action on the letter's page. Nothing imports
oversight but the factory (and ``api/`` once it has an API).
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core.web import NavLink, register_nav_link


def init_app(app: Flask) -> None:
    from interaction.oversight import views

    app.register_blueprint(views.bp)
    register_nav_link(app, NavLink("oversight.supervision", _l("电子监察"), Permission.OVERSEE))
