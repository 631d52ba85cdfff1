"""Application-wide web concerns: extensions, locale, security headers, home page.

Features add themselves to the home page with :func:`register_channel`; core
never imports a feature.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from cachetools import LRUCache
from flask import (Blueprint, Flask, abort, current_app, g, has_request_context, redirect,
                   render_template, request, session, url_for)
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from interaction.core import errors, health, jobs, pages, websocket
from interaction.core.cookie_session import CookieSessionInterface
from interaction.core.db import MAX_ID, SAFE_METHODS, db
from interaction.core.health import REALTIME_EXTENSION
from interaction.core.extensions import babel, csrf, limiter, login_manager, migrate, socketio
from interaction.core.redirects import safe_next
from interaction.core.untrusted import has_unstorable_text
from interaction.core.wsgi import (SOCKETIO_PATH, bounded_chunked_bodies, decline_websocket_extensions,
                                   security_headers, with_security_headers)

bp = Blueprint("web", __name__)

ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Channel:
    endpoint: str
    title: object  # lazy string
    description: object
    icon: str = ""
    #: False for a channel whose issue has not landed: the home page shows it as 即将开通, without a link.
    in_service: bool = True


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    title: object  # lazy string
    permission: object = None  # a Permission the user needs; None: everyone


def register_channel(app: Flask, channel: Channel) -> None:
    """Show *channel* on the home page and in the main navigation, in registration order."""
    app.extensions.setdefault("interaction.channels", []).append(channel)


def register_nav_link(app: Flask, link: NavLink) -> None:
    """Add a working link (an inbox, the moderation queue, administration) for those permitted."""
    app.extensions.setdefault("interaction.nav_links", []).append(link)


#: The navigations made, by locale, script root and role (see :func:`_navigation`).
NAVIGATION_KEY = "interaction.navigation"


def _navigation() -> tuple[tuple[str, str, str], ...]:
    """The main navigation as ``(endpoint, url, title)``: the channels, then the working links the user may see.

    Made once per locale, script root and role (what a user may see follows from their role: a
    disabled account is signed out) and kept: its URLs and translated titles cost more to make
    than the rest of the layout, and there are only a handful of such keys.
    """
    role = current_user.role if current_user.is_authenticated else None
    key = (str(get_locale()), request.script_root, role)
    navigations = current_app.extensions[NAVIGATION_KEY]
    navigation = navigations.get(key)
    if navigation is None:
        links = [NavLink(c.endpoint, c.title) for c in current_app.extensions.get("interaction.channels", [])
                 if c.in_service]
        links += [link for link in current_app.extensions.get("interaction.nav_links", [])
                  if link.permission is None or (role is not None and current_user.can(link.permission))]
        navigation = navigations[key] = tuple((link.endpoint, url_for(link.endpoint), str(link.title))
                                              for link in links)
    return navigation


def select_locale() -> str:
    if not has_request_context():  # CLI, background work: the site's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.cookies.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _html_lang(locale: str) -> str:
    return "zh-CN" if locale.startswith("zh") else locale


def _start_with_an_empty_g():
    """Each request starts with nothing on ``g``, as under a server (a fresh app context per request).

    Tests (and CLI code) may keep one app context across many requests; extensions keep what they
    looked up for a request on ``g`` (the locale, the signed-in user, the CSRF token), and it would
    otherwise stick to the following requests.
    """
    for name in list(g):
        g.pop(name, None)


#: What a JSON body holds when a decoded string in it may hold a NUL or a lone surrogate: their escapes
#: (``\u0000``, ``\ud800``-``\udfff``), a zero byte (also in every UTF-16 and UTF-32 body), or a surrogate
#: encoded as if UTF-8 (``ED A0``-``ED BF``), which Python's JSON decoder lets through. Other bodies are
#: not walked.
_MAY_HOLD_UNSTORABLE = re.compile(rb"\\u0000|\x00|\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


@bp.before_app_request
def _refuse_unstorable_text():
    r"""A NUL or a lone surrogate is never meaningful input, and no database stores it: 400, not 500.

    PostgreSQL refuses a NUL in text; a lone UTF-16 surrogate (JSON's ``"\ud800"``) cannot be encoded
    for either database. Every JSON body is checked here, once, before any view reads it.
    """
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise BadRequest()
    if request.method in SAFE_METHODS:
        return
    if request.is_json:
        body = request.get_data(cache=True)
        if _MAY_HOLD_UNSTORABLE.search(body) and has_unstorable_text(request.get_json(silent=True)):
            raise BadRequest()
    elif any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)):
        raise BadRequest()


#: Posts that only set a display preference cookie (language, large text) for whoever sends them: they
#: change no data and act for no account, so a forged one could only switch a page's language. They need
#: no CSRF token, and the layout offering them on every page then needs no session for anonymous visitors.
PREFERENCE_ENDPOINTS = frozenset({"web.set_language", "web.toggle_large_text"})


@bp.before_app_request
def _csrf_protect():
    """One place decides CSRF: every unsafe request, except API calls without a cookie session and preferences.

    A bearer token or an anonymous API call carries no ambient credential a
    forged cross-site request could borrow; a signed-in browser session does.
    """
    if request.method in SAFE_METHODS or request.endpoint in PREFERENCE_ENDPOINTS:
        return
    if request.path.startswith("/api/") and (
        request.headers.get("Authorization", "").startswith("Bearer ") or "_user_id" not in session
    ):
        return
    csrf.protect()


@bp.after_app_request
def _security_headers(response):
    """The security headers of every Flask response (``/socket.io/``'s get them in core.wsgi)."""
    for name, value in security_headers(bool(current_app.config.get("PRODUCTION"))):
        response.headers.setdefault(name, value)
    return response


@bp.app_context_processor
def _template_globals():
    # `Permission` is a template global too, registered by the factory: core knows no feature.
    locale = str(get_locale())
    translate = _rendering_gettext(get_translations().ugettext)
    return {
        "html_lang": _html_lang(locale),
        "large_text": request.cookies.get("large_text") == "1",
        "languages": current_app.config["LANGUAGES"],
        "current_locale": locale,
        "navigation": _navigation(),
        "gettext": translate,
        "_": translate,
    }


def translated_labels(key: str, tables: dict[str, dict]) -> dict[str, dict[str, str]]:
    """*tables* (name → {value: lazy label}) as plain strings in the request's locale, once per locale and process.

    A feature's list pages show dozens of labels; its context processor hands them to every template
    from here (under ``app.extensions[key]``) instead of translating each label on each page.
    """
    locale = str(get_locale())
    by_locale = current_app.extensions.setdefault(key, {})
    labels = by_locale.get(locale)
    if labels is None:
        labels = by_locale[locale] = {name: {value: str(label) for value, label in table.items()}
                                      for name, table in tables.items()}
    return labels


def _rendering_gettext(ugettext):
    """Jinja's new-style ``gettext`` (autoescaped, always %-formatted) over the translations of one rendering.

    A page calls ``_()`` dozens of times; the callable Flask-Babel installs looks the translations
    up on each call (``get_translations()``), this one once per rendering, in the rendering's
    locale. Imported macros, which do not see the rendering's context, use Flask-Babel's.
    """

    @pass_context
    def gettext(context, string, **variables):
        translated = ugettext(string)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables

    return gettext


@bp.get("/")
def index():
    channels = current_app.extensions.get("interaction.channels", [])
    return render_template("home.html", channels=channels)


def _back():
    """Back to the page the preference was set on (``next``, else the referrer), if it is one of ours."""
    return redirect(safe_next(request.form.get("next")) or safe_next(request.referrer) or url_for("web.index"))


def _set_preference(response, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


@bp.post("/preferences/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        raise BadRequest()
    response = _back()
    _set_preference(response, "lang", lang)
    return response


@bp.post("/preferences/large-text")
def toggle_large_text():
    response = _back()
    value = "0" if request.cookies.get("large_text") == "1" else "1"
    _set_preference(response, "large_text", value)
    return response


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with Chinese as UTF-8 and over-deep nesting refused as malformed input."""

    ensure_ascii = False  # UTF-8 Chinese: half the bytes of \\uXXXX escapes

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # "[[[[..." a hundred thousand deep: a 400, not a 500
            raise ValueError("JSON nested too deeply") from None


def digits_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to *limit* (a non-negative integer)."""
    digits = str(limit)
    alternatives = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":  # the same prefix, a smaller digit here, then any digits
            alternatives.append(rf"{digits[:i]}[0-{int(digit) - 1}]\d{{{len(digits) - i - 1}}}")
    alternatives.append(digits)
    return f"(?:{'|'.join(alternatives)})"


class IdConverter(IntegerConverter):
    """The app's ``<int:...>``: an integer no larger than any supported database holds (``MAX_ID``).

    A larger id names no row, and handing it to the database fails (PostgreSQL's ``integer`` ends at
    2**31 - 1, SQLite's at 2**63 - 1): such a path matches no route, a 404 on every page and endpoint.
    The bound is in the pattern, not only in ``to_python``: Werkzeug checks a rule's method before its
    converters, so a value refused only there answers 405 on a path that has rules for two methods.
    """

    regex = digits_up_to(MAX_ID)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds a route with one
    app.json = JSONProvider(app)
    app.session_interface = CookieSessionInterface()
    # Core's own tables (audit log, idempotency records, the calendar's years) are part of the schema
    # whichever features happen to import them: create_all and `flask db migrate` must always see the same metadata.
    from interaction.core import api as _core_api, audit as _core_audit, calendar as _core_calendar  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=";".join(_translation_dirs(app)))
    limiter.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(health.bp)
    app.jinja_env.add_extension("jinja2.ext.do")  # templates/macros/forms.html builds attribute dicts
    pages.init_app(app)
    jobs.init_app(app)
    app.extensions[NAVIGATION_KEY] = LRUCache(64)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_with_an_empty_g)


def _translation_dirs(app: Flask) -> list[str]:
    """Each package keeps its catalog in its own ``translations/``; Flask-Babel merges them."""
    package = Path(app.root_path)
    return [str(p) for p in sorted(package.glob("**/translations")) if p.is_dir()]


class Utf8Json:
    """The json module of Socket.IO frames: Chinese as UTF-8, not escaped code points (half the bytes)."""

    @staticmethod
    def dumps(obj, **kwargs):
        import json

        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("separators", (",", ":"))
        return json.dumps(obj, **kwargs)

    @staticmethod
    def loads(s, **kwargs):
        import json

        return json.loads(s, **kwargs)


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO last, once every feature registered its namespace (see CONVENTIONS 13).

    A feature may supply the client manager (``app.extensions["interaction.socketio_manager"]``,
    a factory taking the app; interviews: ordered, private-aware delivery over REDIS_URL).
    Origins stay checked against the site's own unless SOCKETIO_ALLOWED_ORIGINS lists others.
    """
    options = {}
    manager_factory = app.extensions.get("interaction.socketio_manager")
    if manager_factory is not None:
        options["client_manager"] = manager_factory(app)
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        message_queue=app.config.get("REDIS_URL"),
        cors_allowed_origins=app.config.get("SOCKETIO_ALLOWED_ORIGINS"),
        json=Utf8Json,
        path=SOCKETIO_PATH.strip("/"),  # the engine's path, the rule below and core.wsgi's from one constant
        max_http_buffer_size=app.config.get("SOCKETIO_MAX_MESSAGE_BYTES", 64 * 1024),
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
        logger=False,
        engineio_logger=False,
        # A client's events run one after the other in the greenlet (or thread) that read them, as
        # its messages arrive, instead of each in a new one: one spawn less per event.
        async_handlers=False,
        **options,
    )
    # Socket events run in request contexts of the engine's URL (Flask-SocketIO's): with no rule for it,
    # each event's URL matching raised NotFound, and its traceback held the context in a reference cycle
    # that only the garbage collector freed (~70 objects an event: all of a live room's joins' garbage).
    app.add_url_rule(SOCKETIO_PATH, endpoint="socketio", view_func=_answered_by_the_engine, methods=["GET", "POST"])
    # werkzeug matches a WebSocket's upgrade request (a viewer's events run in its context) to WebSocket rules only.
    app.add_url_rule(SOCKETIO_PATH, endpoint="socketio", view_func=_answered_by_the_engine, websocket=True)
    compression = app.config.get("SOCKETIO_WS_COMPRESSION", False)
    app.extensions[REALTIME_EXTENSION] = realtime = websocket.install(
        # Compression (off by default) is the libraries' to negotiate: then they serve the WebSockets.
        socketio.server.eio, direct=app.config.get("SOCKETIO_DIRECT_WRITES", True) and not compression,
        send_buffer=app.config.get("SOCKETIO_SEND_BUFFER_BYTES", 0),
        max_lag=app.config.get("SOCKETIO_MAX_LAG_SECONDS", websocket.MAX_LAG_SECONDS),
        allow_untested=app.config.get("SOCKETIO_ALLOW_UNTESTED", False))
    if not compression and realtime != websocket.FAST:  # the fast path's own handshake accepts no extension
        app.wsgi_app = decline_websocket_extensions(app.wsgi_app)
    # Outermost, so that they cover the Socket.IO engine's own answers and requests too (core.wsgi).
    app.wsgi_app = with_security_headers(app.wsgi_app, security_headers(bool(app.config.get("PRODUCTION"))))
    app.wsgi_app = bounded_chunked_bodies(app.wsgi_app, lambda: app.config.get("MAX_CONTENT_LENGTH"))


def _answered_by_the_engine():
    """``/socket.io/``: the Socket.IO engine answers it before Flask routes a request (core.wsgi)."""
    abort(404)
