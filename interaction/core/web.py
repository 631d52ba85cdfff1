"""Application-wide web concerns: extensions, locale, security headers, home page.

Features add themselves to the home page with :func:`register_channel`; core
never imports a feature.
"""

import dataclasses
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path

from cachetools import LRUCache, TTLCache
from flask import (Blueprint, Flask, current_app, g, get_flashed_messages, has_request_context, jsonify, redirect,
                   render_template, request, session, url_for)
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale, get_translations
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import text
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from interaction.core import errors, websocket
from interaction.core.db import MAX_ID, SAFE_METHODS, db
from interaction.core.extensions import babel, csrf, limiter, login_manager, migrate, socketio
from interaction.core.redirects import safe_next
from interaction.core.untrusted import has_unstorable_text
from interaction.core.wsgi import bounded_chunked_bodies, security_headers, with_security_headers

bp = Blueprint("web", __name__)

ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Channel:
    endpoint: str
    title: object  # lazy string
    description: object
    icon: str = ""


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
        links = [NavLink(c.endpoint, c.title) for c in current_app.extensions.get("interaction.channels", [])]
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


PAGE_MEMO_KEY = "interaction.page_memo"
#: Renderings each process keeps (the least recently used go first).
PAGE_MEMO_SIZE = 256


class _NotAValue(Exception):
    """A template context value compared by identity (an ORM object): a page showing it is not memoized."""


#: Types compared by value whose instances hold no other objects.
_SCALARS = frozenset({str, Markup, bytes, int, float, bool, type(None), date, datetime, time, timedelta, Decimal})


def _as_key(value):
    """*value* as a hashable value equal to another's exactly when the two show the same.

    Containers (dicts, lists, tuples, sets, dataclasses) are compared by their contents, in order;
    other objects by their own equality, if their type defines one with a hash (strings, numbers,
    dates, enums, SQLAlchemy's rows, lazy strings); an object compared only by identity (an ORM
    object) raises :class:`_NotAValue`.
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    if isinstance(value, tuple):
        if all(type(item) in _SCALARS for item in value):  # a row: the common case, checked in one pass
            return value if cls is tuple else (cls, value)
        return cls, tuple(_as_key(item) for item in value)
    if isinstance(value, list):
        return list, tuple(_as_key(item) for item in value)
    if isinstance(value, dict):
        return cls, tuple((_as_key(k), _as_key(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return frozenset, frozenset(_as_key(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return cls, tuple(_as_key(getattr(value, field.name)) for field in dataclasses.fields(value))
    if isinstance(value, Enum):  # one object per member
        return value
    if cls.__hash__ is None or cls.__eq__ is object.__eq__:
        raise _NotAValue(cls.__name__)
    return value


def _request_key() -> tuple:
    """What every page's layout (``base.html``) reads of the request and its user, as a memo key.

    The page's path with its query (the preference forms come back to it), its endpoint (the
    navigation marks it), the script root (every link), the text size and the locale; signed in,
    the user (id with session version, role: the navigation, name) and the session's CSRF token
    (the layout's sign-out form and meta tag carry one signed from it), so that a signed-in
    rendering is its session's own.
    """
    user = None
    if current_user.is_authenticated:
        field = current_app.config["WTF_CSRF_FIELD_NAME"]  # Flask-WTF's session key for the raw token
        user = (current_user.get_id(), current_user.role, current_user.name, session.get(field))
    return (request.full_path, request.endpoint, request.script_root, request.cookies.get("large_text") == "1",
            str(get_locale()), user)


def render_page(template: str, /, **context) -> str:
    """``render_template(template, **context)``, rendered again only when something the page reads changed.

    For the list pages opened on every request (an inbox, the supervision board, the public list):
    rendering a hundred rows costs more than fetching them. The page's queries still run on every
    request; what they return is the key. The key is everything the page reads: the template,
    every context value the view passes (by value: :func:`_as_key`) and what the layout reads of
    the request and its user (:func:`_request_key`); the context processors' values follow from
    those (the locale, the user's role). Such a page's template reads nothing else (no clock, no
    database): its view passes what it shows.

    Always rendered: a page with a flashed message (rendering consumes it), an anonymous visitor
    with a session (a form's token), a context holding an object compared by identity. A
    rendering that changed the session (gave it a CSRF token) is not kept: the key did not hold
    it. With a CSRF time limit, a rendering (and the token in it) is kept for a tenth of it.
    """
    if get_flashed_messages() or (session and not current_user.is_authenticated):
        return render_template(template, **context)
    if current_user.is_authenticated and current_app.config["WTF_CSRF_FIELD_NAME"] not in session:
        generate_csrf()  # the session's token first: it is part of the key
    try:
        key = (template, _as_key(context), _request_key())
    except _NotAValue:
        return render_template(template, **context)
    memo, lock = current_app.extensions[PAGE_MEMO_KEY]
    with lock:
        page = memo.get(key)
    if page is None:
        before = dict(session)
        page = render_template(template, **context)
        if dict(session) == before:
            with lock:
                memo[key] = page
    return page


def _page_memo(app: Flask):
    """The app's page memo (cachetools) and its lock: the last :data:`PAGE_MEMO_SIZE` renderings."""
    limit = app.config.get("WTF_CSRF_TIME_LIMIT")
    memo = TTLCache(PAGE_MEMO_SIZE, ttl=limit / 10) if limit else LRUCache(PAGE_MEMO_SIZE)
    return memo, threading.Lock()


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


@bp.get("/healthz")
@csrf.exempt
def healthz():
    """``{"status": "ok"|"degraded"|"error", "checks": {"database", "redis"?, "realtime"?}}`` (API.md "Serving").

    The database is required: down, 503. Redis (only when ``REDIS_URL`` is set) is not: the desk
    serves without it (rate limits in each process's memory, live rooms catch up when it returns),
    so it down is "degraded", still 200. ``realtime`` (under gevent, the deployment) says which path
    live rooms take (core.websocket): "fast", "bounded", or "slow-path" (degraded: libraries of
    untested versions, allowed by INTERACTION_WS_ALLOW_UNTESTED).
    """
    checks = {"database": _check_database()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check_redis(current_app.config["REDIS_URL"])
    if checks["database"] != "ok":
        return jsonify(status="error", checks=checks), 503
    healthy = all(v == "ok" for v in checks.values())
    realtime = current_app.extensions.get(REALTIME_EXTENSION, websocket.LIBRARY)
    if realtime != websocket.LIBRARY:  # the realtime adapter's path under gevent (core.websocket.install)
        checks["realtime"] = realtime
        healthy = healthy and realtime != websocket.SLOW_PATH
    return jsonify(status="ok" if healthy else "degraded", checks=checks)


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means "down"
        errors.database_outage.failed(exc, "health check")
        return "down"
    return "ok"


#: Seconds the health check waits for Redis: a probe must answer quickly whatever Redis does.
REDIS_PING_TIMEOUT = 0.5
REDIS_PING_KEY = "interaction.health_redis"


def _check_redis(url: str) -> str:
    import redis

    client = current_app.extensions.get(REDIS_PING_KEY)
    if client is None:
        client = current_app.extensions[REDIS_PING_KEY] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_PING_TIMEOUT, socket_timeout=REDIS_PING_TIMEOUT)
    try:
        client.ping()
    except redis.RedisError:
        return "down"
    return "ok"


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
    app.jinja_env.add_extension("jinja2.ext.do")  # templates/macros/forms.html builds attribute dicts
    app.extensions[PAGE_MEMO_KEY] = _page_memo(app)
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
        max_http_buffer_size=app.config.get("SOCKETIO_MAX_MESSAGE_BYTES", 64 * 1024),
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
        logger=False,
        engineio_logger=False,
        **options,
    )
    if not app.config.get("SOCKETIO_WS_COMPRESSION", False):
        app.wsgi_app = _decline_websocket_extensions(app.wsgi_app)
    # Outermost, so that they cover the Socket.IO engine's own answers and requests too (core.wsgi).
    app.wsgi_app = with_security_headers(app.wsgi_app, security_headers(bool(app.config.get("PRODUCTION"))))
    app.wsgi_app = bounded_chunked_bodies(app.wsgi_app, lambda: app.config.get("MAX_CONTENT_LENGTH"))
    app.extensions[REALTIME_EXTENSION] = websocket.install(
        socketio.server.eio, direct=app.config.get("SOCKETIO_DIRECT_WRITES", True),
        send_buffer=app.config.get("SOCKETIO_SEND_BUFFER_BYTES", 0),
        max_lag=app.config.get("SOCKETIO_MAX_LAG_SECONDS", websocket.MAX_LAG_SECONDS),
        allow_untested=app.config.get("SOCKETIO_ALLOW_UNTESTED", False))


#: What the realtime adapter did at start-up (core.websocket.install): /healthz reports it.
REALTIME_EXTENSION = "interaction.realtime"


def _decline_websocket_extensions(wsgi_app):
    """WSGI middleware: WebSocket handshakes reach Socket.IO without ``Sec-WebSocket-Extensions``.

    Why: under gevent the WebSocket server (simple-websocket over wsproto) accepts
    ``permessage-deflate`` whenever the client offers it (browsers and socket.io-client always
    do) and then deflates every frame separately for every viewer: a broadcast to 5,000 viewers
    is compressed 5,000 times (bench/interviews.py: ~60 % more CPU per delivery, ~2.5x the
    memory per connection). Node's socket.io declines it by default; so do we. simple-websocket
    builds the handshake it negotiates from the WSGI environ's ``HTTP_*`` keys and has no option
    for extensions, so the offer is taken out of the environ here (the response then names no
    extension, as RFC 6455 allows). ``SOCKETIO_WS_COMPRESSION = True`` (env INTERACTION_WS_COMPRESSION)
    keeps the library's behaviour.
    """

    def app(environ, start_response):
        if "HTTP_SEC_WEBSOCKET_EXTENSIONS" in environ and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            environ = {k: v for k, v in environ.items() if k != "HTTP_SEC_WEBSOCKET_EXTENSIONS"}
        return wsgi_app(environ, start_response)

    return app
