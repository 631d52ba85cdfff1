"""Administration of the working-day calendar (工作日历): the page and ``/api/v1/calendar/{year}`` together.

The calendar itself (its ``calendar_years`` table and the working-day arithmetic every deadline
uses) is core's, :mod:`interaction.core.calendar`, and registered by core; this package is where
administrators read and enter a year's holidays and make-up working days. It also tells staff
(not only administrators) when a year within reach of deadlines has no schedule yet: those
deadlines are provisional (暂定期限) until it is entered (``templates/calendar/_missing_years.html``,
shown by the layout), and marks such deadlines on the pages (``_provisional.html``).
"""

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from interaction.accounts.permissions import Permission
from interaction.core.web import NavLink, register_nav_link


def _missing_years() -> dict:
    """``calendar_missing_years`` for staff and administrators: years ahead without a schedule."""
    if not (current_user.is_authenticated and (current_user.can(Permission.HANDLE)
                                               or current_user.can(Permission.ADMIN))):
        return {}
    from interaction.core.calendar import missing_years_ahead

    return {"calendar_missing_years": missing_years_ahead()}


def init_app(app: Flask) -> None:
    from interaction.calendar import views

    app.register_blueprint(views.bp)
    app.context_processor(_missing_years)
    from interaction.core.calendar import is_provisional
    app.add_template_global(is_provisional, "due_provisional")
    title, description = _l("工作日历"), _l("录入每年的放假和调休上班安排。")
    try:
        from interaction.accounts.admin import register_admin_link
    except ImportError:  # the administration area has no link registry: a work link instead
        register_nav_link(app, NavLink("calendar.year_list", title, Permission.ADMIN))
    else:
        register_admin_link(app, "calendar.year_list", title, description)
