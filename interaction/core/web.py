"""Application-wide web concerns: extensions, locale, security headers, home page.

Features add themselves to the home page with :func:`register_channel`; core
never imports a feature.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import (Blueprint, Flask, current_app, g, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_babel import get_locale
from sqlalchemy import text
from werkzeug.exceptions import BadRequest

from interaction.core import errors
from interaction.core.db import db, write_intent
from interaction.core.extensions import babel, csrf, limiter, login_manager, migrate, socketio

bp = Blueprint("web", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
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


def _nav_links():
    from flask_login import current_user

    links = [NavLink(c.endpoint, c.title) for c in current_app.extensions.get("interaction.channels", [])]
    for link in current_app.extensions.get("interaction.nav_links", []):
        if link.permission is None or (current_user.is_authenticated and current_user.can(link.permission)):
            links.append(link)
    return links


def select_locale() -> str:
    lang = request.cookies.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _html_lang() -> str:
    return "zh-CN" if str(get_locale()).startswith("zh") else str(get_locale())


@bp.before_app_request
def _mark_read_only_requests():
    # Reads may run in a deferred SQLite transaction; writes take the write lock up front.
    g.write_intent_token = write_intent.set(request.method not in SAFE_METHODS)


@bp.before_app_request
def _csrf_protect():
    """One place decides CSRF: every unsafe request, except API calls without a cookie session.

    A bearer token or an anonymous API call carries no ambient credential a
    forged cross-site request could borrow; a signed-in browser session does.
    """
    if request.method in SAFE_METHODS:
        return
    if request.path.startswith("/api/") and (
        request.headers.get("Authorization", "").startswith("Bearer ") or "_user_id" not in session
    ):
        return
    csrf.protect()


@bp.teardown_app_request
def _reset_write_intent(_exc):
    token = g.pop("write_intent_token", None)
    if token is not None:
        write_intent.reset(token)


@bp.after_app_request
def _security_headers(response):
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("PRODUCTION"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


@bp.app_context_processor
def _template_globals():
    from interaction.accounts.permissions import Permission  # templates test permissions by name

    return {
        "Permission": Permission,
        "html_lang": _html_lang(),
        "large_text": request.cookies.get("large_text") == "1",
        "languages": current_app.config["LANGUAGES"],
        "current_locale": str(get_locale()),
        "nav_links": _nav_links(),
    }


@bp.get("/")
def index():
    channels = current_app.extensions.get("interaction.channels", [])
    return render_template("home.html", channels=channels)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.exception("health check failed")
        return jsonify(status="error"), 503
    return jsonify(status="ok")


def _back():
    target = request.form.get("next") or request.referrer or url_for("web.index")
    # Only paths on this site: an open redirect would help phishing.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.index")
    return redirect(target)


@bp.post("/preferences/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        raise BadRequest()
    response = _back()
    response.set_cookie("lang", lang, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@bp.post("/preferences/large-text")
def toggle_large_text():
    response = _back()
    value = "0" if request.cookies.get("large_text") == "1" else "1"
    response.set_cookie("large_text", value, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    app.json.ensure_ascii = False  # UTF-8 Chinese: half the bytes of \\uXXXX escapes
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=";".join(_translation_dirs(app)))
    limiter.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)
    app.register_blueprint(bp)


def _translation_dirs(app: Flask) -> list[str]:
    """Each package keeps its catalog in its own ``translations/``; Flask-Babel merges them."""
    package = Path(app.root_path)
    return [str(p) for p in sorted(package.glob("**/translations")) if p.is_dir()]


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO last, once every feature registered its namespace (see CONVENTIONS 13)."""
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        message_queue=app.config.get("REDIS_URL"),
        cors_allowed_origins=app.config.get("SOCKETIO_ALLOWED_ORIGINS"),
        logger=False,
        engineio_logger=False,
    )
