"""Live online interviews (在线访谈): scheduling, the live room over Socket.IO, the published transcript."""

import os

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.core import websocket
from interaction.core.extensions import socketio
from interaction.core.signals import moderation_decided
from interaction.core.web import Channel, NavLink, register_channel, register_nav_link
from interaction.interviews.delivery import NAMESPACE

#: Client manager factory that core.web.init_socketio uses (ordered, private-aware delivery).
MANAGER_EXTENSION = "interaction.socketio_manager"


def _on_moderation_decided(sender, case=None, actor=None, **_kwargs):
    from interaction.interviews.services import apply_moderation_decision

    if case is not None:
        apply_moderation_decision(case, actor)


def _register_namespace() -> None:
    """Register the namespace once per process, before ``socketio.init_app`` (CONVENTIONS 13).

    The one ``SocketIO`` object is bound again for every app a test builds; handlers listed in
    ``namespace_handlers`` are attached to each new server, so the namespace goes there directly.
    """
    from interaction.interviews.events import InterviewNamespace

    if not any(ns.namespace == NAMESPACE for ns in socketio.namespace_handlers):
        websocket.register_namespace(socketio, InterviewNamespace(NAMESPACE))


def init_app(app: Flask) -> None:
    from interaction.accounts.permissions import Permission
    from interaction.core import search
    from interaction.interviews import api, live, models, search_documents, services, views  # noqa: F401 - models
    from interaction.moderation.registry import ModerationKind, register_kind

    app.config.setdefault("INTERVIEWS_PRESENCE_SECONDS", 0 if app.testing else 2.0)
    app.config.setdefault("INTERVIEWS_ASK_INTERVAL_SECONDS", 30)
    app.config.setdefault("INTERVIEWS_GAP_WAIT_SECONDS", 1.0)
    # A connection that has not joined an interview this long after connecting is closed (flood.py).
    app.config.setdefault("INTERVIEWS_JOIN_TIMEOUT_SECONDS",
                          0 if app.testing else float(os.environ.get("INTERACTION_JOIN_TIMEOUT", "30")))
    # New connections from one address (flood.py): a burst, then so many a second; 0: no limit.
    app.config.setdefault("INTERVIEWS_CONNECT_BURST", int(os.environ.get("INTERACTION_CONNECT_BURST", "200")))
    app.config.setdefault("INTERVIEWS_CONNECT_RATE", float(os.environ.get("INTERACTION_CONNECT_RATE", "20")))
    app.config.setdefault("INTERVIEWS_EVENT_BURST", 20)
    app.config.setdefault("INTERVIEWS_EVENT_RATE", 5.0)
    # Processes that share rooms use one channel of the Redis queue; a separate deployment (or test) another.
    app.config.setdefault("SOCKETIO_CHANNEL", os.environ.get("INTERACTION_SOCKETIO_CHANNEL", "flask-socketio"))
    app.register_blueprint(views.bp)
    register_kind(app, ModerationKind(services.MODERATION_KIND, _l("访谈提问"), services.describe_for_moderation))
    moderation_decided.connect(_on_moderation_decided, sender=services.MODERATION_KIND)
    search.register_source(search_documents.SEARCH_TYPE, search_documents.public_documents)
    register_channel(app, Channel("interviews.index", _l("在线访谈"),
                                  _l("领导和部门负责人在线回答网民提问，可观看直播、提问和查看文字实录。")))
    register_nav_link(app, NavLink("interviews.handovers", _l("访谈转办"), Permission.HANDLE))
    app.extensions[MANAGER_EXTENSION] = live.make_manager
    from interaction.interviews import demo
    app.extensions.setdefault("interaction.demo_seeders", []).append(demo.seed)  # an ended and a scheduled one
    _register_namespace()
