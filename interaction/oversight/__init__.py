"""Oversight (电子监察 / 绩效评估): read-only views and figures across departments.

The supervision board, department performance (figures per department and period, rolled up the
hierarchy, ranked, charted and exported), the website self-check against the inspection indicators
(administrators e-mailed when a check turns red) and the public figures by month. Oversight reads the
features only through their ``queries`` modules and changes nothing of theirs: 督办 (supervising a
letter) is the mailbox's own action on the letter's page. Its own tables are the performance summary
and its marks (:mod:`.models`, kept by the periodic job ``oversight.summary``). Nothing imports
oversight but the factory and ``api/``.
"""

from datetime import timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core.web import NavLink, register_nav_link

SUMMARY_EVERY = timedelta(minutes=1)  # the fewer days changed since, the cheaper an exact read
COMPLIANCE_EVERY = timedelta(hours=1)


def run_summary() -> str:
    """The job ``oversight.summary``: recount the summary's changed days and commit."""
    from interaction.core.db import db
    from interaction.oversight import summary

    line = summary.refresh()
    db.session.commit()
    return line


def run_compliance() -> str:
    """The job ``oversight.compliance``: run the self-check, e-mail the administrators about checks turned red."""
    from interaction.core.db import db
    from interaction.oversight import compliance

    turned = compliance.check_and_notify()
    db.session.commit()
    return f"self-check: {', '.join(turned) or 'nothing'} turned red"


def init_app(app: Flask) -> None:
    from interaction.core import jobs
    from interaction.oversight import models, pages, views  # noqa: F401 - models: tables; pages: routes on views.bp

    app.register_blueprint(views.bp)
    register_nav_link(app, NavLink("oversight.supervision", _l("电子监察"), Permission.OVERSEE))
    register_nav_link(app, NavLink("oversight.performance", _l("绩效评估"), Permission.HANDLE))
    register_nav_link(app, NavLink("oversight.compliance_page", _l("网站自查"), Permission.OVERSEE))
    jobs.register(app, jobs.Job("oversight.summary", SUMMARY_EVERY, run_summary))
    jobs.register(app, jobs.Job("oversight.compliance", COMPLIANCE_EVERY, run_compliance))
