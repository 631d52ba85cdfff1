"""Administration of the working-day calendar (工作日历): the page and ``/api/v1/calendar/{year}`` together.

The calendar itself (its ``calendar_years`` table and the working-day arithmetic every deadline
uses) is core's, :mod:`interaction.core.calendar`, and registered by core; this package is where
administrators read and enter a year's holidays and make-up working days.
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core.web import NavLink, register_nav_link


def init_app(app: Flask) -> None:
    from interaction.calendar import views

    app.register_blueprint(views.bp)
    title, description = _l("工作日历"), _l("录入每年的放假和调休上班安排。")
    try:
        from interaction.accounts.admin import register_admin_link
    except ImportError:  # the administration area has no link registry: a work link instead
        register_nav_link(app, NavLink("calendar.year_list", title, Permission.ADMIN))
    else:
        register_admin_link(app, "calendar.year_list", title, description)
