"""Public Q&A (公众问答) and business consultation (业务咨询).

``init_app`` registers the pages, the moderation kinds ``qa.question`` (every new question) and
``qa.answer`` (answers of departments whose answers need review) with their receivers, the
questions' source for ``flask search reindex``, the home-page channel, the work and admin links,
the "my questions" account link and the demo seeder. Overdue questions appear on oversight's
supervision board, which reads ``queries``.
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core.signals import calendar_changed, moderation_decided
from interaction.core.web import Channel, NavLink, register_channel, register_nav_link


def init_app(app: Flask) -> None:
    from interaction.core import search
    from interaction.moderation.registry import ModerationKind, register_kind
    from interaction.qa import demo, models, services, views  # noqa: F401 - models: tables

    app.register_blueprint(views.bp)
    register_kind(app, ModerationKind(services.QUESTION_KIND, _l("公众问答提问"), services.describe_question))
    register_kind(app, ModerationKind(services.ANSWER_KIND, _l("公众问答答复"), services.describe_answer))
    moderation_decided.connect(services.on_question_decided, sender=services.QUESTION_KIND)
    moderation_decided.connect(services.on_answer_decided, sender=services.ANSWER_KIND)
    from interaction.qa.services import deadlines
    calendar_changed.connect(deadlines.on_calendar_changed, sender="calendar")  # provisional deadlines recounted
    search.register_source(services.DOCUMENT_TYPE, services.all_documents)
    register_channel(app, Channel("qa.question_list", _l("公众问答"),
                                  _l("向部门提问或办事咨询，查看已答复的问题和各部门的常见问题。")))
    register_nav_link(app, NavLink("qa.staff_queue", _l("问答答复"), Permission.HANDLE))
    app.extensions.setdefault("interaction.account_links", []).append(("qa.my_questions", _l("我的提问")))
    try:
        from interaction.accounts.admin import register_admin_link
    except ImportError:  # the administration area has no link registry: a work link instead
        register_nav_link(app, NavLink("qa.review_settings", _l("问答设置"), Permission.ADMIN))
    else:
        register_admin_link(app, "qa.review_settings", _l("问答答复审核设置"),
                            _l("哪些部门的答复须经审核后公开。"))
    app.extensions.setdefault("interaction.demo_seeders", []).append(demo.seed)
