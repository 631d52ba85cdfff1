"""Application-wide web concerns: extensions, locale, security headers, home page.

Features add themselves to the home page with :func:`register_channel`; core
never imports a feature.
"""

import functools
import re
import time
from dataclasses import dataclass
from pathlib import Path

from flask import (Blueprint, Flask, current_app, g, has_app_context, has_request_context, jsonify, redirect,
                   render_template, request, session, url_for)
from flask.json.provider import DefaultJSONProvider
from babel import Locale
from flask_babel import get_locale, get_translations
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import text
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from interaction.core import errors, websocket
from interaction.core.db import MAX_ID, SAFE_METHODS, db
from interaction.core.extensions import babel, csrf, limiter, login_manager, migrate, socketio
from interaction.core.lru import app_lru
from interaction.core.redirects import safe_next
from interaction.core.sessions import MemoizedCookieSessionInterface
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


NAVIGATION_KEY = "interaction.navigation"


def _navigation() -> tuple[tuple[str, str, str], ...]:
    """The main navigation as ``(endpoint, url, title)``: the channels, then the working links the user may see.

    Built once per locale and role (what a user may see follows from their role: a disabled account
    is signed out), not on every page: its URLs and translated titles cost more to make than the
    rest of the layout (the cache holds a handful of entries). Looked up once per request.
    """
    from flask_login import current_user

    if "interaction_navigation" in g:
        return g.interaction_navigation
    user = current_user._get_current_object()
    role = user.role if user.is_authenticated else None
    key = (str(get_locale()), request.script_root, role)
    cache = current_app.extensions.setdefault(NAVIGATION_KEY, {})
    navigation = cache.get(key)
    if navigation is None:
        links = current_app.extensions.get("interaction.nav_links", [])
        chosen = [NavLink(c.endpoint, c.title) for c in current_app.extensions.get("interaction.channels", [])]
        chosen += [link for link in links
                   if link.permission is None or (user.is_authenticated and user.can(link.permission))]
        navigation = cache[key] = tuple((link.endpoint, url_for(link.endpoint), str(link.title)) for link in chosen)
    g.interaction_navigation = navigation
    return navigation


def select_locale() -> Locale:
    if not has_request_context():  # CLI, background work: the site's language
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    lang = request.cookies.get("lang")
    return _locale(lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"])


@functools.cache
def _locale(code: str) -> Locale:
    """The ``Locale`` of *code*, parsed once per process (Flask-Babel parses a string on every request)."""
    return Locale.parse(code)


def _html_lang(locale: str) -> str:
    return "zh-CN" if locale.startswith("zh") else locale


def request_translations():
    """The current locale's translations, looked up once per request, not once per message.

    Flask-Babel's own lookup (``get_translations``) walks the app context several times on every
    call; a page calls ``_()`` a hundred times or more. The result is kept beside Flask-Babel's
    locale on ``g`` and used only while that locale object is still the current one, so
    ``force_locale`` and ``refresh`` are honoured as before.
    """
    if not has_app_context():
        return get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None:
        cached = getattr(ctx, "interaction_translations", None)
        if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
            return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.interaction_translations = (ctx.babel_locale, translations)
    return translations


def _forget_previous_request():
    """Drop what extensions cached on ``g`` for an earlier request in the same app context.

    A server pushes a fresh app context per request, but tests (and CLI code) may keep one
    app context across many requests; without this the locale, the signed-in user and the
    CSRF token of the first request would stick to the following ones.
    """
    g.pop("_flask_babel", None)
    g.pop("_login_user", None)
    g.pop("interaction_navigation", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


WTFORMS_CATALOGS_KEY = "interaction.wtforms_catalogs"


class _WTFormsCatalog:
    """WTForms' own messages in the current locale, its catalog read from disk once per process and locale.

    Flask-WTF reads that catalog (``wtforms`` domain) from disk on every request that builds a form
    with a label-less field (a hidden field: the API's letter form) and keeps it on
    ``request.wtforms_translations``; this object takes that place (see :func:`_wtforms_catalog`).
    """

    @staticmethod
    def _catalog():
        from babel import support
        from wtforms.i18n import messages_path

        locale = get_locale()
        catalogs = current_app.extensions.setdefault(WTFORMS_CATALOGS_KEY, {})
        catalog = catalogs.get(str(locale))
        if catalog is None:
            catalog = catalogs[str(locale)] = support.Translations.load(messages_path(), [locale], domain="wtforms")
        return catalog

    def ugettext(self, string):
        return self._catalog().ugettext(string)

    def ungettext(self, singular, plural, n):
        return self._catalog().ungettext(singular, plural, n)


_WTFORMS_CATALOG = _WTFormsCatalog()


@bp.before_app_request
def _wtforms_catalog():
    request.wtforms_translations = _WTFORMS_CATALOG  # read by flask_wtf.i18n (Flask-WTF 1.3)


URL_CACHE_KEY = "interaction.template_urls"
URL_CACHE_MAX = 512


def template_url_for(endpoint: str, **values) -> str:
    """Templates' ``url_for``: the URLs of argument-free endpoints and of static files are built once.

    Every page's layout links the same dozen endpoints; building each again costs more than the
    rest of the header. A relative URL depends only on the endpoint (and static file) and the
    script root, which are the cache key; anything else (other arguments, ``_external``, relative
    endpoints, URL defaults, no request) goes to Flask's ``url_for`` as before.
    """
    if (not has_request_context() or endpoint.startswith(".") or current_app.url_default_functions
            or (values and (endpoint != "static" or list(values) != ["filename"]))):
        return url_for(endpoint, **values)
    cache = current_app.extensions.setdefault(URL_CACHE_KEY, {})
    key = (endpoint, values.get("filename"), request.script_root)
    url = cache.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(cache) < URL_CACHE_MAX:
            cache[key] = url
    return url


PAGE_MEMO_KEY = "interaction.page_memo"
PAGE_MEMO_MAX = 256
FRAGMENT_MEMO_KEY = "interaction.fragment_memo"
FRAGMENT_MEMO_MAX = 256
HEADER_MEMO_KEY = "interaction.header_memo"
HEADER_MEMO_MAX = 512


def _memoized(name: str, size: int, key, render):
    """``render()``, kept in the process's memo *name* under *key* (the last *size* keys used)."""
    memo = app_lru(current_app, name, size)
    value = memo.recall(key)
    return value if value is not None else memo.keep(key, render())


def _layout_key() -> tuple:
    """Everything the layout (``base.html``) shows from the request and its user: part of every memo's key.

    The text size, the page's path (the preference forms come back to it) and endpoint (the
    navigation marks it), the navigation the user may see, the signed-in user (id with session
    version, role, name) and the session's signed CSRF token (the sign-out form, the scripts' meta
    tag), the locale and the script root. The token makes a signed-in key its session's own.
    """
    from flask_login import current_user

    user = current_user._get_current_object()
    signed_in = user.is_authenticated
    return (request.cookies.get("large_text") == "1", request.full_path, request.endpoint, _navigation(),
            (user.get_id(), user.role, user.name, csrf_token()) if signed_in else None,
            str(get_locale()), request.script_root)


def render_page(template: str, shown, /, **context) -> str:
    """``render_template(template, **context)``, rendered again only when something it shows changed.

    *shown*: a hashable value holding everything the page's own template shows (its rows, totals,
    figures, filters, anything it reads of the user beyond the layout); the memo's key is that, the
    template, and :func:`_layout_key`. The page's queries still run on every request: a change to
    the data, the user, the request or the language renders anew and nothing goes stale. Anonymous
    visitors without a session share renderings; a signed-in user's are their session's own; an
    anonymous visitor with a session (a form's token) and a page with a flashed message (which
    rendering consumes) are always rendered. Each process keeps the last :data:`PAGE_MEMO_MAX` pages.

    For list pages: rendering a page with a hundred rows, even with its table memoized
    (:func:`memo`), cost a signed-in request more than its queries.
    """
    from flask_login import current_user

    if "_flashes" in session or (session and not current_user.is_authenticated):
        return render_template(template, **context)
    key = (template, shown, _layout_key())
    return _memoized(PAGE_MEMO_KEY, PAGE_MEMO_MAX, key, lambda: render_template(template, **context))


@pass_context
def memo(context, shown, caller) -> Markup:
    """A template's block rendered once for the same *shown*, as a call block (``{% call %}``, see below).

    ``{% call memo(shown) %}...{% endcall %}`` is for the part of a page that many requests render
    alike (a department's inbox table, the supervision board), whoever asks: rendering a hundred
    rows costs more than fetching them. *shown* is a hashable value that must hold everything the
    block reads that can differ between two renderings (its rows, badges, totals, filters, page
    number); the key adds the template, the locale and the script root (the block's links and
    labels), so nothing goes stale. Nothing of the signed-in user belongs in such a block (the
    layout around it is rendered for each request). Each process keeps the last
    :data:`FRAGMENT_MEMO_MAX` blocks.
    """
    key = (context.name, shown, str(get_locale()), request.script_root)
    return _memoized(FRAGMENT_MEMO_KEY, FRAGMENT_MEMO_MAX, key, lambda: Markup(caller()))


@pass_context
def header_memo(context, caller) -> Markup:
    """The layout's header, rendered once per what it shows (base.html's call block; :func:`_layout_key`).

    Every page renders it, and it was a fifth of a signed-in page's own work: the preference forms
    (with this page's path to come back to), the navigation the user may see (marking this page's
    link), the user's name and the sign-out form's token. Its own memo, so that many users'
    headers do not push the lists' blocks (:func:`memo`) out.
    """
    return _memoized(HEADER_MEMO_KEY, HEADER_MEMO_MAX, (context.name, _layout_key()), lambda: Markup(caller()))


CSRF_MEMO_KEY = "interaction.csrf_tokens"
CSRF_MEMO_MAX = 4096


def csrf_token() -> str:
    """Flask-WTF's ``csrf_token()`` for templates, signed once per session and process, not on every page.

    Signing the session's token (itsdangerous: JSON, HMAC, base64) was ~5 % of a signed-in page,
    and a page's layout carries it (the sign-out form, the scripts' meta tag). A signed token is
    checked against the session's raw token and its age (``WTF_CSRF_TIME_LIMIT``): one signed
    earlier for the same raw token is as valid, so it is reused while younger than a tenth of
    that limit (always, with no limit, this site's setting). :func:`_reuse_signed_csrf_token` hands
    it to the request before any form asks; the check itself is unchanged.
    """
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    if field not in g:
        _reuse_signed_csrf_token()
    if field in g:  # reused, or signed earlier in this request (a form)
        token = getattr(g, field)
    else:
        token = generate_csrf()  # a new session's first token is stored in its session
    memo = app_lru(current_app, CSRF_MEMO_KEY, CSRF_MEMO_MAX)
    if session[field] not in memo:
        memo.keep(session[field], (token, time.monotonic()))
    return token


@bp.before_app_request
def _reuse_signed_csrf_token():
    """Give this request the token signed earlier for its session (see :func:`csrf_token`), if still fresh."""
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    raw = session.get(field) if session else None
    if raw is None:
        return
    memo = app_lru(current_app, CSRF_MEMO_KEY, CSRF_MEMO_MAX)
    cached = memo.recall(raw)
    if cached is None:
        return
    limit = current_app.config["WTF_CSRF_TIME_LIMIT"]
    if limit is not None and time.monotonic() - cached[1] >= limit / 10:
        del memo[raw]
        return
    setattr(g, field, cached[0])  # Flask-WTF's generate_csrf (forms, templates) gives this one


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
    translate = _rendering_gettext(request_translations().ugettext)
    return {
        "html_lang": _html_lang(locale),
        "large_text": request.cookies.get("large_text") == "1",
        "languages": current_app.config["LANGUAGES"],
        "current_locale": locale,
        "navigation": _navigation(),
        "gettext": translate,
        "_": translate,
        "csrf_token": csrf_token,  # over Flask-WTF's context processor, which gives its own
    }


def _rendering_gettext(ugettext):
    """Jinja's new-style ``gettext`` (autoescaped, always %-formatted) over the translations of one rendering.

    A page calls ``_()`` dozens of times; the installed callable (``init_app``) looks the
    translations up again on each call, this one once per rendering. Imported macros, which do not
    see the rendering's context, still use the installed one.
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
    app.session_interface = MemoizedCookieSessionInterface()
    # Core's own tables (audit log, idempotency records, the calendar's years) are part of the schema
    # whichever features happen to import them: create_all and `flask db migrate` must always see the same metadata.
    from interaction.core import api as _core_api, audit as _core_audit, calendar as _core_calendar  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=";".join(_translation_dirs(app)))
    # Flask-Babel's template callables, with the translations looked up once per request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # ``_`` straight to that gettext: Jinja's alias looks "gettext" up again in the context on each of a
    # page's dozens of calls (no template or context processor replaces it).
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"]
    limiter.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.add_extension("jinja2.ext.do")  # templates/macros/forms.html builds attribute dicts
    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.globals["memo"] = memo
    app.jinja_env.globals["header_memo"] = header_memo
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_request)


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
