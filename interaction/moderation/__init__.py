"""The shared moderation queue: one queue for every channel; features register kinds.

Features call :func:`interaction.moderation.registry.register_kind` in their
``init_app`` and :func:`interaction.moderation.services.submit_for_moderation`
when something needs a decision; they learn the outcome from
``core.signals.moderation_decided`` (sender: the kind's name).
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core.web import NavLink, register_nav_link


def init_app(app: Flask) -> None:
    from interaction.moderation import models, views  # noqa: F401 - models: tables known to create_all

    app.config.setdefault("MODERATION_RATE_LIMIT", 5)
    app.register_blueprint(views.bp)
    register_nav_link(app, NavLink("moderation.queue", _l("审核"), Permission.MODERATE))
    register_nav_link(app, NavLink("moderation.mine", _l("我的提交"), Permission.WRITE))
    try:
        from interaction.accounts.admin import register_admin_link
    except ImportError:  # the administration area has no link registry: a work link instead
        register_nav_link(app, NavLink("moderation.words", _l("敏感词管理"), Permission.ADMIN))
    else:
        register_admin_link(app, "moderation.words", _l("敏感词管理"), _l("禁止词与审核词两个列表，用于自动筛查。"))
