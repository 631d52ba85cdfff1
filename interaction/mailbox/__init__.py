"""Leader mailbox (领导信箱): mailboxes, letters, deadlines, 督办, publication.

``init_app`` registers the pages and CLI, the moderation kind ``mailbox.letter`` (publication of a
handled letter, masked) and its receiver, the home-page channel, work and admin links, the
"my letters" account link and the demo seeder; the mailbox takes the questions live interviews
hand over (``receivers``). The supervision board over its letters is oversight's
(``interaction.oversight``), reading ``queries``; the working-day calendar is core's, administered
by ``interaction.calendar``.
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core.signals import calendar_changed, handover_status, moderation_decided, question_handed_over
from interaction.core.web import Channel, NavLink, register_channel, register_nav_link


def init_app(app: Flask) -> None:
    from interaction.core import jobs, search
    from interaction.core.keycheck import register_keyed_table
    from interaction.mailbox import cli, demo, receivers, services, views
    from interaction.mailbox.models import Letter
    from interaction.moderation.registry import ModerationKind, register_kind

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.mailboxes_cli)
    app.cli.add_command(cli.mailbox_cli)
    jobs.register(app, jobs.Job("mailbox.sweep", cli.SWEEP_EVERY, cli.run_sweep))  # reminders, public figures
    register_kind(app, ModerationKind(services.MODERATION_KIND, _l("领导信箱来信公开"),
                                      services.describe_for_moderation))
    moderation_decided.connect(services.on_moderation_decided, sender=services.MODERATION_KIND)
    search.register_source("letter", services.public_documents)  # flask search reindex
    question_handed_over.connect(receivers.on_question_handed_over, sender="interviews")
    handover_status.connect(receivers.on_handover_status)
    from interaction.mailbox.services import deadlines
    calendar_changed.connect(deadlines.on_calendar_changed, sender="calendar")  # provisional deadlines recounted
    register_channel(app, Channel("mailbox.index", _l("领导信箱"),
                                  _l("给省长和各部门负责人写信，按时答复，可查询办理进度。")))
    register_nav_link(app, NavLink("mailbox.inbox", _l("来信办理"), Permission.HANDLE))
    app.extensions.setdefault("interaction.account_links", []).append(("mailbox.my_letters", _l("我的来信")))
    try:
        from interaction.accounts.admin import register_admin_link
    except ImportError:  # the administration area has no link registry: a work link instead
        register_nav_link(app, NavLink("mailbox.mailbox_list", _l("信箱管理"), Permission.ADMIN))
    else:
        register_admin_link(app, "mailbox.mailbox_list", _l("信箱管理"), _l("省长信箱和各部门信箱，答复期限。"))
    app.extensions.setdefault("interaction.demo_seeders", []).append(demo.seed)
    register_keyed_table(app, Letter.__table__)  # query codes are HMACs keyed with SECRET_KEY
