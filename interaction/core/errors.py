"""Errors with one shape.

Services raise the :class:`DomainError` subclasses below; the API answers
them (and every HTTP error) as ``{"error": {"code", "message", "fields"?}}``
with the right status, and HTML pages show a friendly error page. Bad input
never becomes a 500 or, in the API, an HTML page. A database that cannot be
reached answers 503 ``database_unavailable`` with ``Retry-After`` (see
:func:`handle_database_unavailable`).
"""

import logging
import sqlite3
import threading

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the request; carries its HTTP status and code."""

    status = 400
    code = "bad_request"
    default_message = _l("请求无效。")

    def __init__(self, message=None, *, code=None, fields=None):
        super().__init__(str(message or self.default_message))
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.fields = fields


class ValidationFailed(DomainError):
    status = 422
    code = "invalid_fields"
    default_message = _l("提交的内容有误，请检查后重试。")

    def __init__(self, fields: dict, message=None):
        super().__init__(message, fields={k: str(v) for k, v in fields.items()})


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("找不到您要的内容。")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("您没有权限执行此操作。")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("请先登录。")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("该操作与当前状态冲突。")


class InvalidTransition(Conflict):
    code = "invalid_state"
    default_message = _l("当前状态下不能执行此操作。")


HTTP_CODES = {
    400: ("bad_request", _l("请求格式有误。")),
    401: ("unauthorized", _l("请先登录。")),
    403: ("forbidden", _l("您没有权限执行此操作。")),
    404: ("not_found", _l("找不到您要的内容。")),
    405: ("method_not_allowed", _l("不支持该请求方法。")),
    409: ("conflict", _l("该操作与当前状态冲突。")),
    413: ("too_large", _l("提交的内容过大。")),
    415: ("unsupported_media_type", _l("请以 JSON 格式提交。")),
    422: ("invalid_fields", _l("提交的内容有误，请检查后重试。")),
    429: ("rate_limited", _l("操作过于频繁，请稍后再试。")),
    500: ("server_error", _l("服务器出现错误，请稍后再试。")),
}


def wants_json() -> bool:
    """True for API requests: they are answered in JSON whatever happens."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return jsonify(error=body), status


def _render_error(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


def handle_domain_error(exc: DomainError):
    if wants_json():
        return error_response(exc.status, exc.code, exc.message, exc.fields)
    return _render_error(exc.status, exc.message)


def _protocol_headers(exc: HTTPException) -> dict:
    """Headers the status needs besides its body: Allow on 405, Retry-After on 429 and 503."""
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    if exc.response is not None and "Retry-After" in exc.response.headers:
        headers["Retry-After"] = exc.response.headers["Retry-After"]
    return headers


def handle_http_error(exc: HTTPException):
    status = exc.code or 500
    code, message = HTTP_CODES.get(status, ("error", exc.description or ""))
    if wants_json():
        response, status = error_response(status, code, str(message))
    else:
        response, status = _render_error(status, str(message))
    return response, status, _protocol_headers(exc)


def handle_csrf_error(_exc: CSRFError):
    """A form or cookie-authenticated API call without a valid CSRF token (often an expired page)."""
    message = _("页面已过期或来源无法确认，请刷新页面后重试。")
    if wants_json():
        return error_response(400, "csrf_failed", message)
    return _render_error(400, message)


def handle_unexpected(exc: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error")
    if wants_json():
        return error_response(500, "server_error", _("服务器出现错误，请稍后再试。"))
    return _render_error(500, _("服务器出现错误，请稍后再试。"))


#: Seconds a client is asked to wait before trying again while the database is down.
DATABASE_RETRY_AFTER = 10

#: SQLite's errors that mean the file cannot be used at all (not a mistake in a statement).
SQLITE_UNAVAILABLE = ("unable to open database", "disk i/o error", "database is locked", "readonly database")


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether *exc* says the database cannot be reached now, rather than that a statement was wrong.

    PostgreSQL: any ``OperationalError`` (refused, terminated, timed out), an ``InterfaceError``
    (connection already closed) or an error that invalidated its connection; a pool with no
    connection left to lend. SQLite: only the errors of :data:`SQLITE_UNAVAILABLE` ("no such
    table" is also an ``OperationalError``, and a bug, not an outage).
    """
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.OperationalError):
        if isinstance(exc.orig, sqlite3.OperationalError):
            return any(text in str(exc.orig).lower() for text in SQLITE_UNAVAILABLE)
        return True
    return False


class DatabaseOutage:
    """Logs a database outage once with its traceback, then one line per failing request.

    An outage begins with the first failure after a statement succeeded and ends with the next
    statement that succeeds (the engine listener below): a burst of hundreds of failing requests
    leaves one traceback, not hundreds.
    """

    def __init__(self):
        self.active = False
        self._lock = threading.Lock()

    def failed(self, exc: BaseException, what: str) -> None:
        with self._lock:
            first, self.active = not self.active, True
        if first:
            log.error("database unavailable (%s): outage begins", what, exc_info=exc)
        else:
            log.warning("database unavailable (%s): %s", what, type(exc).__name__)

    def succeeded(self) -> None:
        with self._lock:
            ended, self.active = self.active, False
        if ended:
            log.warning("database reachable again: outage over")


database_outage = DatabaseOutage()


@event.listens_for(Engine, "after_cursor_execute")
def _database_answered(_conn, _cursor, _statement, _parameters, _context, _executemany):
    if database_outage.active:  # one attribute read per statement while all is well
        database_outage.succeeded()


def handle_database_unavailable(exc: sa_exc.SQLAlchemyError):
    """503 ``database_unavailable`` with ``Retry-After`` (a friendly page for HTML) while the database is down.

    Any other database error is not ours: it is raised again, to become the 500 it is. The page is
    rendered without the layout's context (the signed-in user, the navigation), which would read
    the database that just failed.
    """
    if not is_database_unavailable(exc):
        raise exc
    database_outage.failed(exc, f"{request.method} {request.path}")
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    message = _("系统暂时无法访问数据库，请稍后再试。")
    if wants_json():
        response, status = error_response(503, "database_unavailable", message)
        return response, status, headers
    locale = str(get_locale())
    page = current_app.jinja_env.get_template("errors/unavailable.html").render(
        message=message, html_lang="zh-CN" if locale.startswith("zh") else locale)
    return page, 503, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    # Registered in tests too: an outage's answer is part of the contract (API.md "Conventions").
    app.register_error_handler(sa_exc.DBAPIError, handle_database_unavailable)
    app.register_error_handler(sa_exc.TimeoutError, handle_database_unavailable)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
