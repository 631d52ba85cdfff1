"""Opinion polls and surveys (民意调查 / 征集调查): one ballot per person, results as charts, a published report.

``init_app`` registers the pages, the moderation kind ``polls.text_answer`` (free-text answers are
public only once approved) and its receiver, the ``/polls`` Socket.IO namespace (live results,
throttled: :mod:`.live`), the home-page channel, the staff's work link and the demo seeder.
Oversight reads ``queries`` (polls run, closed without a report).
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core import websocket
from interaction.core.extensions import socketio
from interaction.core.signals import moderation_decided
from interaction.core.web import Channel, NavLink, register_channel, register_nav_link


def _register_namespace() -> None:
    """Once per process, before ``socketio.init_app`` (CONVENTIONS 13; see interviews for why directly)."""
    from interaction.polls.events import PollNamespace
    from interaction.polls.live import NAMESPACE

    if not any(ns.namespace == NAMESPACE for ns in socketio.namespace_handlers):
        websocket.register_namespace(socketio, PollNamespace(NAMESPACE))


def init_app(app: Flask) -> None:
    from interaction.moderation.registry import ModerationKind, register_kind
    from interaction.polls import demo, live, models, services, views  # noqa: F401 - models: tables

    app.config.setdefault("POLLS_LIVE_INTERVAL", live.INTERVAL)
    app.register_blueprint(views.bp)
    register_kind(app, ModerationKind(services.MODERATION_KIND, _l("调查填空回答"), services.describe_for_moderation))
    moderation_decided.connect(services.on_moderation_decided, sender=services.MODERATION_KIND)
    register_channel(app, Channel("polls.index", _l("民意调查"),
                                  _l("参与政府部门的民意调查和意见征集，查看调查结果和采纳情况。")))
    register_nav_link(app, NavLink("polls.manage", _l("调查管理"), Permission.MANAGE_POLLS))
    app.extensions.setdefault("interaction.demo_seeders", []).append(demo.seed)
    app.extensions[live.EXTENSION_KEY] = live.make_throttle(app)
    _register_namespace()
